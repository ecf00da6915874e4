"""Local HTTP servers that speak external services' documented wire protocols, with faults on demand."""
