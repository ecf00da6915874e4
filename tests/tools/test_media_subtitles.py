"""Tests for subtitle cues: word timing, unbreakable groups, line limits, order, and SRT that parses back."""

from __future__ import annotations

import math
import random
import re
from pathlib import Path

import pytest

from state import SpokenSentence, SpokenWord
from tools.media.subtitles import HOLD_S, CueWord, build_cues, wrap_lines, write_srt
from tools.speech.espeak_voice import EspeakSynthesizer

WORDS = (
    "a an the of to coffee beans roast grind water bloom minutes patience espresso extraction "
    "temperature, crema; filter: kettle! really? Ethiopian-grown single-origin 93°C naïve café "
    "incomprehensibilities antidisestablishmentarianism"
).split()


def sentence(text: str, start: float, end: float) -> SpokenSentence:
    """A SpokenSentence literal."""
    return {"text": text, "start_s": start, "end_s": end}


def random_text(rng: random.Random) -> str:
    """A random sentence, sometimes with a word far longer than a line."""
    words = [rng.choice(WORDS) for _ in range(rng.randint(0, 60))]
    if words and rng.random() < 0.15:
        words.insert(rng.randrange(len(words)), "x" * rng.randint(43, 130))
    return " ".join(words)


def test_every_cue_has_one_or_two_lines_of_at_most_42_characters() -> None:
    rng = random.Random(20261122)
    for _ in range(400):
        clips = []
        offset = 0.0
        for _clip in range(rng.randint(1, 3)):
            sentences, t = [], 0.0
            for _s in range(rng.randint(1, 4)):
                text = random_text(rng)
                duration = rng.uniform(0.3, 8.0)
                sentences.append(sentence(text, t, t + duration))
                t += duration + rng.uniform(0.0, 0.6)
            clips.append((offset, sentences))
            offset += t + rng.uniform(0.0, 1.0)
        cues = build_cues(clips)
        spoken = " ".join(s["text"] for _, ss in clips for s in ss)
        for cue in cues:
            assert 1 <= len(cue.lines) <= 2
            assert all(0 < len(line) <= 42 for line in cue.lines), cue.lines
            assert all(line == line.strip() for line in cue.lines)
        # Nothing is lost or reordered: long words come back once their hard splits are rejoined.
        assert "".join("".join(c.lines) for c in cues).replace(" ", "") == spoken.replace(" ", "")


def test_cues_are_time_ordered_and_never_overlap() -> None:
    rng = random.Random(7)
    for _ in range(200):
        sentences = []
        for _s in range(rng.randint(1, 6)):
            start = rng.uniform(0, 20)
            sentences.append(sentence(random_text(rng) or "word", start, start + rng.uniform(0.0, 5.0)))
        cues = build_cues([(rng.uniform(0, 5), sentences), (rng.uniform(0, 5), sentences[:2])])
        for cue in cues:
            assert cue.end_s > cue.start_s
        for earlier, later in zip(cues, cues[1:], strict=False):
            assert earlier.start_s <= later.start_s
            assert earlier.end_s <= later.start_s + 1e-9


def test_a_short_sentence_is_one_cue_from_its_first_word_to_just_after_its_last() -> None:
    # Changed with word timing: the cue stays HOLD_S after the last word instead of vanishing with it.
    cues = build_cues([(10.0, [sentence("Grind the beans fresh.", 0.5, 2.0)])])
    assert [(c.start_s, c.end_s, c.lines) for c in cues] == [
        (10.5, 12.0 + HOLD_S, ("Grind the beans fresh.",))
    ]
    assert [w.text for w in cues[0].words] == ["Grind", "the", "beans", "fresh."]
    assert cues[0].words[0] == CueWord("Grind", 10.5, 10.5 + 1.5 * 5 / 22, 0, 0)


