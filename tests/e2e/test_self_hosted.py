"""`reelforge make` with Ollama, ComfyUI and Coqui answering: everything comes from the self-hosted tier."""

from __future__ import annotations

import io
import json
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from tests.conftest import run_cli
from tests.media_checks import measure
from tests.servers.comfyui import ComfyUIServer
from tests.servers.coqui import CoquiServer
from tests.servers.ollama import OllamaServer

pytestmark = pytest.mark.slow

SCRIPT = {
    "title": "How bees make honey",
    "hook": "Bees turn nectar into honey.",
    "scenes": [
        {"narration": "Bees turn nectar into honey.", "on_screen_text": "Nectar to honey", "visual": "a bee"},
        {
            "narration": "They sip nectar from flowers.",
            "on_screen_text": "Sipping nectar",
            "visual": "flowers",
        },
        {
            "narration": "Enzymes break the sugars down.",
            "on_screen_text": "Enzymes at work",
            "visual": "a hive",
        },
        {"narration": "Wings fan the water away.", "on_screen_text": "Fanning wings", "visual": "wings"},
        {
            "narration": "Wax caps seal each cell. Follow for more.",
            "on_screen_text": "Sealed",
            "visual": "comb",
        },
    ],
    "call_to_action": "Follow for more.",
    "description": "How bees make honey, in five short scenes.",
    "tags": ["bees", "honey"],
}
COLORS = [(200, 40, 40), (40, 160, 60), (40, 80, 200), (220, 180, 30), (150, 60, 170)]


@pytest.fixture(scope="module")
def self_hosted_run(tmp_path_factory):
    """One preview run with all three self-hosted servers answering."""
    home = tmp_path_factory.mktemp("self-hosted") / "home"
    ollama = OllamaServer(default_reply=json.dumps(SCRIPT))
    comfy = ComfyUIServer()
    comfy.colors = list(COLORS)
    coqui = CoquiServer()
    with ollama, comfy, coqui:
        result = run_cli(
            home,
            "make",
            "how bees make honey",
            "--duration",
            "12",
            "--preview",
            "--voice",
            "espeak",
            "--run-id",
            "bees",
            "--json",
            OLLAMA_HOST=ollama.url,
            COMFYUI_URL=comfy.url,
            COQUI_TTS_URL=coqui.url,
        )
    assert result.code == 0, result.stderr
    return home, result.json(), ollama, comfy, coqui


def test_json_reports_self_hosted_for_text_image_and_speech(self_hosted_run):
    _, summary, ollama, comfy, coqui = self_hosted_run
    tiers = summary["tiers"]
    assert tiers["script"] == "self-hosted:ollama"
    assert tiers["images"] == "self-hosted:comfyui"
    assert tiers["narration"] == "self-hosted:coqui"
    assert not any(key.startswith(("images (", "narration (")) for key in tiers), tiers
    assert summary["degraded"] is False
    assert ollama.formats and isinstance(ollama.formats[0], dict), "the JSON schema went to Ollama's format"
    assert len(comfy.served_images) == len(SCRIPT["scenes"])
    assert len(coqui.served_audio) == len(SCRIPT["scenes"])


def test_video_passes_the_checks(self_hosted_run):
    _, summary, *_ = self_hosted_run
    m = measure(Path(summary["video"]))
    assert (m.video_codec, m.pix_fmt, m.width, m.height) == ("h264", "yuv420p", 360, 640)
    assert m.audio_codec == "aac"
    assert abs(m.duration_s - 12) <= 12 * 0.15
    assert m.mean_volume_db > -35
    assert abs(m.integrated_lufs - (-14)) <= 1.5


def _near(a, b, tolerance=30):
    return all(abs(int(x) - int(y)) <= tolerance for x, y in zip(a, b, strict=True))


def test_the_images_in_the_video_are_the_ones_comfyui_returned(self_hosted_run):
    home, summary, _, comfy, _ = self_hosted_run
    served = [
        tuple(np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))[0, 0]) for png in comfy.served_images
    ]
    scene_images = sorted((home / "runs" / "bees" / "scenes").glob("scene-*.png"))
    assert len(scene_images) == len(SCRIPT["scenes"])
    for path in scene_images:
        pixel = tuple(np.asarray(Image.open(path).convert("RGB"))[100, 100])
        assert any(_near(pixel, color, 2) for color in served), (path.name, pixel)
    # Sample the upper middle of the frame (clear of the captions) twice a second.
    seen = []
    with av.open(summary["video"]) as container:
        for frame in container.decode(video=0):
            if frame.time is not None and round(frame.time * 2) == frame.time * 2:
                rgb = frame.to_ndarray(format="rgb24")
                h, w, _ = rgb.shape
                seen.append(
                    tuple(rgb[h // 4 - 10 : h // 4 + 10, w // 2 - 10 : w // 2 + 10].reshape(-1, 3).mean(0))
                )
    for color in served:
        assert any(_near(sample, color) for sample in seen), f"ComfyUI's {color} never shows in the video"


def test_ledger_and_report_name_each_provider(self_hosted_run):
    home, summary, *_ = self_hosted_run
    report = json.loads(Path(summary["report"]).with_suffix(".json").read_text())
    usage = report["usage"]
    assert set(usage["by_provider"]) == {"ollama", "comfyui", "coqui"}
    assert usage["failures"] == 0
    assert usage["self_hosted_share"] == 1.0
    assert usage["cost_usd"] > 0, "self-hosted calls are charged by GPU time"
    # No paid cloud provider was set up, so no call was answered in place of one: nothing was saved.
    assert usage["savings_usd"] == 0
