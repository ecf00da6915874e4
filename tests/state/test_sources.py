"""Typed sources: the kind follows from what a person typed, and a typed source is checked."""

from __future__ import annotations

import pytest

from state.requests import JobRequest
from state.sources import as_source, infer_source


@pytest.mark.parametrize(
    ("given", "kind"),
    [
        ("notes.md", "file"),
        ("notes/", "file"),
        ("products.csv", "catalogue"),
        ("products.JSON", "catalogue"),
        ("https://example.org/products.csv?x=1", "catalogue"),
        ("https://example.org/article", "url"),
        ("https://example.org/feed", "feed"),
        ("https://example.org/blog/rss.xml", "feed"),
        ("https://example.org/atom", "feed"),
        ("airtable://appABC/Products", "airtable"),
        ("api:B0C1234567", "api"),
    ],
)
def test_the_kind_follows_from_the_shape(given, kind):
    assert infer_source(given)["kind"] == kind


def test_an_api_source_keeps_only_the_id():
    assert infer_source("api: B0C1234567") == {"kind": "api", "ref": "B0C1234567"}


@pytest.mark.parametrize(
    ("value", "needle"),
    [
        ({"kind": "podcast", "ref": "x"}, "unknown kind of source 'podcast'"),
        ({"kind": "url", "ref": "example.org"}, "is not an http(s) URL"),
        ({"kind": "airtable", "ref": "appX/T"}, "airtable://BASE/TABLE"),
        ({"kind": "file", "ref": " "}, "has no ref"),
        ({"kind": "file", "ref": "a", "extra": 1}, "only kind and ref"),
        ("", "a source is empty"),
    ],
)
def test_a_bad_source_is_one_line(value, needle):
    with pytest.raises(ValueError, match=None) as caught:
        as_source(value)
    assert needle in str(caught.value)


def test_a_job_types_its_sources_and_always_publishes_to_the_gallery():
    job = JobRequest(
        topic="t", sources=["a.md", {"kind": "url", "ref": "https://e.org/"}], targets=["youtube"]
    ).to_job()
    assert job["sources"] == [{"kind": "file", "ref": "a.md"}, {"kind": "url", "ref": "https://e.org/"}]
    assert job["targets"] == ["gallery", "youtube"]
    assert job["dry_run"] is False and job["publish_at"] is None


def test_publish_at_needs_a_zone():
    with pytest.raises(ValueError, match="has no time zone"):
        JobRequest(topic="t", publish_at="2026-12-24T09:00:00")
    assert JobRequest(topic="t", publish_at="2026-12-24T09:00:00+00:00").publish_at == "2026-12-24T09:00:00Z"
