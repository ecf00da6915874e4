"""The ASGI app behind `reelforge serve`: the JSON API, the SSE streams, and (mounted) the dashboard."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager

from fastapi import FastAPI

from graph.api.errors import ERROR_RESPONSES, install_error_handlers
from graph.api.security import Guard
from graph.operations import Operations
from graph.run_launcher import RunLauncher
from graph.runs import RunService
from graph.services import Services

# Threads for blocking reads (the run index, event logs, provider checks): every follower of a busy
# dashboard polls through one now and then.
READ_THREADS = 64
DESCRIPTION = """Make short videos and follow them as they are made.

Start a run with `POST /runs` (a chat line or a job's fields), follow its events with
`GET /runs/{id}/events` (server-sent events; `Last-Event-ID` resumes a dropped stream), answer its
approval gate with `POST /runs/{id}/approve`, and fetch the video from `GET /videos/{id}`.
Every error is JSON: `{"error": "<what went wrong and what to do>"}`.
"""


def create_app(services: Services, *, operations: Operations | None = None) -> FastAPI:
    """The app over `services`; runs start on the workers with Redis, else in a pool in this process."""
    settings = services.settings
    if operations is None:
        service = RunService(services, owner="api")
        operations = Operations(service, RunLauncher(service, settings.api_runs_at_once))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        asyncio.get_running_loop().set_default_executor(
            ThreadPoolExecutor(READ_THREADS, thread_name_prefix="reelforge-api")
        )
        services.start_logging()
        yield
        operations.launcher.close()

    app = FastAPI(
        title="reelforge",
        version="0.1.0",
        summary="Turn a request into a published short video.",
        description=DESCRIPTION,
        responses=ERROR_RESPONSES,
        lifespan=lifespan,
    )
    app.state.ops = operations
    install_error_handlers(app)
    from graph.api import chat_routes, info_routes, runs_routes

    app.include_router(runs_routes.router)
    app.include_router(info_routes.router)
    app.include_router(chat_routes.router)
    from fastapi.staticfiles import StaticFiles

    from graph.api import web_routes

    app.include_router(web_routes.router)
    app.mount("/static", StaticFiles(directory=web_routes.STATIC), name="static")
    from graph.api.metrics import router as metrics_router

    app.include_router(metrics_router)
    app.add_middleware(Guard, token=settings.api_token)
    return app
