"""Typed sources end to end: a catalogue makes a "Top 5" video of the products' own pictures, a web page
and a feed give the script its facts with citations, and Airtable rows move ready → in progress → published.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage import data

from tests.conftest import run_cli
from tests.servers.airtable import BASE, TOKEN, AirtableServer
from tests.servers.web_pages import WebPagesServer
from tools.images.product_picture import product_box

pytestmark = pytest.mark.slow

MAKE = ("--voice", "espeak", "--preview", "--json")
PRODUCTS = [
    ("Orbit Mug", "$19.99", "4.8", "Keeps drinks hot for six hours; Fits every cup holder", "astronaut"),
    ("Barista Kettle", "$49.00", "4.6", "Boils a litre in three minutes; Switches itself off", "coffee"),
    ("Cat Bed Deluxe", "$35.50", "4.3", "Washable cover; Non-slip base", "chelsea"),
    ("Rocket Lamp", "$24.00", "4.1", "Warm white light; Runs on USB power", "rocket"),
    ("Pocket Camera", "$89.99", "4.5", "Twelve megapixel sensor; Shoots in low light", "camera"),
]


def _catalogue(folder: Path) -> Path:
    """A CSV of five products, each with a real photograph beside it and an affiliate link."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = ["name,price,rating,features,image,link"]
    for name, price, rating, features, photo in PRODUCTS:
        Image.fromarray(getattr(data, photo)()).convert("RGB").save(folder / f"{photo}.jpg")
        rows.append(f'"{name}","{price}",{rating},"{features}",{photo}.jpg,https://shop.example/{photo}')
    path = folder / "products.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def _signature(image: Image.Image) -> np.ndarray:
    """A small colour layout of a picture, to tell which photograph a frame shows."""
    return np.asarray(image.convert("RGB").resize((12, 12)), dtype=np.float64).ravel()


def _show(home: Path, run_id: str) -> dict:
    result = run_cli(home, "show", run_id, "--json")
    assert result.code == 0, result.stderr
    return result.json()


def _fitted(picture: Image.Image, photo: Image.Image) -> Image.Image:
    """The part of a scene picture where `photo` would sit if it were fitted whole into the product box."""
    left, top, right, bottom = product_box(*picture.size)
    box_w, box_h = right - left, bottom - top
    scale = min(box_w / photo.width, box_h / photo.height)
    width, height = round(photo.width * scale), round(photo.height * scale)
    x0, y0 = left + (box_w - width) // 2, top + (box_h - height) // 2
    return picture.crop((x0, y0, x0 + width, y0 + height))


def test_a_catalogue_of_five_products_makes_a_top_5_video_of_their_own_pictures(tmp_path: Path, home: Path):
    catalogue = _catalogue(tmp_path / "shop")
    result = run_cli(
        home,
        "make",
        "kitchen gadgets",
        "--source",
        str(catalogue),
        "--duration",
        "45",
        "--run-id",
        "top",
        *MAKE,
    )
    assert result.code == 0, result.stderr
    gallery = home / "gallery" / "top"
    metadata = json.loads((gallery / "metadata.json").read_text())
    assert metadata["title"].startswith("Top 5 ")
    for _, _, _, _, photo in PRODUCTS:
        assert f"https://shop.example/{photo}" in metadata["description"]
    # Each scene names one product on screen ("## Scene 2: #4 Cat Bed Deluxe") and shows its photograph.
    script = (gallery / "script.md").read_text()
    photos = {photo: Image.open(tmp_path / "shop" / f"{photo}.jpg") for *_, photo in PRODUCTS}
    scenes = _show(home, "top")["scenes"]
    assert len(scenes) == 5
    named = []
    for scene in scenes:
        heading = script.split(f"## Scene {scene['index']}: ", 1)[1].split("\n", 1)[0]
        name = next(name for name, *_ in PRODUCTS if name in heading)
        named.append(name)
        assert scene["image"]["tier"] == "offline"
        picture = Image.open(scene["image"]["path"])
        distance = {
            photo: float(np.abs(_signature(_fitted(picture, image)) - _signature(image)).mean())
            for photo, image in photos.items()
        }
        shown = min(distance, key=distance.__getitem__)
        assert shown == next(photo for product, *_, photo in PRODUCTS if product == name), (name, distance)
    assert sorted(named) == sorted(name for name, *_ in PRODUCTS)


