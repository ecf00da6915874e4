"""The JobSpec: what one run is asked to make, resolved once, and the closed sets its fields take."""

from __future__ import annotations

from typing import NotRequired

from typing_extensions import TypedDict

from state.sources import Source

ASPECT_SIZES: dict[str, tuple[int, int]] = {
    "9:16": (1080, 1920),
    "16:9": (1920, 1080),
    "1:1": (1080, 1080),
}
ASPECTS: tuple[str, ...] = tuple(ASPECT_SIZES)
ORIENTATIONS: dict[str, str] = {"9:16": "vertical", "16:9": "horizontal", "1:1": "square"}

# The offline writer's templates are English; more languages arrive with the model router.
LANGUAGES: tuple[str, ...] = ("en",)

# "joe" is the Piper neural voice from PyPI; "espeak" is espeak-ng, robotic but instant.
VOICES: tuple[str, ...] = ("joe", "espeak")

STYLES: tuple[str, ...] = ("bold", "calm", "news", "sunset", "mono")

# Where a run may stop for a person: after the quality gate with the draft script, or before publishing.
GATES: tuple[str, ...] = ("script", "publish")

# What scene pictures are: "auto" takes the best image provider that answers (models, then open media,
# then cards); "photos" puts photographs from open media first; "clips" puts short stock video clips first;
# "cards" draws every scene offline.
VISUALS: tuple[str, ...] = ("auto", "photos", "clips", "cards")

# Burned-in captions: "words" highlights the word being spoken (what short-video viewers expect), "plain"
# shows the words without a highlight, "off" burns none (the SRT file is still written).
CAPTIONS: tuple[str, ...] = ("words", "plain", "off")

# Preview renders at a third of the size: same timeline, a fraction of the x264 cost.
PREVIEW_SCALE = 1 / 3


class JobSpec(TypedDict):
    """One request, resolved: everything the sub-agents need to know about the video."""

    topic: str
    duration_s: int
    aspect: str
    # The output frame in pixels (a third of the size with `preview`) and what the aspect means for
    # pictures: resolved once by plan_request, so no node turns the aspect into pixels again.
    width: int
    height: int
    orientation: str
    lang: str
    voice: str
    style: str
    # Typed sources; jobs made before sources were typed hold plain paths (read as {"kind": "file"}).
    sources: list[Source]
    music: str | None
    targets: list[str]
    # Gates the run stops at for a person's answer ("script", "publish").
    gates: list[str]
    preview: bool
    # A model alias from reelforge.toml's [aliases] ("quality", "fast"); "default" uses each provider's model.
    model: str
    # Research the topic (Wikipedia) before writing; absent in jobs made before research existed: on.
    research: NotRequired[bool]
    # One of VISUALS; absent in jobs made before it existed: "auto".
    visuals: NotRequired[str]
    # One of CAPTIONS; absent in jobs made before it existed: "plain", as those videos were made.
    captions: NotRequired[str]
    # The provider to try first per capability ({"text": "ollama"}); the configured order stands behind
    # it. Absent in jobs made before the picker existed: no preference.
    providers: NotRequired[dict[str, str]]
    # Post nothing to the platforms, only say what would be posted; absent in older jobs: off.
    dry_run: NotRequired[bool]
    # When the platforms that can schedule should make the video public (ISO 8601); None: at once.
    publish_at: NotRequired[str | None]


def output_size(aspect: str, preview: bool = False) -> tuple[int, int]:
    """Return the (width, height) in pixels for an aspect, both even as yuv420p needs."""
    width, height = ASPECT_SIZES[aspect]
    if preview:
        width = int(round(width * PREVIEW_SCALE / 2)) * 2
        height = int(round(height * PREVIEW_SCALE / 2)) * 2
    return width, height
