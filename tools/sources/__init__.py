"""Sources: typed readers that turn files, pages, feeds, catalogues, Airtable and product APIs into facts."""

from tools.sources.airtable import FAILED, IN_PROGRESS, PUBLISHED, AirtableRows, parse_ref
from tools.sources.catalogue import (
    MAX_PRODUCTS,
    fetch_catalogue,
    parse_catalogue,
    parse_price,
    parse_rating,
    product_from_fields,
    read_catalogue,
)
from tools.sources.facts import extract_facts
from tools.sources.feeds import Feed, FeedEntry, feed_facts, fetch_feed, parse_feed
from tools.sources.files import MAX_SOURCE_BYTES, read_source
from tools.sources.folders import read_folder
from tools.sources.pages import Fetched, Page, fetch_bytes, fetch_page, page_facts
from tools.sources.product_api import ProductApi
from tools.sources.readers import READERS, SourceRead, SourceReaders, format_price, product_fact

__all__ = [
    "FAILED",
    "IN_PROGRESS",
    "MAX_PRODUCTS",
    "MAX_SOURCE_BYTES",
    "PUBLISHED",
    "READERS",
    "AirtableRows",
    "Feed",
    "FeedEntry",
    "Fetched",
    "Page",
    "ProductApi",
    "SourceRead",
    "SourceReaders",
    "extract_facts",
    "feed_facts",
    "fetch_bytes",
    "fetch_catalogue",
    "fetch_feed",
    "fetch_page",
    "format_price",
    "page_facts",
    "parse_catalogue",
    "parse_feed",
    "parse_price",
    "parse_rating",
    "parse_ref",
    "product_fact",
    "product_from_fields",
    "read_catalogue",
    "read_folder",
    "read_source",
]
