"""Local source files and folders: read .txt, .md and .html into plain text."""

from __future__ import annotations

import codecs
import html
import re
import unicodedata
from html.parser import HTMLParser
from pathlib import Path

from tools.errors import BadInput
from tools.text.markup import strip_markup
from tools.text.quality import count_words

MAX_SOURCE_BYTES = 5 * 1024 * 1024
_KINDS = {
    ".txt": "text",
    ".text": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
}
_ACCEPTED = ".txt, .md or .html"


def read_source(path: Path | str) -> tuple[str, str]:
    """Return (title, plain text) of a .txt, .md or .html source file."""
    path = Path(path)
    if not path.exists():
        raise BadInput(f"source file not found: {path}; check the path")
    if path.is_dir():
        raise BadInput(f"{path} is a directory, not a file; give the {_ACCEPTED} files inside it")
    if not path.is_file():
        # Reading a FIFO or a device would block or never end.
        raise BadInput(f"{path} is not a regular file; sources are {_ACCEPTED} text files")
    kind = _KINDS.get(path.suffix.lower())
    if kind is None:
        shown = path.suffix or "no extension"
        raise BadInput(f"{path} has an unsupported extension ({shown}); sources are {_ACCEPTED} text files")
    size = path.stat().st_size
    if size > MAX_SOURCE_BYTES:
        raise BadInput(
            f"{path} is {size / 1_048_576:.1f} MB; a source must be at most 5 MB, so give an excerpt"
        )
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_SOURCE_BYTES + 1)
    except PermissionError:
        raise BadInput(
            f"cannot read {path}: permission denied; fix its permissions or give another file"
        ) from None
    except OSError as err:
        raise BadInput(f"cannot read {path}: {err.strerror or err}; check the file and try again") from None
    raw = _decode(data, path)

    if kind == "markdown":
        heading, text = _markdown_to_text(raw)
    elif kind == "html":
        heading, text = _html_to_text(raw)
    else:
        heading, text = _plain_text(raw)
    # Tags, subtitle override blocks ({\an8}) and terminal escapes that survived as text would be quoted
    # onto a card verbatim: they go whole here, so no stray "8" or "31m" is left behind.
    text = _tidy_blocks(strip_markup(text))
    heading = _collapse(strip_markup(heading)) if heading else None
    if not any(ch.isalnum() for ch in text):
        raise BadInput(f"{path} has no readable text; a source needs sentences in it")
    title = heading or _stem_title(path)
    return title, text


def _tidy_blocks(text: str) -> str:
    """Collapse the spaces markup left inside each line, and drop lines it left empty."""
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _decode(data: bytes, path: Path) -> str:
    """Decode UTF-8 (with or without a BOM) or BOM-marked UTF-16; anything else is treated as binary."""
    candidates: list[str] = []
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # Windows editors save UTF-16 with a BOM; its NUL bytes are not a sign of a binary file.
        candidates.append("utf-16")
    elif b"\x00" not in data:
        candidates += ["utf-8", "utf-8-sig"]
    for encoding in candidates:
        try:
            text = data.decode(encoding).lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
        except UnicodeDecodeError:
            continue
        if _looks_like_text(text):
            return text
    raise BadInput(f"{path} looks binary; sources are {_ACCEPTED} text files saved as UTF-8")


def _looks_like_text(text: str) -> bool:
    """Binary data that happens to decode is full of control, unassigned and private-use characters."""
    if not text:
        return True
    odd = sum(
        1
        for char in text
        if char not in "\n\t\f\v" and unicodedata.category(char) in ("Cc", "Cn", "Co", "Cs")
    )
    return odd <= len(text) * 0.01


def _stem_title(path: Path) -> str:
    """Turn a file name such as 'history_of-coffee.md' into 'history of coffee'."""
    return " ".join(re.split(r"[_\-\s]+", path.stem)).strip() or path.name


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _plain_text(raw: str) -> tuple[str | None, str]:
    """Plain text: paragraphs stay separated; a short unpunctuated first line is the title."""
    blocks = [_collapse(block) for block in re.split(r"\n\s*\n", raw)]
    blocks = [block for block in blocks if block]
    title = None
    first_line = raw.strip().split("\n", 1)[0].strip()
    if first_line and count_words(first_line) <= 12 and first_line[-1] not in ".!?,;:" and len(blocks) > 1:
        title = first_line
    return title, "\n\n".join(blocks)


