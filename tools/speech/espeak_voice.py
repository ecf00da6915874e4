"""espeak-ng via ctypes on the espeakng-loader wheel's library and data, and espeak-ng's sentence rules."""

from __future__ import annotations

import ctypes
import re
import threading
import wave
from bisect import bisect_left
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from state.artifacts import SpokenSentence
from state.context import SpeechResult
from tools.errors import BadInput, ToolUnavailable
from tools.files import atomic_path
from tools.speech.words import place_words

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

INSTALL_HINT = "pip install 'reelforge[voices]'"
VOICE_NAME = "en-us"
WORDS_PER_MINUTE = 175

# Constants from espeak-ng's speak_lib.h.
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_DONT_EXIT = 0x8000  # without it espeak-ng calls exit() when its data is missing
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_EVENT_LIST_TERMINATED = 0
_EVENT_WORD = 1
_EVENT_SENTENCE = 2
_PHONEMES_IPA = 0x02
_RATE = 1
_PITCH = 3
# espeak-ng's default pitch, and how each later take shifts it: the same words, audibly a new take.
_BASE_PITCH = 50
_TAKE_PITCH_SHIFTS = (0, 8, -8, 14, -14)
_BUFFER_MS = 500  # longer buffers mean fewer round trips into Python per second of speech

# espeak-ng writes exact digital silence in its pauses; anything louder than this is speech.
_SILENCE = 16

# The characters espeak-ng treats as brackets or quotes (IsBracket): punctuation followed by one of them
# still ends a sentence, and a closing one reads best with the sentence it closes.
_BRACKETS = frozenset("()[]{}<>\"'`«»‘’‚‛“”„‟‹›")
_CLOSERS = frozenset(")]}>\"'`»’”›")
_SENTENCE_ENDS = frozenset(".!?")
_CLAUSE_ENDS = frozenset(",;:…")
# Punctuation espeak-ng pauses on but never names: a piece made only of these is not spoken at all.
_SILENT = _BRACKETS | _SENTENCE_ENDS | _CLAUSE_ENDS | frozenset("-‐‑‒–—―")

# espeak-ng ends a sentence at "Mr. Smith" and speaks "Mister." with a falling tone and a pause. Without
# the dot it still says "mister", "missus", "doctor" and "saint", so the dot is dropped before a name.
_TITLE_DOT = re.compile(r"\b(?:Mr|Mrs|Dr|St)(\.)(?=\s+[A-Z])")
# A NUL ends the C string early; "[[" switches Piper to raw phoneme input. Dropping one character of each
# keeps every remaining character at a known place in the original.
_UNSAFE = re.compile(r"\x00|(?<=\[)\[|(?<=\])\]")


@dataclass(frozen=True)
class SpokenText:
    """Narration as an espeak-ng-based engine should read it, mapped back to the words as written."""

    original: str
    text: str
    origin: tuple[int, ...]  # origin[i] is where text[i] sits in original; origin[len(text)] is its end

    def excerpt(self, start: int, end: int) -> str:
        """Return the original words behind text[start:end], on one line."""
        return " ".join(self.original[self.origin[start] : self.origin[end]].split())


def prepare_text(text: str) -> SpokenText:
    """Check narration and adapt it for espeak-ng's reading; raise BadInput when there is nothing to say."""
    if not isinstance(text, str) or not text.strip():
        raise BadInput("the narration text is empty; give the voice at least one sentence to speak")
    original = text.strip()
    dropped = {match.start(1) for match in _TITLE_DOT.finditer(original)}
    dropped |= {match.start() for match in _UNSAFE.finditer(original)}
    origin = tuple(index for index in range(len(original)) if index not in dropped) + (len(original),)
    return SpokenText(original, "".join(original[index] for index in origin[:-1]), origin)


