"""images tools."""
