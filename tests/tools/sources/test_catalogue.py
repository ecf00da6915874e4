"""Product catalogues: CSV or JSON, common column names, prices and ratings as people write them."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from PIL import Image

from tests.servers.web_pages import image_bytes
from tools.errors import BadInput
from tools.sources import (
    MAX_PRODUCTS,
    fetch_catalogue,
    parse_catalogue,
    parse_price,
    parse_rating,
    read_catalogue,
)
from tools.sources.catalogue import parse_features


def _write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_a_csv_catalogue_with_images_next_to_it(tmp_path):
    _write(tmp_path / "shop" / "images" / "aeropress.png", image_bytes("PNG", (200, 40, 40)))
    path = _write(
        tmp_path / "shop" / "catalogue.csv",
        "Product Name,Price,Stars,Highlights,Image,Affiliate_Link\n"
        "Aeropress Go,$39.95,4.7/5,Packs into its own mug; Brews in a minute,images/aeropress.png,"
        "https://shop.example/aeropress?tag=rf-20\n"
        'Hario V60,"1,299.00 JPY",★4.5,"Cone, with spiral ribs|Paper filters",https://cdn.example/v60.jpg,\n',
    )
    aeropress, v60 = read_catalogue(path)
    assert aeropress == {
        "name": "Aeropress Go",
        "price": 39.95,
        "currency": "$",
        "rating": 4.7,
        "features": ["Packs into its own mug", "Brews in a minute"],
        "image": str((tmp_path / "shop" / "images" / "aeropress.png").resolve()),
        "link": "https://shop.example/aeropress?tag=rf-20",
        "source": f"{path}#row=1",
    }
    assert Image.open(aeropress["image"]).format == "PNG"
    assert v60["price"] == 1299.0 and v60["currency"] == "JPY" and v60["rating"] == 4.5
    assert v60["features"] == ["Cone, with spiral ribs", "Paper filters"]
    assert v60["image"] == "https://cdn.example/v60.jpg" and v60["link"] is None
    assert v60["source"] == f"{path}#row=2"


def test_json_catalogues_as_a_list_or_under_products(tmp_path):
    items = [
        {
            "title": "Chemex",
            "cost": 47.5,
            "currency": "USD",
            "rating": "4.8 out of 5 stars",
            "features": ["Glass"],
        },
        {"name": "French Press", "price": "$24", "score": 4.2},
    ]
    listed = read_catalogue(_write(tmp_path / "a.json", json.dumps(items)))
    wrapped = read_catalogue(_write(tmp_path / "b.json", json.dumps({"Products": items})))
    assert [product["name"] for product in listed] == ["Chemex", "French Press"]
    assert [product["source"].rsplit("#", 1)[1] for product in wrapped] == ["row=1", "row=2"]
    assert listed[0]["currency"] == "USD" and listed[0]["rating"] == 4.8 and listed[1]["price"] == 24.0


def test_the_format_is_sniffed_without_a_suffix():
    csv_products = parse_catalogue(b"name,price\nMoka Pot,19.99\n", "stdin")
    json_products = parse_catalogue(b' [{"name": "Moka Pot", "rating": 4}]', "stdin")
    assert csv_products[0]["price"] == 19.99 and json_products[0]["rating"] == 4.0


def test_a_semicolon_csv_with_decimal_commas():
    products = parse_catalogue("Name;Preis;Price\nMokkakanne;x;19,99 €\n".encode(), "de.csv")
    assert products[0]["price"] == 19.99 and products[0]["currency"] == "€"


def test_a_csv_missing_the_name_column_names_its_columns(tmp_path):
    path = _write(tmp_path / "catalogue.csv", "a,b,c\n1,2,3\n")
    with pytest.raises(BadInput) as caught:
        read_catalogue(path)
    assert str(caught.value) == f"{path} has no name column (its columns: a, b, c); add a column named name"


def test_a_catalogue_needs_a_price_rating_or_features_column(tmp_path):
    with pytest.raises(
        BadInput, match=r"has no price, rating or features column \(its columns: name, colour\)"
    ):
        read_catalogue(_write(tmp_path / "c.csv", "name,colour\nMug,red\n"))
    with pytest.raises(BadInput, match=r"has no name field \(its fields: price\); add a field named name"):
        parse_catalogue(b'[{"price": 3}]', "c.json")


def test_a_row_without_a_name_is_named_by_its_number(tmp_path):
    path = _write(tmp_path / "c.csv", "name,price\nMug,3\n,4\n")
    with pytest.raises(BadInput, match=r"c\.csv row 2 has no name; fill it in or remove the row$"):
        read_catalogue(path)


def test_blank_rows_are_skipped_and_long_catalogues_cut(tmp_path):
    rows = "".join(f"Product {n},{n}.00\n" for n in range(1, MAX_PRODUCTS + 20))
    products = read_catalogue(_write(tmp_path / "c.csv", "name,price\n,\n" + rows))
    assert len(products) == MAX_PRODUCTS
    assert products[0]["name"] == "Product 1" and products[0]["source"].endswith("#row=2")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", r"is empty; give a header row"),
        ("name,price\n", r"lists no products; add a row for each product"),
        (b"PK\x03\x04\x14\x00\x06\x00", r"looks binary \(a spreadsheet\?\); save it as CSV UTF-8 or JSON"),
    ],
)
def test_empty_and_binary_catalogues(tmp_path, text, problem):
    with pytest.raises(BadInput, match=problem):
        read_catalogue(_write(tmp_path / "c.csv", text))


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('[{"name": "x"', r"is not valid JSON"),
        (
            '{"items": []}',
            r'is not a list of products; give a JSON list of objects or \{"products": \[\.\.\.\]\}',
        ),
        ("[1, 2]", r"is not a list of products"),
    ],
)
def test_json_that_is_not_a_catalogue(tmp_path, text, problem):
    with pytest.raises(BadInput, match=problem):
        read_catalogue(_write(tmp_path / "c.json", text))


def test_a_windows_csv_is_read():
    products = parse_catalogue("name,price\nCafé Crème,4\n".encode("cp1252"), "win.csv")
    assert products[0]["name"] == "Café Crème"


def test_a_missing_catalogue_or_image(tmp_path):
    with pytest.raises(BadInput, match="catalogue not found"):
        read_catalogue(tmp_path / "nope.csv")
    path = _write(tmp_path / "c.csv", "name,price,image\nMug,3,pics/mug.png\n")
    with pytest.raises(
        BadInput, match=r"c\.csv row 1: the image pics/mug\.png is not a file .*; fix the path"
    ):
        read_catalogue(path)


@pytest.mark.parametrize(
    ("cell", "problem"),
    [
        (
            "image\nfile:///etc/passwd",
            r"the image 'file:///etc/passwd' is neither an http\(s\) URL nor a file path",
        ),
        ("link\njavascript:alert(1)", r"the link 'javascript:alert\(1\)' is not an http\(s\) URL"),
        ("price\ncall us", r"the price 'call us' is not a price; write it like 19\.99"),
        ("rating\n7", r"the rating '7' is not out of 5"),
    ],
)
def test_bad_cells_name_their_row(cell, problem):
    column, value = cell.split("\n")
    data = f"name,features,{column}\nMug,Big,{value}\n".encode()
    with pytest.raises(BadInput, match=rf"^c\.csv row 1: {problem}"):
        parse_catalogue(data, "c.csv", base_dir=Path("/nowhere"))


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("$19.99", (19.99, "$")),
        ("19,99 €", (19.99, "€")),
        ("1,299.00", (1299.0, "")),
        ("$1,299", (1299.0, "$")),
        ("1.299,00 EUR", (1299.0, "EUR")),
        ("USD 5", (5.0, "USD")),
        ("1'299.50 CHF", (1299.5, "CHF")),
        ("€ 1 299,00", (1299.0, "€")),
        (12, (12.0, "")),
        (4.5, (4.5, "")),
        ("", (None, "")),
        (None, (None, "")),
    ],
)
def test_prices_as_people_write_them(given, expected):
    assert parse_price(given) == expected


@pytest.mark.parametrize("given", ["call us", "$10 - $20", "-5", "free", "1,2,3", True, -3])
def test_what_is_not_a_price(given):
    with pytest.raises(BadInput, match="price"):
        parse_price(given, "c.csv row 1")


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("4.5", 4.5),
        ("4,5", 4.5),
        ("4.5/5", 4.5),
        ("★4.5", 4.5),
        ("9/10", 4.5),
        ("4.5 out of 5 stars", 4.5),
        ("★★★★☆", 4.0),
        (3, 3.0),
        ("", None),
    ],
)
def test_ratings_as_people_write_them(given, expected):
    assert parse_rating(given) == expected


@pytest.mark.parametrize("given", ["great", "7", "6/5", "5/0", False])
def test_what_is_not_a_rating(given):
    with pytest.raises(BadInput, match="rating"):
        parse_rating(given)


def test_features_split_on_semicolons_bars_and_lines_but_not_commas():
    assert parse_features("a; b|c\nd, e") == ["a", "b", "c", "d, e"]
    assert parse_features(["  x ", "", "y"]) == ["x", "y"]
    assert parse_features(None) == []


def test_a_remote_catalogue_keeps_images_on_the_web(site, http):
    products = fetch_catalogue(f"{site.url}/catalogue.csv", http=http)
    assert [product["name"] for product in products] == ["Aeropress Go", "Hario V60", "Moka Pot"]
    assert products[0]["image"] == f"{site.url}/images/aeropress.png"
    assert products[1]["image"] == f"{site.url}/images/v60.jpg"
    assert products[0]["source"] == f"{site.url}/catalogue.csv#row=1"
    assert products[2]["rating"] == 4.5 and products[2]["image"] is None
    formats = [Image.open(io.BytesIO(http.get(p["image"]).content)).format for p in products[:2]]
    assert formats == ["PNG", "JPEG"]


def test_a_remote_json_catalogue(site, http):
    chemex, press = fetch_catalogue(f"{site.url}/catalogue.json", http=http)
    assert (
        chemex["image"] == f"{site.url}/images/chemex.png" and chemex["link"] == "https://shop.example/chemex"
    )
    assert press["features"] == ["Steel mesh filter"]


def test_a_remote_catalogue_never_names_a_local_file():
    data = b"name,price,image\nMug,3,/etc/passwd\nCup,2,../../secret.png\n"
    mug, cup = parse_catalogue(data, "https://shop.example/data/c.csv")
    assert mug["image"] == "https://shop.example/etc/passwd"
    assert cup["image"] == "https://shop.example/secret.png"


def test_a_web_page_or_a_missing_file_is_not_a_catalogue(site, http):
    with pytest.raises(BadInput, match=r"catalogue-page\.csv is a web page, not a CSV or JSON catalogue"):
        fetch_catalogue(f"{site.url}/catalogue-page.csv", http=http)
    with pytest.raises(BadInput, match=r"^the catalogue .*/nope\.csv answered 404 Not Found"):
        fetch_catalogue(f"{site.url}/nope.csv", http=http)


def test_an_empty_json_list_and_a_utf16_csv():
    with pytest.raises(BadInput, match=r"^e\.json lists no products"):
        parse_catalogue(b"[]", "e.json")
    products = parse_catalogue("name,price\nTeekanne,12\n".encode("utf-16"), "u.csv")
    assert products[0]["name"] == "Teekanne"
