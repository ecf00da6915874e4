"""Word timings for voices that report none: align the known narration to its audio with pocketsphinx."""

from __future__ import annotations

import hashlib
import importlib
import re
import threading
from itertools import product
from pathlib import Path
from typing import Any

from state.artifacts import SpokenSentence
from tools.errors import ReelforgeError
from tools.speech.espeak_voice import ipa, split_spoken_sentences
from tools.speech.timing import spread_sentences
from tools.speech.words import place_words

# Only English ships with pocketsphinx's wheel; other languages are timed by proportion.
ALIGNED_LANGUAGES: tuple[str, ...] = ("en",)

_RATE = 16000
_FRAME_S = 0.01  # pocketsphinx's 100 frames a second
FRAME_HOP = round(_RATE * _FRAME_S)  # samples in one 10 ms frame
NOT_WORDS = "<[+"  # <s>, <sil>, </s> and fillers: pocketsphinx's names for what is not a word
# Measured on Piper and espeak-ng clips, clean and under music: the default beams lose the one path through
# the text on espeak-ng's speech ("final result does not match the grammar"); the lattice's best path drops
# the last words of some clips (the search's own does not); and with the default silence probability
# (0.005) a word swallows the pause before it, up to 0.55 s of espeak-ng's digital silence. These settings
# aligned every clip tried, 30 s in about a second.
_SEARCH: dict[str, Any] = {
    "lm": None,
    "bestpath": False,
    "beam": 1e-100,
    "wbeam": 1e-80,
    "pbeam": 1e-100,
    "silprob": 0.3,
    "loglevel": "FATAL",
}
_MAX_READINGS = 6

_CONFIG_LOCK = threading.Lock()
_CONFIG: dict[str, Any] | None = None
_LOCAL = threading.local()  # each thread's own Decoder: pocketsphinx decoders are not thread-safe


def align_words(audio: Path, text: str, lang: str = "en") -> list[SpokenSentence] | None:
    """Time every sentence and word of `text` in `audio` (any file PyAV reads) by forced alignment.

    Sentences are split as the voices split them, and each carries its `words` as written. Words the
    English dictionary cannot say are spelled (numbers) or sounded out (espeak-ng), else placed between
    their aligned neighbours. Returns None for a language with no model, or when alignment fails.
    """
    if lang.lower().replace("_", "-").split("-")[0] not in ALIGNED_LANGUAGES:
        return None
    sentences = split_spoken_sentences(text)
    if not sentences:
        return None
    try:
        pcm = _pcm16k(audio)
        decoder = _decoder()
    except (ImportError, OSError, RuntimeError, ValueError, ReelforgeError):
        return None
    if not pcm:
        return None

    words = [word for sentence in sentences for word in sentence.split()]
    tokens: list[str] = []
    owners: list[int] = []
    try:
        for index, word in enumerate(_spoken_forms(words)):
            token = _token(decoder, word)
            if token is not None:
                tokens.append(token)
                owners.append(index)
        if not tokens:
            return None
        decoder.set_align_text(" ".join(tokens))
        # The front end's noise and cepstral-mean estimates carry over from the last utterance (they moved a
        # first word by 70 ms): reset them, so the same audio aligns alike whatever the thread did before.
        decoder.reinit_feat()
        decoder.start_utt()
        decoder.process_raw(pcm, full_utt=True)
        decoder.end_utt()
        segments = list(decoder.seg() or [])
    except RuntimeError:
        _LOCAL.decoder = None  # a decoder that failed mid-utterance is not trusted with the next one
        return None
    timeline = [
        (re.sub(r"\(\d+\)$", "", segment.word), segment.start_frame, segment.end_frame)
        for segment in segments
    ]
    spoken = [segment for segment in timeline if segment[0][:1] not in NOT_WORDS]
    if [word for word, _, _ in spoken] != tokens:
        return None

    from tools.speech.onsets import frame_levels, refine_onsets  # numpy: loaded only when aligning

    onsets = refine_onsets(frame_levels(pcm), timeline)
    starts: list[float | None] = [None] * len(words)
    ends: list[float | None] = [None] * len(words)
    for owner, (_, _, last), first in zip(owners, spoken, onsets, strict=True):
        starts[owner] = first * _FRAME_S
        ends[owner] = (last + 1) * _FRAME_S
    duration_s = len(pcm) / 2 / _RATE
    return _sentences(sentences, starts, ends, duration_s)


