"""The offline "Top N" writer: it counts down, fits the budget, names each product and invents nothing."""

from __future__ import annotations

import re

import pytest

from state.sources import Product
from tools.errors import BadInput
from tools.speech import WORDS_PER_SECOND
from tools.text.quality import check_script, count_words, split_sentences, word_limits
from tools.text.top_list import (
    MAX_SCREEN_CHARS,
    WRITER,
    format_price,
    product_links,
    products_block,
    products_that_fit,
    rank_products,
    spoken_price,
    with_links,
    write_top_list,
)

# The planning rates ContentGeneration uses for 20 s and longer: 90 % of each voice's measured rate.
RATES = [round(WORDS_PER_SECOND["espeak"] * 0.9, 3), round(WORDS_PER_SECOND["joe"] * 0.9, 3)]
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
LINK = re.compile(r"https?://\S+")


def product(
    name: str,
    price: float | None,
    rating: float | None,
    features: list[str],
    row: int,
    currency: str = "USD",
    link: bool = True,
) -> Product:
    return {
        "name": name,
        "price": price,
        "currency": currency,
        "rating": rating,
        "features": features,
        "image": f"https://img.example/{row}.jpg",
        "link": f"https://shop.example/p/{row}?tag=reelforge-20" if link else None,
        "source": f"catalogue.csv#row={row}",
    }


# Ten kettles, deliberately not in ranked order, with features of different lengths.
CATALOGUE: list[Product] = [
    product(
        "Acme Kettle",
        39.99,
        4.6,
        [
            "boils a litre in three minutes",
            "switches itself off when the water boils",
            "1.7 litre capacity",
            "stainless steel body with a water window",
        ],
        1,
    ),
    product(
        "Breville Smart Kettle Luxe (1.7 L, brushed stainless steel)",
        129.5,
        4.8,
        [
            "keeps water warm for 20 minutes",
            "five temperature presets for green tea, white tea and coffee",
            "soft-opening lid",
            "removable scale filter",
        ],
        2,
        currency="GBP",
    ),
    product(
        "Cosori Glass Kettle",
        24.0,
        4.2,
        ["blue LED lights while it heats", "BPA-free", "boil-dry protection", "cordless 360 degree base"],
        3,
        currency="EUR",
    ),
    product(
        "Fellow Stagg EKG",
        165.0,
        4.7,
        ["gooseneck spout for a precise pour", "holds a set temperature for an hour", "built-in brew timer"],
        4,
    ),
    product(
        "Mueller Ultra Kettle",
        26.99,
        4.5,
        [
            "heats water in about four minutes",
            "auto shut-off and boil-dry protection",
            "borosilicate glass",
            "a two year warranty",
        ],
        5,
    ),
    product(
        "Hamilton Beach Cordless",
        19.99,
        4.4,
        ["1,500 watt heating element", "hidden heating coil", "cord storage in the base"],
        6,
    ),
    product(
        "Smeg Retro Kettle",
        179.95,
        4.3,
        ["fifties styling in seven colours", "anti-slip feet", "soft lid"],
        7,
    ),
    product(
        "Chefman Electric Kettle",
        29.99,
        4.4,
        ["five presets", "stays warm for 30 minutes", "tea infuser included", "LED indicator"],
        8,
        currency="CAD",
    ),
    product("Amazon Basics Kettle", 17.49, 4.1, ["1 litre", "auto shut-off", "a light that shows power"], 9),
    product(
        "Bodum Bistro", 35.0, 4.0, ["double-wall body stays cool", "one litre", "comes in six colours"], 10
    ),
]


def narration(script: dict[str, object]) -> str:
    scenes = script["scenes"]
    assert isinstance(scenes, list)
    return " ".join(scene["narration"] for scene in scenes)


def allowed_numbers(products: list[Product], count: int) -> set[str]:
    """Every number a script may state: ranks, the count, rating scales and the products' own figures."""
    allowed = {str(k) for k in range(1, count + 1)} | {"5", "10", "100"}
    for item in products:
        for text in [item["name"], *item["features"]]:
            allowed |= set(NUMBER.findall(text))
        if item["price"] is not None:
            price = item["price"]
            whole, cents = divmod(round(price * 100), 100)
            allowed |= {f"{price:,.2f}", f"{price:.2f}", str(whole), f"{whole:,}", str(cents)}
        if item["rating"] is not None:
            allowed.add(f"{item['rating']:g}")
    return allowed


