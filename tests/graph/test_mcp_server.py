"""`reelforge mcp` through the official `mcp` client: the tools over stdio (a video made, followed and read),
one-line tool errors, nothing but the protocol on stdout, and streamable HTTP behind the token."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from graph.mcp_server import TOOLS, build_server, operations_for
from graph.services import open_services
from graph.settings import load_settings
from state.job import ASPECTS, GATES, VOICES
from tests.conftest import ROOT, cli_env, run_cli

TOOL_NAMES = {
    "make_video",
    "follow_run",
    "show_run",
    "list_runs",
    "approve_run",
    "reject_run",
    "resume_run",
    "regenerate_scene",
    "provider_status",
    "costs",
}
FAST = {"duration_s": 10, "voice": "espeak", "preview": True}
TOKEN = "mcp-test-token-5b1e"


def _stdio(home: Path) -> StdioServerParameters:
    """`reelforge mcp` as a desktop assistant would start it, with the test's home."""
    return StdioServerParameters(
        command=sys.executable, args=["-m", "graph.cli", "mcp"], env=cli_env(home), cwd=ROOT
    )


def _text(result: Any) -> str:
    return "".join(block.text for block in result.content if block.type == "text")


# ---- over stdio, as a desktop assistant runs it ------------------------------------------------------


def test_the_tools_are_listed_each_with_a_schema_and_a_description(home: Path) -> None:
    async def go() -> list[Any]:
        async with Client(_stdio(home)) as client:
            return list((await client.list_tools()).tools)

    tools = asyncio.run(go())
    assert {tool.name for tool in tools} == TOOL_NAMES
    for tool in tools:
        assert tool.description and len(tool.description) > 60, tool.name
        assert tool.input_schema["type"] == "object" and "properties" in tool.input_schema, tool.name
        assert tool.input_schema.get("additionalProperties") is False, tool.name
        for name, prop in tool.input_schema["properties"].items():
            assert prop.get("description"), f"{tool.name}.{name} has no description"
    make = next(tool for tool in tools if tool.name == "make_video").input_schema["properties"]
    assert make["aspect"]["anyOf"][0]["enum"] == list(ASPECTS)
    assert make["voice"]["anyOf"][0]["enum"] == list(VOICES)
    assert make["gates"]["anyOf"][0]["items"]["enum"] == list(GATES)
    follow = next(tool for tool in tools if tool.name == "follow_run")
    assert follow.input_schema["required"] == ["run_id"]
    assert follow.annotations is not None and follow.annotations.read_only_hint is True


@pytest.mark.slow
def test_a_video_is_made_followed_with_progress_and_read_through_stdio(home: Path) -> None:
    progress: list[tuple[float, str | None]] = []

    async def on_progress(done: float, total: float | None, message: str | None) -> None:
        progress.append((done, message))

    async def go() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        async with Client(_stdio(home)) as client:
            made = await client.call_tool("make_video", {"topic": "honey bees", **FAST})
            assert not made.is_error, _text(made)
            run_id = made.structured_content["run_id"]
            followed = await client.call_tool("follow_run", {"run_id": run_id}, progress_callback=on_progress)
            assert not followed.is_error, _text(followed)
            shown = await client.call_tool("show_run", {"run_id": run_id})
            assert not shown.is_error, _text(shown)
            return made.structured_content, followed.structured_content, shown.structured_content

    made, followed, shown = asyncio.run(go())
    assert made["status"] in ("queued", "running") and made["job"]["voice"] == "espeak"
    assert made["job"]["preview"] is True and made["job"]["duration_s"] == 10

    assert followed["status"] == "done" and followed["settled"] is True
    video = Path(followed["video"])
    assert video.is_file() and video.stat().st_size > 10_000 and video.is_relative_to(home)
    # One notification per event, numbered as the events are, ending with the run's last event.
    assert [done for done, _ in progress] == [float(n) for n in range(1, len(progress) + 1)]
    assert progress[-1][0] == followed["last_event"]
    assert any(message and message.startswith("[video_production]") for _, message in progress)
    assert progress[-1][1] == f"done: {video}"

    assert shown["status"] == "done" and shown["video"]["path"] == str(video)
    assert shown["video"]["duration_s"] == pytest.approx(10, abs=2)
    assert shown["job"]["topic"] == "honey bees"


