"""speech tools."""
