"""Topics in the world's scripts: Chinese, Japanese and Korean are drawn with real glyphs, and what no font
draws (emoji) is named in the report, which then says the run is degraded."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from tests.conftest import run_cli

pytestmark = pytest.mark.slow


def _make(home, topic: str, run_id: str) -> dict:
    made = run_cli(
        home, "make", topic, "--duration", "10", "--voice", "espeak", "--preview", "--run-id", run_id
    )
    assert made.code == 0, made.stderr
    return json.loads((home / "runs" / run_id / "report.json").read_text())


def test_a_cjk_topic_with_an_emoji_is_drawn_and_the_emoji_reported(home):
    report = _make(home, "蜜蜂如何跳舞 🐝", "zh")
    assert report["degraded"] is True
    assert report["degraded_reasons"] == [
        "the fonts cannot draw 🐝; they are left out of the pictures and captions"
    ]
    assert "🐝" in (home / "runs" / "zh" / "report.md").read_text()
    # The title is drawn: the card's text layer is not empty or a row of identical empty boxes.
    (layer,) = sorted((home / "runs" / "zh" / "scenes").glob("text-01-*.png"))
    alpha = np.asarray(Image.open(layer).convert("RGBA"), dtype=np.float32)[..., 3]
    assert (alpha > 0).mean() > 0.02 and alpha.std() > 10


def test_a_plain_topic_is_not_degraded(home):
    assert _make(home, "how bees dance", "en")["degraded"] is False
