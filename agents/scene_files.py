"""A scene's files: make its image and narration with the best provider that answers, reuse what a run
already made, and make again whatever was damaged before it is used."""

from __future__ import annotations

import contextvars
import json
import re
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from langgraph.config import get_stream_writer
from langgraph.runtime import Runtime

from agents.product_scenes import product_picture, scene_product
from prompts import SCENE_IMAGE, SCENE_IMAGE_NEGATIVE
from state import (
    Artifact,
    AudioArtifact,
    Context,
    JobSpec,
    Repair,
    SceneAssets,
    SceneSpec,
    SceneTask,
    Script,
    SpeechResult,
    SpokenSentence,
)
from state.model_calls import Degradation, ImageRequest, Routed, SpeechRequest
from state.sources import Product
from tools.files import (
    artifact_problem,
    atomic_path,
    claim_once,
    content_key,
    make_artifact,
    reusable,
    write_text_atomic,
)
from tools.images.cards import plan_pictograms, render_card
from tools.images.header_layer import render_header_layer
from tools.images.text_layers import layer_problem
from tools.speech import time_words

# A remade narration this much longer or shorter than the first take moves the timeline.
RETIME_TOLERANCE_S = 0.05
SCENE_FILES = {"image": "picture", "audio": "narration"}


def scene_tasks(
    job: JobSpec,
    script: Script,
    variants: Mapping[int, int] | None = None,
    products: list[Product] | None = None,
) -> list[SceneTask]:
    """The work order of every scene of `script`: its words, its take (`variants`, by scene index; 0 when
    absent), the pictogram its card would show (planned over the whole script so that two neighbouring
    cards never show the same one), and the product it presents in a "Top N" video."""
    pictograms = plan_pictograms([cast(dict[str, str], spec) for spec in script["scenes"]], script["title"])
    tasks = []
    for spec, pictogram in zip(script["scenes"], pictograms, strict=True):
        task = SceneTask(
            job=job,
            title=script["title"],
            scene=spec,
            scene_count=len(script["scenes"]),
            variant=(variants or {}).get(spec["index"], 0),
            pictogram=pictogram,
        )
        if products and (product := scene_product(products, spec["sources"], spec["on_screen_text"])):
            task["product"] = product
        tasks.append(task)
    return tasks


def scene_task(
    job: JobSpec, script: Script, index: int, variant: int = 0, products: list[Product] | None = None
) -> SceneTask:
    """The work order of scene `index` alone (a repair, a regeneration)."""
    tasks = scene_tasks(job, script, {index: variant}, products)
    return next(t for t in tasks if t["scene"]["index"] == index)


def degradations(routed: Routed, artifact: str) -> list[Degradation]:
    """The degradation to record when a lower tier than asked for answered, else nothing."""
    if routed.degraded is None:
        return []
    return [
        {
            "capability": artifact.split(".")[0],
            "artifact": artifact,
            "tier": routed.tier,
            "provider": routed.provider,
            "reason": routed.degraded,
        }
    ]


