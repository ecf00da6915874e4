"""The composition root: wires the orchestrator, picks the saver and settings, and opens the doors."""

from __future__ import annotations

from typing import Any

__all__ = ["build_orchestrator", "compile_orchestrator"]


def __getattr__(name: str) -> Any:
    # Lazy, so that `reelforge --help` does not pay for importing LangGraph and the media stack.
    if name in __all__:
        from graph import orchestrator

        return getattr(orchestrator, name)
    raise AttributeError(f"module 'graph' has no attribute {name!r}")
