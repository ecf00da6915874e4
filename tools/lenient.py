"""Lenient readers for loosely shaped data (metadata files, report dicts)."""

from __future__ import annotations


def as_number(value: object) -> float | None:
    """The value as a float, or None when it is not a number (booleans are not numbers here)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        return float(value)
    except ValueError:
        return None