@pytest.mark.parametrize("rate", RATES)
@pytest.mark.parametrize("count", [3, 5, 10])
@pytest.mark.parametrize("duration", [20, 30, 60])
def test_script_fits_budget_and_counts_down(duration: int, count: int, rate: float) -> None:
    products = CATALOGUE[:count]
    script = write_top_list("best electric kettles", products, duration, rate)
    ranked = rank_products(products)
    shown = len(script["scenes"])
    assert 1 <= shown <= count
    assert script["title"].startswith(f"Top {shown} ")
    assert script["writer"] == WRITER

    words = sum(count_words(scene["narration"]) for scene in script["scenes"])
    low, high = word_limits(duration, rate)
    assert low <= words <= high
    report = check_script(script, duration, rate, min_scenes=1, max_scenes=10)
    assert report["passed"], report["problems"]

    # #N first, #1 last: each scene names its product aloud and on screen, and cites its row.
    for position, scene in enumerate(script["scenes"]):
        rank = shown - position
        item = ranked[rank - 1]
        assert scene["index"] == position + 1
        assert scene["on_screen_text"].startswith(f"#{rank} ")
        assert len(scene["on_screen_text"]) <= MAX_SCREEN_CHARS
        short = scene["on_screen_text"].split(" ", 1)[1]
        assert item["name"].startswith(short)
        assert f"umber {rank}: the {short}" in scene["narration"]
        assert scene["visual"] == f"product photo: {item['name']}"
        assert scene["sources"] == [item["source"]]
    assert script["scenes"][-1]["on_screen_text"].startswith("#1 ")
    assert script["scenes"][0]["narration"].startswith(script["hook"])
    assert script["scenes"][-1]["narration"].endswith(script["call_to_action"])
    assert [c["source"] for c in script["citations"]] == [p["source"] for p in ranked[:shown]]


@pytest.mark.parametrize("count", [3, 5, 10])
@pytest.mark.parametrize("duration", [20, 30, 60])
def test_every_number_comes_from_the_products(duration: int, count: int) -> None:
    products = CATALOGUE[:count]
    script = write_top_list("Kettles", products, duration, RATES[0])
    allowed = allowed_numbers(products, len(script["scenes"]))
    texts = [script["title"], script["description"], *(s["on_screen_text"] for s in script["scenes"])]
    spoken = [s["narration"] for s in script["scenes"]]
    for text in texts + spoken:
        stray = set(NUMBER.findall(LINK.sub(" ", text))) - allowed
        assert not stray, f"{stray} in {text!r}"


@pytest.mark.parametrize("count", [3, 5, 10])
@pytest.mark.parametrize("duration", [20, 30, 60])
def test_description_links_every_product_shown(duration: int, count: int) -> None:
    script = write_top_list("kettles", CATALOGUE[:count], duration, RATES[0])
    shown = rank_products(CATALOGUE[:count])[: len(script["scenes"])]
    lines = script["description"].splitlines()
    for rank, item in enumerate(shown, start=1):
        line = next(line for line in lines if line.startswith(f"#{rank} "))
        assert item["name"] in line
        assert line.endswith(f" \u2014 {item['link']}")
        assert format_price(item["price"] or 0, item["currency"]) in line
    assert "affiliate" in script["description"]


@pytest.mark.parametrize("duration", [30, 45, 60, 90])
def test_features_are_whole_sentences_or_left_out(duration: int) -> None:
    script = write_top_list("kettles", CATALOGUE[:5], duration, RATES[0])
    spoken = narration(script).lower()
    taken = 0
    for item in CATALOGUE[:5]:
        for feature in item["features"]:
            head = " ".join(feature.lower().split()[:3])
            if head in spoken:
                assert feature.lower() in spoken
                taken += 1
    assert taken > 0 or duration == 30
    for sentence in split_sentences(narration(script)):
        assert sentence[-1] in ".!?"


def test_a_five_product_catalogue_becomes_a_top_5_video() -> None:
    """Acceptance: five products make a "Top 5" whose scenes name them and whose description links them."""
    products = CATALOGUE[:5]
    script = write_top_list("electric kettles", products, 60, RATES[0])
    assert script["title"] == "Top 5 Electric Kettles"
    assert len(script["scenes"]) == 5
    assert "five best electric kettles" in script["hook"]
    assert script["call_to_action"] == "Links to all five are in the description."
    names = {scene["on_screen_text"].split(" ", 1)[1] for scene in script["scenes"]}
    assert names == {
        "Acme Kettle",
        "Breville Smart Kettle Luxe",
        "Cosori Glass Kettle",
        "Fellow Stagg EKG",
        "Mueller Ultra Kettle",
    }
    for item in products:
        assert item["link"] in script["description"]
    assert product_links(products) == [{"name": p["name"], "url": p["link"]} for p in products]


