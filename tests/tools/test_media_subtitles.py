"""Tests for subtitle cues: line limits, chunk timing, ordering, and SRT output that parses back."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from state import SpokenSentence
from tools.media.subtitles import Cue, build_cues, wrap_lines, write_srt

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


def test_a_short_sentence_is_one_cue_spanning_its_spoken_time_on_the_timeline() -> None:
    cues = build_cues([(10.0, [sentence("Grind the beans fresh.", 0.5, 2.0)])])
    assert cues == [Cue(10.5, 12.0, ("Grind the beans fresh.",))]


def test_a_long_sentence_is_split_with_time_shared_by_character_count() -> None:
    text = (
        "Coffee cherries are picked by hand on steep hillsides, dried in the sun for weeks, "
        "hulled, sorted by size and colour, and finally shipped across the ocean in jute sacks."
    )
    cues = build_cues([(3.0, [sentence(text, 1.0, 11.0)])])
    assert len(cues) >= 3
    assert cues[0].start_s == pytest.approx(4.0)
    assert cues[-1].end_s == pytest.approx(14.0)
    lengths = [len(c.text) for c in cues]
    for cue, length in zip(cues, lengths, strict=True):
        share = length / sum(lengths)
        assert cue.end_s - cue.start_s == pytest.approx(10.0 * share, rel=0.02)
    for earlier, later in zip(cues, cues[1:], strict=False):
        assert earlier.end_s == pytest.approx(later.start_s)
    # Chunks are evened out instead of leaving a runt at the end.
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
    assert cues[1].end_s == pytest.approx(2.0)


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
