"""Fixtures the source readers' tests share: the local web site, the Airtable fake, and an HTTP client."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.servers.airtable import AirtableServer
from tests.servers.web_pages import WebPagesServer


@pytest.fixture
def site() -> Iterator[WebPagesServer]:
    """Pages, feeds, catalogues, pictures and the product API on localhost."""
    with WebPagesServer() as server:
        yield server


@pytest.fixture
def airtable() -> Iterator[AirtableServer]:
    """Airtable's Web API on localhost, with the default product table."""
    with AirtableServer() as server:
        yield server


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    """One HTTP client for a test, closed at its end."""
    with httpx.Client() as client:
        yield client
