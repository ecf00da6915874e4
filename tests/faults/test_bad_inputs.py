"""Bad input of every kind, through the real CLI: one `error:` line, exit 2, no traceback, no secret, and the
run id stays free, so the same `--run-id` works once the input is fixed.

Each row is one case. Rows that name a `retry` run `make` again with the same run id and good input: "full"
renders a short preview video (the music rows: the music is only used at the mix), "review" stops at the
script gate, which proves the id was free and the run started. The other rows check the run id is nowhere.
"""

from __future__ import annotations

import os
import random
import sqlite3
import struct
import subprocess
import wave
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import run_cli

# A secret in the environment of every failing case: no message may echo it.
SECRET = "sk-reelforge-fault-SECRET-0042"
SECRET_ENV = {"OPENAI_API_KEY": SECRET}
REDIS_PASSWORD = "hunter2-fault-pw"


@dataclass(frozen=True)
class Case:
    """One bad input: the arguments (FILES/ stands for the broken-files folder), the environment, and what
    the one error line must say."""

    id: str
    args: tuple[str, ...]
    needle: str
    env: dict[str, str] = field(default_factory=dict)
    # `make` rows get `--run-id <id>` and the run-id checks; "full"/"review" also retry with good input.
    make: bool = True
    retry: str | None = None


def make(case_id: str, *args: str, needle: str, retry: str | None = None, **env: str) -> Case:
    return Case(case_id, ("make", *args), needle, env, True, retry)


def cli(case_id: str, *args: str, needle: str, **env: str) -> Case:
    return Case(case_id, args, needle, env, False)


