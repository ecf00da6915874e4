"""Pictograms: chosen from a scene's words out of the shipped icon font, with fitting fallbacks."""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw

from tools.errors import BadInput
from tools.images import pictograms
from tools.images.fonts import FONTS_DIR


@pytest.mark.parametrize(
    ("headline", "visual", "icon"),
    [
        ("The first espresso machine", "A shiny espresso machine in an Italian cafe", "mug-hot"),
        ("Photosynthesis", "Sunlight falling on green leaves", "leaf"),
        ("How vaccines work", "A nurse giving a child a vaccine injection", "syringe"),
        ("Honeybees make honey", "A honeybee on a flower", "bugs"),
        ("The Moon landing", "Astronaut on the lunar surface", "moon"),
        ("Marathon training", "A runner on an empty road at dawn", "person-running"),
        ("The stock market", "A trading floor with rising charts", "chart-line"),
        ("Volcanoes", "Lava flowing down the side of a volcano", "volcano"),
        ("Electric cars", "An electric car charging at a station", "charging-station"),
        ("Sleep", "A person sleeping peacefully in bed", "bed"),
        ("Chess", "A chess board mid-game", "chess"),
        ("Titanic", "The ship sinking in icy water", "ship"),
        # The offline writer's outline scenes describe their pictures; the description picks the icon.
        ("How it works", "Title card: How it works \u2014 gears and arrows showing the steps", "gears"),
        (
            "Turning points",
            "Title card: Turning points \u2014 a timeline with a few highlighted moments",
            "timeline",
        ),
        (
            "Common misconceptions",
            "Title card: Common misconceptions \u2014 a checklist with a large question mark",
            "clipboard-question",
        ),
        ("Quick recap", "Title card: Quick recap \u2014 a short checklist with ticks", "list-check"),
    ],
)
def test_the_words_choose_a_fitting_pictogram(headline: str, visual: str, icon: str) -> None:
    assert pictograms.choose(headline, visual) == icon


def test_headline_and_description_outweigh_the_narration_and_title() -> None:
    narration = "Merchants in Venice drank coffee every morning."
    assert pictograms.choose("Volcanoes", "", narration, "The history of coffee") == "volcano"
    # With nothing else to go on, the title's topic still beats a generic icon.
    assert pictograms.choose("Where it began", "", "", "The history of coffee") in ("mug-hot", "mug-saucer")


def test_a_hint_says_what_a_figure_is() -> None:
    assert pictograms.choose("27 May 1937", hint="calendar") == "calendar-days"


@pytest.mark.parametrize(
    ("layout", "icon"), [("scene", "lightbulb"), ("data", "chart-column"), ("list", "list-check")]
)
def test_no_matching_word_gives_a_generic_fallback_for_the_layout(layout: str, icon: str) -> None:
    assert pictograms.choose("Zxq qwv", layout=layout) == icon
    assert pictograms.choose("蜜蜂如何酿造蜂蜜", layout=layout) == icon


def test_avoid_gives_way_only_when_nothing_else_fits() -> None:
    best = pictograms.choose("Coffee reaches Europe")
    other = pictograms.choose("Coffee reaches Europe", avoid={best})
    assert other != best
    assert pictograms.choose("Volcanoes", avoid={"volcano"}) == "volcano"
    assert pictograms.choose("Zxq", avoid={"lightbulb"}) != "lightbulb"


def test_the_choice_is_deterministic_and_ties_go_to_the_first_name() -> None:
    ranked = pictograms.rank("Coffee reaches Europe", "A cup of coffee")
    assert ranked == pictograms.rank("Coffee reaches Europe", "A cup of coffee")
    scores = [scored.score for scored in ranked]
    assert scores == sorted(scores, reverse=True)
    for first, second in zip(ranked, ranked[1:], strict=False):
        if first.score == second.score:
            assert first.name < second.name


@pytest.mark.parametrize(
    ("word", "stem"),
    [
        ("Bridges", "bridge"),
        ("boxes", "box"),
        ("volcanoes", "volcano"),
        ("species", "species"),
        ("glasses", "glass"),
        ("news", "news"),
    ],
)
def test_stems_match_plurals(word: str, stem: str) -> None:
    assert pictograms.stem(word) == stem


def test_every_pictogram_has_a_drawn_glyph_in_the_shipped_font() -> None:
    font = pictograms.font(64)
    assert len(pictograms.names()) >= 300
    for name in pictograms.names():
        mask = font.getmask(pictograms.glyph(name))
        assert mask.getbbox() is not None, name
    for icons in pictograms.FALLBACKS.values():
        assert all(icon in pictograms.names() for icon in icons)
    assert all(name in pictograms.names() for pairs in pictograms.table().terms.values() for name in pairs)


def test_the_icon_data_is_small_licensed_and_renamed() -> None:
    assert pictograms.FONT.stat().st_size + pictograms.TABLE.stat().st_size < 400_000
    licence = (FONTS_DIR / "LICENSE-FontAwesome.txt").read_text(encoding="utf-8")
    assert "SIL OPEN FONT LICENSE" in licence and 'Reserved Font Name: "Font Awesome"' in licence
    # The OFL reserves the name for the original font; the subset goes by another.
    family, _style = pictograms.font(16).getname()
    assert family == "Reelforge Pictograms"


def test_an_unknown_pictogram_is_one_clear_line() -> None:
    with pytest.raises(BadInput) as caught:
        pictograms.glyph("unicorn-rainbow")
    message = str(caught.value)
    assert "unicorn-rainbow" in message and "pictograms.json" in message and "\n" not in message


def test_draw_centres_the_pictogram_on_its_disc() -> None:
    image = Image.new("RGB", (200, 200), (0, 0, 0))
    pictograms.draw(ImageDraw.Draw(image), "volcano", (100, 100), 120, (255, 0, 0), (0, 0, 255))
    red = [(x, y) for x in range(200) for y in range(200) if image.getpixel((x, y)) == (255, 0, 0)]
    xs, ys = [x for x, _ in red], [y for _, y in red]
    assert abs((min(xs) + max(xs)) / 2 - 100) <= 2 and abs((min(ys) + max(ys)) / 2 - 100) <= 2
    assert 110 <= max(xs) - min(xs) <= 124
    blue = image.crop((60, 60, 140, 140)).getcolors(10_000) or []
    assert any(colour == (0, 0, 255) for _, colour in blue)
