"""Line breaks in any script: at spaces, between Chinese and Japanese characters, never before a "。"."""

from __future__ import annotations

from tools.text.line_breaks import Unit, breaks_anywhere, columns, join, join_lines, units


def test_spaced_scripts_break_only_at_spaces() -> None:
    assert units("  Bees   make honey ") == [Unit("Bees", False), Unit("make", True), Unit("honey", True)]
    assert units("꿀벌은 꽃에서") == [Unit("꿀벌은", False), Unit("꽃에서", True)]
    assert units("") == []


def test_chinese_and_japanese_break_between_characters_but_keep_latin_words() -> None:
    assert [u.text for u in units("我爱Python编程")] == ["我", "爱", "Python", "编", "程"]
    assert join(units("我爱Python编程 and tea")) == "我爱Python编程 and tea"


def test_kinsoku_keeps_punctuation_and_small_kana_with_their_neighbours() -> None:
    pieces = [u.text for u in units("「ミツバチ」は、花の蜜を集めます。")]
    assert pieces[0] == "「ミ" and "チ」" in pieces and "は、" in pieces and pieces[-1] == "す。"
    assert [u.text for u in units("チョコレート")] == ["チョ", "コ", "レー", "ト"]
    assert not any(u.text[0] in "。、，」ー" for u in units("你好，世界。「再见」ーー"))


def test_columns_count_wide_characters_twice() -> None:
    assert columns("bees") == 4
    assert columns("蜜蜂") == 4
    assert columns("꿀벌 bee") == 8
    assert columns("café") == columns("cafe\u0301") == 4


def test_lines_rejoin_without_spaces_next_to_cjk() -> None:
    assert join_lines(["蜜蜂在花朵之间", "飞来飞去。"]) == "蜜蜂在花朵之间飞来飞去。"
    assert join_lines(["Bees fly", "between flowers"]) == "Bees fly between flowers"
    assert breaks_anywhere("蜜") and breaks_anywhere("ミ") and not breaks_anywhere("꿀")