def test_a_web_page_and_a_feed_give_the_script_its_facts_with_citations(home: Path):
    with WebPagesServer() as site:
        base = site.url
        page = f"{base}/articles/coffee"
        feed = f"{base}/feeds/rss.xml"
        env = {"REELFORGE_ALLOW_PRIVATE_SOURCES": "on"}
        by_page = run_cli(
            home, "make", "coffee", "--source", page, "--duration", "30", "--run-id", "page", *MAKE, **env
        )
        assert by_page.code == 0, by_page.stderr
        by_feed = run_cli(
            home, "make", "news", "--source", feed, "--duration", "30", "--run-id", "feed", *MAKE, **env
        )
        assert by_feed.code == 0, by_feed.stderr
    for run_id, cited in (("page", page), ("feed", base)):
        script = (home / "gallery" / run_id / "script.md").read_text()
        sources = script.split("## Sources", 1)[1]
        assert cited in sources, script
        assert "*Sources:*" in script, script
        assert _show(home, run_id)["report"]["tiers"]["facts"] in ("free:web", "free:feed")


def test_a_page_that_is_gone_fails_the_run_in_one_line(home: Path):
    with WebPagesServer() as site:
        result = run_cli(
            home,
            "make",
            "coffee",
            "--source",
            f"{site.url}/missing",
            "--duration",
            "10",
            *MAKE,
            REELFORGE_ALLOW_PRIVATE_SOURCES="on",
        )
    assert result.code != 0
    line = result.stderr.strip().splitlines()[-1]
    assert "404" in line and "check the address" in line, result.stderr


def test_a_private_address_is_refused_unless_allowed(home: Path):
    with WebPagesServer() as site:
        result = run_cli(
            home, "make", "coffee", "--source", f"{site.url}/articles/coffee", "--duration", "10", *MAKE
        )
    assert result.code != 0
    assert "REELFORGE_ALLOW_PRIVATE_SOURCES" in result.stderr


@pytest.fixture
def airtable() -> Iterator[AirtableServer]:
    with AirtableServer() as server:
        yield server


def _rows_run(home: Path, airtable: AirtableServer, run_id: str, gate: str) -> dict[str, str]:
    """Start a video of the table's ready rows that stops at `gate`; the environment to answer it with."""
    env = {"AIRTABLE_API_KEY": TOKEN, "AIRTABLE_URL": airtable.url}
    ref = f"airtable://{BASE}/Products"
    made = run_cli(
        home,
        "make",
        "coffee gear",
        "--source",
        ref,
        "--duration",
        "30",
        "--run-id",
        run_id,
        gate,
        *MAKE,
        **env,
    )
    assert made.code == 0, made.stderr
    return env


TAKEN = ["recAEROPRESS00001", "recKETTLE00000002", "recSCALE000000004"]


def test_airtable_rows_go_ready_then_in_progress_then_published(home: Path, airtable: AirtableServer):
    env = _rows_run(home, airtable, "rows", "--approve-publish")
    assert [airtable.status(record) for record in TAKEN] == ["in progress"] * 3
    assert airtable.status("recGRINDER0000003") == "published"  # not ready: left alone
    assert airtable.status("recDRAFT000000005") is None
    approved = run_cli(home, "approve", "rows", "--json", **env)
    assert approved.code == 0, approved.stderr
    for record in TAKEN:
        assert airtable.status(record) == "published"
        assert "rows" in airtable.status(record, "Video URL")


def test_an_airtable_run_that_fails_writes_the_error_back(home: Path, airtable: AirtableServer):
    env = _rows_run(home, airtable, "nope", "--review")
    assert airtable.status("recSCALE000000004") == "in progress"
    rejected = run_cli(home, "reject", "nope", "--reason", "wrong products", "--json", **env)
    assert rejected.code == 0, rejected.stderr
    assert airtable.status("recSCALE000000004") == "failed"
    assert "wrong products" in airtable.status("recSCALE000000004", "Error")
