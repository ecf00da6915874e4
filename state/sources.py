"""Typed sources: what a job reads (a file, a page, a feed, a catalogue, Airtable, a product API)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, NotRequired
from urllib.parse import urlsplit

from typing_extensions import TypedDict

# file: a .txt/.md/.html file or a folder of them; url: a web page's main text; feed: RSS or Atom;
# catalogue: a CSV or JSON list of products (a path or an http(s) URL); airtable: airtable://BASE/TABLE;
# api: a product id (ASIN, SKU) asked of the product-data API.
SOURCE_KINDS: tuple[str, ...] = ("file", "url", "feed", "catalogue", "airtable", "api")
# Kinds whose ref is a place on the network, checked against private addresses by the network doors.
NETWORK_KINDS: frozenset[str] = frozenset({"url", "feed"})

_CATALOGUE_SUFFIXES = (".csv", ".json")
_FEED_SUFFIXES = (".rss", ".atom", ".xml")
_FEED_PATH = re.compile(r"(^|/)(feed|feeds|rss|atom)(/|\.|$)", re.IGNORECASE)
_API_PREFIX = "api:"
AIRTABLE_PREFIX = "airtable://"


class Source(TypedDict):
    """One thing a job reads, and what kind of thing it is."""

    kind: str
    ref: str


class Product(TypedDict):
    """One product from a catalogue, an Airtable row or a product API; what a "Top N" video shows."""

    name: str
    price: float | None
    # ISO 4217 code or a symbol as the catalogue gave it ("USD", "$"); "" when unknown.
    currency: str
    rating: float | None
    features: list[str]
    # An http(s) URL or an absolute path to the product's picture; None: the scene gets a card.
    image: str | None
    # Where to buy it (an affiliate link); shown in the description.
    link: str | None
    # Where the product came from: the catalogue's path or URL with its row, the Airtable record's URL.
    source: str
    # The Airtable record id, so the run can write the row's status back.
    record: NotRequired[str]


def infer_source(given: str) -> Source:
    """The typed source for what a person typed after --source: the kind follows from its shape."""
    ref = given.strip()
    lowered = ref.lower()
    if lowered.startswith(AIRTABLE_PREFIX):
        return {"kind": "airtable", "ref": ref}
    if lowered.startswith(_API_PREFIX):
        return {"kind": "api", "ref": ref[len(_API_PREFIX) :].strip()}
    if lowered.startswith(("http://", "https://")):
        path = urlsplit(ref).path.lower()
        if path.endswith(_CATALOGUE_SUFFIXES):
            return {"kind": "catalogue", "ref": ref}
        if path.endswith(_FEED_SUFFIXES) or _FEED_PATH.search(path):
            return {"kind": "feed", "ref": ref}
        return {"kind": "url", "ref": ref}
    if lowered.endswith(_CATALOGUE_SUFFIXES):
        return {"kind": "catalogue", "ref": ref}
    return {"kind": "file", "ref": ref}


def as_source(value: str | Mapping[str, Any]) -> Source:
    """A Source from a string (its kind inferred) or a {"kind", "ref"} mapping; ValueError when unusable."""
    if isinstance(value, str):
        if not value.strip():
            raise ValueError(
                "a source is empty; give a file, a URL, a feed, a catalogue or airtable://BASE/TABLE"
            )
        return infer_source(value)
    extra = set(value) - {"kind", "ref"}
    if extra:
        raise ValueError(f"a source has only kind and ref, not {', '.join(sorted(extra))}")
    kind, ref = value.get("kind"), value.get("ref")
    if kind not in SOURCE_KINDS:
        raise ValueError(f"unknown kind of source {kind!r}; choose one of {', '.join(SOURCE_KINDS)}")
    if not isinstance(ref, str) or not ref.strip():
        raise ValueError(f"the {kind} source has no ref; give its path, URL or id")
    ref = ref.strip()
    if kind in NETWORK_KINDS and not ref.lower().startswith(("http://", "https://")):
        raise ValueError(
            f"the {kind} source {ref!r} is not an http(s) URL; give one such as https://example.org/"
        )
    if kind == "airtable" and not ref.lower().startswith(AIRTABLE_PREFIX):
        raise ValueError(f"the airtable source {ref!r} must look like airtable://BASE/TABLE")
    return {"kind": kind, "ref": ref}


def source_label(source: Source) -> str:
    """How a source is shown to a person: its ref, with the kind when the ref alone does not say it."""
    inferred = infer_source(source["ref"])
    if inferred["kind"] == source["kind"]:
        return source["ref"]
    return f"{source['kind']}:{source['ref']}"


def is_local(source: Source) -> bool:
    """Whether the source names a file or folder on this machine (a file, or a catalogue given by path)."""
    if source["kind"] == "file":
        return True
    return source["kind"] == "catalogue" and not source["ref"].lower().startswith(("http://", "https://"))


def is_remote_url(source: Source) -> bool:
    """Whether the source is fetched over http(s) from an address the job names."""
    return source["kind"] in ("url", "feed", "catalogue") and not is_local(source)
