"""Event subscribers of the product context."""