def test_stdout_carries_nothing_but_the_protocol(home: Path) -> None:
    """Raw JSON-RPC over the pipes: every line the server writes on stdout is a protocol message."""
    messages = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "test", "version": "0"},
            },
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
        {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "costs", "arguments": {}}},
        {
            "jsonrpc": "2.0",
            "id": 4,
            "method": "tools/call",
            "params": {"name": "make_video", "arguments": {"topic": "tea", "duration_s": 5}},
        },
    ]
    proc = subprocess.Popen(
        [sys.executable, "-m", "graph.cli", "mcp"],
        cwd=ROOT,
        env=cli_env(home),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write("".join(json.dumps(message) + "\n" for message in messages))
    proc.stdin.flush()
    replies: list[dict[str, Any]] = []
    # Hanging up cancels the calls still running: read every answer first.
    while {reply.get("id") for reply in replies} < {1, 2, 3, 4}:
        line = proc.stdout.readline()
        assert line, proc.communicate(timeout=30)[1]
        replies.append(json.loads(line))
    rest, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert rest == ""
    assert all(reply["jsonrpc"] == "2.0" for reply in replies)
    by_id = {reply["id"]: reply for reply in replies if "id" in reply}
    assert by_id[1]["result"]["serverInfo"]["name"] == "reelforge"
    assert by_id[3]["result"]["isError"] is False
    refused = by_id[4]["result"]
    assert refused["isError"] is True
    assert refused["content"][0]["text"] == "duration_s: duration 5 s is out of range; use 10 to 600 seconds"
    assert "Traceback" not in err


# ---- tool errors, in-process (the same server object `reelforge mcp` serves) ---------------------------


@pytest.mark.parametrize(
    ("tool", "arguments", "message"),
    [
        ("make_video", {"topic": "bees", "duration_s": 5}, "duration_s: duration 5 s is out of range"),
        ("make_video", {"topic": "bees", "aspect": "4:3"}, "aspect: unknown aspect '4:3'; choose one of"),
        ("make_video", {"request": "make a video about"}, "topic: the topic is empty"),
        ("make_video", {}, "say what the video is about: give `request` (a chat line) or `topic`"),
        ("make_video", {"topic": "bees", "length": 30}, "length: no such argument; this tool takes request,"),
        ("make_video", {"topic": "bees", "duration_s": "ten"}, "duration_s: Input should be a valid integer"),
        ("show_run", {}, "run_id: missing; add it"),
        ("show_run", {"run_id": "nope"}, "no run called 'nope'; list_runs shows the runs"),
        ("follow_run", {"run_id": "nope"}, "no run called 'nope'; list_runs shows the runs"),
        ("approve_run", {"run_id": "nope"}, "no run called 'nope'"),
        ("regenerate_scene", {"run_id": "r", "scene": 0}, "scene: Input should be greater than or equal"),
        ("costs", {"since": "forever"}, "cannot read since 'forever'"),
        ("costs", {"by": "colour"}, "cannot group by 'colour'; use provider, day or run"),
        ("list_runs", {"status": "lost"}, None),
        ("nope", {}, "no tool called 'nope'; the tools are make_video,"),
    ],
)
def test_bad_input_is_a_one_line_tool_error(
    home: Path, tool: str, arguments: dict[str, Any], message: str | None
) -> None:
    ops = operations_for(open_services(load_settings(home=home)))

    async def go() -> Any:
        async with Client(build_server(ops)) as client:
            return await client.call_tool(tool, arguments)

    try:
        result = asyncio.run(go())
    finally:
        ops.launcher.close()
    if message is None:  # an unknown status filters everything out; it is not an error
        assert not result.is_error and result.structured_content == {"runs": []}
        return
    assert result.is_error
    text = _text(result)
    assert text.startswith(message), text
    assert "\n" not in text and "Traceback" not in text


@pytest.mark.slow
def test_a_script_gate_is_followed_in_steps_and_rejected(home: Path) -> None:
    ops = operations_for(open_services(load_settings(home=home)))

    async def call(client: Client, tool: str, **arguments: Any) -> dict[str, Any]:
        result = await client.call_tool(tool, arguments)
        assert not result.is_error, _text(result)
        assert json.loads(_text(result)) == result.structured_content
        return dict(result.structured_content)

    async def go() -> list[dict[str, Any]]:
        async with Client(build_server(ops)) as client:
            made = await call(
                client, "make_video", request="make a 10 second video about tea", gates=["script"], **FAST
            )
            run_id = made["run_id"]
            early = await call(client, "follow_run", run_id=run_id, timeout_s=0.001)
            waiting = await call(client, "follow_run", run_id=run_id, after=early["last_event"])
            shown = await call(client, "show_run", run_id=run_id)
            await call(client, "reject_run", run_id=run_id, reason="not now")
            ended = await call(client, "follow_run", run_id=run_id, after=waiting["last_event"])
            listed = await call(client, "list_runs", status="rejected")
            return [made, early, waiting, shown, ended, listed]

    try:
        made, early, waiting, shown, ended, listed = asyncio.run(go())
    finally:
        ops.launcher.close(wait=True)
    assert made["job"]["topic"] == "tea" and made["job"]["gates"] == ["script"]
    assert early["settled"] is False and early["next"].startswith("still ")
    assert f"after={early['last_event']}" in early["next"]
    assert waiting["settled"] is True and waiting["status"] == "waiting" and waiting["gate"] == "script"
    assert "approve_run or reject_run" in waiting["next"]
    assert shown["waiting"]["gate"] == "script" and shown["waiting"]["script"]["scenes"]
    assert ended["status"] == "rejected" and ended["error"] == "rejected at the script gate: not now"
    assert [run["run_id"] for run in listed["runs"]] == [made["run_id"]]


def test_every_tool_runs_through_operations() -> None:
    assert {tool.name for tool in TOOLS} == TOOL_NAMES
    assert len({tool.title for tool in TOOLS}) == len(TOOLS)


# ---- streamable HTTP, with the same token rule as `reelforge serve` ------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def http_server(home: Path) -> Iterator[str]:
    """`reelforge mcp --http` on a free loopback port with REELFORGE_API_TOKEN set; its /mcp URL."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "graph.cli", "mcp", "--http", "--port", str(port)],
        cwd=ROOT,
        env=cli_env(home, REELFORGE_API_TOKEN=TOKEN),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}/mcp"
    deadline = time.monotonic() + 30
    try:
        while True:
            assert proc.poll() is None, proc.communicate()[1]
            try:
                httpx.get(url, timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the MCP server did not start"
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
        assert "Traceback" not in err, err


def test_over_http_a_request_without_the_token_gets_401(http_server: str) -> None:
    initialize = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}}
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
        answer = httpx.post(http_server, json=initialize, headers=headers, timeout=10)
        assert answer.status_code == 401, headers
        assert answer.headers["www-authenticate"] == "Bearer"
        assert "REELFORGE_API_TOKEN" in answer.json()["error"]

    async def go() -> tuple[set[str], Any]:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        async with (
            httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30, read=300)) as http,
            Client(streamable_http_client(http_server, http_client=http)) as client,
        ):
            names = {tool.name for tool in (await client.list_tools()).tools}
            return names, await client.call_tool("list_runs", {"limit": 5})

    names, runs = asyncio.run(go())
    assert names == TOOL_NAMES
    assert not runs.is_error and runs.structured_content == {"runs": []}


def test_binding_beyond_loopback_needs_a_token(home: Path) -> None:
    refused = run_cli(home, "mcp", "--http", "--host", "0.0.0.0", "--port", str(_free_port()), timeout=60)
    assert refused.code == 2 and refused.stdout == ""
    assert refused.stderr.strip().splitlines() == [
        "error: refusing to bind 0.0.0.0 without a token: set REELFORGE_API_TOKEN (MCP clients then send "
        "'Authorization: Bearer <token>'), or bind 127.0.0.1"
    ]
    stray = run_cli(home, "mcp", "--port", "9999", timeout=60)
    assert stray.code == 2
    assert stray.stderr.startswith("error: --host and --port set where --http listens")
