"""What route functions receive: the app's one Operations object."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from graph.operations import Operations


def _operations(request: Request) -> Operations:
    ops: Operations = request.app.state.ops
    return ops


Ops = Annotated[Operations, Depends(_operations)]
