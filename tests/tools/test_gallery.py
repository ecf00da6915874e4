"""Tests for the local gallery publisher: entry folders, index.html, feed.xml, idempotency and locking."""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import threading
import time
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

import tools.publish.gallery as gallery_module
from tools.errors import BadInput
from tools.publish import list_gallery, publish_to_gallery, rebuild_gallery, srt_to_vtt

SRT = "1\n00:00:00,000 --> 00:00:02,500\nHello there\n\n2\n00:00:02,500 --> 00:00:05,000\nSecond line\n"
T0 = datetime(2026, 11, 22, 8, 30, tzinfo=UTC)


def make_sources(folder: Path, payload: bytes = b"\x00\x00\x00\x18ftypmp42fake-video") -> dict[str, Path]:
    """Write tiny stand-ins for a run's video, thumbnail and subtitles; the publisher only copies bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    video = folder / "final.mp4"
    video.write_bytes(payload)
    thumb = folder / "thumb.jpg"
    thumb.write_bytes(b"\xff\xd8\xff\xe0fake-jpeg")
    subs = folder / "subs.srt"
    subs.write_text(SRT, encoding="utf-8")
    return {"video": video, "thumbnail": thumb, "subtitles": subs}


def publish(
    gallery: Path, run_id: str, sources: dict[str, Path], *, title: str = "History of coffee", **kw: Any
) -> Any:
    """Publish one fake run with ordinary metadata."""
    meta = {
        "title": title,
        "description": "From Ethiopia to espresso.",
        "tags": ["coffee", "history"],
        "duration_s": 45.2,
        "aspect": "9:16",
        "width": 1080,
        "height": 1920,
    }
    return publish_to_gallery(
        gallery_dir=gallery,
        run_id=run_id,
        video=sources["video"],
        thumbnail=sources["thumbnail"],
        subtitles=sources["subtitles"],
        metadata=meta,
        script_markdown=f"# {title}\n\nScene 1.\n",
        **kw,
    )


class _Collector(HTMLParser):
    """Collect the tags and attributes of a page, and its text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse_html(path: Path) -> _Collector:
    parser = _Collector()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return parser


def feed_items(gallery: Path) -> list[ET.Element]:
    root = ET.parse(gallery / "feed.xml").getroot()
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    assert channel is not None
    return channel.findall("item")


def test_publish_creates_entry_files_and_metadata(tmp_path: Path) -> None:
    gallery = tmp_path / "gallery"
    src = make_sources(tmp_path / "run")
    pub = publish(gallery, "make-coffee-3f2a", src, now=T0)

    entry = gallery / "make-coffee-3f2a"
    names = ("video.mp4", "thumbnail.jpg", "subtitles.srt", "subtitles.vtt", "metadata.json", "script.md")
    for name in names:
        assert (entry / name).is_file(), name
    assert (entry / "video.mp4").read_bytes() == src["video"].read_bytes()
    meta = json.loads((entry / "metadata.json").read_text())
    assert meta["run_id"] == "make-coffee-3f2a"
    assert meta["title"] == "History of coffee"
    assert meta["published_at"] == "2026-11-22T08:30:00+00:00"
    assert meta["video_bytes"] == src["video"].stat().st_size
    assert meta["files"]["video.mp4"] == src["video"].stat().st_size
    assert len(meta["video_sha256"]) == 64
    assert pub == {
        "target": "gallery",
        "id": "make-coffee-3f2a",
        "url": (gallery / "index.html").absolute().as_uri() + "#make-coffee-3f2a",
        "published_at": "2026-11-22T08:30:00+00:00",
    }


