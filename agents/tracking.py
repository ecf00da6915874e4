"""The `tracked` decorator: every node records its start and end in the run's execution journal."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from langgraph.runtime import get_runtime

from state import Context
from tools.journal import record_end, record_start

F = TypeVar("F", bound=Callable[..., Any])


def tracked(agent: str) -> Callable[[F], F]:
    """Wrap a node so that each execution is journaled under `agent`, even if the process dies mid-node."""

    def decorate(node: F) -> F:
        @functools.wraps(node)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            run_dir = get_runtime(Context).context.run_dir
            started = record_start(run_dir, agent, node.__name__)
            ok = False
            try:
                result = node(*args, **kwargs)
                ok = True
                return result
            finally:
                record_end(run_dir, agent, node.__name__, started, ok)

        return wrapper  # type: ignore[return-value]

    return decorate
