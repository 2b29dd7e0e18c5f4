"""Event subscribers of the reservation context."""