def time_words(audio: Path, text: str, lang: str, duration_s: float) -> tuple[list[SpokenSentence], str]:
    """Time the sentences and words of `text` in `audio`: aligned when pocketsphinx can, else by proportion.

    Returns the sentences and how they were timed: "aligned" or "proportional" (see state.WORD_TIMINGS).
    """
    aligned = align_words(audio, text, lang)
    if aligned is not None:
        return aligned, "aligned"
    return spread_sentences(text, duration_s), "proportional"


def _sentences(
    sentences: list[str], starts: list[float | None], ends: list[float | None], duration_s: float
) -> list[SpokenSentence]:
    """Group aligned word times into sentences; each sentence runs from its first word to its last's end."""
    timed: list[SpokenSentence] = []
    at = 0
    for sentence in sentences:
        count = len(sentence.split())
        own = range(at, at + count)
        first = starts[at]
        if first is None:
            # Its first word could not be said: the sentence starts where the last said word ended.
            first = max((end for end in ends[:at] if end is not None), default=0.0)
        last = ends[at + count - 1]
        if last is None:
            last = min((start for start in starts[at + count :] if start is not None), default=duration_s)
        last = max(last, first)
        timed.append(
            {
                "text": sentence,
                "start_s": round(first, 3),
                "end_s": round(last, 3),
                "words": place_words(sentence, [starts[index] for index in own], first, last),
            }
        )
        at += count
    return timed


def _config() -> dict[str, Any]:
    """The decoder settings, checked once per process: the English model's paths and the alignment search."""
    global _CONFIG
    with _CONFIG_LOCK:
        if _CONFIG is None:
            model = Path(_pocketsphinx().get_model_path())
            settings = {
                "hmm": str(model / "en-us" / "en-us"),
                "dict": str(model / "en-us" / "cmudict-en-us.dict"),
                **_SEARCH,
            }
            for key in ("hmm", "dict"):
                if not Path(settings[key]).exists():
                    raise OSError(f"pocketsphinx's English model is missing {settings[key]}")
            _CONFIG = settings
        return _CONFIG


def _decoder() -> Any:
    """This thread's pocketsphinx Decoder, made on first use; words added for one text stay for the next."""
    decoder = getattr(_LOCAL, "decoder", None)
    if decoder is None:
        pocketsphinx = _pocketsphinx()
        decoder = pocketsphinx.Decoder(pocketsphinx.Config(**_config()))
        _LOCAL.decoder = decoder
    return decoder


def _pocketsphinx() -> Any:
    """The pocketsphinx module, imported on first use (it ships no type information)."""
    return importlib.import_module("pocketsphinx")


def _pcm16k(audio: Path) -> bytes:
    """Decode the first audio stream of `audio` to 16 kHz mono 16-bit PCM, the acoustic model's rate."""
    import av

    chunks: list[bytes] = []
    try:
        with av.open(str(audio)) as container:
            if not container.streams.audio:
                raise ValueError(f"{audio} has no audio stream")
            resampler = av.AudioResampler(format="s16", layout="mono", rate=_RATE)
            for frame in container.decode(container.streams.audio[0]):
                chunks += [bytes(out.planes[0])[: out.samples * 2] for out in resampler.resample(frame)]
            chunks += [bytes(out.planes[0])[: out.samples * 2] for out in resampler.resample(None)]
    except av.error.FFmpegError as error:
        raise ValueError(f"{audio} could not be decoded: {error}") from error
    return b"".join(chunks)


# --- Saying a written word with the dictionary's phones ---

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'"})
_EDGE = "\"'`“”‘’«»‹›()[]{}<>.,;:!?¡¿…-–—―*_/\\|~"
_SYMBOLS = {"&": "and", "%": "percent", "+": "plus", "=": "equals", "@": "at", "#": "number"}
_CURRENCY = {"$": ("dollars", "dollar"), "£": ("pounds", "pound"), "€": ("euros", "euro")}
_SCALE_WORDS = frozenset({"hundred", "thousand", "million", "billion", "trillion"})
_PIECE = re.compile(r"[$£€]|\d[\d,]*(?:\.\d+)?(?:st|nd|rd|th|s)?|[^\W\d_]+(?:'[^\W\d_]+)*|[&%+=@#]")


def _spoken_forms(words: list[str]) -> list[str]:
    """Each written word as it may be said, outer punctuation off, alternatives split by "|".

    A currency sign is said after its number, or before it as espeak-ng does: "$35" is "35 $|$ 35", and
    "$35 million" is "35|$ 35" then "million|million $".
    """
    forms = [word.translate(_APOSTROPHES).replace("|", " ").strip(_EDGE) for word in words]
    for index, form in enumerate(forms):
        match = re.fullmatch(r"([$£€])(\d[\d,.]*)", form)
        if match is None:
            continue
        sign, number = match.groups()
        if index + 1 < len(forms) and forms[index + 1].lower() in _SCALE_WORDS:
            forms[index] = f"{number}|{sign} {number}"
            forms[index + 1] = f"{forms[index + 1]}|{forms[index + 1]} {sign}"
        else:
            forms[index] = f"{number} {sign}|{sign} {number}"
    return forms


