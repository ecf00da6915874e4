"""The one dispatch table from a source's kind to its reader: adding a kind of source is one READERS entry."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import quote, unquote

import httpx

from state import Fact
from state.sources import SOURCE_KINDS, Product, Source, source_label
from tools.addresses import check_public_url, is_url
from tools.errors import BadInput
from tools.sources.airtable import AirtableRows, parse_ref
from tools.sources.catalogue import fetch_catalogue, read_catalogue
from tools.sources.facts import extract_facts
from tools.sources.feeds import NEWEST, feed_facts, fetch_feed
from tools.sources.files import read_source
from tools.sources.folders import read_folder
from tools.sources.pages import MAX_BYTES, CheckUrl, fetch_page, page_facts
from tools.sources.product_api import ProductApi

# Symbols written before the amount ("$19.99"); codes and other marks follow it ("19.99 CHF").
_PREFIX_SYMBOLS = frozenset({"$", "US$", "€", "£", "¥", "₹", "₩", "₽", "C$", "A$", "R$"})


@dataclass
class SourceRead:
    """What one source gave: facts to write from, products to show, how to name it, and its tier."""

    facts: list[Fact] = field(default_factory=list)
    products: list[Product] = field(default_factory=list)
    label: str = ""
    tier: str = ""


class SourceReaders:
    """Reads any typed source with the services this process has; a missing service is a one-line BadInput.

    URLs are checked against private addresses (`check_public_url`) on every hop unless `allow_private`.
    """

    def __init__(
        self,
        http: httpx.Client,
        airtable: AirtableRows | None = None,
        product_api: ProductApi | None = None,
        allow_private: bool = False,
        max_bytes: int = MAX_BYTES,
        feed_entries: int = NEWEST,
    ) -> None:
        self.http = http
        self.airtable = airtable
        self.product_api = product_api
        self.allow_private = allow_private
        self.max_bytes = max_bytes
        self.feed_entries = feed_entries

    @property
    def check_url(self) -> CheckUrl | None:
        """What every fetched address must pass: public hosts only, unless private ones are allowed."""
        return None if self.allow_private else check_public_url

    def read(self, source: Source | str, *, limit: int = 40, lang: str = "en") -> SourceRead:
        """Facts (at most `limit`) and products from one source; a plain string is a file or folder path."""
        typed: Source = {"kind": "file", "ref": source} if isinstance(source, str) else source
        reader = READERS.get(typed["kind"])
        if reader is None:
            raise BadInput(
                f"unknown kind of source {typed['kind']!r}; choose one of {', '.join(SOURCE_KINDS)}"
            )
        return reader(self, typed, limit, lang)


def _shares(limit: int, count: int) -> int:
    return max(1, math.ceil(limit / max(1, count)))


def read_files(readers: SourceReaders, source: Source, limit: int, lang: str) -> SourceRead:
    """A .txt/.md/.html file, or every such file in a folder (the limit shared between them)."""
    path = Path(source["ref"]).expanduser()
    if path.is_dir():
        documents = read_folder(path)
    else:
        title, text = read_source(path)
        documents = [(title, text, str(path))]
    share = _shares(limit, len(documents))
    facts: list[Fact] = []
    for title, text, where in documents:
        found = extract_facts(title, text, where, limit=share, lang=lang)
        facts.extend({**fact, "title": title} for fact in found)
    return SourceRead(facts=facts[:limit], label=source_label(source), tier="offline:local-files")


def read_page(readers: SourceReaders, source: Source, limit: int, lang: str) -> SourceRead:
    """An http(s) page's main text."""
    page = fetch_page(
        source["ref"], http=readers.http, max_bytes=readers.max_bytes, check_url=readers.check_url
    )
    facts = page_facts(page, limit, lang)
    if not facts:
        raise BadInput(
            f"the page {page.url} has no sentences to quote; give another page or save its text to a .md file"
        )
    return SourceRead(facts=facts, label=source_label(source), tier="free:web")


