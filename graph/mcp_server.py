"""The MCP door: reelforge's operations as MCP tools, for desktop assistants and workflow tools.

Built on the official `mcp` SDK's low-level server, so every tool's JSON schema comes from one pydantic
model and every failure (a bad argument, an unknown run, a gate not waiting) comes back as a tool error
of one line, as in the other doors. `reelforge mcp` (graph/cli_mcp.py) serves it over stdio or, with
`--http`, over streamable HTTP behind the API's token guard.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import traceback
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass
from importlib.metadata import version
from typing import Any, cast

import mcp.types as types
import structlog
from mcp.server import Server, ServerRequestContext
from mcp.server.stdio import stdio_server
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.types import ASGIApp

from graph.operations import GROUPS, Operations, UnknownRun
from graph.services import Services
from state import RunEvent
from state.job import ASPECTS, CAPTIONS, GATES, LANGUAGES, STYLES, VISUALS, VOICES
from state.model_calls import CAPABILITIES
from state.requests import MAX_DURATION_S, MIN_DURATION_S, TARGETS
from tools.errors import BadInput, ReelforgeError, first_line
from tools.secrets import redact

__all__ = ["TOOLS", "build_server", "call", "http_app", "operations_for", "serve_stdio"]

_log = structlog.get_logger("reelforge.mcp")

SERVER_NAME = "reelforge"
HTTP_PATH = "/mcp"
# A follower returns after this long even if the run goes on; the answer says how to keep following.
FOLLOW_TIMEOUT_S = 600.0
RUN_STATUSES = ("queued", "running", "waiting", "done", "failed", "stopped", "rejected")
INSTRUCTIONS = (
    "reelforge turns a request into a short narrated video, on this machine. Start one with make_video (a "
    "chat line in `request`, or a `topic` and other fields). It answers at once with the run's record; the "
    "video takes minutes, so call follow_run with the run_id: it reports progress and returns when the run "
    "is done (the MP4's path is in `video`), failed, or waiting at a gate. A run made with gates "
    '["script"] waits for its script to be reviewed: read it with show_run, then approve_run (optionally '
    "with an edited script) or reject_run. resume_run continues a failed or stopped run, regenerate_scene "
    "makes one scene again, provider_status says which model servers answer, and costs reports what the "
    "runs cost."
)

# Fields whose values come from a closed set: their schema lists the choices, so a model picks one.
_CHOICES: dict[str, tuple[str, ...]] = {
    "aspect": ASPECTS,
    "lang": LANGUAGES,
    "voice": VOICES,
    "style": STYLES,
    "visuals": VISUALS,
    "captions": CAPTIONS,
    "gates": GATES,
    "targets": TARGETS,
    "status": RUN_STATUSES,
    "by": GROUPS,
}
_RUN_ID = Field(
    min_length=1, max_length=120, description="The run's id, as make_video or list_runs returned it."
)


class _Arguments(BaseModel):
    """A tool's arguments: unknown ones are refused, and closed sets are listed in the schema."""

    model_config = ConfigDict(extra="forbid")

    @classmethod
    def tool_schema(cls) -> dict[str, Any]:
        """The JSON schema of the arguments, with the allowed values of each closed-set field."""
        schema = cls.model_json_schema()
        for name, prop in schema.get("properties", {}).items():
            if name in _CHOICES:
                _add_enum(prop, list(_CHOICES[name]))
        return schema


def _add_enum(prop: dict[str, Any], values: list[str]) -> None:
    """Put `values` on the string branch of a property (or on its items, for a list)."""
    for branch in prop.get("anyOf", [prop]):
        if branch.get("type") == "string":
            branch["enum"] = values
        elif branch.get("type") == "array":
            branch.setdefault("items", {})["enum"] = values