def _token(decoder: Any, form: str) -> str | None:
    """The dictionary entry to align a spoken form with, added if need be; None when it cannot be said."""
    if not form:
        return None
    lowered = form.lower()
    # "(2)" would name a dictionary entry's second pronunciation, so such a word is never taken as one.
    if "(" not in lowered and decoder.lookup_word(lowered) is not None:
        return lowered
    # A made-up entry named after its spelling; its phones depend only on that, so a thread keeps it.
    name = "rf-" + hashlib.sha1(form.encode("utf-8")).hexdigest()[:12]
    if decoder.lookup_word(name) is not None:
        return name
    readings: list[str] = []
    for option in form.split("|"):
        readings += _readings(decoder, option)
    if not form.replace("'", "").isalpha():
        # Numbers and symbols as espeak-ng reads them, which is how Piper and espeak-ng say them
        # ("1930s" as "nineteen hundred thirty z").
        readings.append(_sound_out(form.split("|")[0]))
    readings = list(dict.fromkeys(reading for reading in readings if reading))[:_MAX_READINGS]
    if not readings:
        return None
    for index, phones in enumerate(readings):
        decoder.add_word(name if index == 0 else f"{name}({index + 1})", phones, False)
    return name


def _readings(decoder: Any, core: str) -> list[str]:
    """Ways to say `core` (a word with its outer punctuation off) as phone strings, most likely first."""
    options: list[list[str]] = []
    for piece in _PIECE.findall(core):
        said = _say_piece(decoder, piece)
        if not said:
            return []
        options.append(said)
    if not options:
        return []
    return [" ".join(choice) for choice in product(*options)][:_MAX_READINGS]


def _say_piece(decoder: Any, piece: str) -> list[str]:
    """Phone strings for one piece of a word: a number, a symbol or a run of letters."""
    if piece[0].isdigit():
        return _phones(decoder, number_readings(piece))
    if piece in _CURRENCY:
        return _phones(decoder, [[name] for name in _CURRENCY[piece]])
    if piece in _SYMBOLS:
        return _phones(decoder, [[_SYMBOLS[piece]]])
    lowered = piece.lower()
    if decoder.lookup_word(lowered) is not None:
        return _phones(decoder, [[lowered]])
    if lowered.endswith("'s") and decoder.lookup_word(lowered[:-2]) is not None:
        base = _phones(decoder, [[lowered[:-2]]])
        return [f"{phones} Z" for phones in base] + [f"{phones} IH Z" for phones in base]
    sounded = _sound_out(piece)
    if piece.isupper() and len(piece) <= 5:
        # An initialism is spelled ("BBC"), an acronym said as a word ("COVID"): allow both.
        return _phones(decoder, [list(lowered)]) + ([sounded] if sounded else [])
    return [sounded] if sounded else []


def _phones(decoder: Any, readings: list[list[str]]) -> list[str]:
    """Join the dictionary phones of each reading's words; readings with an unknown word are left out."""
    joined: list[str] = []
    for reading in readings:
        phones = [decoder.lookup_word(word) for word in reading]
        if reading and all(phones):
            joined.append(" ".join(phone for phone in phones if phone))
    return joined


# espeak-ng's IPA for en-us, mapped to the acoustic model's phones; longest symbols first.
_IPA = {
    "tʃ": "CH", "dʒ": "JH", "aɪ": "AY", "aʊ": "AW", "eɪ": "EY", "oʊ": "OW", "əʊ": "OW", "ɔɪ": "OY",
    "ɪə": "IH R", "ɛə": "EH R", "ʊə": "UH R", "ɜː": "ER", "ɑː": "AA", "ɔː": "AO", "iː": "IY", "uː": "UW",
    "ɚ": "ER", "ɝ": "ER", "ɜ": "ER", "ɑ": "AA", "ɒ": "AA", "a": "AA", "æ": "AE", "ʌ": "AH", "ə": "AH",
    "ɐ": "AH", "ɘ": "AH", "ɔ": "AO", "ɛ": "EH", "e": "EH", "ɪ": "IH", "ᵻ": "IH", "i": "IY", "ʊ": "UH",
    "u": "UW", "ʉ": "UW", "y": "UW", "o": "OW", "ɵ": "OW", "ø": "ER", "œ": "ER",
    "p": "P", "b": "B", "t": "T", "d": "D", "k": "K", "ɡ": "G", "g": "G", "f": "F", "v": "V", "θ": "TH",
    "ð": "DH", "s": "S", "z": "Z", "ʃ": "SH", "ʒ": "ZH", "h": "HH", "x": "HH", "m": "M", "n": "N",
    "ŋ": "NG", "l": "L", "ɬ": "L", "ɹ": "R", "r": "R", "ɾ": "T", "ʔ": "T", "j": "Y", "w": "W",
}  # fmt: skip
_IPA_LONGEST = max(len(symbol) for symbol in _IPA)
_SYLLABIC = "\u0329"  # n̩, l̩: a consonant that is its own syllable ("button"), said with a schwa before it