def test_index_lists_video_with_existing_relative_files(tmp_path: Path) -> None:
    gallery = tmp_path / "gallery"
    publish(gallery, "make-coffee-3f2a", make_sources(tmp_path / "run"), now=T0)
    page = parse_html(gallery / "index.html")

    videos = [attrs for tag, attrs in page.tags if tag == "video"]
    assert len(videos) == 1
    assert "controls" in videos[0] and videos[0]["preload"] == "metadata"
    sources = [attrs for tag, attrs in page.tags if tag == "source"]
    tracks = [attrs for tag, attrs in page.tags if tag == "track"]
    assert sources[0]["type"] == "video/mp4"
    for url in (sources[0]["src"], tracks[0]["src"], videos[0]["poster"]):
        assert url is not None and not url.startswith(("/", "file:", "http"))
        assert (gallery / unquote(url)).is_file(), url
    assert tracks[0]["kind"] == "subtitles" and str(tracks[0]["src"]).endswith(".vtt")
    links = [attrs["href"] for tag, attrs in page.tags if tag == "a"]
    assert "./make-coffee-3f2a/script.md" in links
    text = " ".join(page.text)
    assert "History of coffee" in text and "0:45" in text and "9:16" in text and "#coffee" in text
    # Self-contained: no external stylesheet or script.
    assert not [t for t, a in page.tags if t in ("script",) or (t == "link" and a.get("rel") == "stylesheet")]


def test_feed_is_rss_with_enclosure_matching_file(tmp_path: Path) -> None:
    gallery = tmp_path / "gallery"
    publish(gallery, "make-coffee-3f2a", make_sources(tmp_path / "run"), now=T0)
    root = ET.parse(gallery / "feed.xml").getroot()
    channel = root.find("channel")
    assert channel is not None
    assert channel.findtext("title") == "reelforge gallery"
    assert channel.findtext("link") and channel.findtext("description")
    assert parsedate_to_datetime(channel.findtext("lastBuildDate") or "") == T0
    (item,) = channel.findall("item")
    assert item.findtext("title") == "History of coffee"
    guid = item.find("guid")
    assert guid is not None and guid.text == "make-coffee-3f2a" and guid.get("isPermaLink") == "false"
    assert parsedate_to_datetime(item.findtext("pubDate") or "") == T0
    enclosure = item.find("enclosure")
    assert enclosure is not None
    video = gallery / "make-coffee-3f2a" / "video.mp4"
    assert enclosure.get("type") == "video/mp4"
    assert enclosure.get("length") == str(video.stat().st_size)
    assert enclosure.get("url") == video.absolute().as_uri()


def test_base_url_from_the_argument(tmp_path: Path) -> None:
    gallery = tmp_path / "gallery"
    src = make_sources(tmp_path / "run")
    pub = publish(gallery, "daily:2026-11-22:coffee", src, now=T0, base_url="https://videos.example/g/")
    (item,) = feed_items(gallery)
    enclosure = item.find("enclosure")
    assert enclosure is not None
    assert enclosure.get("url") == "https://videos.example/g/daily%3A2026-11-22%3Acoffee/video.mp4"
    assert pub["url"] == "https://videos.example/g/#daily:2026-11-22:coffee"

    rebuild_gallery(gallery, "https://other.example/")
    (item,) = feed_items(gallery)
    enclosure = item.find("enclosure")
    assert enclosure is not None and str(enclosure.get("url")).startswith("https://other.example/daily%3A")


def test_colon_run_id_gets_relative_urls_that_are_not_schemes(tmp_path: Path) -> None:
    gallery = tmp_path / "gallery"
    publish(gallery, "make:coffee-3f2a", make_sources(tmp_path / "run"), now=T0)
    page = parse_html(gallery / "index.html")
    (source,) = [attrs for tag, attrs in page.tags if tag == "source"]
    assert source["src"] == "./make%3Acoffee-3f2a/video.mp4"
    assert (gallery / unquote(str(source["src"]))).is_file()


def test_republish_is_idempotent(tmp_path: Path) -> None:
    gallery = tmp_path / "gallery"
    src = make_sources(tmp_path / "run")
    first = publish(gallery, "make-coffee-3f2a", src, now=T0)
    second = publish(gallery, "make-coffee-3f2a", src, now=T0 + timedelta(hours=3))
    assert second == first
    assert len(feed_items(gallery)) == 1
    assert len(list_gallery(gallery)) == 1
    meta = json.loads((gallery / "make-coffee-3f2a" / "metadata.json").read_text())
    assert meta["published_at"] == first["published_at"]
    assert [p.name for p in (gallery / "make-coffee-3f2a").iterdir() if p.name.startswith(".")] == []