def split_spoken_sentences(text: str) -> list[str]:
    """Split narration where the offline voices end a sentence (espeak-ng's rules, unlike prose splitting)."""
    if not text.strip():
        return []
    spoken = prepare_text(text)
    return [spoken.excerpt(start, end) for start, end in sentence_spans(spoken.text)]


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Return (start, end) of each sentence where espeak-ng ends one, which is where Piper starts a chunk."""
    # This follows espeak-ng's ReadClause: . ! ? end a sentence only when followed by a space, a bracket,
    # a quote or the end; a dot before a lower-case word is an abbreviation ("p.m. today"); "..." and "…"
    # only end a clause; a blank line ends a paragraph. Callers check the count against the engine's.
    spans: list[tuple[int, int]] = []
    start = 0
    any_alnum = False
    size = len(text)
    i = 0
    while i < size:
        char = text[i]
        if char.isalnum():
            any_alnum = True
            i += 1
            continue
        if char == "\n":
            j = i + 1
            while j < size and text[j].isspace():
                j += 1
            if "\n" in text[i + 1 : j]:
                spans.append((start, i))
                start, any_alnum = j, False
            i = j
            continue
        if char == "." and text[i + 1 : i + 2] == ".":
            j = i
            while j < size and text[j] == ".":
                j += 1
            if j - i >= 3:
                # An ellipsis ends a clause (not a sentence), and espeak-ng counts letters afresh per clause.
                any_alnum = False
                i = j
            else:
                i += 1
            continue
        if char in _CLAUSE_ENDS:
            after = text[i + 1] if i + 1 < size else " "
            if char == "…" or after.isspace() or after in _BRACKETS:
                any_alnum = False
            i += 1
            continue
        if char not in _SENTENCE_ENDS:
            i += 1
            continue

        j = i + 1
        if char in "!?":
            while j < size and text[j] in "!?":
                j += 1
        after = text[j] if j < size else " "
        if char == "." and after == "," and any_alnum and _unlowered_next(text, j + 1):
            # espeak-ng ends a sentence at "abbrev.," unless a lower-case word follows: "the U.S., China".
            spans.append((start, j + 1))
            start, any_alnum = j + 1, False
            i = j + 1
            continue
        if not (after.isspace() or after in _BRACKETS or after == "?"):
            i = j
            continue
        k, newlines = j, 0
        while k < size and text[k].isspace():
            newlines += text[k] == "\n"
            k += 1
        following = text[k] if k < size else " "
        ends = True
        if newlines == 0:
            if char == "." and (following.islower() or text[k : k + 2] == "'s"):
                ends = False
            if not any_alnum:
                ends = False
        if ends:
            while j < size and text[j] in _CLOSERS:
                j += 1
            spans.append((start, j))
            start, any_alnum = j, False
        i = j
    spans.append((start, size))
    return _merge_unspoken(text, spans)


def _unlowered_next(text: str, index: int) -> bool:
    """True when whitespace at `index` is followed by something other than a lower-case letter."""
    rest = text[index:]
    stripped = rest.lstrip()
    return len(stripped) < len(rest) and bool(stripped) and not stripped[0].islower()


def _merge_unspoken(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Fold spans of bare punctuation into a neighbour: espeak-ng speaks nothing for them."""
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if not text[start:end].strip():
            continue
        if merged and (
            not _speakable(text[start:end]) or not _speakable(text[merged[-1][0] : merged[-1][1]])
        ):
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _speakable(piece: str) -> bool:
    """True when espeak-ng would say something for `piece`: a letter, a digit or a named symbol like '*'."""
    return any(not (char.isspace() or char in _SILENT) for char in piece)


def write_wav(out_path: Path, pcm: bytes, rate: int) -> None:
    """Write mono 16-bit PCM to `out_path` so that readers never see a half-written file."""
    with atomic_path(out_path) as tmp, wave.open(str(tmp), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm)


def one_line(reason: object) -> str:
    """Describe an exception or reason in one short line, for messages users see."""
    text = " ".join(str(reason).split()) or type(reason).__name__
    return text if len(text) <= 160 else text[:157] + "..."


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    """espeak_EVENT: the pointer at offset 24 and the union at 32 make it 40 bytes on x86_64."""

    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),  # characters, 1-based
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),  # milliseconds from the start of this espeak_Synth call
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", _EventId),
    ]


_Callback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event)
)


@dataclass
class _Engine:
    """The process's one espeak-ng instance and the buffers its callback fills during a call."""

    lib: Any
    sample_rate: int
    callback: Any = None
    pcm: list[bytes] = field(default_factory=list)
    sentences: list[tuple[int, int]] = field(default_factory=list)  # (first character, milliseconds)
    words: list[tuple[int, int]] = field(default_factory=list)  # (first character, milliseconds)


# espeak-ng keeps its voice, buffers and callback in process-global state: one lock guards all of it.
_LOCK = threading.Lock()
_ENGINE: _Engine | None = None