def test_a_sentence_without_word_timings_spreads_its_time_by_characters() -> None:
    # Changed with word timing: each cue starts where its first word starts (by character position) and
    # stays until the next cue, instead of lasting its own share of characters.
    text = (
        "Coffee cherries are picked by hand on steep hillsides, dried in the sun for weeks, "
        "hulled, sorted by size and colour, and finally shipped across the ocean in jute sacks."
    )
    cues = build_cues([(3.0, [sentence(text, 1.0, 11.0)])])
    assert len(cues) >= 3
    assert cues[0].start_s == pytest.approx(4.0)
    assert cues[-1].end_s == pytest.approx(14.0 + HOLD_S)
    for cue in cues:
        before = text.index(cue.text)
        assert cue.start_s == pytest.approx(4.0 + 10.0 * before / len(text))
    for earlier, later in zip(cues, cues[1:], strict=False):
        assert earlier.end_s == later.start_s
    # Chunks are evened out instead of leaving a runt at the end.
    lengths = [len(c.text) for c in cues]
    assert min(lengths) >= 0.5 * max(lengths)


def test_lines_are_balanced_not_one_long_and_one_tiny() -> None:
    lines = wrap_lines("The water should be just off the boil around ninety degrees")
    assert len(lines) == 2
    assert abs(len(lines[0]) - len(lines[1])) <= 6
    assert wrap_lines("Short and sweet.") == ("Short and sweet.",)


def test_a_clause_break_is_preferred_while_lines_stay_reasonably_even() -> None:
    lines = wrap_lines("The water should be just off the boil, around ninety degrees.")
    assert lines == ("The water should be just off the boil,", "around ninety degrees.")
    rng = random.Random(3)
    for _ in range(300):
        text = " ".join(rng.choice(WORDS[:-2]) for _ in range(rng.randint(8, 14)))
        wrapped = wrap_lines(text)
        if len(wrapped) == 2:
            assert min(map(len, wrapped)) >= 0.4 * max(map(len, wrapped)), wrapped


def test_a_word_longer_than_a_line_is_hard_split() -> None:
    word = "Pneumonoultramicroscopicsilicovolcanoconiosis-and-then-some"
    cues = build_cues([(0.0, [sentence(word, 0.0, 2.0)])])
    assert [len(line) for cue in cues for line in cue.lines] == [42, len(word) - 42]


def test_empty_and_blank_text_make_no_cue() -> None:
    assert build_cues([(0.0, [sentence("", 0.0, 1.0), sentence("   \n ", 1.0, 2.0)])]) == []
    assert build_cues([]) == []


def test_short_gaps_are_bridged_so_captions_do_not_flicker() -> None:
    spoken = [sentence("One.", 0.0, 1.0), sentence("Two.", 1.1, 2.0), sentence("Three.", 3.0, 4.0)]
    cues = build_cues([(0.0, spoken)])
    assert cues[0].end_s == pytest.approx(1.1)
    assert cues[1].end_s == pytest.approx(2.0 + HOLD_S)  # changed: held after its last word
    spoken = [sentence("One.", 0.0, 1.0), sentence("Two.", 1.0 + HOLD_S + 0.2, 2.0)]
    assert build_cues([(0.0, spoken)])[0].end_s == pytest.approx(1.0 + HOLD_S + 0.2)


SRT_BLOCK = re.compile(
    r"(\d+)\n(\d\d):(\d\d):(\d\d),(\d\d\d) --> (\d\d):(\d\d):(\d\d),(\d\d\d)\n((?:.+\n){1,2})"
)


def parse_srt(text: str) -> list[tuple[int, float, float, list[str]]]:
    """Parse SRT text strictly; every block must match the standard layout."""
    blocks = text.split("\n\n")
    out = []
    for block in blocks:
        if not block.strip():
            continue
        match = SRT_BLOCK.fullmatch(block if block.endswith("\n") else block + "\n")
        assert match, repr(block)
        g = match.groups()
        start = int(g[1]) * 3600 + int(g[2]) * 60 + int(g[3]) + int(g[4]) / 1000
        end = int(g[5]) * 3600 + int(g[6]) * 60 + int(g[7]) + int(g[8]) / 1000
        out.append((int(g[0]), start, end, g[9].rstrip("\n").split("\n")))
    return out


