"""The runtime Context: per-run settings and service handles, never checkpointed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from state.artifacts import SpokenSentence


@dataclass(frozen=True)
class SpeechResult:
    """What a synthesizer produced: a mono WAV and when each sentence is spoken."""

    path: Path
    duration_s: float
    sample_rate: int
    sentences: list[SpokenSentence]


class Synthesizer(Protocol):
    """A loaded voice that turns text into a WAV file."""

    provider: str
    tier: str

    def synthesize(self, text: str, out_path: Path) -> SpeechResult:
        """Speak `text` into `out_path` (mono 16-bit WAV)."""
        ...


class VoiceLibrary(Protocol):
    """Loads voices by name on first use and keeps them for the rest of the run."""

    def get(self, voice: str) -> Synthesizer:
        """Return the loaded voice called `voice`."""
        ...

    def release(self) -> None:
        """Unload every voice; the next `get` loads it again."""
        ...


@dataclass(frozen=True)
class Context:
    """Per-run settings and clients, passed to every node through `Runtime[Context]`."""

    run_id: str
    run_dir: Path
    home: Path
    voices: VoiceLibrary
    ffmpeg: str
    max_revisions: int = 2
