"""A data card's figure: the number keeps its unit, date, scale or range, and the label says what it is."""

from __future__ import annotations

import pytest

from tools.images.figures import Figure, split_figure

# (on-screen text, words above the figure, the figure, the label under it, a bracketed note, what it is)
TABLE = [
    # Dates are one figure, never "27" over "May".
    ("27 May 1937", "", "27 May 1937", "", "", "date"),
    ("Opened on 27 May 1937", "", "27 May 1937", "Opened", "", "date"),
    ("The bridge opened on May 27, 1937", "", "May 27, 1937", "The bridge opened", "", "date"),
    ("4th of July", "", "4th of July", "", "", "date"),
    ("March 2020: lockdowns begin", "", "March 2020", "Lockdowns begin", "", "date"),
    ("Launched 2020-03-11", "", "2020-03-11", "Launched", "", "date"),
    # A unit stays with its number; a conversion in brackets is a note, and the label is what it measures.
    ("1,280 metres (4,200 feet)", "", "1,280 m", "Length", "4,200 ft", "length"),
    ("Main span: 1,280 metres (4,200 feet)", "", "1,280 m", "Main span", "4,200 ft", "length"),
    ("Top speed 120 km/h", "", "120 km/h", "Top speed", "", "speed"),
    ("5km run", "", "5 km", "run", "", "distance"),
    ("-40 \u00b0C in winter", "", "\u221240\u00b0C", "in winter", "", "temperature"),
    ("\u221214 LUFS", "", "\u221214 LUFS", "Loudness", "", "loudness"),
    ("3.5 million tonnes of coffee a year", "", "3.5 million tonnes", "of coffee a year", "", "weight"),
    ("1,200 tonnes shipped", "", "1,200 tonnes", "shipped", "", "weight"),
    ("Area: 8,515,767 square kilometres", "", "8,515,767 km\u00b2", "Area", "", "area"),
    # Percentages, with the words before the figure kept above it in reading order.
    ("Brazil grows 40% of the world's coffee", "Brazil grows", "40%", "of the world's coffee", "", "percent"),
    ("60 percent of adults drink coffee", "", "60%", "of adults drink coffee", "", "percent"),
    ("Only 3 per cent", "", "Only 3%", "", "", "percent"),
    # Money keeps its currency and scale.
    ("$2.5 billion in sales", "", "$2.5 billion", "in sales", "", "money"),
    ("\u00a31.2m budget", "", "\u00a31.2m", "budget", "", "money"),
    ("\u20ac30 million", "", "\u20ac30 million", "", "", "money"),
    ("5 million dollars", "", "$5 million", "", "", "money"),
    # Years, decades, centuries and eras.
    ("1582: Dutch", "", "1582", "Dutch", "", "year"),
    ("In 1582, the word coffee entered English", "", "1582", "The word coffee entered English", "", "year"),
    ("Coffee arrived in Venice in 1615", "", "1615", "Coffee arrived in Venice", "", "year"),
    ("Founded in 1998", "", "1998", "Founded", "", "year"),
    ("The 1990s", "", "1990s", "", "", "year"),
    ("500 BC", "", "500 BC", "", "", "year"),
    ("15th century: Yemen", "", "15th century", "Yemen", "", "century"),
    # Ranges are one figure with the unit said once.
    ("1914\u20131918", "", "1914\u20131918", "", "", "year"),
    ("From 1914 to 1918", "", "1914\u20131918", "", "", "year"),
    ("5 to 10 metres tall", "", "5\u201310 m", "tall", "", "length"),
    ("Between 1,000 and 2,000 species", "", "1,000\u20132,000", "species", "", "count"),
    # Approximations and ratios.
    ("Over 1,000 species", "", "1,000+", "species", "", "count"),
    ("About 3,000 islands", "", "~3,000", "islands", "", "count"),
    ("up to 20 m long", "", "up to 20 m", "long", "", "length"),
    ("1 in 3 adults", "", "1 in 3", "adults", "", "ratio"),
    ("9 out of 10 dentists", "", "9 out of 10", "dentists", "", "ratio"),
    # Counts and ranks.
    ("Population: 8 billion", "", "8 billion", "Population", "", "count"),
    ("10k steps a day", "", "10k", "steps a day", "", "count"),
    ("3rd largest producer", "", "3rd", "largest producer", "", "count"),
    ("Coffee: 3 cups a day", "Coffee", "3", "cups a day", "", "count"),
    # Chinese, Japanese and Korean write date parts, scales and units right after the number.
    ("2023年\uff1a全球产量创新高", "", "2023年", "全球产量创新高", "", "date"),
    ("2023年5月1日开业", "", "2023年5月1日", "开业", "", "date"),
    ("全球产量达到1,000万吨", "", "1,000万吨", "全球产量达到", "", "count"),
    ("東京の人口は1,400万人", "", "1,400万人", "東京の人口は", "", "count"),
]


@pytest.mark.parametrize(("text", "lead", "value", "label", "note", "kind"), TABLE)
def test_the_figure_and_its_label(text: str, lead: str, value: str, label: str, note: str, kind: str) -> None:
    assert split_figure(text) == Figure(lead, value, label, note, kind)


@pytest.mark.parametrize(
    "text", ["Nobody knows", "H.264 and AAC", "COVID-19 pandemic", "4K video", "MP3 files", ""]
)
def test_names_with_digits_are_not_figures(text: str) -> None:
    assert split_figure(text) is None


def test_thousands_separators_are_not_list_commas_or_decimals() -> None:
    figure = split_figure("8,515,767 people")
    assert figure is not None and figure.value == "8,515,767"
    decimal = split_figure("1,5 million")
    assert decimal is not None and decimal.value == "1,5 million"


def test_a_conversion_without_its_brackets_is_still_a_note() -> None:
    # The offline writer's headline drops the brackets: "1,280 metres (4,200 feet)" arrives like this.
    assert split_figure("1,280 metres 4,200 feet") == Figure("", "1,280 m", "Length", "4,200 ft", "length")


def test_a_headline_cut_short_takes_the_whole_figure_from_the_narration() -> None:
    narration = "The Golden Gate Bridge opened to traffic on 27 May 1937."
    assert split_figure("27: Golden Gate Bridge", narration) == Figure(
        "", "27 May 1937", "Golden Gate Bridge", "", "date"
    )
    # Only a longer figure that starts with the same number completes it.
    assert split_figure("3 cups a day", "Some drink 3 cups, others 1,200 litres a year.") == Figure(
        "", "3", "cups a day", "", "count"
    )
