"""The rule quality gate: word budget, scene count, empty and duplicate scenes, as pure functions."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import NamedTuple

from state import QualityReport, Script
from tools.errors import BadInput
from tools.text.german import full_stop_continues as german_full_stop_continues
from tools.text.outline_phrases import MAX_SCENES, MIN_SCENES

# A voice cannot be driven at its full measured rate: pauses between sentences and scenes eat the rest.
MAX_FILL = 0.95
# Below this the video is mostly silence over still cards.
MIN_FILL = 0.35
# The voices' rates were measured on prose of about 19 words a sentence, so they include one sentence's
# closing pause per 19 words; a script of short sentences takes longer to say than its words alone tell.
PROSE_SENTENCE_WORDS = 19
# The estimated speech, with the timeline's gaps, may run this far past the duration: the estimate errs by
# about 5 %, and the contract is 10 %.
SPEECH_FIT = 1.05

# Abbreviations whose period does not end a sentence even before a capital ("Dr. Smith", "e.g. Ethiopia").
_ABBREVIATIONS = frozenset(
    {
        "e.g",
        "i.e",
        "cf",
        "vs",
        "viz",
        "al",
        "approx",
        "ca",
        "c",
        "est",
        "dr",
        "mr",
        "mrs",
        "ms",
        "prof",
        "sr",
        "jr",
        "st",
        "mt",
        "ft",
        "gen",
        "gov",
        "col",
        "lt",
        "sgt",
        "capt",
        "cmdr",
        "rev",
        "hon",
        "sen",
        "rep",
        "pres",
        "inc",
        "ltd",
        "co",
        "corp",
        "dept",
        "univ",
        "assn",
        "bros",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "mon",
        "tue",
        "wed",
        "thu",
        "fri",
        "sat",
        "sun",
        "u.s",
        "u.k",
        "u.n",
        "e.u",
        "a.m",
        "p.m",
        "b.c",
        "a.d",
        "b.c.e",
        "c.e",
        "ph.d",
        "m.d",
        "b.a",
        "m.a",
        "d.c",
    }
)
# These are abbreviations only before a number ("No. 5", "Fig. 3"); "said no. Then" still ends a sentence.
_NUMBER_ABBREVIATIONS = frozenset({"no", "nos", "fig", "figs", "vol", "vols", "p", "pp", "ch", "sec", "art"})

_SPOKEN_TOKEN = re.compile(r"\S*[^\W_]\S*")
_NOT_ALNUM = re.compile(r"[\W_]+")
# Closing quotes include German ones (\u201c, \u2018) and guillemets, which close in either direction.
_BOUNDARY = re.compile(r"[.!?\u2026]+[\"'\u201d\u2019\u201c\u2018\u00bb\u00ab\u203a\u2039)\]]*\s+")
_OPENERS = "\"'\u201c\u2018\u201e\u201a\u00bb\u00ab\u203a\u2039([\u00bf\u00a1"


def count_words(text: str) -> int:
    """Count spoken words: whitespace-separated tokens that contain a letter or digit."""
    return len(_SPOKEN_TOKEN.findall(text))


def split_sentences(text: str, lang: str = "en") -> list[str]:
    """Split prose into sentences, keeping abbreviations ("e.g.", "Dr.") and decimals ("3.5") intact.

    `lang` "de" uses German rules instead ("z. B.", "Nr. 5", "am 27. Mai 1937"); others use English ones.
    """
    text = " ".join(text.split())
    sentences: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        end = match.end()
        if end >= len(text):
            break
        # Slices stay short: copying the rest of a 5 MB text at every full stop would be quadratic.
        after = text[end : end + 16]
        if not _starts_sentence(after):
            continue
        punct = text[match.start()]
        before = text[max(start, match.start() - 40) : match.start()]
        if punct == "." and _is_abbreviation(before, after, lang):
            continue
        piece = text[start:end].strip()
        if piece:
            sentences.append(piece)
        start = end
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


def _starts_sentence(rest: str) -> bool:
    """True when the text after a full stop looks like the start of a new sentence."""
    stripped = rest.lstrip(_OPENERS)
    if not stripped:
        return False
    first = stripped[0]
    return first.isupper() or first.isdigit()


def _is_abbreviation(before: str, after: str, lang: str = "en") -> bool:
    """True when the word before a period is an abbreviation or an initial, not a sentence end."""
    if lang.split("-")[0].lower() == "de":
        return german_full_stop_continues(before, after)
    word = before.rsplit(None, 1)[-1] if before.strip() else ""
    word = word.lstrip(_OPENERS).lower()
    if not word:
        return False
    if word in _ABBREVIATIONS:
        return True
    if word in _NUMBER_ABBREVIATIONS:
        return after[:1].isdigit()
    # A lone capital is an initial ("J. R. R. Tolkien"); lowercase single letters end sentences too rarely.
    return len(word) == 1 and word.isalpha() and before.rstrip()[-1:].isupper()


def normalise_text(text: str) -> str:
    """Lowercase, drop punctuation and collapse spaces, so that near-identical lines compare equal."""
    return _NOT_ALNUM.sub(" ", text.lower()).strip()


def word_limits(duration_s: int, words_per_second: float) -> tuple[int, int]:
    """Return the (fewest, most) narration words that suit a duration at a voice's speaking rate."""
    if duration_s <= 0:
        raise BadInput(f"duration {duration_s} s is not positive; ask for a duration of at least 10 seconds")
    if words_per_second <= 0:
        raise BadInput(f"speaking rate {words_per_second} words/s is not positive; measure the voice again")
    capacity = duration_s * words_per_second
    # The small epsilon keeps 62.99999 from flooring to 62 through float noise.
    return math.ceil(capacity * MIN_FILL - 1e-9), math.floor(capacity * MAX_FILL + 1e-9)


