"""Artifact files: the cheap check before use, and clearing what a killed writer left half-written."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tools.files import artifact_problem, atomic_path, make_artifact, remove_partials


@pytest.fixture
def artifact(tmp_path: Path) -> dict:
    path = tmp_path / "scene-01.wav"
    path.write_bytes(b"RIFF" + bytes(1000))
    return dict(make_artifact(path, "offline", "espeak-ng"))


def test_an_untouched_file_passes_without_a_rehash(artifact):
    assert artifact["bytes"] == 1004 and artifact["mtime_ns"] > 0
    assert artifact_problem(artifact) is None


def test_a_file_only_touched_still_passes(artifact):
    os.utime(artifact["path"], ns=(1, 1))
    assert artifact_problem(artifact) is None


@pytest.mark.parametrize(
    ("damage", "problem"),
    [
        (lambda p: p.write_bytes(bytes(1004)), "overwritten (its sha256 differs)"),
        (lambda p: p.write_bytes(b"RIFF"), "truncated (4 bytes, made as 1004)"),
        (lambda p: p.unlink(), "missing"),
    ],
    ids=["zeroed", "truncated", "deleted"],
)
def test_damage_is_named(artifact, damage, problem):
    damage(Path(artifact["path"]))
    assert artifact_problem(artifact) == problem


def test_a_directory_in_place_of_the_file(artifact):
    path = Path(artifact["path"])
    path.unlink()
    path.mkdir()
    assert artifact_problem(artifact) == "not a file"


def test_artifacts_recorded_before_sizes_existed_are_hashed(artifact):
    old = {key: artifact[key] for key in ("path", "sha256", "tier", "provider")}
    assert artifact_problem(old) is None
    Path(artifact["path"]).write_bytes(bytes(1004))
    assert artifact_problem(old) == "overwritten (its sha256 differs)"


def test_partial_files_are_removed_and_finished_ones_kept(tmp_path: Path):
    target = tmp_path / "video" / "video-abc.mp4"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("the writer failed")
    assert list(target.parent.iterdir()) == [], "a failed write cleans up after itself"
    # A kill gives the writer no chance to clean up: that is what remove_partials is for.
    left = target.parent / f".video-abc.partial-x1y2{target.suffix}"
    left.write_bytes(b"half")
    with atomic_path(target) as tmp:
        tmp.write_bytes(b"whole")
    assert remove_partials(tmp_path) == [left]
    assert [p.name for p in target.parent.iterdir()] == ["video-abc.mp4"]
    assert remove_partials(tmp_path / "nowhere") == []
