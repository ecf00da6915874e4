"""The JobSpec: what one run is asked to make, and the closed sets its fields take."""

from __future__ import annotations

from typing import TypedDict

ASPECT_SIZES: dict[str, tuple[int, int]] = {
    "9:16": (1080, 1920),
    "16:9": (1920, 1080),
    "1:1": (1080, 1080),
}
ASPECTS: tuple[str, ...] = tuple(ASPECT_SIZES)

# The offline writer's templates are English; more languages arrive with the model router.
LANGUAGES: tuple[str, ...] = ("en",)

# "joe" is the Piper neural voice from PyPI; "espeak" is espeak-ng, robotic but instant.
VOICES: tuple[str, ...] = ("joe", "espeak")

STYLES: tuple[str, ...] = ("bold", "calm", "news", "sunset", "mono")

# Preview renders at a third of the size: same timeline, a fraction of the x264 cost.
PREVIEW_SCALE = 1 / 3


class JobSpec(TypedDict):
    """One request, normalised: everything the sub-agents need to know about the video."""

    topic: str
    duration_s: int
    aspect: str
    lang: str
    voice: str
    style: str
    sources: list[str]
    music: str | None
    targets: list[str]
    preview: bool
    # A model alias from reelforge.toml's [aliases] ("quality", "fast"); "default" uses each provider's model.
    model: str


def output_size(aspect: str, preview: bool = False) -> tuple[int, int]:
    """Return the (width, height) in pixels for an aspect, both even as yuv420p needs."""
    width, height = ASPECT_SIZES[aspect]
    if preview:
        width = int(round(width * PREVIEW_SCALE / 2)) * 2
        height = int(round(height * PREVIEW_SCALE / 2)) * 2
    return width, height
