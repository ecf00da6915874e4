"""Artifacts are files: state holds their path, checksum and which tier made them."""

from __future__ import annotations

from typing import NotRequired

from typing_extensions import TypedDict


class Artifact(TypedDict):
    """A file under the run folder, with its sha256 and the provider that made it."""

    path: str
    sha256: str
    tier: str
    provider: str
    # Size and mtime when made: a file that still has both needs no rehash before it is used.
    bytes: NotRequired[int]
    mtime_ns: NotRequired[int]
    # For a picture from open media: title, author, licence, licence_url, source and provider.
    credit: NotRequired[dict[str, str]]
    # "clip" when a scene's picture is a short video clip (an MP4 the renderer plays); absent for a still.
    media: NotRequired[str]
    # A scene picture's text layer: a transparent PNG of the frame's size (heading, counter, figures) that is
    # drawn over the picture and does not move with its pan or zoom. Absent when the picture has no text.
    overlay: NotRequired[str]


class Repair(TypedDict):
    """An artifact found damaged or missing before use, and made again from the same inputs."""

    artifact: str
    path: str
    problem: str
    # The node that found it and made it again.
    by: str


class SpokenWord(TypedDict):
    """One word of the narration as written (punctuation kept) and when it is spoken, relative to its clip."""

    text: str
    start_s: float
    end_s: float


class SpokenSentence(TypedDict):
    """A stretch of narration and when it is spoken, relative to the start of its clip."""

    text: str
    start_s: float
    end_s: float
    # Every word of `text`, in order, with its own timing; absent in clips made before words were timed.
    words: NotRequired[list[SpokenWord]]


# How a clip's words were timed: by the voice itself (Piper's phoneme lengths, espeak-ng's word events), by
# aligning the known text to the audio (pocketsphinx), or spread over each sentence by length (no aligner
# for the language); the last is reported in the run.
WORD_TIMINGS = ("voice", "aligned", "proportional")


class AudioArtifact(Artifact):
    """A narration clip (mono WAV) with its real duration, and sentence and word timings."""

    duration_s: float
    sentences: list[SpokenSentence]
    # One of WORD_TIMINGS; absent in clips made before words were timed.
    timing: NotRequired[str]


class SceneAssets(TypedDict):
    """The image and narration made for one scene."""

    index: int
    image: Artifact
    audio: AudioArtifact
    # Which take: 0 for the first make, one more for each regeneration.
    variant: NotRequired[int]


class VideoResult(TypedDict):
    """The finished video and what verification measured."""

    video: Artifact
    thumbnail: Artifact
    subtitles: Artifact
    duration_s: float
    width: int
    height: int
    fps: float
    mean_volume_db: float
    loudness_lufs: float
