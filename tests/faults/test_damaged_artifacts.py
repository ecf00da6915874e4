"""Artifacts damaged between a kill and the resume: each kind is found before use, made again from the
same inputs, and named in the run report; the published video is whole."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import av
import numpy as np
import pytest

from tests.conftest import run_cli
from tests.faults.kill_chain import MAKE
from tests.journal_checks import node_starts
from tests.media_checks import measure

pytestmark = pytest.mark.slow


def _zero(path: Path) -> None:
    path.write_bytes(bytes(path.stat().st_size))


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _delete(path: Path) -> None:
    path.unlink()


def _replace_with_sibling(path: Path) -> None:
    sibling = next(p for p in sorted(path.parent.glob(f"*{path.suffix}")) if p != path)
    path.write_bytes(sibling.read_bytes())


# (kill before this node, the file to damage, how, the artifact the report must name)
CASES = {
    "narration zeroed": ("mix_soundtrack", "scenes/scene-02-*.wav", _zero, "scene 2's narration"),
    "narration deleted": ("mix_soundtrack", "scenes/scene-01-*.wav", _delete, "scene 1's narration"),
    "image truncated": ("render_scenes", "scenes/scene-02-*.png", _truncate, "scene 2's picture"),
    "image replaced": ("render_scenes", "scenes/scene-03-*.png", _replace_with_sibling, "scene 3's picture"),
    "soundtrack zeroed": ("render_scenes", "video/soundtrack-*.wav", _zero, "the soundtrack"),
    "subtitles deleted": ("render_scenes", "video/subtitles-*.srt", _delete, "the subtitles"),
    "video truncated": ("verify_output", "video/video-*.mp4", _truncate, "the video"),
    "video zeroed before publishing": ("publish_gallery", "video/video-*.mp4", _zero, "the video"),
    "thumbnail deleted before publishing": ("publish_gallery", "video/thumbnail-*.jpg", _delete, "thumbnail"),
}


def longest_silence_s(video: Path, window_s: float = 0.25) -> float:
    """The longest stretch of the video's sound quieter than -50 dBFS, in seconds."""
    with av.open(str(video)) as container:
        stream = container.streams.audio[0]
        rate = stream.rate
        samples = np.concatenate([f.to_ndarray().mean(axis=0) for f in container.decode(stream)])
    size = int(rate * window_s)
    windows = samples[: len(samples) // size * size].reshape(-1, size)
    quiet = np.sqrt((windows.astype(np.float64) ** 2).mean(axis=1)) < 10 ** (-50 / 20)
    longest = run = 0
    for is_quiet in quiet:
        run = run + 1 if is_quiet else 0
        longest = max(longest, run)
    return longest * window_s


@pytest.mark.parametrize("case", list(CASES))
def test_damaged_artifact_is_remade_on_resume(home, case):
    node, pattern, damage, named = CASES[case]
    run_dir = home / "runs" / "damaged"
    killed = run_cli(home, *MAKE, "--run-id", "damaged", REELFORGE_FAILPOINT=f"start:{node}")
    assert killed.code == -signal.SIGKILL, killed.stderr
    (target,) = run_dir.glob(pattern)
    damage(target)

    resumed = run_cli(home, "resume", "damaged", "--json")
    assert resumed.code == 0, resumed.stderr

    report = json.loads((run_dir / "report.json").read_text())
    repairs = report["repairs"]
    assert [r["artifact"] for r in repairs if named in r["artifact"]], repairs
    assert any(named in warning for warning in report["warnings"])
    assert named in (run_dir / "report.md").read_text()
    assert target.exists(), "the file was made again where it was"
    video = Path(resumed.json()["video"])
    measured = measure(video)
    assert (measured.video_codec, measured.audio_codec) == ("h264", "aac")
    assert abs(measured.duration_s - 10) <= 1.5
    # Every scene is heard: no stretch of the published video is silent for longer than a pause.
    published = home / "gallery" / "damaged" / "video.mp4"
    assert published.read_bytes() == video.read_bytes()
    assert longest_silence_s(published) < 1.5
    if node == "publish_gallery":
        assert node_starts(run_dir)["video_production.render_scenes"] == 2
