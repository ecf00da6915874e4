"""The source readers of one DataAcquisition pass, built from the run's settings."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from state import Context
from tools.sources.airtable import airtable_rows
from tools.sources.product_api import ProductApi
from tools.sources.readers import SourceReaders
from tools.web import USER_AGENT


@contextmanager
def open_readers(context: Context) -> Iterator[SourceReaders]:
    """Readers sharing one HTTP client for this pass; closed when the pass ends."""
    settings = context.sources
    with httpx.Client(
        timeout=settings.timeout_s, headers={"User-Agent": USER_AGENT}, follow_redirects=False
    ) as http:
        api = None
        if settings.product_api_url is not None:
            key = settings.product_api_key.get_secret_value() if settings.product_api_key else None
            api = ProductApi(settings.product_api_url, key, http=http)
        yield SourceReaders(
            http=http,
            airtable=airtable_rows(context.sources),
            product_api=api,
            allow_private=context.allow_private_sources,
            max_bytes=settings.max_bytes,
            feed_entries=settings.feed_entries,
        )
