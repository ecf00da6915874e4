"""The machine and the results: health, providers, usage, and the videos and gallery files (with ranges)."""

from __future__ import annotations

from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query
from fastapi.responses import FileResponse

from graph.api.deps import Ops
from graph.api.security import confined

router = APIRouter(tags=["machine"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The server answers (no token needed)."""
    return {"status": "ok"}


@router.get("/providers")
def providers(ops: Ops, fresh: bool = False) -> dict[str, Any]:
    """Every model provider's tier, health and latency, and the overall mode (SELF-HOSTED, CLOUD, FREE
    or OFFLINE); checked at most every few seconds unless `fresh`."""
    return ops.providers(fresh=fresh)


@router.get("/usage")
def usage(
    ops: Ops,
    since: Annotated[str, Query(max_length=40, description="7d, 12h, 30m, 2w or a date.")] = "7d",
    by: Annotated[str, Query(description="provider, day or run")] = "provider",
) -> dict[str, Any]:
    """Model calls and their cost from the ledger, grouped, with savings versus premium."""
    return ops.costs(since, by)


def _not_found(what: str) -> HTTPException:
    return HTTPException(404, f"{what} not found")


def _inside_home(path: str | None, ops: Ops) -> FilePath | None:
    """`path` if it is a file inside the home's runs or gallery: a record never makes us serve more."""
    if not path:
        return None
    settings = ops.settings
    for folder in (settings.runs, settings.gallery):
        resolved, root = FilePath(path).resolve(), folder.resolve()
        if FilePath(path).is_absolute() and resolved.is_relative_to(root):
            return confined(root, str(resolved.relative_to(root)))
    return None


@router.get(
    "/videos/{run_id}",
    response_class=FileResponse,
    responses={200: {"content": {"video/mp4": {}, "image/jpeg": {}}}, 206: {"description": "A byte range."}},
)
async def video(
    run_id: Annotated[str, Path(max_length=120)],
    ops: Ops,
    part: Annotated[str, Query(pattern="^(video|thumbnail)$")] = "video",
) -> FileResponse:
    """The run's latest video (byte ranges, so players can seek) or, with `part=thumbnail`, its thumbnail."""
    record = ops.service.find(run_id)
    if record is None or not record.video:
        raise _not_found(f"a video for run {run_id!r}")
    path: str | None = record.video
    if part == "thumbnail":
        current = (await ops.show_run(run_id)).get("video") or {}
        path = (current.get("thumbnail") or {}).get("path")
    found = _inside_home(path, ops)
    if found is None:
        raise _not_found(f"the {part} of run {run_id!r}")
    return FileResponse(found, media_type="video/mp4" if part == "video" else "image/jpeg")


@router.get("/gallery/{path:path}", response_class=FileResponse)
def gallery_file(path: str, ops: Ops) -> FileResponse:
    """A file of the local gallery (its videos, thumbnails, index.html and feed); nothing outside it."""
    found = confined(ops.settings.gallery, path or "index.html")
    if found is None:
        raise _not_found("that file")
    return FileResponse(found)


@router.get("/runs/{run_id}/files/{name:path}", response_class=FileResponse, tags=["runs"])
def run_file(run_id: Annotated[str, Path(max_length=120)], name: str, ops: Ops) -> FileResponse:
    """One artifact of a run (a scene's picture or voice, the subtitles); nothing outside its folder."""
    ops.require_run(run_id)
    found = confined(ops.settings.run_dir(run_id), name)
    if found is None:
        raise _not_found("that file")
    return FileResponse(found)
