"""A scene's picture comes with its text layer: a card's words, a photograph's header, a product's heading,
each written beside the picture and recorded as its `overlay`; a missing or damaged layer is made again
before use (a photograph's without asking its provider again), and a picture made before layers existed
keeps working without one. Real ComfyUI protocol server, real router, real cards."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

import numpy as np
import pytest
from langgraph.runtime import Runtime
from PIL import Image

from agents.scene_files import SceneCheck, check_scene_files, scene_image, scene_task
from graph.router_config import load_router_settings
from state import Context, JobRequest, SceneAssets, Script
from tests.servers.comfyui import ComfyUIServer
from tools.files import make_artifact
from tools.images.safe_areas import safe_areas
from tools.images.text_layers import layer_problem
from tools.media.ffmpeg import find_ffmpeg
from tools.models.service import ModelRouter
from tools.speech import VoiceShelf
from tools.storage.sqlite_ledger import UsageLedger

SCRIPT: Script = {
    "title": "How bees make honey",
    "hook": "Bees are busy.",
    "scenes": [
        {
            "index": index,
            "narration": narration,
            "on_screen_text": text,
            "visual": "Bees on a honeycomb",
            "sources": [],
        }
        for index, (text, narration) in enumerate(
            [
                ("Bees make honey", "Bees make honey from nectar."),
                ("60,000 bees a hive", "A hive holds many."),
            ],
            start=1,
        )
    ],
    "call_to_action": "Follow for more.",
    "description": "Bees.",
    "tags": ["bees"],
    "citations": [],
    "writer": "offline",
}


@pytest.fixture(scope="module")
def comfy():
    with ComfyUIServer() as server:
        yield server


def _runtime(tmp_path: Path, image_order: list[str], comfy_url: str = "") -> Runtime[Context]:
    order = ", ".join(f'"{name}"' for name in image_order)
    providers = (
        f'[providers.comfyui]\nurl = "{comfy_url}"\ntimeout_s = 5.0\nretries = 0\n' if comfy_url else ""
    )
    config = tmp_path / "reelforge.toml"
    config.write_text(
        f'[router]\norder = {{ text = ["offline"], image = [{order}], speech = ["offline"] }}\n\n{providers}'
    )
    settings = load_router_settings(tmp_path, environ={"REELFORGE_CONFIG": str(config)})
    context = Context(
        run_id="layers",
        run_dir=tmp_path / "run",
        home=tmp_path,
        voices=VoiceShelf(),
        ffmpeg=find_ffmpeg(),
        models=ModelRouter(settings, UsageLedger(tmp_path / "ledger.sqlite"), "layers"),
    )
    return Runtime(context=context)


def _job() -> Any:
    return JobRequest(topic="how bees make honey", duration_s=10, voice="espeak", preview=True).to_job()


def _assets(index: int, image: dict[str, Any], tmp_path: Path) -> SceneAssets:
    """A scene's files as state records them; the narration is any intact file (only pictures are checked)."""
    narration = tmp_path / f"narration-{index}.wav"
    narration.write_bytes(b"RIFF")
    audio = {**make_artifact(narration, "offline", "espeak"), "duration_s": 1.0, "sentences": []}
    return cast(SceneAssets, {"index": index, "image": image, "audio": audio, "variant": 0})


def _check(job: Any, scenes: list[SceneAssets], runtime: Runtime[Context]) -> SceneCheck:
    return check_scene_files(job, SCRIPT, scenes, ("image",), "render_scenes", runtime)


def _drawn(path: str) -> np.ndarray:
    with Image.open(path) as layer:
        return np.asarray(layer)[..., 3] > 0


def test_a_card_comes_with_its_text_layer_in_the_safe_areas(tmp_path):
    job = _job()
    runtime = _runtime(tmp_path, ["offline"])
    image, _, _ = scene_image(scene_task(job, SCRIPT, 2), runtime)
    picture, overlay = Path(image["path"]), Path(image["overlay"])
    assert image["provider"] == "cards"
    # Beside the picture, with the same key, named so that "scene-02-*.png" finds the picture alone.
    assert overlay.parent == picture.parent and overlay.name == picture.name.replace("scene-", "text-")
    assert sorted(p.name for p in picture.parent.glob("scene-02-*.png")) == [picture.name]
    assert layer_problem(overlay, job["width"], job["height"]) is None
    areas = safe_areas(job["width"], job["height"])
    drawn = _drawn(image["overlay"])
    inner = drawn[areas.inner.top : areas.inner.bottom, areas.inner.left : areas.inner.right]
    assert drawn.sum() == inner.sum() > 1000
    assert not drawn[areas.captions.top : areas.captions.bottom].any()
    # Made once: asking again reuses both files.
    again, routed, _ = scene_image(scene_task(job, SCRIPT, 2), runtime)
    assert again == image and routed is None