def scene_budgets(max_words: int, count: int) -> list[int]:
    """Split a script's word budget into `count` exact scene budgets that add up to `max_words`.

    The words that do not divide evenly go first to the opening and closing scenes, which also carry the
    hook and the call to action.
    """
    if count <= 0:
        raise BadInput(f"{count} scenes cannot share a word budget; plan at least one scene")
    base, extra = divmod(max(0, max_words), count)
    budgets = [base] * count
    ends = [i for pair in zip(range(count), range(count - 1, -1, -1), strict=True) for i in pair]
    for position in list(dict.fromkeys(ends))[:extra]:
        budgets[position] += 1
    return budgets


def planned_scene_count(duration_s: int) -> int:
    """The scenes a `duration_s` script is written with: 5 up to 30 s, growing to 8 at 90 s and beyond."""
    return max(MIN_SCENES, min(MAX_SCENES, MIN_SCENES + int((duration_s - 30) * 3 / 60 + 0.5)))


class Pace(NamedTuple):
    """How a narration is spoken and laid out: the voice's measured rate (tools.speech.WORDS_PER_SECOND),
    the pause after each sentence in words' worth of time, and the least silence the timeline puts around
    each scene."""

    words_per_second: float
    pause_words: float = 2.0
    scene_gap_s: float = 0.0


def speaking_time(text: str, pace: Pace, lang: str = "en") -> float:
    """About how many seconds a voice takes to say `text`, with a pause after each sentence."""
    words = count_words(text)
    if not words:
        return 0.0
    sentences = len(split_sentences(text, lang))
    prose_rate = pace.words_per_second * (1 + pace.pause_words / PROSE_SENTENCE_WORDS)
    return (words + pace.pause_words * sentences) / prose_rate


def narration_time(narrations: Iterable[str], pace: Pace, lang: str = "en") -> float:
    """About how long the scenes with these narrations last in the video at the least: speech and gaps."""
    texts = list(narrations)
    return sum(speaking_time(text, pace, lang) for text in texts) + pace.scene_gap_s * len(texts)


def check_script(
    script: Script,
    duration_s: int,
    words_per_second: float,
    min_scenes: int = 5,
    max_scenes: int = 8,
    *,
    pace: Pace | None = None,
    lang: str = "en",
) -> QualityReport:
    """Check a script against the duration and scene rules; each problem starts with a stable code.

    With the voice's `pace`, a script within its word budget whose many short sentences would still
    outlast the duration (their pauses add up) is too long as well: "too_many_words" names the words that
    fit instead.
    """
    min_words, max_words = word_limits(duration_s, words_per_second)
    scenes = script.get("scenes", [])
    problems: list[str] = []

    count = len(scenes)
    if count < min_scenes:
        problems.append(f"too_few_scenes: {count} scenes; at least {min_scenes}")
    elif count > max_scenes:
        problems.append(f"too_many_scenes: {count} scenes; at most {max_scenes}")

    seen_narration: dict[str, int] = {}
    seen_screen: dict[str, int] = {}
    for position, scene in enumerate(scenes, start=1):
        narration = normalise_text(scene.get("narration", ""))
        if not narration:
            problems.append(f"empty_scene: scene {position} has no narration")
            continue
        screen = normalise_text(scene.get("on_screen_text", ""))
        if narration in seen_narration:
            problems.append(f"duplicate_scene: scene {position} repeats scene {seen_narration[narration]}")
        elif screen and screen in seen_screen:
            problems.append(
                f"duplicate_scene: scene {position} repeats scene {seen_screen[screen]}'s on-screen text"
            )
        seen_narration.setdefault(narration, position)
        if screen:
            seen_screen.setdefault(screen, position)

    words = sum(count_words(scene.get("narration", "")) for scene in scenes)
    spoken = narration_time((scene.get("narration", "") for scene in scenes), pace, lang) if pace else 0.0
    if words > max_words:
        problems.append(f"too_many_words: {words} words for {duration_s} s; at most {max_words} fit")
    elif spoken > duration_s * SPEECH_FIT:
        fit = math.floor(words * duration_s * SPEECH_FIT / spoken)
        problems.append(
            f"too_many_words: {words} words in short sentences take about {spoken:.0f} s to say with their "
            f"pauses, for {duration_s} s; at most {fit} fit"
        )
    elif words < min_words:
        problems.append(f"too_few_words: {words} words for {duration_s} s; at least {min_words} needed")

    return {
        "passed": not problems,
        "problems": problems,
        "words": words,
        "words_per_second": round(words / duration_s, 3),
    }


def problem_code(problem: str) -> str:
    """Return the machine-readable code at the start of a problem string ("too_many_words")."""
    return problem.split(":", 1)[0].strip()