def read_feed(readers: SourceReaders, source: Source, limit: int, lang: str) -> SourceRead:
    """The newest entries of an RSS or Atom feed; `URL#entry=LINK` reads that one entry (the daily plan's
    one video per entry)."""
    url, entry = split_entry(source["ref"])
    feed = fetch_feed(url, http=readers.http, max_bytes=readers.max_bytes, check_url=readers.check_url)
    if entry is not None:
        feed = replace(feed, entries=[e for e in feed.entries if entry in (e.link, e.title)])
        if not feed.entries:
            raise BadInput(f"the feed {feed.url} no longer has the entry {entry}; it may have rotated out")
    if not feed.entries:
        raise BadInput(f"the feed {feed.url} has no entries yet; give another feed or try again later")
    facts = feed_facts(feed, readers.feed_entries, lang, limit=limit)
    if not facts:
        raise BadInput(
            f"the newest entries of the feed {feed.url} have no sentences to quote; give another source"
        )
    return SourceRead(facts=facts, label=source_label(source), tier="free:feed")


def split_entry(ref: str) -> tuple[str, str | None]:
    """A feed's URL and the entry a `#entry=` fragment names (None: the newest entries)."""
    url, hash_, fragment = ref.partition("#")
    if hash_ and fragment.startswith("entry="):
        return url, unquote(fragment.removeprefix("entry="))
    return ref, None


def entry_ref(feed_url: str, link: str) -> str:
    """The ref of one feed entry, as `read_feed` reads it."""
    return f"{feed_url}#entry={quote(link, safe='')}"


def read_products_catalogue(readers: SourceReaders, source: Source, limit: int, lang: str) -> SourceRead:
    """A CSV or JSON catalogue, a file or an http(s) URL: its products, and a fact for each."""
    ref = source["ref"]
    if is_url(ref):
        products = fetch_catalogue(
            ref, http=readers.http, max_bytes=readers.max_bytes, check_url=readers.check_url
        )
        tier = "free:catalogue"
    else:
        products = read_catalogue(Path(ref).expanduser())
        tier = "offline:catalogue"
    return _products_read(products, source, limit, tier)


def read_airtable(readers: SourceReaders, source: Source, limit: int, lang: str) -> SourceRead:
    """The Airtable rows whose status is ready; their record ids travel in the products for the write-back."""
    if readers.airtable is None:
        raise BadInput(f"the source {source['ref']} needs Airtable; set AIRTABLE_API_KEY")
    products = readers.airtable.ready_products(source["ref"])
    if not products:
        base, table = parse_ref(source["ref"])
        status, ready = readers.airtable.status_field, readers.airtable.ready
        raise BadInput(
            f"Airtable table {table} in base {base} has no rows whose {status} is {ready!r}; "
            f"set {status} to {ready} on the rows to make videos from"
        )
    return _products_read(products, source, limit, "cloud:airtable")


def read_api_product(readers: SourceReaders, source: Source, limit: int, lang: str) -> SourceRead:
    """One product from the product-data API, by its id."""
    if readers.product_api is None:
        raise BadInput(
            f"the source api:{source['ref']} needs a product API; set REELFORGE_PRODUCT_API_URL "
            "(and REELFORGE_PRODUCT_API_KEY)"
        )
    product = readers.product_api.product(source["ref"])
    return _products_read([product], source, limit, "cloud:product-api")


def _products_read(products: list[Product], source: Source, limit: int, tier: str) -> SourceRead:
    facts = [product_fact(product) for product in products][: max(0, limit)]
    return SourceRead(facts=facts, products=products, label=source_label(source), tier=tier)


def format_price(price: float, currency: str) -> str:
    """ "$1,299.00" or "19.99 CHF": symbols before the amount, codes after it."""
    amount = f"{price:,.2f}"
    if not currency:
        return amount
    if currency in _PREFIX_SYMBOLS:
        return f"{currency}{amount}"
    return f"{amount} {currency}"


def product_fact(product: Product) -> Fact:
    """One sentence from a product's own fields, cited by the product's source:
    "Aeropress Go costs $39.95 and is rated 4.7 out of 5. Features: packs into its mug; brews in a minute."
    """
    name = product["name"]
    claims = []
    if product["price"] is not None:
        claims.append(f"costs {format_price(product['price'], product['currency'])}")
    if product["rating"] is not None:
        claims.append(f"is rated {product['rating']:g} out of 5")
    text = f"{name} {' and '.join(claims)}." if claims else f"{name}."
    if product["features"]:
        text += f" Features: {'; '.join(product['features'][:3])}."
    return {"text": text, "source": product["source"], "title": name}


Reader = Callable[[SourceReaders, Source, int, str], SourceRead]

# The kinds of state.sources.SOURCE_KINDS, each with its reader.
READERS: dict[str, Reader] = {
    "file": read_files,
    "url": read_page,
    "feed": read_feed,
    "catalogue": read_products_catalogue,
    "airtable": read_airtable,
    "api": read_api_product,
}
