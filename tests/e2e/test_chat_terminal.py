"""`reelforge chat` end to end in a pseudo-terminal: make a video in plain words, watch it being made,
ask what that cost, leave, and come back to the same conversation."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pexpect
import pytest

from tests.conftest import ROOT, cli_env, run_cli

PROMPT = "you> "


def _spawn(home: Path, *args: str) -> pexpect.spawn:
    return pexpect.spawn(
        sys.executable,
        ["-m", "graph.cli", "chat", *args],
        cwd=str(ROOT),
        env=cli_env(home),
        encoding="utf-8",
        dimensions=(24, 80),
        timeout=120,
    )


@pytest.mark.slow
def test_the_two_line_conversation_in_a_terminal(home: Path) -> None:
    chat = _spawn(home, "--preview", "--voice", "espeak", "--conversation", "tea-talk")
    try:
        chat.expect_exact(PROMPT)
        chat.sendline("make a 20 second video about tea")
        chat.expect(r"Started run (tea-[0-9a-f]{6}): a 20 s 9:16 video about tea \(espeak voice, preview\)")
        run_id = chat.match.group(1)
        chat.expect(r"is done\. Video:")
        progress = chat.before
        chat.expect_exact(PROMPT)
        lines = [line for line in progress.replace("\r", "").split("\n") if line.startswith("  · ")]
        assert any("scene 1/" in line for line in lines) and any("video production" in line for line in lines)
        assert all(len(line) <= 80 for line in lines)

        chat.sendline("what did that cost?")
        chat.expect(rf"Run {run_id} cost \$0\.00 for (\d+) model calls")
        assert int(chat.match.group(1)) > 0
        chat.expect_exact(PROMPT)
        chat.sendline("quit")
        chat.expect("reelforge chat --conversation tea-talk")
        chat.expect(pexpect.EOF)
    finally:
        chat.close()
    assert chat.exitstatus == 0

    # The conversation is a checkpointed thread: a new process goes on with it, Ctrl-D leaves.
    again = _spawn(home, "--conversation", "tea-talk")
    try:
        again.expect_exact("Resuming chat:tea-talk:1")
        again.expect_exact(PROMPT)
        again.sendline("show it")
        again.expect(re.escape(f"Run {run_id} (tea) is done."))
        again.expect_exact(PROMPT)
        again.sendeof()
        again.expect(pexpect.EOF)
    finally:
        again.close()
    assert again.exitstatus == 0


def test_help_and_a_bad_voice(home: Path) -> None:
    shown = run_cli(home, "chat", "--help")
    assert shown.code == 0
    text = " ".join(shown.stdout.split())
    for words in ("--conversation", "--review", "--no-review", "--preview", "--voice", "what did that cost?"):
        assert words in text
    refused = run_cli(home, "chat", "--voice", "bogus")
    assert refused.code == 2
    assert refused.stderr == "error: --voice: unknown voice 'bogus'; choose one of joe, espeak\n"
