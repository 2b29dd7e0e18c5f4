"""Helpers of market/settings.py that are code rather than settings: reading typed values from
the environment, and building the database's connection options. Imported by the settings
module before Django is configured, so nothing here imports Django's settings or models."""
