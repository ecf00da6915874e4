"""`reelforge chat`: (being built)."""

from __future__ import annotations
