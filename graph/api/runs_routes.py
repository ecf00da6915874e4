"""/runs: create, list, show and follow runs (SSE), resume them, answer their gates, regenerate a scene."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query
from fastapi.responses import StreamingResponse

from graph.api.bodies import GateReply, RunCreate, SceneRedo
from graph.api.deps import Ops
from graph.api.sse import HEADERS, sse_frames
from graph.operations import Operations
from state.events import RunEvent

router = APIRouter(tags=["runs"])
RunId = Annotated[str, Path(max_length=120, description="The run's id, as GET /runs lists it.")]
RECORD_EXAMPLE = {
    "run_id": "make-bees-3f2a91",
    "thread_id": "make:make-bees-3f2a91",
    "topic": "bees",
    "status": "queued",
    "created_at": "2026-12-04T10:00:00+00:00",
    "updated_at": "2026-12-04T10:00:00+00:00",
    "job": {"topic": "bees", "duration_s": 30, "aspect": "1:1"},
    "video": None,
    "error": None,
    "place": "local",
    "gate": None,
}


def _record_response(status: int = 200, what: str = "The run's record.") -> dict[int | str, Any]:
    return {status: {"description": what, "content": {"application/json": {"example": RECORD_EXAMPLE}}}}


@router.post("/runs", status_code=202, responses=_record_response(202, "The run, queued."))
async def create_run(body: RunCreate, ops: Ops) -> dict[str, Any]:
    """Start a video from a chat line or a job's fields; it runs in the background (follow its events)."""
    return await ops.make_video(body.request, run_id=body.run_id, **body.job_fields())


@router.get("/runs")
def list_runs(
    ops: Ops,
    limit: Annotated[int, Query(ge=1, le=500)] = 20,
    status: Annotated[str | None, Query(max_length=20)] = None,
) -> list[dict[str, Any]]:
    """The newest runs first, optionally only those with one status (queued, running, waiting, done…)."""
    return ops.list_runs(limit, status)


@router.get("/runs/{run_id}")
async def show_run(run_id: RunId, ops: Ops) -> dict[str, Any]:
    """A run: its record, the gate it waits at (with the script), scenes, video, publications, report."""
    return await ops.show_run(run_id)


async def _events(ops: Operations, run_id: str, after: int) -> AsyncIterator[str]:
    # The retry field tells a browser's EventSource how soon to reconnect (with Last-Event-ID).
    yield "retry: 2000\n\n"
    async for frame in sse_frames(ops.follow(run_id, after), _sse):
        yield frame


def _sse(event: RunEvent) -> str:
    return f"id: {event['seq']}\ndata: {json.dumps(event, separators=(',', ':'))}\n\n"


@router.get(
    "/runs/{run_id}/events",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "Server-sent events, one RunEvent as JSON per `data:` line; `id:` is "
            "its number. The stream ends when the run is done, failed, stopped, rejected or "
            "waiting.",
            "content": {"text/event-stream": {}},
        }
    },
)
async def run_events(
    run_id: RunId,
    ops: Ops,
    last_event_id: Annotated[str | None, Header(max_length=20)] = None,
    after: Annotated[int, Query(ge=0, description="Start after this event number.")] = 0,
) -> StreamingResponse:
    """The run's events from the start (or after `Last-Event-ID`), then live until the run settles."""
    ops.require_run(run_id)
    if last_event_id is not None and last_event_id.strip().isdigit():
        after = max(after, int(last_event_id.strip()))
    return StreamingResponse(_events(ops, run_id, after), media_type="text/event-stream", headers=HEADERS)


@router.post("/runs/{run_id}/resume", status_code=202, responses=_record_response(202))
async def resume_run(run_id: RunId, ops: Ops) -> dict[str, Any]:
    """Continue a stopped or failed run where it stopped."""
    return await ops.resume(run_id)


@router.post("/runs/{run_id}/approve", status_code=202, responses=_record_response(202))
async def answer_gate(run_id: RunId, body: GateReply, ops: Ops) -> dict[str, Any]:
    """Answer the gate the run waits at: approve (with an edited script at the script gate) or reject."""
    if body.decision == "reject":
        return await ops.reject(run_id, body.reason)
    return await ops.approve(run_id, body.script)


@router.post("/runs/{run_id}/scenes/{scene}/regenerate", status_code=202, responses=_record_response(202))
async def regenerate_scene(
    run_id: RunId, scene: Annotated[int, Path(ge=1, le=99)], body: SceneRedo, ops: Ops
) -> dict[str, Any]:
    """Make scene `scene` again (optionally with new words or a new picture description); every other
    scene is kept and a new version of the video is made."""
    return await ops.regenerate_scene(run_id, scene, narration=body.narration, visual=body.visual)
