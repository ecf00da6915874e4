"""`reelforge chat`: the chat in a terminal, the same one as POST /chat and the dashboard's chat panel.

Runs started in the chat execute in this process (a bounded pool), or on the workers when Redis is set.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import textwrap
from typing import TYPE_CHECKING, Annotated, Any, TextIO

import typer

from graph.cli_common import app, errors, services

if TYPE_CHECKING:
    from graph.chat.engine import ChatEngine
    from graph.run_launcher import RunLauncher

PROMPT = "you> "
QUIT_WORDS = frozenset({"quit", "exit", "bye", "q", "/quit", "/exit", ":q"})
# Run events worth a line in a terminal: stages and scenes. Terminal ones are said as a reply.
SHOWN_KINDS = frozenset({"queued", "started", "stage_started", "scene_made", "warning"})
MAX_WIDTH = 100


def _width() -> int:
    return max(40, min(shutil.get_terminal_size((80, 24)).columns, MAX_WIDTH))


def fit(line: str, width: int) -> str:
    """`line` cut to `width` columns with an ellipsis."""
    return line if len(line) <= width else line[: width - 1] + "\u2026"


def event_line(event: dict[str, Any], width: int) -> str | None:
    """A run event as one progress line, or None for events the terminal leaves out."""
    if event.get("kind") not in SHOWN_KINDS:
        return None
    stage = (event.get("stage") or "").replace("_", " ")
    if event["kind"] == "stage_started" and stage:
        return fit(f"  · {stage} started", width)
    where = f"{stage}: " if stage else ""
    return fit(f"  · {where}{event.get('message', '')}", width)


class TerminalChat:
    """The prompt loop: read a line, print the chat's replies, progress and questions, until quit."""

    def __init__(
        self,
        engine: ChatEngine,
        conversation: str,
        *,
        review: bool | None,
        defaults: dict[str, Any],
        out: TextIO = sys.stdout,
    ) -> None:
        """Chat in `conversation`; `review` and `defaults` are given with every line (see ChatEngine.turn)."""
        self.engine = engine
        self.conversation = conversation
        self.review = review
        self.defaults = defaults
        self.out = out

    def say(self, text: str, *, indent: str = "") -> None:
        """Print `text` wrapped to the terminal, paragraph by paragraph."""
        width = _width()
        for paragraph in text.splitlines() or [""]:
            lead = paragraph[: len(paragraph) - len(paragraph.lstrip())]
            wrapped = textwrap.wrap(
                paragraph.strip(),
                width=width,
                initial_indent=indent + lead,
                subsequent_indent=indent + lead + "   ",
                break_long_words=False,
                break_on_hyphens=False,
            )
            for line in wrapped or [""]:
                print(line, file=self.out, flush=True)

    def show(self, item: dict[str, Any]) -> None:
        """Print one chat item."""
        kind = item.get("type")
        if kind == "reply":
            self.say(str(item.get("text", "")))
        elif kind == "event":
            line = event_line(item.get("event") or {}, _width())
            if line is not None:
                print(line, file=self.out, flush=True)
        elif kind == "approval":
            self.say(str(item.get("text", "")))

    async def turn(self, line: str) -> None:
        """Send one line and print what comes back until the turn is done."""
        async for item in self.engine.turn(
            line, self.conversation, review=self.review, defaults=self.defaults
        ):
            self.show(item)

    async def recall(self) -> None:
        """On resuming a conversation, its last few messages, so the person sees where it was."""
        found = await self.engine.history(self.conversation)
        if not found or not found["messages"]:
            return
        self.say(f"Resuming {found['thread_id']}; it ended with:")
        for message in found["messages"][-4:]:
            who = "you" if message["role"] == "user" else "reelforge"
            first = message["text"].splitlines()[0] if message["text"] else ""
            print(fit(f"  {who}: {first}", _width()), file=self.out, flush=True)

    def loop(self) -> None:
        """Prompt, answer, repeat; leave on quit, exit, end of input or Ctrl-C at the prompt."""
        with asyncio.Runner() as runner:
            runner.run(self.recall())
            self.say("Type 'help' for what I understand, 'quit' to leave.")
            while True:
                try:
                    line = input(PROMPT)
                except (EOFError, KeyboardInterrupt):
                    print(file=self.out, flush=True)
                    return
                text = line.strip()
                if not text:
                    continue
                if text.lower().rstrip(".!") in QUIT_WORDS:
                    return
                try:
                    runner.run(self.turn(text))
                except KeyboardInterrupt:
                    # The terminal sends Ctrl-C to the whole process group, so ffmpeg under a run made
                    # here may have stopped too: say how to find out and go on.
                    self.say(
                        "(stopped following. A run being made here may have stopped with Ctrl-C: "
                        "'show it' tells, 'resume' goes on, 'follow it' watches again.)"
                    )