class EspeakSynthesizer:
    """The espeak-ng 'en-us' voice; calls are serialised because espeak-ng is one global engine."""

    provider = "espeak-ng"
    tier = "offline"
    # How the words of its clips are timed (one of state.WORD_TIMINGS): by espeak-ng's own word events.
    timing = "voice"

    def __init__(self) -> None:
        with _LOCK:
            self.sample_rate: int = _engine().sample_rate

    def synthesize(self, text: str, out_path: Path, take: int = 0) -> SpeechResult:
        """Speak `text` into a mono 16-bit WAV at `out_path`, with sentences and words timed by espeak-ng.

        espeak-ng always says the same words the same way, so each later `take` shifts the pitch a little.
        """
        import numpy as np

        spoken = prepare_text(text)
        data = spoken.text.encode("utf-8") + b"\x00"
        pitch = (
            _BASE_PITCH
            + _TAKE_PITCH_SHIFTS[take % len(_TAKE_PITCH_SHIFTS)]
            + 2 * (take // len(_TAKE_PITCH_SHIFTS))
        )
        with _LOCK:
            engine = _engine()
            engine.pcm, engine.sentences, engine.words = [], [], []
            engine.lib.espeak_SetParameter(_PITCH, pitch, 0)
            try:
                status = engine.lib.espeak_Synth(
                    data, len(data), 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None
                )
            finally:
                engine.lib.espeak_SetParameter(_PITCH, _BASE_PITCH, 0)
            pcm, marks, word_marks = b"".join(engine.pcm), engine.sentences, engine.words
            engine.pcm, engine.sentences, engine.words = [], [], []
        if status != 0:
            raise ToolUnavailable(
                f"espeak-ng failed to speak the narration (error {status}); reinstall it with: {INSTALL_HINT}"
            )
        samples = np.frombuffer(pcm, dtype=np.int16)
        loud = np.abs(samples.astype(np.int32)) > _SILENCE
        if not loud.any():
            raise BadInput("the narration text has no speakable words; write the narration as words")

        rate = engine.sample_rate
        sentences = _sentences(spoken, marks, word_marks, loud, rate)
        write_wav(out_path, pcm, rate)
        return SpeechResult(
            path=out_path,
            duration_s=samples.size / rate,
            sample_rate=rate,
            sentences=sentences,
            timing=self.timing,
        )


def ipa(text: str) -> str:
    """Return how espeak-ng's 'en-us' voice pronounces `text`, in IPA; raise ToolUnavailable without it."""
    data = ctypes.create_string_buffer(text.encode("utf-8"))
    cursor = ctypes.c_void_p(ctypes.addressof(data))
    clauses: list[str] = []
    with _LOCK:
        engine = _engine()
        # espeak-ng moves the cursor clause by clause and sets it to NULL after the last one.
        while cursor.value:
            clause = engine.lib.espeak_TextToPhonemes(ctypes.byref(cursor), _CHARS_UTF8, _PHONEMES_IPA)
            if not clause:
                break
            clauses.append(clause.decode("utf-8", "replace"))
    return " ".join(clauses)


def _sentences(
    spoken: SpokenText,
    marks: list[tuple[int, int]],
    word_marks: list[tuple[int, int]],
    loud: NDArray[np.bool_],
    rate: int,
) -> list[SpokenSentence]:
    """Cut the text at espeak-ng's sentence events; time each sentence from its first to last loud sample,
    and each of its words from espeak-ng's word events."""
    text = spoken.text
    starts: list[tuple[int, int]] = []
    for char, millis in sorted(marks):
        cut = _cut_before_openers(text, min(char, len(text)))
        if not starts or cut > starts[-1][0]:
            starts.append((cut, round(millis * rate / 1000)))
    if not starts:
        starts = [(0, 0)]
    starts[0] = (0, 0)

    total = len(loud)
    # Each span: its text, first and end sample, and where each of its words sits in the original text.
    spans: list[tuple[str, int, int, list[tuple[int, int]]]] = []
    for index, (char, sample) in enumerate(starts):
        next_char, next_sample = starts[index + 1] if index + 1 < len(starts) else (len(text), total)
        sentence = spoken.excerpt(char, next_char)
        begin = spoken.origin[char]
        tokens = [
            (begin + match.start(), begin + match.end())
            for match in re.finditer(r"\S+", spoken.original[begin : spoken.origin[next_char]])
        ]
        first, last = sample, min(max(next_sample, sample), total)
        loud_at = loud[first:last].nonzero()[0]
        if loud_at.size:
            first, last = first + int(loud_at[0]), first + int(loud_at[-1]) + 1
        else:
            last = first
        if spans and (not sentence or not loud_at.size):
            # Text that espeak-ng did not voice, or silence with no text, belongs to its neighbour.
            before = spans[-1]
            spans[-1] = (
                f"{before[0]} {sentence}".strip(),
                before[1],
                max(before[2], last),
                before[3] + tokens,
            )
        elif spans and spans[-1][1] == spans[-1][2]:
            before = spans[-1]
            spans[-1] = (f"{before[0]} {sentence}".strip(), first, last, before[3] + tokens)
        else:
            spans.append((sentence, first, last, tokens))

    # Word events in the original text's characters, in order, each with the sample where it was spoken.
    events = sorted(
        (spoken.origin[min(max(char, 0), len(text))], round(millis * rate / 1000))
        for char, millis in word_marks
    )
    at = [position for position, _ in events]
    timed: list[SpokenSentence] = []
    for sentence, first, last, tokens in spans:
        marked: list[int | None] = []
        for index, (begin, end) in enumerate(tokens):
            # An event inside the word, or in the blank just before it (espeak-ng skips opening quotes).
            low = tokens[index - 1][1] if index else begin
            hit = bisect_left(at, low)
            marked.append(events[hit][1] if hit < len(at) and at[hit] < end else None)
        starts_s = [
            None if mark is None else _first_loud(loud, mark, _next_mark(marked, index, last)) / rate
            for index, mark in enumerate(marked)
        ]
        timed.append(
            {
                "text": sentence,
                "start_s": first / rate,
                "end_s": last / rate,
                "words": place_words(sentence, starts_s, first / rate, last / rate),
            }
        )
    return timed


def _next_mark(marked: list[int | None], index: int, last: int) -> int:
    """The sample of the next word event after word `index`, or the sentence's end when it has none."""
    return next((mark for mark in marked[index + 1 :] if mark is not None), last)


def _first_loud(loud: NDArray[np.bool_], start: int, stop: int) -> int:
    """The first loud sample from `start` up to `stop`: espeak-ng marks a word before its leading pause."""
    found = loud[start:stop].nonzero()[0]
    return start + int(found[0]) if found.size else start


def _cut_before_openers(text: str, char: int) -> int:
    """Move a sentence start back over opening quotes or brackets, which espeak-ng skips when it counts."""
    while char > 0 and not text[char - 1].isspace() and not text[char - 1].isalnum():
        char -= 1
    return char


def _engine() -> _Engine:
    """Load and initialise espeak-ng once per process; the caller holds _LOCK."""
    global _ENGINE
    if _ENGINE is None:
        _ENGINE = _load()
    return _ENGINE


def _load() -> _Engine:
    """Open the wheel's libespeak-ng, point it at the wheel's data and select the voice."""
    try:
        import espeakng_loader

        # RTLD_LOCAL (the default) keeps these symbols apart from the espeak-ng that Piper links statically.
        lib = ctypes.CDLL(espeakng_loader.get_library_path())
        data_path = str(espeakng_loader.get_data_path())
    except Exception as error:  # any failure here means the optional extra is missing or broken
        raise _unavailable(error) from error

    lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    lib.espeak_Initialize.restype = ctypes.c_int
    lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
    lib.espeak_SetVoiceByName.restype = ctypes.c_int
    lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
    lib.espeak_SetParameter.restype = ctypes.c_int
    lib.espeak_SetSynthCallback.argtypes = [_Callback]
    lib.espeak_SetSynthCallback.restype = None
    lib.espeak_Synth.argtypes = [
        ctypes.c_void_p,
        ctypes.c_size_t,
        ctypes.c_uint,
        ctypes.c_int,
        ctypes.c_uint,
        ctypes.c_uint,
        ctypes.POINTER(ctypes.c_uint),
        ctypes.c_void_p,
    ]
    lib.espeak_Synth.restype = ctypes.c_int
    lib.espeak_TextToPhonemes.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_int, ctypes.c_int]
    lib.espeak_TextToPhonemes.restype = ctypes.c_char_p

    sample_rate = lib.espeak_Initialize(
        _AUDIO_OUTPUT_SYNCHRONOUS, _BUFFER_MS, data_path.encode(), _INITIALIZE_DONT_EXIT
    )
    if sample_rate <= 0:
        raise _unavailable(f"espeak_Initialize returned {sample_rate} for data at {data_path}")
    if lib.espeak_SetVoiceByName(VOICE_NAME.encode()) != 0 and lib.espeak_SetVoiceByName(b"en") != 0:
        raise _unavailable(f"no '{VOICE_NAME}' voice in {data_path}")
    lib.espeak_SetParameter(_RATE, WORDS_PER_MINUTE, 0)

    engine = _Engine(lib=lib, sample_rate=sample_rate)

    def collect(wav: Any, count: int, events: Any) -> int:
        """Keep the samples, sentence and word starts espeak-ng hands over; returning 0 means carry on."""
        if count > 0:
            engine.pcm.append(ctypes.string_at(wav, count * 2))
        index = 0
        while events[index].type != _EVENT_LIST_TERMINATED:
            event = events[index]
            if event.type == _EVENT_SENTENCE:
                engine.sentences.append((max(event.text_position - 1, 0), event.audio_position))
            elif event.type == _EVENT_WORD:
                engine.words.append((max(event.text_position - 1, 0), event.audio_position))
            index += 1
        return 0

    # The engine holds the only reference that keeps the C callback alive while espeak-ng can call it.
    engine.callback = _Callback(collect)
    lib.espeak_SetSynthCallback(engine.callback)
    return engine


def _unavailable(reason: object) -> ToolUnavailable:
    """Build the one-line error for a missing or broken espeak-ng."""
    return ToolUnavailable(
        f"the espeak-ng voice could not be loaded ({one_line(reason)}); install it with: {INSTALL_HINT}"
    )