def _sound_out(word: str) -> str:
    """Phones for a word the dictionary lacks (a name), as espeak-ng says it; "" without espeak-ng."""
    try:
        spoken = ipa(word)
    except ReelforgeError:
        return ""
    phones: list[str] = []
    index = 0
    while index < len(spoken):
        for size in range(_IPA_LONGEST, 0, -1):
            symbol = spoken[index : index + size]
            if symbol in _IPA:
                if spoken[index + size : index + size + 1] == _SYLLABIC:
                    phones.append("AH")
                phones += _IPA[symbol].split()
                index += size
                break
        else:
            index += 1  # stress, length and syllable marks carry no phone of their own
    return " ".join(phones)


# --- Numbers as words ---

_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen"
).split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_SCALES = ((10**12, "trillion"), (10**9, "billion"), (10**6, "million"), (1000, "thousand"))
_ORDINALS = {"one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth"}
_ORDINALS |= {"nine": "ninth", "twelve": "twelfth"}


def number_readings(number: str) -> list[list[str]]:
    """Ways a voice reads a written number ("1937", "200,000", "3.5", "27th", "1980s"), as word lists."""
    match = re.fullmatch(r"(\d[\d,]*)(?:\.(\d+))?(st|nd|rd|th|s)?", number)
    if match is None:
        return []
    whole, fraction, suffix = match.groups()
    digits = whole.replace(",", "")
    if len(digits) > 15:
        return [[_ONES[int(digit)] for digit in digits]]
    value = int(digits)
    readings = [_cardinal(value)]
    if "," not in whole and fraction is None and len(digits) == 4 and 1100 <= value <= 2099:
        readings = [*_year(value), *readings]
    if fraction is not None:
        readings = [[*reading, "point", *(_ONES[int(digit)] for digit in fraction)] for reading in readings]
    if suffix == "s":
        readings = [[*reading[:-1], _plural(reading[-1])] for reading in readings]
    elif suffix:
        readings = [[*reading[:-1], _ordinal(reading[-1])] for reading in readings]
    unique: list[list[str]] = []
    for reading in readings:
        if reading not in unique:
            unique.append(reading)
    return unique


def _cardinal(value: int) -> list[str]:
    """American English words for a whole number below a quadrillion ("two hundred thousand")."""
    if value < 20:
        return [_ONES[value]]
    if value < 100:
        tens, ones = divmod(value, 10)
        return [_TENS[tens]] + ([_ONES[ones]] if ones else [])
    if value < 1000:
        hundreds, rest = divmod(value, 100)
        return [_ONES[hundreds], "hundred"] + (_cardinal(rest) if rest else [])
    for scale, name in _SCALES:
        if value >= scale:
            high, rest = divmod(value, scale)
            return [*_cardinal(high), name] + (_cardinal(rest) if rest else [])
    raise AssertionError(value)


def _year(value: int) -> list[list[str]]:
    """A four-digit year as voices read it: "nineteen thirty seven", "nineteen hundred thirty seven"."""
    century, rest = divmod(value, 100)
    if 2000 <= value < 2010:
        return []
    if rest == 0:
        return [[*_cardinal(century), "hundred"]]
    tail = ["oh", _ONES[rest]] if rest < 10 else _cardinal(rest)
    return [[*_cardinal(century), *tail], [*_cardinal(century), "hundred", *_cardinal(rest)]]


def _ordinal(word: str) -> str:
    """The ordinal of a number word: "seven" -> "seventh", "twenty" -> "twentieth"."""
    if word in _ORDINALS:
        return _ORDINALS[word]
    if word.endswith("y"):
        return word[:-1] + "ieth"
    return word + "th"


def _plural(word: str) -> str:
    """The plural of a number word, as in "the 1980s": "eighty" -> "eighties", "six" -> "sixes"."""
    if word.endswith("y"):
        return word[:-1] + "ies"
    return word + ("es" if word.endswith(("x", "s")) else "s")