def test_a_short_video_shows_the_best_few_and_says_how_many() -> None:
    script = write_top_list("kettles", CATALOGUE, 20, RATES[0])
    shown = len(script["scenes"])
    assert 2 <= shown < 10
    assert script["title"] == f"Top {shown} Kettles"
    best = [p["source"] for p in rank_products(CATALOGUE)[:shown]]
    assert sorted(scene["sources"][0] for scene in script["scenes"]) == sorted(best)
    assert products_that_fit(CATALOGUE, 20, RATES[0], "kettles") == rank_products(CATALOGUE)[:shown]
    # Even the shortest video says each product's price and rating.
    for scene, item in zip(script["scenes"], reversed(rank_products(CATALOGUE)[:shown]), strict=True):
        assert f"rated {item['rating']:g} out of 5" in scene["narration"]


def test_ranking_is_rating_then_features_then_price_and_stable() -> None:
    def item(name: str, rating: float | None, features: int, price: float | None) -> Product:
        return product(name, price, rating, [f"feature {k}" for k in range(features)], 0)

    products = [
        item("no rating", None, 9, 1.0),
        item("rated 4, two features", 4.0, 2, 10.0),
        item("rated 4, three features, dear", 4.0, 3, 50.0),
        item("rated 4, three features, cheap", 4.0, 3, 20.0),
        item("rated 4.5", 4.5, 0, None),
        item("rated 4, two features, no price", 4.0, 2, None),
        item("rated 4, two features, same price", 4.0, 2, 10.0),
    ]
    assert [p["name"] for p in rank_products(products)] == [
        "rated 4.5",
        "rated 4, three features, cheap",
        "rated 4, three features, dear",
        "rated 4, two features",
        "rated 4, two features, same price",
        "rated 4, two features, no price",
        "no rating",
    ]
    assert len(rank_products(CATALOGUE + CATALOGUE)) == 10


def test_prices_are_written_with_their_currency_and_spoken_well() -> None:
    assert format_price(19.99, "USD") == "$19.99"
    assert format_price(19.99, "$") == "$19.99"
    assert format_price(5.0, "GBP") == "\u00a35"
    assert format_price(1299.5, "EUR") == "\u20ac1,299.50"
    assert format_price(19.99, "cad") == "19.99 CAD"
    assert format_price(19.99, "") == "19.99"
    assert spoken_price(39.99, "USD") == "39 dollars 99"
    assert spoken_price(1.0, "$") == "1 dollar"
    assert spoken_price(39.05, "USD") == "39 dollars and 5 cents"
    assert spoken_price(0.99, "GBP") == "99 pence"
    assert spoken_price(1299.5, "GBP") == "1,299 pounds 50"
    assert spoken_price(20.0, "EUR") == "20 euros"
    assert spoken_price(19.99, "CHF") == "19.99 Swiss francs"
    assert spoken_price(19.99, "SEK") == "19.99 SEK"


def test_long_names_are_cut_after_a_whole_word_on_screen() -> None:
    long_name = "Apple AirPods Pro (2nd Generation) Wireless Ear Buds with USB-C Charging, Up to 2X More"
    items = [
        product(long_name, 249.0, 4.7, ["active noise cancelling"], 1),
        product("Supercalifragilisticexpialidocious Extraordinary Kettle", 20.0, 4.0, [], 2),
        product("Acme Kettle (1.7 L", 30.0, 3.9, [], 3),
    ]
    script = write_top_list("earbuds", items, 60, RATES[0])
    screens = [scene["on_screen_text"] for scene in script["scenes"]]
    assert screens == [
        "#3 Acme Kettle",
        "#2 Supercalifragilisticexpialid\u2026",
        "#1 Apple AirPods Pro Wireless",
    ]
    assert all(len(text) <= MAX_SCREEN_CHARS for text in screens)
    assert "And number 1: the Apple AirPods Pro Wireless Ear Buds." in script["scenes"][-1]["narration"]
    # The description keeps the full name.
    assert long_name in script["description"]