CASES = [
    # --- the topic: markup, scripts, control characters, reordering characters, length ------------------
    make("topic-empty", "", needle="TOPIC: the topic is empty"),
    make("topic-blank", " \t \n ", needle="TOPIC: the topic is empty"),
    make("topic-501", "x" * 501, needle="keep it under 500"),
    make("topic-100k", "coffee " * 15_000, needle="TOPIC: the topic is 104999 characters"),
    make("topic-html", "<b>coffee</b>", needle="TOPIC: the topic holds markup (<b>)"),
    make("topic-script", "<script>alert(1)</script> coffee", needle="holds markup (<script>)"),
    make("topic-ass-an8", "{\\an8}coffee", needle="holds markup ({\\an8})", retry="review"),
    make("topic-ass-fs", "coffee {\\fs40}big", needle="holds markup ({\\fs40})"),
    make("topic-ansi", "coffee \x1b[31mred", needle="holds a control character (U+001B)"),
    make("topic-bell", "coffee\x07", needle="holds a control character (U+0007)"),
    make("topic-rtl-override", "coffee\u202etxt.exe", needle="bidirectional control (U+202E)"),
    make("topic-rtl-isolate", "\u2067coffee\u2069", needle="bidirectional control (U+2067)"),
    # --- numbers ----------------------------------------------------------------------------------------
    make("duration-0", "coffee", "--duration", "0", needle="--duration: duration 0 s is out of range"),
    make("duration-neg", "coffee", "--duration", "-5", needle="--duration: duration -5 s is out of range"),
    make("duration-1e309", "coffee", "--duration", "1e309", needle="--duration: '1e309' is not a whole"),
    make("duration-huge", "coffee", "--duration", "9" * 20, needle="--duration: duration 999"),
    make("duration-nan", "coffee", "--duration", "nan", needle="--duration: 'nan' is not a whole number"),
    make("duration-abc", "coffee", "--duration", "abc", needle="--duration: 'abc' is not"),
    make("duration-1.5", "coffee", "--duration", "1.5", needle="--duration: '1.5' is not a whole number"),
    make("duration-601", "coffee", "--duration", "601", needle="use 10 to 600 seconds"),
    cli("runs-limit", "runs", "--limit", "x", needle="--limit: 'x' is not a whole number"),
    cli("regen-scene", "regen", "r1", "--scene", "two", needle="--scene: 'two' is not a whole number"),
    # --- closed sets: aspect, voice, language, style, model, publish targets, gates ----------------------
    make("aspect", "coffee", "--aspect", "4:3", needle="--aspect: unknown aspect '4:3'"),
    make("aspect-empty", "coffee", "--aspect", "", needle="--aspect: unknown aspect ''"),
    make("voice", "coffee", "--voice", "bob", needle="--voice: unknown voice 'bob'"),
    make("lang", "coffee", "--lang", "fr", needle="--lang: unknown language 'fr'"),
    make("style", "coffee", "--style", "neon", needle="--style: unknown style 'neon'"),
    make("visuals", "coffee", "--visuals", "gifs", needle="--visuals: unknown kind of visuals 'gifs'"),
    make("model", "coffee", "--model", "best", needle="--model: unknown model alias 'best'"),
    cli("plan-target", "daily", "--plan", "FILES/plan-target.toml", needle="unknown publish target 'tiktok'"),
    cli("plan-gate", "daily", "--plan", "FILES/plan-gate.toml", needle="gates: unknown gate 'legal'"),
    cli("costs-by", "costs", "--by", "week", needle="cannot group by 'week'"),
    # --- usage: unknown options and commands, missing values ---------------------------------------------
    make("unknown-option", "coffee", "--bogus", needle="--bogus: no such option for 'reelforge make'"),
    make("misspelt-option", "coffee", "--durration", "5", needle="(did you mean --duration?)"),
    cli("missing-topic", "make", needle="TOPIC: missing"),
    make("missing-value", "coffee", "--duration", needle="--duration: no value after it"),
    make("extra-argument", "coffee", "beans", needle="got unexpected extra argument"),
    cli("unknown-command", "mkae", "coffee", needle="no such command 'mkae'"),
    cli("switch-with-value", "runs", "--json=yes", needle="--json: is a switch and takes no value"),
    # --- music: everything that is not a decodable audio file of sane length ----------------------------
    make(
        "music-random",
        "coffee",
        "--music",
        "FILES/random.mp3",
        needle="is not audio that can be decoded",
        retry="full",
    ),
    make("music-empty", "coffee", "--music", "FILES/empty.mp3", needle="empty.mp3 is empty", retry="full"),
    make("music-text", "coffee", "--music", "FILES/text.mp3", needle="text.mp3 is not audio", retry="full"),
    make(
        "music-folder",
        "coffee",
        "--music",
        "FILES/folder.mp3",
        needle="folder.mp3 is a folder",
        retry="review",
    ),
    make("music-fifo", "coffee", "--music", "FILES/fifo.mp3", needle="fifo.mp3 is not a regular file"),
    make("music-missing", "coffee", "--music", "FILES/missing.mp3", needle="music file not found"),
    make("music-dev-zero", "coffee", "--music", "/dev/zero", needle="/dev/zero is not a regular file"),
    make("music-video-only", "coffee", "--music", "FILES/video.mp4", needle="has no audio stream"),
    make("music-too-short", "coffee", "--music", "FILES/short.wav", needle="is only 0.20 s of audio"),
    make("music-too-long", "coffee", "--music", "FILES/long.wav", needle="hours long; music must be under 3"),
    make("music-unreadable", "coffee", "--music", "FILES/locked.mp3", needle="(permission denied)"),
    make("music-empty-path", "coffee", "--music", "", needle="--music: the music path is empty"),
    # --- sources: binary, empty, huge, folders, devices, unreadable --------------------------------------
    make(
        "source-binary",
        "coffee",
        "--source",
        "FILES/photo.txt",
        needle="photo.txt looks binary",
        retry="review",
    ),
    make("source-nul", "coffee", "--source", "FILES/nul.md", needle="nul.md looks binary"),
    make("source-latin1", "coffee", "--source", "FILES/latin1.txt", needle="saved as UTF-8"),
    make("source-empty", "coffee", "--source", "FILES/empty.txt", needle="empty.txt has no readable text"),
    make("source-only-code", "coffee", "--source", "FILES/code.html", needle="code.html has no readable"),
    make("source-huge", "coffee", "--source", "FILES/huge.txt", needle="a source must be at most 5 MB"),
    make("source-empty-folder", "coffee", "--source", "FILES/nothing", needle="holds no .txt, .md or .html"),
    make("source-dev-zero", "coffee", "--source", "/dev/zero", needle="/dev/zero is not a regular file"),
    make("source-fifo", "coffee", "--source", "FILES/fifo.txt", needle="fifo.txt is not a regular file"),
    make("source-unreadable", "coffee", "--source", "FILES/locked.txt", needle="permission denied"),
    make("source-missing", "coffee", "--source", "FILES/missing.md", needle="source file not found"),
    make("source-pdf", "coffee", "--source", "FILES/paper.pdf", needle="unsupported extension (.pdf)"),
    make("source-empty-path", "coffee", "--source", "", needle="--source: a source is empty"),
    # --- reelforge.toml ----------------------------------------------------------------------------------
    make(
        "toml-syntax",
        "coffee",
        needle="is not valid TOML",
        retry="review",
        REELFORGE_CONFIG="FILES/syntax.toml",
    ),
    make("toml-unknown-key", "coffee", needle="unknown key 'colour'", REELFORGE_CONFIG="FILES/key.toml"),
    make(
        "toml-unknown-section",
        "coffee",
        needle="unknown section [weird]",
        REELFORGE_CONFIG="FILES/section.toml",
    ),
    make(
        "toml-wrong-type",
        "coffee",
        needle="min_free_gb = 'lots' must be a number",
        REELFORGE_CONFIG="FILES/type.toml",
    ),
    make(
        "toml-not-whole",
        "coffee",
        needle="checkpoint_ttl_s = 1.5 must be a whole number",
        REELFORGE_CONFIG="FILES/whole.toml",
    ),
    make("toml-is-folder", "coffee", needle="which is a folder", REELFORGE_CONFIG="FILES/nothing"),
    make("toml-missing", "coffee", needle="which does not exist", REELFORGE_CONFIG="FILES/missing.toml"),
    # --- the environment ---------------------------------------------------------------------------------
    make(
        "min-free-nan",
        "coffee",
        needle="REELFORGE_MIN_FREE_GB='nan' must be a number of GB",
        retry="review",
        REELFORGE_MIN_FREE_GB="nan",
    ),
    make(
        "min-free-abc",
        "coffee",
        needle="REELFORGE_MIN_FREE_GB='abc' must be a number",
        REELFORGE_MIN_FREE_GB="abc",
    ),
    make("min-free-negative", "coffee", needle="0 or more", REELFORGE_MIN_FREE_GB="-1"),
    make("min-free-too-much", "coffee", needle="GB free at", REELFORGE_MIN_FREE_GB="1e12"),
    make("lock-ttl-zero", "coffee", needle="REELFORGE_LOCK_TTL_S='0'", REELFORGE_LOCK_TTL_S="0"),
    make("redis-garbage", "coffee", needle="REDIS_URL garbage is not a Redis URL", REDIS_URL="garbage"),
    cli(
        "redis-refused",
        "runs",
        needle="cannot reach Redis at redis://:***@127.0.0.1:1/0",
        REDIS_URL=f"redis://:{REDIS_PASSWORD}@127.0.0.1:1/0",
    ),
    make(
        "home-under-file",
        "coffee",
        needle="cannot write to the reelforge home",
        REELFORGE_HOME="FILES/a-file/home",
    ),
    cli(
        "status-home-under-file",
        "status",
        needle="a-file is a file, not a folder; check the path, or set REELFORGE_HOME to a writable folder",
        REELFORGE_HOME="FILES/a-file/home",
    ),
    cli(
        "status-home-not-permitted",
        "status",
        needle="set REELFORGE_HOME to a writable folder",
        REELFORGE_HOME="/sys/reelforge-fault-home",
    ),
    cli(
        "damaged-index",
        "runs",
        needle="cannot be used (file is not a database)",
        REELFORGE_HOME="FILES/damaged-home",
    ),
    # --- spans and dates ---------------------------------------------------------------------------------
    cli("since-huge", "costs", "--since", "99999999d", needle="--since '99999999d' reaches back before"),
    cli("since-float", "costs", "--since", "1e30d", needle="cannot read --since '1e30d'"),
    cli("since-words", "costs", "--since", "soon", needle="cannot read --since 'soon'"),
    cli("older-huge", "cleanup", "--older-than", "99999999d", needle="--older-than '99999999d' reaches"),
    cli("older-float", "cleanup", "--older-than", "1e30d", needle="cannot read --older-than '1e30d'"),
    cli("older-bad-date", "cleanup", "--older-than", "2026-13-45", needle="cannot read --older-than"),
    cli("daily-date", "daily", "--date", "2026-02-30", needle="invalid --date '2026-02-30'"),
    # --- run ids -----------------------------------------------------------------------------------------
    cli(
        "run-id-empty", "make", "coffee", "--run-id", "", needle="--run-id: the run id is empty; give a name"
    ),
    cli("run-id-parent", "make", "coffee", "--run-id", "../x", needle="--run-id: invalid run id '../x'"),
    cli("run-id-slash", "make", "coffee", "--run-id", "a/b", needle="--run-id: invalid run id 'a/b'"),
    cli("run-id-long", "make", "coffee", "--run-id", "r" * 81, needle="(81 characters)"),
    cli("run-id-dot", "make", "coffee", "--run-id", ".hidden", needle="invalid run id '.hidden'"),
    cli("run-id-space", "make", "coffee", "--run-id", "a b", needle="invalid run id 'a b'"),
    cli("resume-empty", "resume", "", needle="the run id is empty; give a run id"),
]


