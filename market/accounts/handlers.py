"""Accounts subscribe to nothing yet; the module exists so every context has the same shape."""