_FENCE = re.compile(r"^(`{3,}|~{3,})")
_ATX = re.compile(r"^(#{1,6})\s+(.*?)(\s+#+)?\s*$")
_RULE = re.compile(r"^((\*\s*){3,}|(-\s*){3,}|(_\s*){3,})$")
_TABLE_RULE = re.compile(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?$")
_REFERENCE = re.compile(r"^\[[^\]]+\]:\s*\S+")
_LIST_ITEM = re.compile(r"^([-*+]|\d{1,3}[.)])\s+(.*)$")
_FRONT_TITLE = re.compile(r"^title\s*:\s*[\"']?(.*?)[\"']?\s*$", re.IGNORECASE)


def _markdown_to_text(raw: str) -> tuple[str | None, str]:
    """Strip Markdown to prose: headings, emphasis, links, images, code and tables lose their syntax."""
    lines = raw.split("\n")
    title: str | None = None
    if lines and lines[0].strip() == "---":
        # YAML front matter: keep its title, drop the rest.
        for end in range(1, min(len(lines), 200)):
            if lines[end].strip() in ("---", "..."):
                for meta in lines[1:end]:
                    found = _FRONT_TITLE.match(meta.strip())
                    if found and found.group(1):
                        title = _markdown_inline(found.group(1))
                lines = lines[end + 1 :]
                break

    blocks: list[str] = []
    paragraph: list[str] = []
    heading: str | None = None
    heading_level = 0
    fence: str | None = None
    previous_blank = True

    def flush() -> None:
        if paragraph:
            blocks.append(" ".join(paragraph))
            paragraph.clear()

    for line in lines:
        stripped = line.strip()
        if fence is not None:
            if stripped.startswith(fence):
                fence = None
            continue
        opening = _FENCE.match(stripped)
        if opening:
            flush()
            fence = opening.group(1)[0] * 3
            continue
        if not stripped:
            flush()
            previous_blank = True
            continue
        indented = line.startswith(("    ", "\t"))
        if previous_blank and not paragraph and indented and not _LIST_ITEM.match(stripped):
            # An indented code block: code is not narration.
            continue
        previous_blank = False
        atx = _ATX.match(stripped)
        if atx:
            flush()
            text = _markdown_inline(atx.group(2))
            if text:
                if heading is None or (len(atx.group(1)) == 1 and heading_level > 1):
                    heading, heading_level = text, len(atx.group(1))
                blocks.append(text)
            continue
        if paragraph and re.fullmatch(r"=+|-+", stripped):
            # A setext heading: the paragraph above the underline is the heading text.
            text = _markdown_inline(" ".join(paragraph))
            paragraph.clear()
            if text:
                if heading is None:
                    heading, heading_level = text, 1 if stripped[0] == "=" else 2
                blocks.append(text)
            continue
        if _RULE.match(stripped) or _TABLE_RULE.match(stripped) or _REFERENCE.match(stripped):
            flush()
            continue
        stripped = re.sub(r"^(>\s?)+", "", stripped)
        item = _LIST_ITEM.match(stripped)
        if item:
            # Each list item is its own block so that items never run together into one sentence.
            flush()
            stripped = item.group(2)
        if stripped.startswith("|"):
            flush()
            cells = [cell.strip() for cell in stripped.strip("|").split("|")]
            blocks.append(", ".join(cell for cell in cells if cell))
            continue
        if stripped:
            paragraph.append(stripped)
    flush()

    text_blocks = [_markdown_inline(block) for block in blocks]
    text = "\n\n".join(block for block in text_blocks if block)
    return title or heading, text


def _markdown_inline(text: str) -> str:
    """Remove inline Markdown: images, links (kept as their text), code spans, emphasis and HTML tags."""
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)|!\[[^\]]*\]\[[^\]]*\]", "", text)
    text = re.sub(r"\[\^[^\]]+\]", "", text)
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\[([^\]]+)\]\[[^\]]*\]", r"\1", text)
    text = re.sub(r"<(https?://|mailto:)[^>]+>", "", text)
    text = re.sub(r"(`+)(.+?)\1", r"\2", text)
    text = re.sub(r"</?[A-Za-z][^>]*>", "", text)
    text = re.sub(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])", r"\1", text)
    text = re.sub(r"(?<!\w)_(?=\S)(.+?)(?<=\S)_(?!\w)", r"\1", text)
    text = re.sub(r"~~(.+?)~~", r"\1", text)
    text = re.sub(r"\\([\\`*_{}\[\]()#+\-.!>|])", r"\1", text)
    return _collapse(html.unescape(text))


