"""The voice shelf: offline voices by name, loaded on first use and shared for the rest of the run."""

from __future__ import annotations

import tempfile
import threading
import wave
from array import array
from collections.abc import Callable
from pathlib import Path

from state.context import Synthesizer
from tools.errors import BadInput, ReelforgeError, ToolUnavailable
from tools.speech.espeak_voice import INSTALL_HINT, EspeakSynthesizer, one_line
from tools.speech.piper_voice import PiperSynthesizer

_FACTORIES: dict[str, Callable[[], Synthesizer]] = {
    "joe": PiperSynthesizer,
    "espeak": EspeakSynthesizer,
}
VOICE_NAMES: tuple[str, ...] = tuple(_FACTORIES)

# Measured, not assumed: each voice spoke two passages of ordinary English prose (209 and 198 words, 11
# sentences each) on this project's 2-core machine; rate = words / (clip seconds - the pauses we insert
# between sentences, 10 x SENTENCE_PAUSE_S for Piper). joe gave 3.36 and 3.49; espeak-ng gave 3.21 and 3.35,
# and its own sentence pauses are part of its rate. Plan a clip as words / rate + our pauses.
WORDS_PER_SECOND: dict[str, float] = {
    "joe": 3.4,
    "espeak": 3.3,
}
# The pause after a sentence, in words' worth of the voice's time: fitted over 80 clips of 1-5 sentences
# (3-16 words each), Piper's "joe" takes 0.26 s a word and 0.52 s a sentence, espeak-ng 0.27 s and 0.36 s.
SENTENCE_PAUSE_WORDS: dict[str, float] = {"joe": 2.0, "espeak": 1.35}


class VoiceShelf:
    """Implements VoiceLibrary: `get(name)` loads a voice once and hands the same instance to every caller."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._loading: dict[str, threading.Lock] = {}
        self._loaded: dict[str, Synthesizer] = {}

    def get(self, voice: str) -> Synthesizer:
        """Return the loaded voice called `voice` ("joe" or "espeak"), loading it on first use."""
        factory = _FACTORIES.get(voice)
        if factory is None:
            raise BadInput(f"unknown voice '{voice}'; choose one of: {', '.join(VOICE_NAMES)}")
        # One lock per voice: a slow Piper load must not hold up a branch that asked for espeak-ng.
        with self._guard:
            lock = self._loading.setdefault(voice, threading.Lock())
        with lock:
            loaded = self._loaded.get(voice)
            if loaded is None:
                loaded = self._loaded[voice] = factory()
            return loaded

    def release(self) -> None:
        """Drop every loaded voice (a later `get` loads it again), so its memory can go back to the OS."""
        with self._guard:
            self._loaded.clear()


def check_voice(name: str, *, shelf: VoiceShelf | None = None) -> None:
    """Preflight: load voice `name` and speak one word to a temp file; raise BadInput or ToolUnavailable."""
    synthesizer = (shelf or VoiceShelf()).get(name)
    with tempfile.TemporaryDirectory(prefix="reelforge-voice-") as folder:
        try:
            result = synthesizer.synthesize("Ready.", Path(folder) / "check.wav")
            with wave.open(str(result.path), "rb") as wav:
                samples = array("h", wav.readframes(wav.getnframes()))
        except ReelforgeError:
            raise
        except Exception as error:  # a preflight turns any failure into the one line a user can act on
            raise ToolUnavailable(
                f"the voice '{name}' loaded but could not speak ({one_line(error)}); "
                f"reinstall it with: {INSTALL_HINT}"
            ) from error
    if not samples or max(samples) - min(samples) < 1000:
        raise ToolUnavailable(
            f"the voice '{name}' loaded but produced silence; reinstall it with: {INSTALL_HINT}"
        )
