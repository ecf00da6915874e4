"""The "Top N" prompt renders with the products' fields and states the rules a model must keep."""

from __future__ import annotations

import pytest

from prompts.top_list import ALL, TOP_LIST_SCRIPT
from state.sources import Product
from tools.text.top_list import products_block, rank_products

PRODUCTS: list[Product] = [
    {
        "name": "Acme Kettle",
        "price": 39.99,
        "currency": "USD",
        "rating": 4.6,
        "features": ["boils a litre in three minutes", "switches itself off"],
        "image": None,
        "link": "https://shop.example/acme",
        "source": "catalogue.csv#row=1",
    },
    {
        "name": "Breville Luxe",
        "price": 129.5,
        "currency": "GBP",
        "rating": 4.8,
        "features": ["keeps water warm"],
        "image": None,
        "link": "https://shop.example/breville",
        "source": "catalogue.csv#row=2",
    },
]


def rendered() -> str:
    return TOP_LIST_SCRIPT.render(
        topic="electric kettles",
        duration_s=60,
        max_words=150,
        budgets="- scene 1: at most 75 words\n- scene 2: at most 75 words",
        products=products_block(rank_products(PRODUCTS)),
    )


def test_placeholders_are_the_topic_length_budgets_and_products() -> None:
    assert TOP_LIST_SCRIPT.placeholders == {"topic", "duration_s", "max_words", "budgets", "products"}
    assert ALL == (TOP_LIST_SCRIPT,)


def test_renders_every_product_field_and_nothing_is_left_unfilled() -> None:
    text = rendered()
    assert "$" not in text.replace("$39.99", "")
    for expected in (
        "electric kettles",
        "60 seconds",
        "150 words",
        "scene 1: at most 75 words",
        "#1 Breville Luxe | price: \u00a3129.50 | rating: 4.8 out of 5 | features: keeps water warm",
        "#2 Acme Kettle | price: $39.99",
        "link: https://shop.example/acme",
        "source: catalogue.csv#row=1",
    ):
        assert expected in text


def test_states_the_rules() -> None:
    text = rendered()
    assert "Use only" in text or "only what these fields say" in text
    assert "Never invent" in text
    assert "ranking exactly as given" in text
    assert "one scene per product" in text
    assert "the last scene presents #1" in text
    assert '"#k Name"' in text
    assert "at most 32 characters" in text
    assert '"#k Name \u2014 price \u2014 link"' in text
    assert "every link" in text
    assert "links are in the description" in text
    assert 'title starts with "Top N"' in text


def test_missing_or_unknown_values_raise() -> None:
    with pytest.raises(KeyError):
        TOP_LIST_SCRIPT.render(topic="kettles")
    with pytest.raises(KeyError):
        TOP_LIST_SCRIPT.render(topic="k", duration_s=1, max_words=2, budgets="-", products="-", facts="x")
