"""The graphs `langgraph.json` names for LangGraph Studio (`langgraph dev`): the orchestrator, each sub-agent.

They are compiled without a checkpointer, because the LangGraph server brings its own, and with
StudioContext as their context schema. A run in Studio sends its context as JSON (the assistant's
context, often `{}`); LangGraph turns that dict into a StudioContext, whose JSON fields have defaults
and whose live clients (the model router, the voices, ffmpeg) are opened from the settings, as the run
service opens them. So a run in Studio works offline with nothing set, on the same home, settings and
ledger as `reelforge` (REELFORGE_HOME, reelforge.toml and the provider variables of the shell that
started `langgraph dev`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import cache
from typing import Annotated, Any

from langgraph.graph.state import CompiledStateGraph
from pydantic import Field
from pydantic.json_schema import SkipJsonSchema

from agents import (
    build_content_generation_graph,
    build_data_acquisition_graph,
    build_monitoring_graph,
    build_publishing_graph,
    build_video_production_graph,
)
from graph.orchestrator import compile_orchestrator
from graph.runs import RECURSION_LIMIT
from graph.services import Services, load_settings, open_services
from state import Context, ImageRequest, Routed, SpeechRequest, TextRequest
from tools.media.ffmpeg import find_ffmpeg
from tools.models.service import ModelRouter
from tools.research import Wikipedia
from tools.speech import VoiceShelf

__all__ = [
    "StudioContext",
    "content_generation",
    "data_acquisition",
    "monitoring",
    "orchestrator",
    "publishing",
    "RouterOnFirstUse",
    "StudioProcess",
    "studio_process",
    "video_production",
]

# Filled in from the settings, never sent by Studio: left out of the context's JSON schema (its form).
Made = SkipJsonSchema[Any]


@dataclass(frozen=True)
class StudioProcess:
    """What every Studio run of this process shares: the settings and stores, ffmpeg, the voices."""

    services: Services
    ffmpeg: str
    voices: VoiceShelf
    research: Wikipedia | None


@cache
def studio_process() -> StudioProcess:
    """This `langgraph dev` process's settings, stores and tools, read and opened once."""
    services = open_services(load_settings())
    # No start_logging(): it would configure structlog for the whole process, and the LangGraph server's
    # own log (where our events then appear too) would vanish into <home>/logs/reelforge.log.
    settings = services.settings
    research = settings.research
    return StudioProcess(
        services=services,
        ffmpeg=find_ffmpeg(settings.ffmpeg),
        # One shelf per process: a voice loads once, not once per run.
        voices=VoiceShelf(),
        research=(
            Wikipedia(research.wikipedia_url, research.timeout_s, research.max_facts)
            if research.wikipedia
            else None
        ),
    )


class RouterOnFirstUse:
    """The model router of one run, built at its first call.

    LangGraph builds a run's context on the server's event loop, where reading the ledger (which
    building a ModelRouter does) would block every other run; a node's first call happens off it.
    """

    def __init__(self, services: Services, run_id: str) -> None:
        """Route calls for `run_id` through the router `services`' settings describe."""
        self.services, self.run_id = services, run_id
        self._lock = threading.Lock()
        self._router: ModelRouter | None = None

    def router(self) -> ModelRouter:
        """The run's ModelRouter, built on first use."""
        with self._lock:
            if self._router is None:
                settings = self.services.settings
                self._router = ModelRouter(settings.router, self.services.ledger, self.run_id)
            return self._router

    def text(self, request: TextRequest, node: str, alias: str = "default") -> Routed:
        """See ModelRouter.text."""
        return self.router().text(request, node, alias)

    def image(self, request: ImageRequest, node: str) -> Routed:
        """See ModelRouter.image."""
        return self.router().image(request, node)

    def speech(self, request: SpeechRequest, node: str) -> Routed:
        """See ModelRouter.speech."""
        return self.router().speech(request, node)

    def usage_summary(self) -> dict[str, Any]:
        """See ModelRouter.usage_summary."""
        return self.router().usage_summary()


@dataclass(frozen=True)
class StudioContext(Context):
    """The runtime Context of a run started from LangGraph Studio: set `run_id` (the folder its files go
    to), `max_revisions` or `gallery_url` in the assistant's context; the rest comes from the settings."""

    run_id: Annotated[
        str, Field(description="The run's folder under <home>/runs; artifacts are reused by content.")
    ] = "studio"
    run_dir: Made = field(init=False)
    home: Made = field(init=False)
    voices: Made = field(init=False)
    ffmpeg: Made = field(init=False)
    models: Made = field(init=False)
    max_revisions: Annotated[
        int, Field(description="How many times the quality gate may send the script back.")
    ] = 2
    gallery_url: Annotated[
        str | None, Field(description="The base URL the gallery is served at (none: file:// links).")
    ] = None
    stop: Made = field(init=False, default_factory=threading.Event)
    research: Made = field(init=False, default=None)
    failpoint: Made = field(init=False, default=None)
    sources: Made = field(init=False)
    allow_private_sources: Made = field(init=False, default=False)
    publish: Made = field(init=False)
    youtube_token: Made = field(init=False, default=None)
    index: Made = field(init=False, default=None)

    def __post_init__(self) -> None:
        """Give the run the process's clients, as RunService does for a run of its own (nothing here
        reads a file: this runs on the server's event loop)."""
        process = studio_process()
        settings = process.services.settings
        opened = {
            "run_dir": settings.run_dir(self.run_id),
            "home": settings.home,
            "voices": process.voices,
            "ffmpeg": process.ffmpeg,
            "models": RouterOnFirstUse(process.services, self.run_id),
            "research": process.research,
            "sources": settings.sources,
            "allow_private_sources": settings.allow_private_sources,
            "publish": settings.publish,
            "youtube_token": settings.youtube_token,
            "index": process.services.runs,
        }
        for name, value in opened.items():
            # A frozen dataclass: its own __init__ is the only other place fields are set.
            object.__setattr__(self, name, value)


def _for_studio(graph: CompiledStateGraph[Any, Context, Any, Any]) -> CompiledStateGraph[Any, Any, Any, Any]:
    """`graph` taking a StudioContext, and allowed as many steps as a run of the run service."""
    return graph.copy({"context_schema": StudioContext}).with_config(recursion_limit=RECURSION_LIMIT)


# Opened now, while `langgraph dev` imports this module off its event loop: a run's context then reads
# nothing from disk when it is made.
studio_process()

# The orchestrator compiles where every door compiles it; the sub-agents compile as its subgraphs do.
orchestrator = _for_studio(compile_orchestrator(None))
data_acquisition = _for_studio(build_data_acquisition_graph().compile(name="data_acquisition"))
content_generation = _for_studio(build_content_generation_graph().compile(name="content_generation"))
video_production = _for_studio(build_video_production_graph().compile(name="video_production"))
publishing = _for_studio(build_publishing_graph().compile(name="publishing"))
monitoring = _for_studio(build_monitoring_graph().compile(name="monitoring"))