def _leave(launcher: RunLauncher, conversation: str) -> None:
    """Say how to come back; runs still executing in this process stop with it (resumable later)."""
    print(f"Bye. Resume this chat with: reelforge chat --conversation {conversation}", flush=True)
    busy = launcher.running_here + launcher.waiting_here
    if busy:
        print(
            f"{busy} run(s) being made in this process stop now; 'reelforge runs' lists them and "
            "'reelforge resume RUN' goes on where they stopped.",
            flush=True,
        )
        sys.stderr.flush()
        # The pool's threads would otherwise keep the process until their runs end; the runs' checkpoints
        # are on disk, so stopping here loses at most the step in progress.
        os._exit(0)
    launcher.close()


CHAT_HELP = (
    "Chat with reelforge: make videos in plain words, watch them being made, answer their scripts, ask for "
    "provider status and costs.\n\n"
    "Examples: 'make a 30 second square video about bees', 'what did that cost?', 'list runs', 'approve', "
    "'change scene 2 to say ...', 'redo scene 3 with a picture of a teapot'. Type 'help' in the chat for "
    "more; 'quit', Ctrl-D or Ctrl-C leaves.\n\n"
    "When a text model that calls tools answers (Ollama, an OpenAI-compatible server, a cloud key), it "
    "reads your lines; otherwise rules do. Conversations are kept: --conversation NAME goes on with one."
)


@app.command(help=CHAT_HELP)
def chat(
    conversation: Annotated[
        str | None,
        typer.Option(
            "--conversation",
            "-c",
            metavar="NAME",
            help="Resume the conversation NAME (or start one with that name); default: a new one.",
        ),
    ] = None,
    review: Annotated[
        bool | None,
        typer.Option(
            "--review/--no-review",
            help="Stop videos made in this chat at the script for your approval. Default: no (or as the "
            "resumed conversation had it); 'let me review the script' asks for it in one request.",
        ),
    ] = None,
    preview: Annotated[
        bool, typer.Option("--preview", help="Videos made in this chat render at a third of the size: fast.")
    ] = False,
    voice: Annotated[
        str | None,
        typer.Option(help="The voice of videos made in this chat: joe (Piper) or espeak (instant)."),
    ] = None,
) -> None:
    """Chat with reelforge in the terminal (CHAT_HELP says more)."""
    from graph.chat.desk import ChatDesk
    from graph.chat.engine import ChatEngine, check_conversation, new_conversation
    from graph.operations import Operations
    from graph.run_launcher import RunLauncher
    from graph.runs import RunService

    with errors():
        name = check_conversation(conversation) if conversation else new_conversation()
        defaults: dict[str, Any] = {"preview": True} if preview else {}
        if voice is not None:
            defaults["voice"] = voice
        ChatDesk.check_settings(defaults)
        found = services()
        found.start_logging()
        service = RunService(found, owner="chat")
        launcher = RunLauncher(service, found.settings.api_runs_at_once)
        engine = ChatEngine(Operations(service, launcher, any_file=True))
    try:
        import readline  # noqa: F401  (line editing and history for input())
    except ImportError:  # pragma: no cover - not on every platform
        pass
    where = "on the workers" if launcher.on_workers else "in this process"
    model = engine.model_for(name)
    reader = "a tool-calling text model" if model is not None else "rules (no tool-calling model answers)"
    print(f"reelforge chat: conversation {name}; videos are made {where}.", flush=True)
    print(f"Your lines are read by {reader}.", flush=True)
    if launcher.on_workers and service.workers_online() == 0:
        print("warning: no worker answers; videos wait queued until 'reelforge worker' runs", flush=True)
    with errors():
        TerminalChat(engine, name, review=review, defaults=defaults).loop()
    _leave(launcher, name)