def test_a_photograph_gets_the_header_alone_and_it_is_redrawn_without_asking_again(tmp_path, comfy):
    job = _job()
    runtime = _runtime(tmp_path, ["comfyui", "offline"], comfy.url)
    asked = len(comfy.served_images)
    image, _, _ = scene_image(scene_task(job, SCRIPT, 1), runtime)
    assert image["provider"] == "comfyui" and len(comfy.served_images) == asked + 1
    header = safe_areas(job["width"], job["height"]).header
    drawn = _drawn(image["overlay"])
    assert drawn.sum() == drawn[header.top : header.bottom, header.left : header.right].sum() > 100

    Path(image["overlay"]).unlink()
    scenes = [_assets(1, image, tmp_path)]
    check = _check(job, scenes, runtime)
    (repair,) = check.update["repairs"]
    assert repair["artifact"] == "scene 1's text layer" and repair["problem"] == "missing"
    assert repair["path"] == image["overlay"]
    assert check.scenes[0]["image"]["path"] == image["path"]
    assert layer_problem(Path(image["overlay"]), job["width"], job["height"]) is None
    # The photograph was not asked for again.
    assert len(comfy.served_images) == asked + 1


def test_a_damaged_card_layer_is_made_again_and_named(tmp_path):
    job = _job()
    runtime = _runtime(tmp_path, ["offline"])
    image, _, _ = scene_image(scene_task(job, SCRIPT, 1), runtime)
    overlay = Path(image["overlay"])
    whole = overlay.read_bytes()
    overlay.write_bytes(whole[: len(whole) // 3])
    check = check_scene_files(
        job, SCRIPT, [_assets(1, image, tmp_path)], ("image",), "render_scenes", runtime
    )
    (repair,) = check.update["repairs"]
    assert repair["artifact"] == "scene 1's text layer" and repair["problem"].startswith("damaged")
    assert "text layer" in check.update["warnings"][0]
    assert overlay.read_bytes() == whole
    remade = check.scenes[0]["image"]
    # The card drawn again is the same card: its background's checksum has not changed.
    assert remade["sha256"] == image["sha256"] and remade["overlay"] == image["overlay"]
    # An intact pair is left alone.
    assert _check(job, check.scenes, runtime).update == {}


def test_a_picture_made_before_text_layers_keeps_working_without_one(tmp_path):
    job = _job()
    runtime = _runtime(tmp_path, ["offline"])
    image, _, _ = scene_image(scene_task(job, SCRIPT, 1), runtime)
    older = {key: value for key, value in image.items() if key != "overlay"}
    check = check_scene_files(
        job, SCRIPT, [_assets(1, older, tmp_path)], ("image",), "render_scenes", runtime
    )
    assert check.update == {} and "overlay" not in check.scenes[0]["image"]


def test_a_product_picture_has_its_heading_and_header_in_the_layer(tmp_path):
    job = _job()
    photo = tmp_path / "kettle.png"
    Image.new("RGB", (300, 200), (200, 40, 40)).save(photo)
    product = {
        "name": "Acme Kettle",
        "price": 30.0,
        "currency": "USD",
        "rating": 4.5,
        "features": [],
        "image": str(photo),
        "link": None,
        "source": str(tmp_path / "catalogue.csv"),
    }
    script = cast(Script, json.loads(json.dumps(SCRIPT)))
    script["scenes"][0]["on_screen_text"] = "#1 Acme Kettle"
    task = scene_task(job, script, 1, products=[cast(Any, product)])
    image, routed, notes = scene_image(task, _runtime(tmp_path, ["offline"]))
    assert image["provider"] == "catalogue" and routed is None and notes == []
    areas = safe_areas(job["width"], job["height"])
    drawn = _drawn(image["overlay"])
    assert drawn[areas.header.top : areas.header.bottom].any()
    assert drawn[areas.content.top : areas.content.bottom].any()
    inner = drawn[areas.inner.top : areas.inner.bottom, areas.inner.left : areas.inner.right]
    assert drawn.sum() == inner.sum()
    assert not drawn[areas.captions.top : areas.captions.bottom].any()