def _saved(sidecar: Path) -> dict[str, Any] | None:
    """A scene artifact recorded by an earlier attempt, if its file is intact (a resume never pays twice)."""
    try:
        saved: dict[str, Any] = json.loads(sidecar.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    return saved if reusable(cast(Artifact, saved)) else None


def _write_bytes(path: Path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def _take(task: SceneTask) -> tuple[int, ...]:
    """What a later take adds to a scene file's key; the first take keeps the key it always had, so runs
    made before takes existed reuse their files."""
    variant = task.get("variant", 0)
    return (variant,) if variant else ()


def overlay_problem(image: Mapping[str, Any], width: int, height: int) -> str | None:
    """What is wrong with a scene picture's text layer, or None when it reads whole or there is none (a
    picture made before text layers existed has none, and needs none)."""
    overlay = image.get("overlay")
    return None if overlay is None else layer_problem(Path(overlay), width, height)


def _header_layer(task: SceneTask, path: Path) -> Path:
    """The text layer of a photograph's or a clip's scene: the video's header over its scrim."""
    job = task["job"]
    return render_header_layer(
        title=task["title"],
        index=task["scene"]["index"],
        count=task["scene_count"],
        width=job["width"],
        height=job["height"],
        out_path=path,
    )


def scene_image(
    task: SceneTask, runtime: Runtime[Context]
) -> tuple[dict[str, Any], Routed | None, list[Degradation]]:
    """The scene's picture and its text layer: the files an earlier attempt made if they are intact, else
    new ones; with the degradation of a product picture that could not be used.

    The text layer (`overlay`) is `text-NN-<key>.png` beside `scene-NN-<key>.png`. When only it is damaged,
    it is drawn again: a card's with its card, a photograph's or a clip's (the header alone) without asking
    its provider again; a product's with its picture, fetched again from the catalogue.
    """
    job, scene = task["job"], task["scene"]
    width, height = job["width"], job["height"]
    kind = "data" if any(ch.isdigit() for ch in scene["on_screen_text"]) else "scene"
    variant = task.get("variant", 0)
    visuals = job.get("visuals", "auto")
    # "auto" keeps the key it always had, so runs made before --visuals existed reuse their pictures.
    asked = () if visuals == "auto" else (visuals,)
    key = content_key(
        "image-v4",
        task["title"],
        scene,
        task["scene_count"],
        job["style"],
        width,
        height,
        kind,
        *_take(task),
        *asked,
        task.get("pictogram", ""),
        *((task["product"].get("image") or "",) if "product" in task else ()),
    )
    folder = runtime.context.run_dir / "scenes"
    path = folder / f"scene-{scene['index']:02d}-{key}.png"
    # Not "scene-NN-…": what looks for a scene's picture by that name finds the picture alone.
    overlay = folder / f"text-{scene['index']:02d}-{key}.png"
    sidecar = path.with_suffix(".json")

    def card() -> bytes:
        render_card(
            title=task["title"],
            on_screen_text=scene["on_screen_text"],
            narration=scene["narration"],
            index=scene["index"],
            count=task["scene_count"],
            style=job["style"],
            width=width,
            height=height,
            out_path=path,
            overlay_path=overlay,
            kind=kind,
            take=variant,
            visual=scene["visual"],
            pictogram=task.get("pictogram", ""),
        )
        return path.read_bytes()

    if (saved := _saved(sidecar)) is not None:
        if overlay_problem(saved, width, height) is None:
            return saved, None, []
        if saved["provider"] != "catalogue":
            # Only the text layer is damaged: draw it again, never asking a provider for the picture again
            # (a product's layer is drawn with its picture, fetched again below).
            if saved["provider"] == "cards":
                card()  # the same words draw the same background, byte for byte
                saved = {**saved, **make_artifact(path, saved["tier"], "cards")}
            else:
                _header_layer(task, overlay)
            write_text_atomic(sidecar, json.dumps(saved))
            return saved, None, []
    if variant == 0:
        # A product's own picture comes first; a regenerated take asks the providers for another one.
        pictured, missing = product_picture(task, runtime, path, overlay)
        if pictured is not None:
            write_text_atomic(sidecar, json.dumps(pictured))
            return pictured, None, []
        notes = [missing] if missing is not None else []
    else:
        notes = []

    prompt = SCENE_IMAGE.render(
        visual=scene["visual"] or scene["on_screen_text"],
        title=task["title"],
        index=scene["index"],
        count=task["scene_count"],
        style=job["style"],
        orientation=job["orientation"],
    )
    claims = runtime.context.run_dir / "media-claims"
    request = ImageRequest(
        prompt,
        width,
        height,
        card,
        SCENE_IMAGE_NEGATIVE,
        seed=int(key[:8], 16),
        query=search_words(scene, job["topic"]),
        # One picture per scene: a scene made again (a resume, a retry) keeps the one it claimed.
        claim=lambda picture: claim_once(claims, picture, f"scene-{scene['index']}-{variant}"),
        visuals=visuals,
        prefer=job.get("providers", {}).get("image"),
    )
    routed = runtime.context.models.image(request, "make_scene")
    # A stock clip stays the MP4 it came as, beside where the still would be (the sidecar is shared).
    clip = str(getattr(routed.answer, "content_type", "")).startswith("video/")
    if clip:
        path = path.with_suffix(".mp4")
    if routed.tier != "offline":
        _write_bytes(path, routed.answer.data)
        # A card's text layer came with it; a photograph or a clip gets the video's header alone.
        _header_layer(task, overlay)
    # The offline tier's ledger name is generic; the artifact names what drew it.
    provider = routed.provider if routed.tier != "offline" else "cards"
    image = dict(make_artifact(path, routed.tier, provider))
    image["overlay"] = str(overlay)
    if clip:
        image["media"] = "clip"
    if getattr(routed.answer, "credit", None):
        image["credit"] = routed.answer.credit
    write_text_atomic(sidecar, json.dumps(image))
    return image, routed, notes


def search_words(scene: SceneSpec, topic: str) -> str:
    """What to search open media for: the scene's picture description, or the topic for a card's."""
    visual = re.sub(r"^(title|data) card:\s*", "", scene["visual"], flags=re.IGNORECASE)
    if visual != scene["visual"] or not visual.strip():
        return topic
    return visual.split("\u2014")[0].strip()[:100]


def scene_audio(task: SceneTask, runtime: Runtime[Context]) -> tuple[AudioArtifact, Routed | None]:
    """The scene's narration: the file an earlier attempt made if it is intact, else a new one."""
    job, scene = task["job"], task["scene"]
    variant = task.get("variant", 0)
    key = content_key("voice-v3", job["voice"], scene["narration"], *_take(task))
    path = runtime.context.run_dir / "scenes" / f"scene-{scene['index']:02d}-{key}.wav"
    sidecar = path.with_suffix(".json")
    if (saved := _saved(sidecar)) is not None:
        return cast(AudioArtifact, saved), None
    spoken: list[SpeechResult] = []

    def local_voice() -> bytes:
        voice = runtime.context.voices.get(job["voice"])
        spoken.append(voice.synthesize(scene["narration"], path, take=variant))
        return path.read_bytes()

    request = SpeechRequest(
        scene["narration"], local_voice, job["lang"], prefer=job.get("providers", {}).get("speech")
    )
    routed = runtime.context.models.speech(request, "make_scene")
    if spoken and routed.tier == "offline":
        duration_s, sentences = spoken[-1].duration_s, list(spoken[-1].sentences)
        timing = spoken[-1].timing
    else:
        # A voice server reports no timings: align the words it was given to what it said.
        _write_bytes(path, routed.answer.data)
        duration_s = routed.answer.audio_s
        sentences, timing = time_words(path, scene["narration"], job["lang"], duration_s)
    # The offline tier's ledger name is generic; the artifact names the local voice that spoke.
    provider = (
        routed.provider if routed.tier != "offline" else runtime.context.voices.get(job["voice"]).provider
    )
    timed: list[SpokenSentence] = sentences
    audio: AudioArtifact = {
        **make_artifact(path, routed.tier, provider),
        "duration_s": duration_s,
        "sentences": timed,
        "timing": timing,
    }
    write_text_atomic(sidecar, json.dumps(audio))
    return audio, routed


def _made_by(image: dict[str, Any], audio: AudioArtifact, index: int) -> dict[str, str]:
    return {
        f"images.{index:02d}": f"{image['tier']}:{image['provider']}",
        f"narration.{index:02d}": f"{audio['tier']}:{audio['provider']}",
    }


def scene_update(task: SceneTask, runtime: Runtime[Context]) -> dict[str, Any]:
    """Make one scene's image and narration with the best providers that answer, reusing finished files."""
    writer = get_stream_writer()
    index = task["scene"]["index"]
    writer({"stage": "scene", "scene": index, "of": task["scene_count"], "status": "started"})
    # The picture's wait on the network (a search, a download) overlaps the voice, which is CPU work here;
    # leaving the block waits for the picture even when the voice fails, so no file is written after.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"scene-{index}-image") as picture:
        pending = picture.submit(contextvars.copy_context().run, scene_image, task, runtime)
        audio, audio_routed = scene_audio(task, runtime)
        image, image_routed, notes = pending.result()
    writer(
        {
            "stage": "scene",
            "scene": index,
            "of": task["scene_count"],
            "status": "done",
            "image": image["provider"],
            "voice": audio["provider"],
            "take": task.get("variant", 0),
        }
    )
    assets = cast(
        SceneAssets, {"index": index, "image": image, "audio": audio, "variant": task.get("variant", 0)}
    )
    degraded = list(notes)
    if image_routed is not None:
        degraded += degradations(image_routed, f"image.{index:02d}")
    if audio_routed is not None:
        degraded += degradations(audio_routed, f"speech.{index:02d}")
    update = {"scenes": [assets], "tiers": _made_by(image, audio, index), "degraded": degraded}
    if audio.get("timing") == "proportional":
        update["warnings"] = [
            f"scene {index}'s captions are timed by word length, not by the voice: {audio['provider']} "
            f"gives no word timings and its audio could not be aligned in '{task['job']['lang']}'"
        ]
    return update


@dataclass
class SceneCheck:
    """The scenes after a check, and the state update that records what had to be made again."""

    scenes: list[SceneAssets]
    update: dict[str, Any] = field(default_factory=dict)
    # A remade narration with another length: the timeline and the subtitles must be planned again.
    retimed: bool = False


def repair_note(repair: Repair) -> str:
    """The warning a run shows for one repair."""
    return (
        f"{repair['artifact']} was {repair['problem']} at {repair['path']}; "
        f"{repair['by']} made it again from the same inputs"
    )


def _file_problems(
    assets: SceneAssets, kinds: tuple[str, ...], width: int, height: int
) -> dict[str, tuple[str, str, str]]:
    """For each of `kinds` whose file is damaged or missing: what it is, its path and what is wrong.

    A picture is damaged when its text layer is, too: the layer is made again with it.
    """
    index = assets["index"]
    found = {}
    for kind in kinds:
        artifact = cast(dict[str, Any], assets[kind])  # type: ignore[literal-required]
        problem = artifact_problem(cast(Artifact, artifact))
        if problem is not None:
            found[kind] = (f"scene {index}'s {SCENE_FILES[kind]}", str(artifact["path"]), problem)
        elif kind == "image" and (problem := overlay_problem(artifact, width, height)) is not None:
            found[kind] = (f"scene {index}'s text layer", str(artifact["overlay"]), problem)
    return found


def check_scene_files(
    job: JobSpec,
    script: Script,
    scenes: list[SceneAssets],
    kinds: tuple[str, ...],
    by: str,
    runtime: Runtime[Context],
    products: list[Product] | None = None,
) -> SceneCheck:
    """Verify each scene's `kinds` ("image", "audio") before use, a picture's text layer with it; make a
    damaged or missing one again."""
    checked, changed, repairs = [], [], []
    update: dict[str, Any] = {"tiers": {}, "degraded": []}
    retimed = False
    for assets in scenes:
        problems = _file_problems(assets, kinds, job["width"], job["height"])
        if not problems:
            checked.append(assets)
            continue
        index = assets["index"]
        task = scene_task(job, script, index, assets.get("variant", 0), products)
        fixed = cast(dict[str, Any], dict(assets))
        for kind, (what, where, problem) in problems.items():
            if kind == "image":
                remade, routed, notes = scene_image(task, runtime)
                update["degraded"] += notes
            else:
                remade, routed = scene_audio(task, runtime)  # type: ignore[assignment]
                retimed |= abs(remade["duration_s"] - assets["audio"]["duration_s"]) > RETIME_TOLERANCE_S
            fixed[kind] = remade
            if routed is not None:
                label = "image" if kind == "image" else "speech"
                update["degraded"] += degradations(routed, f"{label}.{index:02d}")
            repairs.append(Repair(artifact=what, path=where, problem=problem, by=by))
        update["tiers"].update(_made_by(fixed["image"], fixed["audio"], index))
        checked.append(cast(SceneAssets, fixed))
        changed.append(cast(SceneAssets, fixed))
    if not repairs:
        return SceneCheck(scenes)
    update.update(scenes=changed, repairs=repairs, warnings=[repair_note(r) for r in repairs])
    return SceneCheck(checked, update, retimed)