def test_republish_with_new_video_replaces_bytes_and_keeps_date(tmp_path: Path) -> None:
    gallery = tmp_path / "gallery"
    first = publish(gallery, "r1", make_sources(tmp_path / "a"), now=T0)
    second = publish(gallery, "r1", make_sources(tmp_path / "b", b"a longer regenerated video"), now=T0)
    assert second["published_at"] == first["published_at"]
    assert (gallery / "r1" / "video.mp4").read_bytes() == b"a longer regenerated video"
    (item,) = feed_items(gallery)
    enclosure = item.find("enclosure")
    assert enclosure is not None and enclosure.get("length") == str(len(b"a longer regenerated video"))


def test_two_videos_newest_first(tmp_path: Path) -> None:
    gallery = tmp_path / "gallery"
    publish(gallery, "older", make_sources(tmp_path / "a"), title="Older", now=T0)
    publish(gallery, "newer", make_sources(tmp_path / "b"), title="Newer", now=T0 + timedelta(days=1))
    assert [item.findtext("guid") for item in feed_items(gallery)] == ["newer", "older"]
    assert [entry["run_id"] for entry in list_gallery(gallery)] == ["newer", "older"]
    page = parse_html(gallery / "index.html")
    articles = [attrs["id"] for tag, attrs in page.tags if tag == "article"]
    assert articles == ["newer", "older"]


def test_hostile_title_is_escaped(tmp_path: Path) -> None:
    gallery = tmp_path / "gallery"
    hostile = '<script>alert("x")</script> & \'quotes\' "too"\x0b'
    publish(gallery, "r1", make_sources(tmp_path / "run"), title=hostile, now=T0)
    raw = (gallery / "index.html").read_text()
    assert "<script>" not in raw
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp;" in raw
    page = parse_html(gallery / "index.html")
    assert [t for t, _ in page.tags if t == "script"] == []
    assert hostile.rstrip("\x0b") in "".join(page.text)
    (item,) = feed_items(gallery)
    assert item.findtext("title") == hostile.rstrip("\x0b")