class MakeVideo(_Arguments):
    """make_video's arguments."""

    request: str | None = Field(
        None,
        max_length=1000,
        description="A chat line, e.g. 'make a 30 second square video about bees'. Give this or `topic`.",
    )
    topic: str | None = Field(None, max_length=2000, description="What the video is about.")
    duration_s: int | None = Field(
        None, description=f"Target length in seconds, {MIN_DURATION_S} to {MAX_DURATION_S} (default 60)."
    )
    aspect: str | None = Field(
        None, description="9:16 (vertical, the default), 16:9 (horizontal) or 1:1 (square)."
    )
    lang: str | None = Field(None, description="The narration's language (default en).")
    voice: str | None = Field(
        None, description="The narrator: joe (a Piper neural voice, the default) or espeak (robotic, fast)."
    )
    style: str | None = Field(None, description="The look of cards and subtitles (default bold).")
    visuals: str | None = Field(
        None,
        description="auto (the default: the best free pictures, else cards), photos, clips or cards.",
    )
    captions: str | None = Field(
        None,
        description="words (the default: the word being spoken is highlighted), plain, or off (no burned-in "
        "captions; the subtitles file is still made).",
    )
    sources: list[str] | None = Field(
        None,
        max_length=20,
        description="Material to draw facts from: local .txt/.md/.html files or folders, web pages, RSS or "
        "Atom feeds, .csv/.json product catalogues (a 'Top N' video), airtable://BASE/TABLE or "
        "api:PRODUCT-ID; the kind is inferred from the shape.",
    )
    music: str | None = Field(None, description="A local audio file to play under the narration.")
    targets: list[str] | None = Field(
        None,
        max_length=8,
        description="Platforms to publish to besides the local gallery: youtube, wordpress, instagram or "
        "webhook (each must be set up on the server).",
    )
    dry_run: bool | None = Field(
        None, description="Make the video and record what would be posted to the platforms; post nothing."
    )
    gates: list[str] | None = Field(
        None,
        max_length=2,
        description="Where the run waits for a person: 'script' (review the script before the video is "
        "made) and/or 'publish' (approve before publishing). Answer with approve_run or reject_run.",
    )
    preview: bool | None = Field(
        None, description="Render a fast, small preview (a third of the size) instead of the full video."
    )
    model: str | None = Field(None, description="A text-model alias from reelforge.toml (default: default).")
    research: bool | None = Field(None, description="Look the topic up on Wikipedia first (default true).")
    providers: dict[str, str] | None = Field(
        None,
        max_length=3,
        description=f"The provider to try first per capability ({', '.join(CAPABILITIES)}), as "
        "provider_status names them; the others still stand behind it.",
    )
    run_id: str | None = Field(
        None, max_length=80, description="Name the run (letters, digits, . _ -); made up when omitted."
    )


class RunRef(_Arguments):
    """Arguments naming one run."""

    run_id: str = _RUN_ID


class FollowRun(RunRef):
    """follow_run's arguments."""

    after: int = Field(0, ge=0, description="Report only events after this number (0: from the start).")
    timeout_s: float = Field(
        FOLLOW_TIMEOUT_S,
        gt=0,
        le=3600,
        description="Return after this many seconds even if the run goes on (then call again with `after`).",
    )


class ListRuns(_Arguments):
    """list_runs' arguments."""

    limit: int = Field(20, ge=1, le=500, description="At most this many runs, newest first.")
    status: str | None = Field(None, description="Only runs with this status.")


class ApproveRun(RunRef):
    """approve_run's arguments."""

    script: dict[str, Any] | None = Field(
        None,
        description="At the script gate only: the edited script, in the shape show_run's `waiting.script` "
        "has. Omit it to approve the script as it is.",
    )


class RejectRun(RunRef):
    """reject_run's arguments."""

    reason: str = Field("", max_length=500, description="Why, for the run's record.")


class RegenerateScene(RunRef):
    """regenerate_scene's arguments."""

    scene: int = Field(ge=1, description="The scene's number, from 1 (show_run lists the scenes).")
    narration: str | None = Field(None, max_length=2000, description="New words for the scene.")
    visual: str | None = Field(None, max_length=500, description="A new description of its picture.")


