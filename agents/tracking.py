"""The `tracked` decorator: every node records its start and end, and commits its result at its end.

A node's update is written under its LangGraph task id the moment it returns. LangGraph saves the task's
writes a little later; a kill in between would otherwise run the node again on resume (a second post, a
second paid call). Task ids are derived from the checkpoint, so the resumed task has the same id and gets
the committed update back without running.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from langgraph.runtime import get_runtime

from state import Context
from tools.faults import failpoint
from tools.journal import record_end, record_replay, record_start, save_result, saved_result

F = TypeVar("F", bound=Callable[..., Any])


def tracked(agent: str) -> Callable[[F], F]:
    """Wrap a node so each execution is journaled under `agent` and its result is committed at its end."""

    def decorate(node: F) -> F:
        name = node.__name__

        @functools.wraps(node)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            runtime = get_runtime(Context)
            context = runtime.context
            run_dir = context.run_dir
            info = runtime.execution_info
            task_id = info.task_id if info is not None else None
            if task_id and (committed := saved_result(run_dir, task_id)) is not None:
                record_replay(run_dir, agent, name, task_id)
                return committed
            started = record_start(run_dir, agent, name, task_id)
            failpoint(context.failpoint, f"start:{name}")
            ok = False
            try:
                result = node(*args, **kwargs)
                if task_id:
                    save_result(run_dir, task_id, result)
                ok = True
                return result
            finally:
                record_end(run_dir, agent, name, started, ok, task_id)
                if ok:
                    failpoint(context.failpoint, f"end:{name}")

        return wrapper  # type: ignore[return-value]

    return decorate
