"""Event subscribers of the payment context."""
