"""Event subscribers of the notice context."""