def test_srt_round_trips(tmp_path: Path) -> None:
    cues = build_cues(
        [
            (0.0, [sentence("Welcome to the café, naïve barista.", 0.25, 1.5)]),
            (3661.2, [sentence("An hour later this long sentence has to be split into two cues.", 0, 4)]),
        ]
    )
    path = write_srt(cues, tmp_path / "sub" / "subtitles.srt")
    text = path.read_text(encoding="utf-8")
    parsed = parse_srt(text)
    assert [p[0] for p in parsed] == list(range(1, len(cues) + 1))
    for (_, start, end, lines), cue in zip(parsed, cues, strict=True):
        assert start == pytest.approx(cue.start_s, abs=0.0005)
        assert end == pytest.approx(cue.end_s, abs=0.0005)
        assert tuple(lines) == cue.lines
    assert "01:01:01,200 --> " in text
    assert [p.name for p in path.parent.iterdir()] == ["subtitles.srt"]  # no temp file left behind


def test_text_without_spaces_is_split_between_chinese_and_japanese_characters() -> None:
    chinese = (
        "蜜蜂是一种会飞行的群居昆虫，属于膜翅目，它们在花朵之间飞来飞去，"
        "采集花蜜并把它酿成蜂蜜，同时也为许多植物传粉。"
    )
    japanese = "ミツバチは花から花へと飛び回り、蜜を集めて巣に持ち帰ります。"
    for text in (chinese, japanese):
        cues = build_cues([(0.0, [sentence(text, 0.0, 10.0)])])
        # A wide character takes two of the 42 columns, so a line holds at most 21 of them.
        assert all(1 <= len(cue.lines) <= 2 for cue in cues)
        assert all(0 < len(line) <= 21 for cue in cues for line in cue.lines)
        assert "".join(cue.text for cue in cues) == text
        assert not any(line.startswith(("，", "、", "。")) for cue in cues for line in cue.lines)
    assert len(build_cues([(0.0, [sentence(chinese, 0.0, 10.0)])])) == 2
    assert wrap_lines("ミツバチは花の蜜を集めて、巣に持ち帰ります。") == (
        "ミツバチは花の蜜を集めて、",
        "巣に持ち帰ります。",
    )


def test_korean_wraps_at_spaces_with_syllables_counted_wide() -> None:
    lines = wrap_lines("꿀벌은 꽃에서 꿀을 모아 벌집으로 가져갑니다 그리고 꽃가루를 옮깁니다")
    assert lines == ("꿀벌은 꽃에서 꿀을 모아 벌집으로", "가져갑니다 그리고 꽃가루를 옮깁니다")


def timed(text: str, start: float, rng: random.Random, pause_every: int = 5) -> SpokenSentence:
    """A sentence with word timings as a voice gives them: uneven words, and now and then a pause."""
    words: list[SpokenWord] = []
    t = start
    for index, word in enumerate(text.split()):
        length = 0.05 + 0.06 * len(word) * rng.uniform(0.6, 1.6)
        words.append({"text": word, "start_s": round(t, 3), "end_s": round(t + length, 3)})
        t += length + (rng.uniform(0.15, 0.6) if index % pause_every == pause_every - 1 else 0.0)
    return {"text": text, "start_s": start, "end_s": words[-1]["end_s"], "words": words}