_VOID = frozenset(
    {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    }
)
_SKIP = frozenset(
    {
        "script",
        "style",
        "nav",
        "header",
        "footer",
        "aside",
        "noscript",
        "template",
        "svg",
        "form",
        "button",
        "select",
        "iframe",
        "canvas",
        "dialog",
    }
)
_BLOCK = frozenset(
    {
        "address",
        "article",
        "blockquote",
        "body",
        "br",
        "caption",
        "dd",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "li",
        "main",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "td",
        "th",
        "tr",
        "ul",
        "details",
        "summary",
        "title",
    }
)
_SKIP_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "dialog"})
_MAIN = frozenset({"main", "article"})
_NEVER_BOILERPLATE = frozenset({"html", "body", "main", "article"})
_BOILERPLATE_CLASS = re.compile(
    r"(^|[-_])(cookies?|consent|gdpr|newsletter|subscribe|share|sharing|social|comments?|breadcrumbs?"
    r"|advert|ads|sponsor|promo|popup|modal|related)([-_]|$)",
    re.IGNORECASE,
)


class _PageText(HTMLParser):
    """Collects a page's readable blocks, its <title> and first <h1>, skipping page furniture."""

    def __init__(self, use_class_hints: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.use_class_hints = use_class_hints
        self.stack: list[tuple[str, bool, bool]] = []  # (tag, skips its content, is main content)
        self.blocks: list[tuple[str, bool]] = []
        self.buffer: list[str] = []
        self.title_parts: list[str] = []
        self.h1_parts: list[str] = []
        self.h1_done = False
        self.in_title = False
        self.in_h1 = False

    def _skipping(self) -> bool:
        return any(skip for _, skip, _ in self.stack)

    def _in_main(self) -> bool:
        return any(main for _, _, main in self.stack)

    def _flush(self) -> None:
        text = _collapse("".join(self.buffer))
        self.buffer.clear()
        if text:
            self.blocks.append((text, self._in_main()))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK:
            self._flush()
        if tag == "title":
            self.in_title = True
        if tag == "h1" and not self.h1_done:
            self.in_h1 = True
        if tag in _VOID:
            return
        values = {name: (value or "") for name, value in attrs}
        skip = tag in _SKIP or "hidden" in values or values.get("aria-hidden") == "true"
        skip = skip or values.get("role") in _SKIP_ROLES
        skip = skip or "display:none" in values.get("style", "").replace(" ", "")
        if self.use_class_hints and not skip and tag not in _NEVER_BOILERPLATE:
            hints = values.get("class", "").split() + values.get("id", "").split()
            skip = any(_BOILERPLATE_CLASS.search(hint) for hint in hints)
        main = tag in _MAIN or values.get("role") == "main"
        self.stack.append((tag, skip, main))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # A self-closed element (<br/>, <div/>) opens nothing.
        if tag in _BLOCK:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCK:
            self._flush()
        if tag == "title":
            self.in_title = False
        if tag == "h1" and self.in_h1:
            self.in_h1 = False
            self.h1_done = bool(_collapse("".join(self.h1_parts)))
        for position in range(len(self.stack) - 1, -1, -1):
            if self.stack[position][0] == tag:
                # Closing an outer element also closes anything left open inside it (lenient HTML).
                del self.stack[position:]
                break

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title_parts.append(data)
            return
        if self.in_h1:
            self.h1_parts.append(data)
        if not self._skipping():
            self.buffer.append(data)

    def close(self) -> None:
        super().close()
        self._flush()


def _parse_page(raw: str, use_class_hints: bool) -> _PageText:
    parser = _PageText(use_class_hints)
    parser.feed(raw)
    parser.close()
    return parser


def _html_to_text(raw: str) -> tuple[str | None, str]:
    """Main text of a page: <main>/<article> when it holds most of the prose, else every readable block."""
    parser = _parse_page(raw, use_class_hints=True)
    if not parser.blocks:
        # The class hints can misfire on an unusual page; the plain structure is better than nothing.
        parser = _parse_page(raw, use_class_hints=False)
    all_words = sum(count_words(text) for text, _ in parser.blocks)
    main_blocks = [text for text, main in parser.blocks if main]
    main_words = sum(count_words(text) for text in main_blocks)
    use_main = main_blocks and main_words >= 0.3 * all_words
    blocks = main_blocks if use_main else [text for text, _ in parser.blocks]

    title = _collapse("".join(parser.title_parts))
    if " | " in title and title.split(" | ", 1)[0].strip():
        # "Coffee history | Example News": the site name is not the title.
        title = title.split(" | ", 1)[0].strip()
    title = title or _collapse("".join(parser.h1_parts))
    return title or None, "\n\n".join(blocks)