def test_corrupt_metadata_is_skipped_not_deleted(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    gallery = tmp_path / "gallery"
    publish(gallery, "good", make_sources(tmp_path / "a"), now=T0)
    broken = gallery / "broken"
    broken.mkdir()
    (broken / "video.mp4").write_bytes(b"video")
    (broken / "metadata.json").write_text('{"title": "half-writ')
    (gallery / "listy").mkdir()
    (gallery / "listy" / "video.mp4").write_bytes(b"video")
    (gallery / "listy" / "metadata.json").write_text("[1, 2]")

    with caplog.at_level(logging.WARNING, logger="tools.publish.gallery"):
        rebuild_gallery(gallery)
    assert [item.findtext("guid") for item in feed_items(gallery)] == ["good"]
    assert "broken" in caplog.text and "listy" in caplog.text
    assert (broken / "metadata.json").read_text() == '{"title": "half-writ'
    assert [entry["run_id"] for entry in list_gallery(gallery)] == ["good"]


def test_corrupt_own_metadata_is_rewritten_on_republish(tmp_path: Path) -> None:
    gallery = tmp_path / "gallery"
    src = make_sources(tmp_path / "run")
    publish(gallery, "r1", src, now=T0)
    (gallery / "r1" / "metadata.json").write_text("{not json")
    pub = publish(gallery, "r1", src, now=T0 + timedelta(hours=1))
    assert pub["published_at"] == "2026-11-22T09:30:00+00:00"
    assert json.loads((gallery / "r1" / "metadata.json").read_text())["run_id"] == "r1"


def test_uses_hard_link_and_falls_back_to_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gallery = tmp_path / "gallery"
    src = make_sources(tmp_path / "run")
    publish(gallery, "linked", src, now=T0)
    assert os.path.samefile(src["video"], gallery / "linked" / "video.mp4")

    def refuse(*_: object, **__: object) -> None:
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", refuse)
    publish(gallery, "copied", src, now=T0)
    copy = gallery / "copied" / "video.mp4"
    assert not os.path.samefile(src["video"], copy)
    assert copy.read_bytes() == src["video"].read_bytes()


def test_vtt_conversion() -> None:
    vtt = srt_to_vtt("\ufeff" + SRT.replace("\n", "\r\n"))
    assert vtt.startswith("WEBVTT\n\n")
    assert "00:00:00.000 --> 00:00:02.500" in vtt
    assert "," not in vtt.split("Hello")[0].split("\n", 3)[3]
    assert "Hello there" in vtt and "\r" not in vtt


@pytest.mark.parametrize("bad", ["", "../escape", "a/b", ".hidden", "line\nbreak"])
def test_unsafe_run_id_is_refused(tmp_path: Path, bad: str) -> None:
    with pytest.raises(BadInput):
        publish(tmp_path / "gallery", bad, make_sources(tmp_path / "run"))


def test_missing_video_is_a_one_line_error(tmp_path: Path) -> None:
    src = make_sources(tmp_path / "run")
    src["video"].unlink()
    with pytest.raises(BadInput, match="video to publish is missing") as info:
        publish(tmp_path / "gallery", "r1", src)
    assert "\n" not in str(info.value)


def test_empty_gallery_rebuild(tmp_path: Path) -> None:
    gallery = tmp_path / "gallery"
    rebuild_gallery(gallery)
    assert "No videos yet" in (gallery / "index.html").read_text()
    assert feed_items(gallery) == []
    assert list_gallery(tmp_path / "nowhere") == []


def test_concurrent_publishing_threads_keep_every_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gallery = tmp_path / "gallery"
    # Widen the gap between reading the entries and writing the index, where an unguarded rebuild would
    # overwrite a newer index with a stale one.
    real_scan = gallery_module._scan

    def slow_scan(folder: Path) -> Any:
        found = real_scan(folder)
        time.sleep(0.02)
        return found

    monkeypatch.setattr(gallery_module, "_scan", slow_scan)
    count = 6
    sources = [make_sources(tmp_path / f"run{i}", f"video {i}".encode()) for i in range(count)]
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            barrier.wait()
            publish(gallery, f"run-{i}", sources[i], now=T0 + timedelta(minutes=i))
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    expected = [f"run-{i}" for i in reversed(range(count))]
    assert [item.findtext("guid") for item in feed_items(gallery)] == expected
    assert len([t for t, _ in parse_html(gallery / "index.html").tags if t == "video"]) == count


def _publish_in_process(gallery: str, run_id: str, folder: str, minute: int, start: Any) -> None:
    """Child-process body: wait for the start signal, then publish one run."""
    start.wait()
    sources = make_sources(Path(folder), run_id.encode())
    publish(Path(gallery), run_id, sources, now=T0 + timedelta(minutes=minute))


def test_concurrent_publishing_processes_keep_both_entries(tmp_path: Path) -> None:
    gallery = tmp_path / "gallery"
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Event()
    procs = [
        ctx.Process(
            target=_publish_in_process,
            args=(str(gallery), f"proc-{i}", str(tmp_path / f"p{i}"), i, start),
        )
        for i in range(2)
    ]
    for proc in procs:
        proc.start()
    start.set()
    for proc in procs:
        proc.join(timeout=60)
        assert proc.exitcode == 0
    assert [item.findtext("guid") for item in feed_items(gallery)] == ["proc-1", "proc-0"]
    assert (gallery / ".lock").exists()


# --- picture credits ----------------------------------------------------------------------------------

CREDITS = [
    {
        "title": "Coffee beans",
        "author": "Jane Roaster",
        "license": "CC BY 4.0",
        "license_url": "https://creativecommons.org/licenses/by/4.0/",
        "source": "https://commons.example/wiki/File:Beans.jpg",
        "provider": "commons",
    },
    {
        "title": "Espresso",
        "author": "Ana Barista",
        "license": "CC0 1.0",
        "license_url": "https://creativecommons.org/publicdomain/zero/1.0/",
        "source": "https://openverse.example/image/42?size=large&ref=reelforge",
        "provider": "openverse",
    },
]


def publish_with_credits(gallery: Path, sources: dict[str, Path], credits: object, description: str) -> None:
    """Publish one fake run whose metadata carries `credits`, as agents/publishing.py hands them over."""
    publish_to_gallery(
        gallery_dir=gallery,
        run_id="r1",
        video=sources["video"],
        thumbnail=sources["thumbnail"],
        subtitles=sources["subtitles"],
        metadata={"title": "Coffee", "description": description, "credits": credits},
        script_markdown="# Coffee\n",
        now=T0,
    )


def anchors(page: _Collector) -> dict[str, str | None]:
    """The credits links on the page: each href with its class."""
    raw_links = [attrs for tag, attrs in page.tags if tag == "a" and "nofollow" in str(attrs.get("rel"))]
    return {str(attrs.get("href")): attrs.get("class") for attrs in raw_links}


def test_credits_list_links_each_picture_and_its_licence(tmp_path: Path) -> None:
    gallery = tmp_path / "gallery"
    description = (
        "From Ethiopia to espresso. Pictures: "
        + "; ".join(f'"{c["title"]}" by {c["author"]}, {c["license"]} ({c["source"]})' for c in CREDITS)
        + "."
    )
    publish_with_credits(gallery, make_sources(tmp_path / "run"), CREDITS, description)
    raw = (gallery / "index.html").read_text()
    page = parse_html(gallery / "index.html")

    assert raw.count('<section class="credits"') == 1
    links = anchors(page)
    assert links == {
        "https://commons.example/wiki/File:Beans.jpg": None,
        "https://creativecommons.org/licenses/by/4.0/": "licence",
        "https://openverse.example/image/42?size=large&ref=reelforge": None,
        "https://creativecommons.org/publicdomain/zero/1.0/": "licence",
    }
    assert 'href="https://openverse.example/image/42?size=large&amp;ref=reelforge"' in raw
    text = " ".join("".join(page.text).split())
    assert "Coffee beans by Jane Roaster, CC BY 4.0 · via commons" in text
    assert "Espresso by Ana Barista, CC0 1.0 · via openverse" in text
    # The linked list replaces the description's plain-text credits rather than repeating them.
    assert "From Ethiopia to espresso." in text
    assert "Pictures:" not in text
    assert json.loads((gallery / "r1" / "metadata.json").read_text())["credits"] == CREDITS


def test_hostile_credit_text_is_escaped(tmp_path: Path) -> None:
    gallery = tmp_path / "gallery"
    hostile = {
        "title": '<img src=x onerror="alert(1)">',
        "author": "</li></ul><script>alert('x')</script>",
        "license": 'CC BY" onmouseover="alert(2)',
        "license_url": 'https://creativecommons.org/"onclick="alert(3)',
        "source": "https://example.org/p",
    }
    publish_with_credits(gallery, make_sources(tmp_path / "run"), [hostile], "Plain.")
    raw = (gallery / "index.html").read_text()
    page = parse_html(gallery / "index.html")
    assert [tag for tag, _ in page.tags if tag in ("img", "script")] == []
    assert all("onerror" not in attrs and "onclick" not in attrs for _, attrs in page.tags)
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in raw
    # The quote inside the URL cannot end the attribute: the href is the whole string, harmless as a URL.
    assert 'https://creativecommons.org/"onclick="alert(3)' in anchors(page)
    text = "".join(page.text)
    assert hostile["title"] in text and hostile["author"] in text and hostile["license"] in text


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "  JavaScript:alert(1)",
        "java\tscript:alert(1)",
        "jav&#x61;script:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "//evil.example/x",
        "/relative/path",
        "http://",
        "https://exa mple.org/",
        "http://[::1",
        "file:///etc/passwd",
    ],
)
def test_a_credit_url_that_is_not_http_is_never_a_link(tmp_path: Path, url: str) -> None:
    gallery = tmp_path / "gallery"
    credit = {**CREDITS[0], "source": url, "license_url": url}
    publish_with_credits(gallery, make_sources(tmp_path / "run"), [credit], "Plain.")
    page = parse_html(gallery / "index.html")
    hrefs = [str(attrs.get("href")) for tag, attrs in page.tags if tag == "a"]
    assert all(href.startswith(("./", "#", "https://", "http://")) for href in hrefs), hrefs
    assert anchors(page) == {}
    text = " ".join("".join(page.text).split())
    assert "Coffee beans by Jane Roaster, CC BY 4.0" in text


@pytest.mark.parametrize("credits", [None, [], "not a list", [42, None, ["x"]], [{"author": "nobody"}]])
def test_no_usable_credits_means_no_credits_section(tmp_path: Path, credits: object) -> None:
    gallery = tmp_path / "gallery"
    publish_with_credits(gallery, make_sources(tmp_path / "run"), credits, "Pictures: kept as written.")
    raw = (gallery / "index.html").read_text()
    assert "credits" not in raw.split("</style>", 1)[1]
    assert "Pictures: kept as written." in raw