GROUPED = [
    ("The Golden Gate Bridge opened to traffic on 27 May 1937 after four years of hard work.", "27 May 1937"),
    ("The last rivet went in on May 27, 1937, in front of a cheering crowd of workers.", "May 27, 1937,"),
    ("The first plans were drawn up by 1 January and approved in the 1930s by the city.", "1 January"),
    ("The main span stretches about 1,280 metres across the strait between the two towers.", "1,280 metres"),
    ("The whole project cost roughly $35 million, far less than many engineers had feared.", "$35 million,"),
    ("A toll of 40 % more than expected was charged to drivers crossing in the first year.", "40 %"),
    (
        "Tickets for the opening walk were sold for 39 dollars 99 at a small booth near the gate.",
        "39 dollars 99",
    ),
    ("Traffic on the crossing grows by about 3.5 percent every year according to the city.", "3.5 percent"),
    (
        "The chief engineer Joseph Strauss worked with Charles Ellis on the design of the towers.",
        "Charles Ellis",
    ),
    ("Thousands of people from New York City travelled west to see the Golden Gate Bridge.", "New York City"),
    ("After the ceremony Dr. Smith gave a long speech about the workers and their families.", "Dr. Smith"),
    ("Ada Lovelace described how the Analytical Engine could compute Bernoulli numbers.", "Ada Lovelace"),
]


@pytest.mark.parametrize("max_chars", [16, 20, 24, 28, 32, 42])
@pytest.mark.parametrize("with_words", [True, False])
def test_numbers_dates_and_names_are_never_split_across_lines_or_cues(
    max_chars: int, with_words: bool
) -> None:
    rng = random.Random(max_chars)
    for text, group in GROUPED:
        spoken = timed(text, 1.0, rng) if with_words else sentence(text, 1.0, 7.0)
        cues = build_cues([(0.0, [spoken])], max_chars=max_chars)
        assert any(group in line for cue in cues for line in cue.lines), (group, [c.lines for c in cues])


def test_in_the_1930s_breaks_before_in_not_inside() -> None:
    text = "The bridge was planned and built in the 1930s"
    for max_chars in range(10, 30):
        lines = wrap_lines(text, max_chars)
        assert any(line.endswith("the 1930s") for line in lines), lines
        assert not any(line.endswith((" in", " the")) for line in lines), lines


def test_a_line_does_not_end_on_an_article_or_preposition_when_a_better_break_exists() -> None:
    assert wrap_lines("The water should be just off the boil around ninety degrees") == (
        "The water should be just off",
        "the boil around ninety degrees",
    )
    rng = random.Random(11)
    plain = [w for w in WORDS[3:-2] if w.isalpha()]
    for _ in range(200):
        words = [rng.choice(plain) for _ in range(rng.randint(4, 12))]
        words.insert(rng.randrange(1, len(words)), "the")
        for line in wrap_lines(" ".join(words), 24)[:-1]:
            assert not line.endswith(" the"), line


def test_a_group_longer_than_a_line_breaks_inside_only_then() -> None:
    text = "They toured the International Business Machines headquarters in New York"
    assert "the International Business Machines" in wrap_lines(text, 42)
    lines = wrap_lines(text, 20)
    assert lines == ("They toured", "the International", "Business Machines", "headquarters", "in New York")


def test_every_cue_starts_with_its_first_word_and_outlasts_its_last() -> None:
    rng = random.Random(13)
    texts = [g[0] for g in GROUPED] + [" ".join(rng.choice(WORDS[:-2]) for _ in range(30)) for _ in range(40)]
    for text in texts:
        t = rng.uniform(0.0, 3.0)
        sentences = []
        for _ in range(3):
            sentences.append(timed(text, t, rng, pause_every=rng.randint(2, 8)))
            t = sentences[-1]["end_s"] + rng.uniform(0.05, 1.0)
        offset = rng.uniform(0, 30)
        cues = build_cues([(offset, sentences)], max_chars=rng.choice([28, 32, 42]))
        spoken = [(w["text"], offset + w["start_s"]) for s in sentences for w in s.get("words", [])]
        assert [w.text for cue in cues for w in cue.words] == [text for text, _ in spoken]
        shown = [w.start_s for cue in cues for w in cue.words]
        assert shown == pytest.approx([start for _, start in spoken])
        for cue in cues:
            assert cue.start_s == cue.words[0].start_s
            assert cue.end_s >= cue.words[-1].end_s
            for word in cue.words:
                assert cue.lines[word.line][word.offset : word.offset + len(word.text)] == word.text
            assert [w.line for w in cue.words] == sorted(w.line for w in cue.words)
        for earlier, later in zip(cues, cues[1:], strict=False):
            assert earlier.end_s <= later.start_s
            assert later.start_s - earlier.end_s == 0 or later.start_s - earlier.end_s >= 0.25
        for index, cue in enumerate(cues):
            if cue.words[-1].text == text.split()[-1]:  # the last cue of a sentence: held, then bridged
                held = cue.words[-1].end_s + HOLD_S
                after = cues[index + 1].start_s if index + 1 < len(cues) else math.inf
                assert cue.end_s == pytest.approx(after if after - held < 0.25 else held)


