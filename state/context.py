"""The runtime Context: per-run settings and service handles, never checkpointed."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from state.artifacts import SpokenSentence
from state.model_calls import ImageRequest, Routed, SpeechRequest, TextRequest
from state.outlets import PublishSettings, SourceSettings
from state.script import Fact


@dataclass(frozen=True)
class SpeechResult:
    """What a synthesizer produced: a mono WAV and when each sentence and word is spoken."""

    path: Path
    duration_s: float
    sample_rate: int
    sentences: list[SpokenSentence]
    # How the words were timed (state.WORD_TIMINGS): "voice" when the engine reported them.
    timing: str = "voice"


class Synthesizer(Protocol):
    """A loaded voice that turns text into a WAV file."""

    provider: str
    tier: str

    def synthesize(self, text: str, out_path: Path, take: int = 0) -> SpeechResult:
        """Speak `text` into `out_path` (mono 16-bit WAV); a later `take` of the text sounds different."""
        ...


class VoiceLibrary(Protocol):
    """Loads voices by name on first use and keeps them for the rest of the run."""

    def get(self, voice: str) -> Synthesizer:
        """Return the loaded voice called `voice`."""
        ...

    def release(self) -> None:
        """Unload every voice; the next `get` loads it again."""
        ...


class ModelService(Protocol):
    """The model router: each call tries self-hosted, cloud, then offline providers and ledgers the call."""

    def text(self, request: TextRequest, node: str, alias: str = "default") -> Routed:
        """A JSON object that fits `request.schema`."""
        ...

    def image(self, request: ImageRequest, node: str) -> Routed:
        """A PNG of exactly the requested size."""
        ...

    def speech(self, request: SpeechRequest, node: str) -> Routed:
        """A mono 16-bit WAV of the text spoken."""
        ...

    def usage_summary(self) -> dict[str, Any]:
        """This run's calls, failures, cost and savings, JSON-native, for the report."""
        ...


class Researcher(Protocol):
    """A free source asked about a topic before anything is written (Wikipedia)."""

    def research(self, topic: str, lang: str) -> tuple[object | None, list[Fact]]:
        """The page found for `topic` (None: none) and its facts; raises when the source cannot be asked."""
        ...


class PublicationRecorder(Protocol):
    """The run index's record of publications: the intent before a post, its outcome after."""

    def record_publication(self, run_id: str, publication: dict[str, Any]) -> None:
        """Record a publication (or its intent) under its idempotency key; the newest record wins."""
        ...


@dataclass(frozen=True)
class Context:
    """Per-run settings and clients, passed to every node through `Runtime[Context]`."""

    run_id: str
    run_dir: Path
    home: Path
    voices: VoiceLibrary
    ffmpeg: str
    models: ModelService
    max_revisions: int = 2
    # The base URL the gallery is served at (None: file:// links).
    gallery_url: str | None = None
    # Set when the run is being stopped: long nodes check it and give up at once.
    stop: threading.Event = field(default_factory=threading.Event)
    # Where DataAcquisition researches the topic; None when research is off in the settings.
    research: Researcher | None = None
    # The fault suite's kill point for this process (see tools/faults.py); None in every real run.
    failpoint: str | None = None
    # How pages, feeds, catalogues, Airtable and product APIs are read.
    sources: SourceSettings = field(default_factory=SourceSettings)
    # Pages, feeds and product pictures may be fetched from private and loopback addresses (and redirects
    # may lead there); off, a URL that is or resolves to one is refused.
    allow_private_sources: bool = False
    # The platform targets' settings, and the YouTube token `reelforge auth youtube` stored.
    publish: PublishSettings = field(default_factory=PublishSettings)
    youtube_token: Path | None = None
    # Where publications and their intents are recorded beside the checkpoint (the run index).
    index: PublicationRecorder | None = None