def _unreadable_target(folder: Path) -> Path | None:
    """A regular file this process cannot read, or None.

    Root reads any file whatever its mode, but not a write-only sysctl: /proc/sys/vm/compact_memory refuses
    reads even to root (the tests only ever read it).
    """
    if os.geteuid() != 0:
        locked = folder / "mode-000"
        locked.write_text("secret notes\n")
        locked.chmod(0)
        return locked
    path = Path("/proc/sys/vm/compact_memory")
    try:
        with open(path, "rb"):
            return None
    except PermissionError:
        return path
    except OSError:
        return None


def _tone(path: Path, seconds: float, rate: int = 8000) -> Path:
    """A mono 16-bit sine tone."""
    import math

    frames = int(seconds * rate)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(
            b"".join(
                struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate))) for i in range(frames)
            )
        )
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Path:
    """Every broken file the cases name, made once."""
    folder = tmp_path_factory.mktemp("broken")
    (folder / "random.mp3").write_bytes(random.Random(9).randbytes(1 << 16))
    (folder / "empty.mp3").write_bytes(b"")
    (folder / "text.mp3").write_text("this is a shopping list, not a song\n" * 20)
    (folder / "folder.mp3").mkdir()
    os.mkfifo(folder / "fifo.mp3")
    os.mkfifo(folder / "fifo.txt")
    _tone(folder / "short.wav", 0.2)
    _tone(folder / "good.wav", 3.0)
    # A WAV whose header says 3.5 hours of 8 kHz audio: a sparse file, so it costs no disk.
    size = 100_000_000
    header = b"RIFF" + struct.pack("<I", 36 + size) + b"WAVEfmt "
    header += struct.pack("<IHHIIHH", 16, 1, 1, 8000, 8000, 1, 8) + b"data" + struct.pack("<I", size)
    with open(folder / "long.wav", "wb") as handle:
        handle.write(header)
        handle.truncate(len(header) + size)
    _video_only(folder / "video.mp4")
    (folder / "photo.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (folder / "nul.md").write_bytes(b"# Coffee\n\nCoffee\x00 was first brewed in Yemen.\x00\x00\n")
    (folder / "latin1.txt").write_bytes(
        "Caf\u00e9 au lait na\u00efve cr\u00e8me br\u00fbl\u00e9e.".encode("latin-1")
    )
    (folder / "empty.txt").write_text("")
    (folder / "code.html").write_text("<html><script>var coffee = 'Yemen, 1450';</script></html>")
    with open(folder / "huge.txt", "wb") as handle:
        handle.truncate(6 * 1024 * 1024)
    (folder / "nothing").mkdir()
    (folder / "paper.pdf").write_bytes(b"%PDF-1.7\n")
    target = _unreadable_target(folder)
    if target is not None:
        (folder / "locked.mp3").symlink_to(target)
        (folder / "locked.txt").symlink_to(target)
    (folder / "syntax.toml").write_text("[providers.ollama\n")
    (folder / "key.toml").write_text("colour = 'blue'\n")
    (folder / "section.toml").write_text("[weird]\nx = 1\n")
    (folder / "type.toml").write_text("min_free_gb = 'lots'\n")
    (folder / "whole.toml").write_text("checkpoint_ttl_s = 1.5\n")
    (folder / "plan-target.toml").write_text(
        '[[items]]\ntopic = "coffee"\nslug = "c"\ntargets = ["tiktok"]\n'
    )
    (folder / "plan-gate.toml").write_text('[[items]]\ntopic = "coffee"\nslug = "c"\ngates = ["legal"]\n')
    (folder / "a-file").write_text("a file where a folder should be\n")
    damaged = folder / "damaged-home"
    damaged.mkdir()
    (damaged / "index.sqlite").write_bytes(random.Random(11).randbytes(4096))
    return folder


def _video_only(path: Path) -> None:
    """Two seconds of video with no audio stream."""
    import av
    import numpy as np

    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=10)
        stream.width, stream.height = 64, 64
        stream.pix_fmt = "yuv420p"
        for _ in range(20):
            frame = av.VideoFrame.from_ndarray(np.zeros((64, 64, 3), np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def _fill(value: str, files: Path) -> str:
    return value.replace("FILES/", f"{files}/")


def _run_id_taken(home: Path, run_id: str) -> bool:
    """Whether anything of the run exists: its folder, or its row in the run index."""
    if (home / "runs" / run_id).exists():
        return True
    index = home / "index.sqlite"
    if not index.is_file():
        return False
    with sqlite3.connect(index) as conn:
        return conn.execute("SELECT 1 FROM runs WHERE run_id = ?", (run_id,)).fetchone() is not None


GOOD_RUN = ("--preview", "--duration", "10", "--voice", "espeak", "--json")


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input_is_one_line_and_leaves_the_run_id_free(case: Case, home: Path, files: Path) -> None:
    if "FILES/locked" in " ".join(case.args) and not (files / "locked.txt").is_symlink():
        pytest.skip("no file here that root cannot read")
    run_id = f"fault-{case.id}"
    args = [_fill(arg, files) for arg in case.args]
    if case.make:
        args = [args[0], "--run-id", run_id, *args[1:]]
    env = {name: _fill(value, files) for name, value in case.env.items()}
    bad_home = Path(env.pop("REELFORGE_HOME", home))
    secrets = {} if case.retry else SECRET_ENV
    try:
        result = run_cli(bad_home, *args, timeout=60, **env, **secrets)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{case.id}: the CLI hung (a FIFO or a device was opened?)")

    assert result.code == 2, (result.code, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].strip(), f"not one line: {result.stderr!r}"
    assert lines[0].startswith("error: "), lines[0]
    assert case.needle in lines[0], lines[0]
    assert "Traceback" not in result.stderr
    for secret in (SECRET, REDIS_PASSWORD):
        assert secret not in result.stderr + result.stdout
    if not case.make:
        return

    assert not _run_id_taken(bad_home, run_id), f"the failed start took run id {run_id}"
    if case.retry is None:
        return
    good = ["--music", str(files / "good.wav")] if case.retry == "full" else ["--review"]
    retry = run_cli(home, "make", "--run-id", run_id, "coffee", *GOOD_RUN, *good, timeout=180)
    assert retry.code == 0, retry.stderr
    summary = retry.json()
    assert summary["run_id"] == run_id
    assert summary["status"] == ("done" if case.retry == "full" else "waiting")