def test_lines_satisfy_the_fits_predicate_as_well_as_max_chars() -> None:
    asked: list[str] = []

    def fits(line: str) -> bool:
        asked.append(line)
        return len(line) <= 18

    rng = random.Random(5)
    for text, group in GROUPED:
        asked.clear()
        cues = build_cues([(0.0, [timed(text, 0.0, rng)])], max_chars=42, fits=fits)
        assert all(len(line) <= 18 for cue in cues for line in cue.lines)
        assert all(1 <= len(cue.lines) <= 2 for cue in cues)
        assert any(group in line for cue in cues for line in cue.lines)
        assert asked and len(asked) == len(set(asked))  # each line is measured once


def test_words_that_do_not_match_the_text_fall_back_to_character_timing() -> None:
    broken: SpokenSentence = {
        "text": "Grind the beans fresh.",
        "start_s": 0.0,
        "end_s": 2.2,
        "words": [{"text": "Grind", "start_s": 0.0, "end_s": 0.5}],
    }
    (cue,) = build_cues([(0.0, [broken])])
    assert [w.text for w in cue.words] == ["Grind", "the", "beans", "fresh."]
    assert cue.words[1].start_s == pytest.approx(0.6)


def test_chinese_timed_as_one_word_is_shown_character_by_character() -> None:
    text = "蜜蜂是一种会飞行的群居昆虫，属于膜翅目，它们在花朵之间飞来飞去，采集花蜜并把它酿成蜂蜜。"
    spoken: SpokenSentence = {
        "text": text,
        "start_s": 0.0,
        "end_s": 9.0,
        "words": [{"text": text, "start_s": 0.5, "end_s": 9.0}],
    }
    cues = build_cues([(0.0, [spoken])])
    assert "".join(cue.text for cue in cues) == text
    assert cues[0].start_s == 0.5
    assert all(len(w.text) <= 2 for cue in cues for w in cue.words)
    for earlier, later in zip(cues, cues[1:], strict=False):
        assert earlier.end_s == later.start_s == later.words[0].start_s


def test_cues_follow_a_real_voice_word_by_word(tmp_path: Path) -> None:
    text = (
        "The Golden Gate Bridge opened to traffic on 27 May 1937, after four years of work "
        "by more than 1,200 workers who earned about 11 dollars a day."
    )
    result = EspeakSynthesizer().synthesize(text, tmp_path / "clip.wav")
    cues = build_cues([(2.0, result.sentences)], max_chars=28)
    words = [w for s in result.sentences for w in s["words"]]
    assert [w.text for cue in cues for w in cue.words] == [w["text"] for w in words]
    starts = {round(2.0 + w["start_s"], 6) for w in words}
    assert all(round(cue.start_s, 6) in starts for cue in cues)
    assert any("27 May 1937," in line for cue in cues for line in cue.lines)
    assert any("1,200 workers" in line or "1,200" in line for cue in cues for line in cue.lines)
    assert all(cue.end_s >= cue.words[-1].end_s for cue in cues)
