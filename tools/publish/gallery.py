"""The local gallery publisher: one folder per run, plus an index.html and an RSS feed over all of them."""

from __future__ import annotations

import fcntl
import html
import json
import logging
import os
import re
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from state import Publication
from tools.errors import BadInput
from tools.files import atomic_path, sha256_file, write_text_atomic
from tools.lenient import as_number
from tools.publish.publisher import PublishItem

__all__ = ["GalleryPublisher", "list_gallery", "publish_to_gallery", "rebuild_gallery", "srt_to_vtt"]

logger = logging.getLogger(__name__)


VIDEO = "video.mp4"
THUMBNAIL = "thumbnail.jpg"
SUBTITLES = "subtitles.srt"
SUBTITLES_VTT = "subtitles.vtt"
METADATA = "metadata.json"
SCRIPT = "script.md"
INDEX = "index.html"
FEED = "feed.xml"
LOCK = ".lock"

# XML 1.0 rejects most control characters; a stray one in a title would make the whole feed unparsable.
_XML_INVALID = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_SRT_TIME = re.compile(r"(\d+:\d{2}:\d{2})[,.](\d{3})")
_ASPECT = re.compile(r"^\s*(\d{1,4})\s*[:/x]\s*(\d{1,4})\s*$")


def publish_to_gallery(
    *,
    gallery_dir: Path,
    run_id: str,
    video: Path,
    thumbnail: Path,
    subtitles: Path,
    metadata: dict[str, Any],
    script_markdown: str,
    now: datetime | None = None,
    base_url: str | None = None,
) -> Publication:
    """Place a run's video in the gallery, regenerate index.html and feed.xml, and return the Publication."""
    _check_run_id(run_id)
    for label, source in (("video", video), ("thumbnail", thumbnail), ("subtitles", subtitles)):
        if not Path(source).is_file():
            raise BadInput(f"the {label} to publish is missing at {source}; re-run the video production step")
    gallery_dir = Path(gallery_dir).absolute()
    gallery_dir.mkdir(parents=True, exist_ok=True)
    entry_dir = gallery_dir / run_id
    base = _resolve_base_url(base_url)

    # One lock over the entry and the rebuild: a second run for the same id must see the first one's
    # published_at, and two rebuilds must not interleave their index and feed.
    with _gallery_lock(gallery_dir):
        entry_dir.mkdir(exist_ok=True)
        published_at = _existing_published_at(entry_dir / METADATA) or _iso_utc(now or datetime.now(UTC))

        _place(Path(video), entry_dir / VIDEO)
        _place(Path(thumbnail), entry_dir / THUMBNAIL)
        _place(Path(subtitles), entry_dir / SUBTITLES)
        srt_text = (entry_dir / SUBTITLES).read_text(encoding="utf-8-sig", errors="replace")
        write_text_atomic(entry_dir / SUBTITLES_VTT, srt_to_vtt(srt_text))
        write_text_atomic(entry_dir / SCRIPT, script_markdown)

        record: dict[str, Any] = dict(metadata)
        record.update(
            {
                "run_id": run_id,
                "published_at": published_at,
                "files": {
                    name: (entry_dir / name).stat().st_size
                    for name in (VIDEO, THUMBNAIL, SUBTITLES, SUBTITLES_VTT, SCRIPT)
                },
                "video_bytes": (entry_dir / VIDEO).stat().st_size,
                "video_sha256": sha256_file(entry_dir / VIDEO),
            }
        )
        # default=str: callers may hand over Paths or datetimes, which a reader wants as plain strings.
        write_text_atomic(
            entry_dir / METADATA,
            json.dumps(record, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n",
        )
        _rebuild_unlocked(gallery_dir, base)

    return _publication(gallery_dir, run_id, published_at, base)


def _publication(gallery_dir: Path, run_id: str, published_at: str, base: str | None) -> Publication:
    return {
        "target": "gallery",
        "id": run_id,
        "url": f"{_home_url(gallery_dir, base)}#{quote(run_id, safe=':@')}",
        "published_at": published_at,
    }


@dataclass(frozen=True)
class GalleryPublisher:
    """The gallery as a Publisher: each entry's metadata keeps the idempotency key it was posted under."""

    gallery_dir: Path
    base_url: str | None = None
    target: str = "gallery"

    def publish(self, item: PublishItem, metadata: dict[str, Any], idempotency_key: str) -> Publication:
        """Place the video in the gallery under its run id."""
        return publish_to_gallery(
            gallery_dir=self.gallery_dir,
            run_id=item.run_id,
            video=item.video,
            thumbnail=item.thumbnail,
            subtitles=item.subtitles,
            metadata={**metadata, "idempotency_key": idempotency_key},
            script_markdown=item.script_markdown,
            base_url=self.base_url,
        )

    def check(self, item: PublishItem, metadata: dict[str, Any]) -> None:
        """The gallery takes any verified video."""

    def find(self, idempotency_key: str) -> Publication | None:
        """The entry posted under `idempotency_key`, if its metadata and video are in place."""
        gallery_dir = Path(self.gallery_dir).absolute()
        for entry in _scan(gallery_dir)[0]:
            if entry.get("idempotency_key") == idempotency_key:
                base = _resolve_base_url(self.base_url)
                return _publication(gallery_dir, str(entry["run_id"]), str(entry["published_at"]), base)
        return None


def rebuild_gallery(gallery_dir: Path, base_url: str | None = None) -> None:
    """Regenerate index.html and feed.xml from every entry's metadata.json, newest first."""
    gallery_dir = Path(gallery_dir).absolute()
    gallery_dir.mkdir(parents=True, exist_ok=True)
    with _gallery_lock(gallery_dir):
        _rebuild_unlocked(gallery_dir, _resolve_base_url(base_url))


def list_gallery(gallery_dir: Path) -> list[dict[str, Any]]:
    """Return every readable entry's metadata, newest first; corrupt entries are skipped with a warning."""
    entries, problems = _scan(Path(gallery_dir).absolute())
    for problem in problems:
        logger.warning(problem)
    return entries


def srt_to_vtt(srt: str) -> str:
    """Convert SubRip subtitles to WebVTT, which is what browsers accept in a <track>."""
    lines = srt.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    out = ["WEBVTT", ""]
    for line in lines:
        if "-->" in line:
            line = _SRT_TIME.sub(r"\1.\2", line)
        out.append(line)
    return "\n".join(out).rstrip("\n") + "\n"


def _check_run_id(run_id: str) -> None:
    """Refuse ids that would escape the gallery folder or hide from the scan."""
    if (
        not run_id
        or run_id.startswith(".")
        or "/" in run_id
        or "\\" in run_id
        or any(ord(ch) < 32 or ch == "\x7f" for ch in run_id)
    ):
        raise BadInput(
            f"run id {run_id!r} cannot name a gallery folder; use letters, digits, '-', '_' or ':'"
        )


def _resolve_base_url(base_url: str | None) -> str | None:
    """The served base URL without a trailing slash; None or an empty value means 'not served'."""
    value = (base_url or "").strip().rstrip("/")
    return value or None


def _home_url(gallery_dir: Path, base: str | None) -> str:
    """Where the gallery page lives: the served base URL, else the index file itself."""
    return f"{base}/" if base else (gallery_dir / INDEX).as_uri()


@contextmanager
def _gallery_lock(gallery_dir: Path) -> Iterator[None]:
    """Hold an exclusive flock on <gallery>/.lock; the kernel drops it if the process dies."""
    with open(gallery_dir / LOCK, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _place(source: Path, target: Path) -> None:
    """Put `source` at `target` atomically, by hard link when possible, skipping work already done."""
    if target.exists():
        if os.path.samefile(source, target):
            return
        if target.stat().st_size == source.stat().st_size and sha256_file(target) == sha256_file(source):
            return
    with atomic_path(target) as tmp:
        # A hard link costs no disk; the run folder and the gallery then share one inode, which is safe
        # because artifacts are replaced by rename (tools.files), never rewritten in place. Linking fails
        # across filesystems (EXDEV) or where links are not allowed, and a plain copy does the job there.
        tmp.unlink()
        try:
            os.link(source, tmp)
        except OSError:
            shutil.copyfile(source, tmp)


def _existing_published_at(path: Path) -> str | None:
    """Return the published_at a previous publish of this run recorded, if it can still be read."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        logger.warning("gallery entry %s is unreadable (%s); publishing it again with a new date", path, exc)
        return None
    if isinstance(data, dict) and _parse_time(data.get("published_at")) is not None:
        return str(data["published_at"])
    return None


def _iso_utc(moment: datetime) -> str:
    """Format a moment as UTC ISO-8601; a naive datetime is taken to be UTC already."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _parse_time(value: object) -> datetime | None:
    """Parse an ISO-8601 timestamp into an aware UTC datetime, or None."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _scan(gallery_dir: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """Read every entry folder; return the usable entries newest first and a note for each one skipped."""
    entries: list[tuple[datetime, dict[str, Any]]] = []
    problems: list[str] = []
    if not gallery_dir.is_dir():
        return [], []
    for folder in sorted(gallery_dir.iterdir()):
        meta_path = folder / METADATA
        if folder.name.startswith(".") or not folder.is_dir() or not meta_path.is_file():
            continue
        try:
            data = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            problems.append(
                f"skipping gallery entry {folder.name}: {meta_path} is unreadable ({exc}); "
                f"publish the run again or remove the folder"
            )
            continue
        if not isinstance(data, dict):
            problems.append(
                f"skipping gallery entry {folder.name}: {meta_path} is not a JSON object; "
                f"publish the run again or remove the folder"
            )
            continue
        if not (folder / VIDEO).is_file():
            problems.append(f"skipping gallery entry {folder.name}: {VIDEO} is missing; publish it again")
            continue
        # The folder name is what URLs point at, so it wins over whatever the file says.
        data["run_id"] = folder.name
        moment = _parse_time(data.get("published_at"))
        if moment is None:
            moment = datetime.fromtimestamp(meta_path.stat().st_mtime, UTC)
            data["published_at"] = _iso_utc(moment)
        entries.append((moment, data))
    entries.sort(key=lambda pair: (pair[0], str(pair[1]["run_id"])), reverse=True)
    return [data for _, data in entries], problems


def _rebuild_unlocked(gallery_dir: Path, base: str | None) -> None:
    """Write index.html and feed.xml; the caller holds the gallery lock."""
    entries, problems = _scan(gallery_dir)
    for problem in problems:
        logger.warning(problem)
    write_text_atomic(gallery_dir / INDEX, _render_index(entries))
    write_text_atomic(gallery_dir / FEED, _render_feed(gallery_dir, entries, base))


def _text(value: object) -> str:
    """A metadata value as display text, with characters XML cannot carry removed."""
    if value is None:
        return ""
    return _XML_INVALID.sub("", str(value))


def _tags(value: object) -> list[str]:
    """Tags as a clean list of strings, whatever shape the metadata gave them in."""
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list):
        return []
    return [tag for tag in (_text(item).strip().lstrip("#") for item in value) if tag]


def _duration(entry: dict[str, Any]) -> str:
    """Duration as m:ss, or an empty string when unknown."""
    seconds = as_number(entry.get("duration_s"))
    if seconds is None or seconds < 0:
        return ""
    total = int(round(seconds))
    return f"{total // 60}:{total % 60:02d}"


def _aspect(entry: dict[str, Any]) -> tuple[str, int, int]:
    """The aspect label and its integer ratio, from 'aspect' or from width and height."""
    match = _ASPECT.match(_text(entry.get("aspect")))
    if match and int(match.group(1)) > 0 and int(match.group(2)) > 0:
        w, h = int(match.group(1)), int(match.group(2))
        return f"{w}:{h}", w, h
    width, height = as_number(entry.get("width")), as_number(entry.get("height"))
    if width and height and width > 0 and height > 0:
        return "", int(width), int(height)
    return "", 16, 9


def _href(run_id: str, name: str) -> str:
    """A relative URL into an entry folder; './' and quoting stop 'make:x' from reading as a scheme."""
    return f"./{quote(run_id, safe='')}/{name}"


def _enclosure_url(gallery_dir: Path, run_id: str, base: str | None) -> str:
    """The absolute URL a feed reader downloads the video from."""
    if base:
        return f"{base}/{quote(run_id, safe='')}/{VIDEO}"
    return (gallery_dir / run_id / VIDEO).as_uri()


_CSS = """
:root { color-scheme: dark; --bg: #0f1115; --card: #181b22; --line: #262a33; --text: #e6e8ee;
        --muted: #9aa3b2; --accent: #7cc4ff; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text);
       font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
header { padding: 28px 20px 8px; max-width: 1280px; margin: 0 auto; display: flex; flex-wrap: wrap;
         align-items: baseline; gap: 12px 20px; }
header h1 { margin: 0; font-size: 1.6rem; letter-spacing: .01em; }
header p { margin: 0; color: var(--muted); }
a { color: var(--accent); text-decoration: none; }
a:hover, a:focus { text-decoration: underline; }
main { max-width: 1280px; margin: 0 auto; padding: 16px 20px 48px; display: grid; gap: 20px;
       grid-template-columns: repeat(auto-fill, minmax(280px, 1fr)); align-items: start; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 14px; overflow: hidden;
        scroll-margin-top: 16px; }
.card:target { outline: 2px solid var(--accent); }
.card video { display: block; width: 100%; max-height: 72vh; background: #000; object-fit: contain; }
.body { padding: 14px 16px 16px; }
.body h2 { margin: 0 0 6px; font-size: 1.1rem; line-height: 1.3; overflow-wrap: anywhere; }
.meta { margin: 0 0 8px; color: var(--muted); font-size: .85rem; }
.desc { margin: 0 0 10px; white-space: pre-line; overflow-wrap: anywhere; font-size: .95rem; }
.tags { list-style: none; margin: 0 0 10px; padding: 0; display: flex; flex-wrap: wrap; gap: 6px; }
.tags li { background: #222734; color: var(--muted); border-radius: 999px; padding: 1px 10px;
           font-size: .8rem; }
.links { margin: 0; font-size: .9rem; display: flex; gap: 14px; }
.credits { margin: 0 0 12px; padding: 10px 0 0; border-top: 1px solid var(--line); font-size: .8rem;
           color: var(--muted); }
.credits h3 { margin: 0 0 4px; font-size: .8rem; font-weight: 600; text-transform: uppercase;
              letter-spacing: .06em; }
.credits ul { margin: 0; padding: 0; list-style: none; }
.credits li { margin: 0 0 4px; overflow-wrap: anywhere; }
.credits li a { color: var(--text); text-decoration: underline; text-decoration-color: #4a5160;
                text-underline-offset: 2px; }
.credits li a.licence { color: var(--muted); }
.empty { color: var(--muted); grid-column: 1 / -1; }
"""


def _render_card(entry: dict[str, Any]) -> str:
    """One <article> for one video; every value is escaped because titles come from models and users."""
    run_id = str(entry["run_id"])
    esc = html.escape
    title = _text(entry.get("title")).strip() or run_id
    credits = _credits(entry.get("credits"))
    description = _without_credit_line(_text(entry.get("description")).strip(), credits)
    aspect_label, ratio_w, ratio_h = _aspect(entry)
    moment = _parse_time(entry.get("published_at"))
    lang = _text(entry.get("lang")).strip() or "en"
    meta_parts = [part for part in (_duration(entry), aspect_label) if part]
    date_html = ""
    if moment is not None:
        date_html = (
            f'<time datetime="{esc(_iso_utc(moment))}">{esc(moment.strftime("%Y-%m-%d %H:%M"))} UTC</time>'
        )
    meta_html = " · ".join([esc(part) for part in meta_parts] + ([date_html] if date_html else []))
    tags_html = "".join(f"<li>#{esc(tag)}</li>" for tag in _tags(entry.get("tags")))
    lines = [
        f'<article class="card" id="{esc(run_id)}">',
        f'  <video controls preload="metadata" playsinline poster="{esc(_href(run_id, THUMBNAIL))}"'
        f' style="aspect-ratio: {ratio_w} / {ratio_h}">',
        f'    <source src="{esc(_href(run_id, VIDEO))}" type="video/mp4">',
        # Not `default`: the captions are burned into the picture; the track is there for players and readers.
        f'    <track kind="subtitles" src="{esc(_href(run_id, SUBTITLES_VTT))}" srclang="{esc(lang)}"'
        f' label="Subtitles">',
        "  </video>",
        '  <div class="body">',
        f"    <h2>{esc(title)}</h2>",
    ]
    if meta_html:
        lines.append(f'    <p class="meta">{meta_html}</p>')
    if description:
        lines.append(f'    <p class="desc">{esc(description)}</p>')
    if tags_html:
        lines.append(f'    <ul class="tags">{tags_html}</ul>')
    if credits:
        lines.append(_render_credits(credits))
    lines += [
        f'    <p class="links"><a href="{esc(_href(run_id, SCRIPT))}">Script</a>'
        f' <a href="{esc(_href(run_id, VIDEO))}" download>Download</a>'
        f' <a href="#{esc(quote(run_id, safe=":@"))}">Link</a></p>',
        "  </div>",
        "</article>",
    ]
    return "\n".join(lines)


def _credits(value: object) -> list[dict[str, str]]:
    """The pictures' credits as clean dicts of text; anything else in the metadata is ignored."""
    if not isinstance(value, list):
        return []
    credits = []
    for item in value:
        if isinstance(item, dict):
            credit = {str(key): _text(text).strip() for key, text in item.items() if isinstance(text, str)}
            if credit.get("title") or credit.get("source"):
                credits.append(credit)
    return credits


def _without_credit_line(description: str, credits: list[dict[str, str]]) -> str:
    """Drop the description's plain-text "Pictures: …" line when the linked credits list replaces it."""
    head, marker, tail = description.rpartition("Pictures: ")
    named = [credit.get("source") or credit.get("title") or "" for credit in credits]
    if not marker or not credits or not all(name in tail for name in named):
        return description
    return head.rstrip()


def _web_url(value: object) -> str | None:
    """`value` if it is an absolute http(s) URL, else None: `javascript:` or `data:` never reach an href."""
    text = _text(value).strip()
    # Browsers drop tabs and newlines inside URLs, so "java\tscript:" would run; refuse any whitespace.
    if not text or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 0x7F for ch in text):
        return None
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:
        return None
    return text if parts.scheme.lower() in ("http", "https") and host else None


def _link(label: str, url: str | None, css: str = "") -> str:
    """`label` escaped, linked to `url` when there is one; the link passes no referrer and no endorsement."""
    if url is None:
        return html.escape(label)
    css_attr = f' class="{css}"' if css else ""
    rel = "nofollow noopener noreferrer"
    return f'<a{css_attr} href="{html.escape(url)}" rel="{rel}">{html.escape(label)}</a>'


def _render_credits(credits: list[dict[str, str]]) -> str:
    """The pictures' attributions: title linked to its page, author, licence linked to its text."""
    items = []
    for credit in credits:
        parts = [_link(credit.get("title") or "Untitled picture", _web_url(credit.get("source")))]
        if author := credit.get("author"):
            parts.append(f" by {html.escape(author)}")
        if licence := credit.get("license"):
            parts.append(f", {_link(licence, _web_url(credit.get('license_url')), 'licence')}")
        if provider := credit.get("provider"):
            parts.append(f" · via {html.escape(provider)}")
        items.append(f"      <li>{''.join(parts)}</li>")
    return "\n".join(
        [
            '    <section class="credits" aria-label="Picture credits">',
            "      <h3>Pictures</h3>",
            "      <ul>",
            *items,
            "      </ul>",
            "    </section>",
        ]
    )


def _render_index(entries: list[dict[str, Any]]) -> str:
    """The whole gallery page: inline CSS, relative URLs, so it works served or opened as a file."""
    count = len(entries)
    cards = "\n".join(_render_card(entry) for entry in entries) or '<p class="empty">No videos yet.</p>'
    return (
        "<!doctype html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="generator" content="reelforge">\n'
        "<title>reelforge gallery</title>\n"
        f'<link rel="alternate" type="application/rss+xml" title="reelforge gallery" href="./{FEED}">\n'
        f"<style>{_CSS}</style>\n</head>\n<body>\n"
        "<header>\n<h1>reelforge gallery</h1>\n"
        f'<p>{count} video{"" if count == 1 else "s"} · <a href="./{FEED}">RSS feed</a></p>\n</header>\n'
        f"<main>\n{cards}\n</main>\n</body>\n</html>\n"
    )


def _render_feed(gallery_dir: Path, entries: list[dict[str, Any]], base: str | None) -> str:
    """RSS 2.0 over all entries, built with ElementTree so escaping is never hand-rolled."""
    home = _home_url(gallery_dir, base)
    rss = ET.Element("rss", {"version": "2.0"})
    channel = ET.SubElement(rss, "channel")
    ET.SubElement(channel, "title").text = "reelforge gallery"
    ET.SubElement(channel, "link").text = home
    ET.SubElement(channel, "description").text = "Short videos made by reelforge"
    ET.SubElement(channel, "generator").text = "reelforge"
    # The newest entry's date, not the wall clock: rebuilding an unchanged gallery then changes nothing.
    newest = _parse_time(entries[0].get("published_at")) if entries else None
    ET.SubElement(channel, "lastBuildDate").text = format_datetime(newest or datetime.now(UTC), usegmt=True)
    for entry in entries:
        run_id = str(entry["run_id"])
        item = ET.SubElement(channel, "item")
        ET.SubElement(item, "title").text = _text(entry.get("title")).strip() or run_id
        ET.SubElement(item, "link").text = f"{home}#{quote(run_id, safe=':@')}"
        ET.SubElement(item, "description").text = _text(entry.get("description")).strip()
        ET.SubElement(item, "guid", {"isPermaLink": "false"}).text = _text(run_id)
        moment = _parse_time(entry.get("published_at"))
        if moment is not None:
            ET.SubElement(item, "pubDate").text = format_datetime(moment, usegmt=True)
        for tag in _tags(entry.get("tags")):
            ET.SubElement(item, "category").text = tag
        length = (gallery_dir / run_id / VIDEO).stat().st_size
        ET.SubElement(
            item,
            "enclosure",
            {"url": _enclosure_url(gallery_dir, run_id, base), "length": str(length), "type": "video/mp4"},
        )
    ET.indent(rss)
    body = ET.tostring(rss, encoding="unicode")
    return f'<?xml version="1.0" encoding="utf-8"?>\n{body}\n'
