"""publish tools."""
