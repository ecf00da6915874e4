"""Slugs: lower-case ASCII words joined by hyphens, safe in run ids, thread ids and folder names."""

from __future__ import annotations

import re


def slugify(text: str, max_len: int = 40) -> str:
    """Lower-case ASCII words joined by hyphens."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:max_len].rstrip("-") or "video"