class ProviderStatus(_Arguments):
    """provider_status' arguments."""

    fresh: bool = Field(
        False, description="Check every server now instead of reusing the last few seconds' answer."
    )


class Costs(_Arguments):
    """costs' arguments."""

    since: str = Field("7d", max_length=40, description="A span (7d, 12h, 30m, 2w) or a date (2026-05-01).")
    by: str = Field("provider", description="Group the totals by provider, day or run.")


# A tool reports progress through this: (a number that grows with each report, one line).
Progress = Callable[[float, str], Awaitable[None]]
Handler = Callable[[Operations, Any, Progress], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class ToolSpec:
    """One MCP tool: its name, what it does (for a model), its arguments, and how it runs."""

    name: str
    title: str
    description: str
    arguments: type[_Arguments]
    run: Handler
    read_only: bool = False
    destructive: bool = False
    idempotent: bool = False

    def definition(self) -> types.Tool:
        """The tool as tools/list shows it."""
        return types.Tool(
            name=self.name,
            title=self.title,
            description=self.description,
            input_schema=self.arguments.tool_schema(),
            annotations=types.ToolAnnotations(
                title=self.title,
                read_only_hint=self.read_only,
                destructive_hint=self.destructive,
                idempotent_hint=self.idempotent,
                open_world_hint=False,
            ),
        )


async def _make_video(ops: Operations, args: MakeVideo, progress: Progress) -> dict[str, Any]:
    if args.request is None and args.topic is None:
        raise BadInput("say what the video is about: give `request` (a chat line) or `topic`")
    fields = args.model_dump(exclude_none=True, exclude={"request", "run_id"})
    return await ops.make_video(args.request, run_id=args.run_id, **fields)


async def _show_run(ops: Operations, args: RunRef, progress: Progress) -> dict[str, Any]:
    return await ops.show_run(args.run_id)


async def _list_runs(ops: Operations, args: ListRuns, progress: Progress) -> dict[str, Any]:
    return {"runs": await asyncio.to_thread(ops.list_runs, args.limit, args.status)}


async def _follow_run(ops: Operations, args: FollowRun, progress: Progress) -> dict[str, Any]:
    ops.require_run(args.run_id)
    last: dict[str, Any] | None = None
    settled = False
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(args.timeout_s):
            # follow() is an async generator: closing it ends its polling at once.
            following = cast(AsyncGenerator[RunEvent, None], ops.follow(args.run_id, args.after))
            async with contextlib.aclosing(following) as events:
                async for event in events:
                    last = dict(event)
                    await progress(float(event["seq"]), _progress_line(last))
            settled = True
    record = await asyncio.to_thread(ops.service.record, args.run_id)
    last_event = last["seq"] if last else args.after
    return {
        "run_id": record.run_id,
        "status": record.status,
        "settled": settled,
        "video": record.video,
        "error": record.error,
        "gate": record.gate,
        "last_event": last_event,
        "last_message": last["message"] if last else None,
        "next": _next_step(record.status, settled, last_event),
    }


def _progress_line(event: dict[str, Any]) -> str:
    stage = f"[{event['stage']}] " if event.get("stage") else ""
    return f"{stage}{event['message']}"


def _next_step(status: str, settled: bool, last_event: int) -> str:
    """What a model can do next with a run, in one line."""
    if not settled:
        return f"still {status}; call follow_run again with after={last_event} to keep following"
    return {
        "done": "the video is ready at the path in `video`; regenerate_scene remakes one scene",
        "waiting": "read the gate with show_run (`waiting`), then approve_run or reject_run",
        "failed": "fix what `error` says, then resume_run continues where it failed",
        "stopped": "resume_run continues it where it stopped",
        "rejected": "the run ended at a gate; make_video starts a new one",
    }.get(status, f"{status}; show_run tells more")


async def _approve_run(ops: Operations, args: ApproveRun, progress: Progress) -> dict[str, Any]:
    return await ops.approve(args.run_id, args.script)


async def _reject_run(ops: Operations, args: RejectRun, progress: Progress) -> dict[str, Any]:
    return await ops.reject(args.run_id, args.reason)


async def _resume_run(ops: Operations, args: RunRef, progress: Progress) -> dict[str, Any]:
    return await ops.resume(args.run_id)


async def _regenerate_scene(ops: Operations, args: RegenerateScene, progress: Progress) -> dict[str, Any]:
    return await ops.regenerate_scene(args.run_id, args.scene, narration=args.narration, visual=args.visual)


async def _provider_status(ops: Operations, args: ProviderStatus, progress: Progress) -> dict[str, Any]:
    # Probing every server blocks; the protocol loop must keep answering meanwhile.
    return await asyncio.to_thread(ops.providers, fresh=args.fresh)


async def _costs(ops: Operations, args: Costs, progress: Progress) -> dict[str, Any]:
    return await asyncio.to_thread(ops.costs, args.since, args.by)


TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec(
        "make_video",
        "Make a video",
        "Start making a short narrated video, from a chat line (`request`) or from fields (`topic` and any "
        "others; given both, the fields win). Returns the new run's record at once (status queued) with its "
        "`run_id`; the video takes minutes, so then call follow_run to wait for it. Use preview=true for a "
        "fast draft, and gates=['script'] to review the script before the video is made.",
        MakeVideo,
        _make_video,
    ),
    ToolSpec(
        "follow_run",
        "Follow a run",
        "Wait for a run to settle (done, failed, stopped, rejected, or waiting at a gate), sending a "
        "progress notification for each event. Returns its status, the video's path when done, the error "
        "when failed, the gate when waiting, the last event's number, and what to do next.",
        FollowRun,
        _follow_run,
        read_only=True,
        idempotent=True,
    ),
    ToolSpec(
        "show_run",
        "Show a run",
        "Everything about one run: its job, status, the gate it waits at with the script to review "
        "(`waiting`), its scenes, the video and thumbnail paths, every video version, publications, and "
        "the report with the providers and cost.",
        RunRef,
        _show_run,
        read_only=True,
        idempotent=True,
    ),
    ToolSpec(
        "list_runs",
        "List runs",
        "The newest runs first, each with its run_id, topic, status, video path and error; optionally only "
        "those with one status.",
        ListRuns,
        _list_runs,
        read_only=True,
        idempotent=True,
    ),
    ToolSpec(
        "approve_run",
        "Approve a run's gate",
        "Approve the gate a waiting run stops at, and let it go on (follow it with follow_run). At the "
        "script gate you may pass the edited script.",
        ApproveRun,
        _approve_run,
    ),
    ToolSpec(
        "reject_run",
        "Reject a run's gate",
        "Reject the gate a waiting run stops at: the run ends as rejected and nothing more is made.",
        RejectRun,
        _reject_run,
        destructive=True,
    ),
    ToolSpec(
        "resume_run",
        "Resume a run",
        "Continue a failed or stopped run from its last checkpoint (nothing finished is made again).",
        RunRef,
        _resume_run,
    ),
    ToolSpec(
        "regenerate_scene",
        "Regenerate a scene",
        "Make one scene of a finished run again (optionally with new words or a new picture description) "
        "and compose a new version of the video; the other scenes are kept. Follow it with follow_run.",
        RegenerateScene,
        _regenerate_scene,
    ),
    ToolSpec(
        "provider_status",
        "Provider status",
        "Which model servers answer: the overall mode (SELF-HOSTED, CLOUD, FREE or OFFLINE), the tier "
        "serving text, images and speech, and each provider's health, with what to set for the missing.",
        ProviderStatus,
        _provider_status,
        read_only=True,
        idempotent=True,
    ),
    ToolSpec(
        "costs",
        "Costs",
        "Usage and cost from the ledger since a time, grouped by provider, day or run, with the savings "
        "versus premium cloud models.",
        Costs,
        _costs,
        read_only=True,
        idempotent=True,
    ),
)


