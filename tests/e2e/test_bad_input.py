"""Bad input: one line on stderr, a non-zero exit, and nothing left behind that blocks a retry."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run_cli


def _assert_clean_failure(result, home: Path, needle: str, code: int = 2) -> None:
    assert result.code == code, (result.code, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert needle in lines[0], lines[0]
    assert "Traceback" not in result.stderr
    assert not (home / "runs").exists() or not any((home / "runs").iterdir())


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["   "], "topic is empty"),
        (["x" * 501], "keep it under 500"),
        (["coffee", "--duration", "5"], "--duration: duration 5 s is out of range; use 10 to 600 seconds"),
        (["coffee", "--duration", "601"], "--duration: duration 601 s is out of range"),
        (["coffee", "--aspect", "4:3"], "unknown aspect '4:3'"),
        (["coffee", "--lang", "fr"], "unknown language 'fr'"),
        (["coffee", "--voice", "bob"], "unknown voice 'bob'"),
        (["coffee", "--style", "neon"], "unknown style 'neon'"),
        (["coffee", "--run-id", "../escape"], "invalid run id"),
        (["coffee", "--run-id", "a/b"], "invalid run id"),
        (["coffee", "--source", "/nonexistent/notes.md"], "source file not found"),
        (["coffee", "--music", "/nonexistent/song.mp3"], "music file not found"),
    ],
)
def test_make_rejects(home, args, needle):
    _assert_clean_failure(run_cli(home, "make", *args), home, needle)


def test_binary_source(home, tmp_path):
    blob = tmp_path / "photo.txt"
    blob.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    _assert_clean_failure(run_cli(home, "make", "coffee", "--source", str(blob)), home, "binary")


def test_directory_as_source(home, tmp_path):
    _assert_clean_failure(run_cli(home, "make", "coffee", "--source", str(tmp_path)), home, str(tmp_path))


def test_resume_unknown_run(home):
    _assert_clean_failure(run_cli(home, "resume", "nope"), home, "no run called 'nope'")


def test_resume_bad_run_id(home):
    _assert_clean_failure(run_cli(home, "resume", "../../etc"), home, "invalid run id")


def test_unwritable_home(tmp_path):
    home = Path("/proc/reelforge-cannot-write-here")
    result = run_cli(home, "make", "coffee")
    assert result.code == 2
    assert "REELFORGE_HOME" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_not_enough_disk(home):
    result = run_cli(home, "make", "coffee", REELFORGE_MIN_FREE_GB="1000000")
    _assert_clean_failure(result, home, "GB free")


def test_ffmpeg_cannot_be_loaded(home):
    result = run_cli(home, "make", "coffee", REELFORGE_FFMPEG="/nonexistent/ffmpeg")
    _assert_clean_failure(result, home, "pip install imageio-ffmpeg", code=1)


def test_voice_cannot_be_loaded(home, tmp_path):
    shadow = tmp_path / "shadow" / "piper"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('piper is broken in this test')\n")
    result = run_cli(home, "make", "coffee", PYTHONPATH=str(shadow.parent))
    _assert_clean_failure(result, home, "pip install 'reelforge[voices]'", code=1)


def test_a_failed_start_does_not_block_the_retry(home, tmp_path):
    bad = run_cli(home, "make", "coffee", "--run-id", "retry", "--music", str(tmp_path / "missing.wav"))
    _assert_clean_failure(bad, home, "music file not found")
    good = run_cli(
        home,
        "make",
        "coffee",
        "--run-id",
        "retry",
        "--duration",
        "10",
        "--voice",
        "espeak",
        "--preview",
        "--json",
    )
    assert good.code == 0, good.stderr
    assert good.json()["run_id"] == "retry"


def test_help_imports_nothing_heavy():
    import subprocess
    import sys

    probe = (
        "import sys; from graph.cli import app; "
        "heavy = {'langgraph', 'av', 'numpy', 'cv2', 'piper', 'onnxruntime', 'PIL', 'langchain_core'}; "
        "print(sorted(heavy & {m.split('.')[0] for m in sys.modules}))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("toml", "needle"),
    [
        ("[providers.ollama]\nurll = 'http://gpu:11434'\n", "urll: Extra inputs are not permitted"),
        ("[providers.midjourney]\nurl = 'x'\n", "unknown provider [providers.midjourney]"),
        ("[router]\norder = { text = ['comfyui'] }\n", "'comfyui' cannot serve text"),
        ("[providers.comfyui]\nfamily = 'sd15'\n", "unknown ComfyUI family 'sd15'"),
        ("[providers.ollama\n", "is not valid TOML"),
    ],
)
def test_a_bad_reelforge_toml_fails_before_the_run(home, tmp_path, toml, needle):
    config = tmp_path / "reelforge.toml"
    config.write_text(toml)
    result = run_cli(home, "make", "coffee", REELFORGE_CONFIG=str(config))
    _assert_clean_failure(result, home, needle)
    assert str(config) in result.stderr, "the message names the file to fix"


def test_an_unknown_model_alias_names_the_known_ones(home, tmp_path):
    config = tmp_path / "reelforge.toml"
    config.write_text("[aliases.quality]\nollama = 'qwen3:32b'\n")
    result = run_cli(home, "make", "coffee", "--model", "best", REELFORGE_CONFIG=str(config))
    _assert_clean_failure(result, home, "unknown model alias 'best' (known: quality)")


@pytest.mark.parametrize(
    ("args", "needle"), [(["--by", "week"], "--by provider"), (["--since", "soon"], "7d")]
)
def test_costs_rejects(home, args, needle):
    _assert_clean_failure(run_cli(home, "costs", *args), home, needle)
