"""`make --visuals clips` with a Pexels key: scenes played from served clips, credited, and the key nowhere
in the run's files (logs, checkpoints, ledger, gallery)."""

from __future__ import annotations

import json

import av
import numpy as np
import pytest

from tests.conftest import run_cli
from tests.servers.stock_media import PexelsServer

pytestmark = pytest.mark.slow

KEY = "pexels-e2e-key-5550123"


def test_clips_play_in_the_video_with_their_credits_and_the_key_stays_out(home):
    with PexelsServer(KEY) as pexels:
        made = run_cli(
            home,
            *("make", "how glaciers move", "--voice", "espeak", "--preview", "--duration", "10"),
            *("--visuals", "clips", "--json", "--run-id", "clips"),
            PEXELS_URL=pexels.url,
            PEXELS_API_KEY=KEY,
        )
        served = pexels.url
    assert made.code == 0, made.stderr
    run = home / "runs" / "clips"
    clips = sorted((run / "scenes").glob("scene-*.mp4"))
    assert clips, "at least one scene is a clip"
    for clip in clips:
        sidecar = json.loads(clip.with_suffix(".json").read_text())
        assert sidecar["media"] == "clip" and sidecar["provider"] == "pexels" and sidecar["path"] == str(clip)
    report = json.loads((run / "report.json").read_text())
    images = {key: tier for key, tier in report["tiers"].items() if key.startswith("images")}
    assert set(images.values()) == {"free:pexels"}, report["tiers"]
    metadata = json.loads((home / "gallery" / "clips" / "metadata.json").read_text())
    assert metadata["credits"] and all(
        c["license"] == "Pexels License" and c["source"].startswith(served) for c in metadata["credits"]
    )
    # The first scene plays its clip: its frames move (a still would only pan slowly over a card).
    video = home / "gallery" / "clips" / "video.mp4"
    with av.open(str(video)) as container:
        frames = [
            f.to_ndarray(format="gray").astype(np.float32)
            for _, f in zip(range(20), container.decode(video=0), strict=False)
        ]
    assert float(np.abs(frames[2] - frames[12]).mean()) > 2.0
    assert (home / "gallery" / "clips" / "thumbnail.jpg").stat().st_size > 1000
    leaked = [str(path) for path in home.rglob("*") if path.is_file() and KEY.encode() in path.read_bytes()]
    assert not leaked and KEY not in made.stdout + made.stderr