def _argument_problem(exc: ValidationError, arguments: type[_Arguments]) -> str:
    """The first invalid argument, in one line: its name and what is wrong."""
    problem = exc.errors()[0]
    name = ".".join(str(part) for part in problem.get("loc", ())) or "arguments"
    kind = problem.get("type")
    if kind == "missing":
        return f"{name}: missing; add it"
    if kind == "extra_forbidden":
        return f"{name}: no such argument; this tool takes {', '.join(arguments.model_fields)}"
    return f"{name}: {str(problem.get('msg', 'is not valid')).removeprefix('Value error, ')}"


def _answer(value: dict[str, Any]) -> types.CallToolResult:
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=json.dumps(value, ensure_ascii=False, default=str))],
        structured_content=value,
    )


def _refusal(message: str) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(type="text", text=redact(message))], is_error=True)


async def call(
    ops: Operations, name: str, arguments: dict[str, Any] | None, progress: Progress
) -> types.CallToolResult:
    """Run tool `name` with `arguments`: its JSON answer, or a one-line tool error (never a traceback)."""
    spec = next((tool for tool in TOOLS if tool.name == name), None)
    if spec is None:
        return _refusal(f"no tool called {name!r}; the tools are {', '.join(t.name for t in TOOLS)}")
    try:
        parsed = spec.arguments.model_validate(arguments or {})
    except ValidationError as exc:
        return _refusal(_argument_problem(exc, spec.arguments))
    try:
        return _answer(await spec.run(ops, parsed, progress))
    except UnknownRun:
        return _refusal(f"no run called {getattr(parsed, 'run_id', '')!r}; list_runs shows the runs")
    except ReelforgeError as exc:
        return _refusal(first_line(exc))
    except Exception as exc:
        where = ops.settings.home / "logs" / "reelforge.log"
        _log.error("mcp_tool_failed", tool=name, error=first_line(exc), traceback=traceback.format_exc())
        return _refusal(f"{type(exc).__name__}: {first_line(exc)} (the traceback is in {where})")


