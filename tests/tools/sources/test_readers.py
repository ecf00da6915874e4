"""The dispatch table: each kind of source gives facts (and products) with its tier, through one call."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from state.sources import SOURCE_KINDS, Product
from tests.servers.airtable import BASE, TOKEN
from tests.servers.web_pages import API_KEY, EMPTY_RSS, image_bytes
from tools.errors import BadInput, InvalidField
from tools.sources import READERS, AirtableRows, ProductApi, SourceReaders, format_price, product_fact

SENTENCE = "The espresso machine was patented in Turin by Angelo Moriondo in the year 1884."


@pytest.fixture
def readers(site, airtable) -> Iterator[SourceReaders]:
    with httpx.Client() as http:
        api = ProductApi(site.url + "/amazon/product?api_key={key}&asin={id}", API_KEY, http=http)
        yield SourceReaders(http, AirtableRows(TOKEN, airtable.url, retries=0), api, allow_private=True)


@pytest.fixture
def offline() -> Iterator[SourceReaders]:
    with httpx.Client() as http:
        yield SourceReaders(http)


def test_every_kind_has_exactly_one_reader():
    assert set(READERS) == set(SOURCE_KINDS)


def test_a_file(tmp_path, offline):
    path = tmp_path / "espresso.md"
    path.write_text(f"# Espresso\n\n{SENTENCE}", encoding="utf-8")
    read = offline.read({"kind": "file", "ref": str(path)}, limit=10, lang="en")
    assert read.facts == [{"text": SENTENCE, "source": str(path), "title": "Espresso"}]
    assert read.products == [] and read.tier == "offline:local-files" and read.label == str(path)


def test_a_plain_string_is_a_file_or_folder(tmp_path, offline):
    (tmp_path / "a.txt").write_text(SENTENCE, encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.md").write_text(f"# B\n\n{SENTENCE.replace('1884', '1885')}", encoding="utf-8")
    read = offline.read(str(tmp_path), limit=10)
    assert [fact["source"] for fact in read.facts] == [
        str(tmp_path / "a.txt"),
        str(tmp_path / "sub" / "b.md"),
    ]
    assert read.tier == "offline:local-files"
    assert len(offline.read(str(tmp_path), limit=1).facts) == 1


def test_a_page(site, readers):
    read = readers.read({"kind": "url", "ref": f"{site.url}/redirect/start"}, limit=3, lang="en")
    assert read.tier == "free:web" and len(read.facts) == 3
    assert {fact["source"] for fact in read.facts} == {f"{site.url}/articles/coffee"}
    assert read.label == f"{site.url}/redirect/start"


def test_private_addresses_are_refused_unless_allowed(site):
    with httpx.Client() as http:
        strict = SourceReaders(http)
        for kind, path in [
            ("url", "/articles/coffee"),
            ("feed", "/feeds/rss.xml"),
            ("catalogue", "/catalogue.csv"),
        ]:
            with pytest.raises(InvalidField, match="private address"):
                strict.read({"kind": kind, "ref": f"{site.url}{path}"})
    assert site.requests == []


def test_a_feed(site, readers):
    read = readers.read({"kind": "feed", "ref": f"{site.url}/feeds/atom.xml"}, limit=10)
    assert read.tier == "free:feed"
    assert {fact["source"] for fact in read.facts} == {f"{site.url}/tea/matcha", f"{site.url}/tea/darjeeling"}


def test_a_feed_without_entries(site, readers):
    site.static("/feeds/quiet.xml", EMPTY_RSS, "application/rss+xml")
    with pytest.raises(BadInput, match=r"the feed .*/feeds/quiet\.xml has no entries yet"):
        readers.read({"kind": "feed", "ref": f"{site.url}/feeds/quiet.xml"})


def test_a_local_catalogue_gives_products_and_a_fact_for_each(tmp_path, offline):
    (tmp_path / "mug.png").write_bytes(image_bytes("PNG", (10, 20, 30)))
    path = tmp_path / "mugs.json"
    path.write_text(
        json.dumps(
            [
                {
                    "name": "Big Mug",
                    "price": "$12.50",
                    "rating": "4.5/5",
                    "features": "Holds a pint; Dishwasher safe",
                    "image": "mug.png",
                    "link": "https://shop.example/mug",
                }
            ]
        ),
        encoding="utf-8",
    )
    read = offline.read({"kind": "catalogue", "ref": str(path)})
    assert read.tier == "offline:catalogue"
    assert read.products[0]["image"] == str((tmp_path / "mug.png").resolve())
    assert read.facts == [
        {
            "text": "Big Mug costs $12.50 and is rated 4.5 out of 5. "
            "Features: Holds a pint; Dishwasher safe.",
            "source": f"{path}#row=1",
            "title": "Big Mug",
        }
    ]


def test_a_remote_catalogue(site, readers):
    read = readers.read({"kind": "catalogue", "ref": f"{site.url}/catalogue.csv"}, limit=2)
    assert read.tier == "free:catalogue" and len(read.products) == 3 and len(read.facts) == 2
    assert read.facts[1]["text"].startswith("Hario V60 costs 1,299.00 JPY and is rated 4.5 out of 5.")
    assert read.facts[1]["source"] == f"{site.url}/catalogue.csv#row=2"


def test_airtable_rows(airtable, readers):
    read = readers.read({"kind": "airtable", "ref": f"airtable://{BASE}/Products"})
    assert read.tier == "cloud:airtable"
    assert [product.get("record") for product in read.products] == [
        "recAEROPRESS00001",
        "recKETTLE00000002",
        "recSCALE000000004",
    ]
    assert read.facts[1] == {
        "text": "Stagg EKG Kettle costs 165.00 and is rated 4 out of 5.",
        "source": f"https://airtable.com/{BASE}/Products/recKETTLE00000002",
        "title": "Stagg EKG Kettle",
    }


def test_airtable_without_ready_rows(airtable, readers):
    for record in airtable.table(BASE, "Products").records:
        record["fields"]["Status"] = "published"
    with pytest.raises(
        BadInput, match=r"has no rows whose Status is 'ready'; set Status to ready on the rows"
    ):
        readers.read({"kind": "airtable", "ref": f"airtable://{BASE}/Products"})


def test_a_product_from_the_api(readers):
    read = readers.read({"kind": "api", "ref": "B07YVL6XFM"})
    assert read.tier == "cloud:product-api" and read.label == "api:B07YVL6XFM"
    assert read.products[0]["name"] == "Fellow Stagg EKG Electric Kettle"
    assert read.facts[0]["source"] == "https://www.amazon.com/dp/B07YVL6XFM"
    assert read.facts[0]["text"].startswith(
        "Fellow Stagg EKG Electric Kettle costs $165.00 and is rated 4.6 out of 5."
    )


@pytest.mark.parametrize(
    ("source", "setting"),
    [
        ({"kind": "airtable", "ref": f"airtable://{BASE}/Products"}, "set AIRTABLE_API_KEY"),
        ({"kind": "api", "ref": "B07YVL6XFM"}, "set REELFORGE_PRODUCT_API_URL"),
    ],
)
def test_a_service_that_is_not_configured_names_its_setting(offline, source, setting):
    with pytest.raises(BadInput, match=setting):
        offline.read(source)


def test_an_unknown_kind(offline):
    with pytest.raises(BadInput, match=r"unknown kind of source 'ftp'; choose one of file, url, feed"):
        offline.read({"kind": "ftp", "ref": "x"})


def _product(**changes: object) -> Product:
    product: Product = {
        "name": "Mug",
        "price": None,
        "currency": "",
        "rating": None,
        "features": [],
        "image": None,
        "link": None,
        "source": "c.csv#row=1",
    }
    return {**product, **changes}  # type: ignore[typeddict-item]


def test_product_facts_say_only_what_the_product_has():
    assert product_fact(_product())["text"] == "Mug."
    assert product_fact(_product(rating=4.0))["text"] == "Mug is rated 4 out of 5."
    assert product_fact(_product(price=19.9, currency="CHF"))["text"] == "Mug costs 19.90 CHF."
    assert product_fact(_product(features=["a", "b", "c", "d"]))["text"] == "Mug. Features: a; b; c."
    assert format_price(1299, "€") == "€1,299.00" and format_price(5, "") == "5.00"


def test_readers_are_plain_functions_in_one_table(tmp_path):
    path = Path(tmp_path / "x.txt")
    path.write_text(SENTENCE, encoding="utf-8")
    with httpx.Client() as http:
        read = READERS["file"](SourceReaders(http), {"kind": "file", "ref": str(path)}, 5, "en")
    assert read.facts[0]["text"] == SENTENCE
