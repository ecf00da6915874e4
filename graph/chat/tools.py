"""The chat agent's tools: LangChain tools over the desk's verbs, each with a JSON schema and a description
a model can act on. Built per turn over that turn's desk, so a tool sees the conversation's memory."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, ConfigDict, Field

from graph.chat.desk import ChatDesk
from state.job import ASPECTS, CAPTIONS, LANGUAGES, STYLES, VISUALS, VOICES
from state.requests import MAX_DURATION_S, MIN_DURATION_S, TARGETS

_RUN_ID = (
    "The run's id (as list_runs shows it). Leave it out for this conversation's latest run, or for the "
    "run waiting for an answer."
)


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MakeVideoArgs(_Args):
    """Arguments of make_video."""

    request: str | None = Field(
        None,
        description="The user's words asking for the video, as they said them; topic, length, shape, "
        "language, targets and review are read from them. Give it whenever the user asked in words.",
    )
    topic: str | None = Field(None, description="What the video is about, if the words do not say it.")
    duration_s: int | None = Field(
        None, description=f"Length in seconds, {MIN_DURATION_S} to {MAX_DURATION_S}."
    )
    aspect: str | None = Field(None, description=f"Frame shape: {', '.join(ASPECTS)} (1:1 is square).")
    lang: str | None = Field(
        None, description=f"Narration language as a two-letter code; accepted now: {', '.join(LANGUAGES)}."
    )
    voice: str | None = Field(None, description=f"Narrator: {', '.join(VOICES)}.")
    style: str | None = Field(None, description=f"Card palette: {', '.join(STYLES)}.")
    visuals: str | None = Field(None, description=f"Scene pictures: {', '.join(VISUALS)}.")
    captions: str | None = Field(None, description=f"Burned-in captions: {', '.join(CAPTIONS)}.")
    targets: list[str] | None = Field(
        None, description=f"Where to publish; accepted now: {', '.join(TARGETS)}."
    )
    preview: bool | None = Field(None, description="Render a fast, small draft.")
    review: bool | None = Field(
        None,
        description="Stop at the script for the user's approval; true when they want to see, review or "
        "edit the script first.",
    )


class ListRunsArgs(_Args):
    """Arguments of list_runs."""

    limit: int = Field(10, ge=1, le=100, description="How many runs, newest first.")
    status: str | None = Field(
        None,
        description="Only runs with this status: queued, running, waiting, done, failed, stopped, rejected.",
    )


class RunArgs(_Args):
    """Arguments naming one run."""

    run_id: str | None = Field(None, description=_RUN_ID)


class RejectArgs(RunArgs):
    """Arguments of reject_run."""

    reason: str = Field("", max_length=500, description="Why, in the user's words.")


class EditSceneArgs(RunArgs):
    """Arguments of edit_scene."""

    scene: int = Field(description="The scene's number, from 1; -1 for the last scene.")
    narration: str = Field(description="The words the scene should say instead.")


class RegenerateSceneArgs(RunArgs):
    """Arguments of regenerate_scene."""

    scene: int = Field(description="The scene's number, from 1; -1 for the last scene.")
    narration: str | None = Field(None, description="New words for the scene, if the user gave some.")
    visual: str | None = Field(
        None, description="What the new picture should show ('a teapot'), if the user said."
    )


class CostsArgs(_Args):
    """Arguments of costs."""

    since: str | None = Field(
        None,
        description="The period: 'today', 'yesterday', or a span such as 7d (a week), 30d, 12h, or a date "
        "2026-11-01. Default: the last 7 days.",
    )
    by: str = Field("provider", description="Group by provider, day or run.")
    run_id: str | None = Field(
        None,
        description="One run's cost instead of a period: its id, or 'last' for this conversation's latest "
        "run ('what did that cost?').",
    )


class NoArgs(_Args):
    """No arguments."""


def chat_tools(desk: ChatDesk) -> list[BaseTool]:
    """The tools over `desk`'s verbs, in the order a model should consider them."""

    def tool(
        name: str, schema: type[BaseModel], description: str, verb: Callable[..., Awaitable[str]]
    ) -> BaseTool:
        return StructuredTool.from_function(
            coroutine=verb, name=name, description=description, args_schema=schema
        )

    async def list_runs(limit: int = 10, status: str | None = None) -> str:
        return desk.list_runs(limit, status)

    async def providers() -> str:
        return desk.providers()

    async def regenerate(
        scene: int, narration: str | None = None, visual: str | None = None, run_id: str | None = None
    ) -> str:
        return await desk.regenerate_scene(scene, narration=narration, visual=visual, run_id=run_id)

    specs: list[tuple[str, type[BaseModel], str, Callable[..., Awaitable[Any]]]] = [
        (
            "make_video",
            MakeVideoArgs,
            "Start making a short video. Pass the user's words in `request` and any setting they named. "
            "The answer says the run's id, or one line naming a setting that is not accepted and what is; "
            "tell the user that line. Progress is shown to the user as the run goes.",
            desk.make_video,
        ),
        ("list_runs", ListRunsArgs, "List the newest runs with their status and topic.", list_runs),
        (
            "show_run",
            RunArgs,
            "Show one run: its status, video, scenes, why it stopped, and the script it waits on.",
            desk.show_run,
        ),
        (
            "follow_run",
            RunArgs,
            "Follow a run that is still being made, showing its progress to the user until it settles.",
            desk.follow,
        ),
        ("resume_run", RunArgs, "Continue a stopped or failed run where it stopped.", desk.resume),
        (
            "approve_run",
            RunArgs,
            "Approve what the run waits for: its script (with the user's edits, if any) or publishing.",
            desk.approve,
        ),
        (
            "reject_run",
            RejectArgs,
            "Reject what the run waits for (its script or publishing); the run ends.",
            desk.reject,
        ),
        (
            "edit_scene",
            EditSceneArgs,
            "Change the words of one scene of the script the run waits on ('change scene 2 to say ...'). "
            "The user approves afterwards; on a finished run the scene is made again instead.",
            desk.edit_scene,
        ),
        (
            "regenerate_scene",
            RegenerateSceneArgs,
            "Make one scene of a finished video again (optionally with new words or a new picture) and a "
            "new version of the video; the other scenes are kept.",
            regenerate,
        ),
        (
            "provider_status",
            NoArgs,
            "Which model providers answer now and the mode: SELF-HOSTED, CLOUD, FREE or OFFLINE.",
            providers,
        ),
        ("costs", CostsArgs, "What model calls cost: over a period, or for one run.", desk.costs),
    ]
    return [tool(*spec) for spec in specs]