def test_products_without_links_or_figures_are_told_honestly() -> None:
    items = [
        product("Plain Kettle", None, None, ["boils water"], 1, link=False),
        product("Priced Kettle", 15.0, None, [], 2, link=False),
        product("Rated Kettle", None, 4.9, [], 3, link=False),
        product("Free Kettle", 0.0, 3.0, [], 4, link=False),
    ]
    script = write_top_list("kettles", items, 30, RATES[0])
    spoken = narration(script)
    assert "description" not in script["call_to_action"]
    assert "http" not in script["description"]
    assert "affiliate" not in script["description"]
    assert "It is rated 4.9 out of 5." in spoken or "Rated 4.9 out of 5." in spoken
    assert "costs 15 dollars" in spoken or "15 dollars." in spoken
    assert "It boils water." in spoken
    assert "free" in spoken.lower()
    assert product_links(items) == []


def test_the_hook_varies_by_topic_and_a_topic_always_gets_the_same_script() -> None:
    topics = ("kettles", "toasters", "blenders", "headphones", "coffee grinders", "desk lamps")
    hooks = {write_top_list(topic, CATALOGUE[:5], 60, RATES[0])["hook"] for topic in topics}
    assert len({re.sub(r"best .*", "", hook) for hook in hooks}) >= 2
    first = write_top_list("kettles", CATALOGUE[:5], 60, RATES[0])
    assert write_top_list("kettles", list(reversed(CATALOGUE[:5])), 60, RATES[0]) == first


@pytest.mark.parametrize(
    ("topic", "title"),
    [
        ("Top 10 electric kettles", "Top 3 Electric Kettles"),
        ("the best kettles for tea", "Top 3 Kettles for Tea"),
        ("5 best kettles ranked", "Top 3 Kettles"),
        ("", "Top 3 Picks"),
        ("\U0001f375 kettles!!!", "Top 3 Kettles"),
    ],
)
def test_the_title_says_how_many_are_shown_and_what_they_are(topic: str, title: str) -> None:
    assert write_top_list(topic, CATALOGUE[:3], 60, RATES[0])["title"] == title


def test_one_product() -> None:
    script = write_top_list("kettles", CATALOGUE[:1], 20, RATES[0])
    assert script["title"] == "Top pick: Kettles"
    assert [s["on_screen_text"] for s in script["scenes"]] == ["#1 Acme Kettle"]
    assert "Number 1: the Acme Kettle." in script["scenes"][0]["narration"]


def test_tags_come_from_the_topic_and_the_names() -> None:
    tags = write_top_list("electric kettles", CATALOGUE[:3], 60, RATES[0])["tags"]
    assert tags[:4] == ["electric kettles", "electric", "kettles", "top 3"]
    assert "acme kettle" in tags
    assert all(tag == tag.lower() and len(tag) <= 30 for tag in tags)


def test_refuses_what_it_cannot_write() -> None:
    with pytest.raises(BadInput, match="no product with a name"):
        write_top_list("kettles", [], 60, RATES[0])
    with pytest.raises(BadInput, match="no product with a name"):
        write_top_list("kettles", [product("  ", 1.0, 4.0, [], 1)], 60, RATES[0])
    with pytest.raises(BadInput, match="duration"):
        write_top_list("kettles", CATALOGUE[:3], 0, RATES[0])


def test_products_block_and_with_links() -> None:
    ranked = rank_products(CATALOGUE[:3])
    block = products_block(ranked)
    lines = block.splitlines()
    assert lines[0].startswith(
        "#1 Breville Smart Kettle Luxe (1.7 L, brushed stainless steel) | price: \u00a3129.50"
    )
    assert "rating: 4.8 out of 5" in lines[0]
    assert "features: keeps water warm for 20 minutes; five temperature presets" in lines[0]
    assert f"link: {ranked[0]['link']}" in lines[0]
    assert f"source: {ranked[0]['source']}" in lines[0]
    assert products_block([]) == "(no products given)"

    text = with_links("Great kettles.\n#1 Breville \u2014 " + (ranked[0]["link"] or ""), ranked)
    for item in ranked:
        assert str(item["link"]) in text
    assert text.count(str(ranked[0]["link"])) == 1
    complete = write_top_list("kettles", ranked, 60, RATES[0])["description"]
    assert with_links(complete, ranked) == complete