def build_server(ops: Operations) -> Server[Any]:
    """The MCP server whose tools are `ops`' verbs."""
    schemas = {tool.name: tool.arguments.tool_schema() for tool in TOOLS}

    async def list_tools(
        ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return types.ListToolsResult(tools=[tool.definition() for tool in TOOLS])

    async def call_tool(
        ctx: ServerRequestContext[Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        async def progress(done: float, message: str) -> None:
            # A no-op unless the caller asked for progress (sent a progress token).
            await ctx.session.report_progress(done, None, message)

        return await call(ops, params.name, params.arguments, progress)

    return Server(
        SERVER_NAME,
        version=version("reelforge"),
        title="reelforge",
        description="Turn a request into a short narrated video, offline by default.",
        instructions=INSTRUCTIONS,
        get_tool_input_schema=schemas.get,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )


def operations_for(services: Services, *, local: bool = True) -> Operations:
    """The MCP door's operations: a run service owned by "mcp" and a launcher, as the API builds them.
    `local` (stdio: the client runs as this machine's user) lets jobs name any file it can read; over
    HTTP only files under `<home>/sources`."""
    from graph.run_launcher import RunLauncher
    from graph.runs import RunService

    service = RunService(services, owner="mcp")
    launcher = RunLauncher(service, services.settings.api_runs_at_once)
    return Operations(service, launcher, any_file=local)


async def serve_stdio(server: Server[Any]) -> None:
    """Serve one client over this process's stdin and stdout until it hangs up.

    While it serves, the SDK points file descriptor 1 at stderr, so nothing but the protocol reaches
    stdout: not a stray print, nor a child process's output.
    """
    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())


def http_app(server: Server[Any], *, host: str, token: str | None) -> ASGIApp:
    """The streamable-HTTP app at HTTP_PATH, behind the API's guard: with a token, every request needs
    `Authorization: Bearer <token>`. On loopback the SDK also refuses foreign Host and Origin headers."""
    from graph.api.security import Guard

    return Guard(server.streamable_http_app(streamable_http_path=HTTP_PATH, host=host), token=token)
