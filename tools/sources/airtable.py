"""Airtable as a product source: read the rows marked ready, and write each row's status back afterwards."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote, unquote

from state.outlets import SourceSettings
from state.sources import AIRTABLE_PREFIX, Product
from tools.errors import BadInput, ServiceUnavailable
from tools.secrets import redact
from tools.sources.catalogue import MAX_PRODUCTS, product_from_fields

# Statuses the run writes back; a row is picked up again only when someone sets it to `ready` again.
IN_PROGRESS = "in progress"
PUBLISHED = "published"
FAILED = "failed"
# An error written into a row is one line and short: the run's log has the rest.
MAX_ERROR_CHARS = 500
_BASE_ID = re.compile(r"^app[A-Za-z0-9]+$")
_MISSING = frozenset({"NOT_FOUND", "TABLE_NOT_FOUND", "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND"})

T = TypeVar("T")

if TYPE_CHECKING:
    # pyairtable (with requests and its pydantic models) takes most of a second to import; it loads when
    # an AirtableRows is made, so a process without Airtable never pays for it.
    import pyairtable
    import requests


def parse_ref(ref: str) -> tuple[str, str]:
    """(base id, table name or id) from "airtable://appN4hGe7bQk2sT9v/Products"; BadInput otherwise."""
    text = ref.strip()
    example = "airtable://appN4hGe7bQk2sT9v/Products"
    if not text.lower().startswith(AIRTABLE_PREFIX):
        raise BadInput(f"{text!r} is not an Airtable address; write it like {example}")
    parts = text[len(AIRTABLE_PREFIX) :].strip("/").split("/")
    if len(parts) != 2 or not all(part.strip() for part in parts):
        raise BadInput(f"{text!r} does not name a base and a table; write it like {example}")
    base, table = parts[0].strip(), unquote(parts[1]).strip()
    if not _BASE_ID.match(base):
        raise BadInput(
            f"{text!r} names the base {base!r}, but base ids start with app; "
            f"copy it from the base's URL ({example})"
        )
    return base, table


class AirtableRows:
    """The rows of an Airtable table that are ready to make videos from, and their status afterwards.

    `base_url` points at Airtable's API (a local server in tests). The key never appears in a message.
    `retries` retries 429 and 5xx answers inside one call (0: none, so the graph's retry policy decides).
    """

    def __init__(
        self,
        api_key: str,
        base_url: str = "https://api.airtable.com",
        *,
        status_field: str = "Status",
        ready: str = "ready",
        video_url_field: str = "Video URL",
        error_field: str = "Error",
        timeout_s: float = 20,
        retries: int = 2,
    ) -> None:
        if not api_key.strip():
            raise BadInput(
                "AIRTABLE_API_KEY is empty; set it to a personal access token with access to the base"
            )
        import pyairtable

        # pyairtable takes whole seconds (connect, read).
        wait = max(1, math.ceil(timeout_s))
        strategy = (
            pyairtable.retry_strategy(total=retries, status_forcelist=(429, 500, 502, 503, 504))
            if retries > 0
            else None
        )
        self._api: pyairtable.Api = pyairtable.Api(
            api_key,
            endpoint_url=base_url.rstrip("/"),
            timeout=(wait, wait),
            retry_strategy=strategy,
        )
        self.status_field = status_field
        self.ready = ready
        self.video_url_field = video_url_field
        self.error_field = error_field

    def __repr__(self) -> str:
        return f"AirtableRows(status_field={self.status_field!r}, ready={self.ready!r})"

    def ready_products(self, ref: str) -> list[Product]:
        """Products of the rows whose status is `ready` (any case), at most MAX_PRODUCTS, in table order."""
        base, table_name = parse_ref(ref)
        table = self._api.table(base, table_name)
        from pyairtable.formulas import field_name, quoted

        formula = f"LOWER({field_name(self.status_field)})={quoted(self.ready.lower())}"
        records = self._call(lambda: table.all(formula=formula, max_records=MAX_PRODUCTS), base, table_name)
        products: list[Product] = []
        for record in records:
            fields: dict[str, Any] = dict(record.get("fields") or {})
            status = fields.get(self.status_field)
            # The formula filters already; this keeps a view or a lenient server from slipping rows in.
            if not isinstance(status, str) or status.strip().lower() != self.ready.lower():
                continue
            record_id = str(record["id"])
            fields.pop(self.status_field, None)
            product = product_from_fields(
                fields,
                f"https://airtable.com/{base}/{quote(table_name, safe='')}/{record_id}",
                where=f"Airtable record {record_id} of {table_name}",
                base=None,
            )
            product["record"] = record_id
            products.append(product)
        return products

    def set_status(
        self,
        ref: str,
        record_ids: Iterable[str],
        status: str,
        *,
        video_url: str | None = None,
        error: str | None = None,
    ) -> None:
        """Write `status` (and the video's URL or the error) into each row, ten rows per request."""
        base, table_name = parse_ref(ref)
        ids = [record_id for record_id in dict.fromkeys(record_ids) if record_id]
        if not ids:
            return
        fields: dict[str, Any] = {self.status_field: status}
        if video_url is not None:
            fields[self.video_url_field] = video_url
        if error is not None:
            line = (error.strip().splitlines() or [""])[0]
            fields[self.error_field] = redact(line)[:MAX_ERROR_CHARS]
        table = self._api.table(base, table_name)
        updates: list[Any] = [{"id": record_id, "fields": fields} for record_id in ids]
        # typecast: a single-select status field gains the option ("in progress") instead of refusing it.
        self._call(lambda: table.batch_update(updates, typecast=True), base, table_name)

    def _call(self, action: Callable[[], T], base: str, table: str) -> T:
        """Run one pyairtable call, turning its failures into one line that names the fix."""
        import requests

        try:
            return action()
        except requests.HTTPError as exc:
            fields = (self.status_field, self.video_url_field, self.error_field)
            raise _http_error(exc, base, table, fields) from None
        except requests.exceptions.RetryError:
            raise ServiceUnavailable("Airtable kept answering busy (429 or 5xx); try again later") from None
        except requests.Timeout:
            raise ServiceUnavailable("Airtable did not answer in time; try again later") from None
        except requests.RequestException as exc:
            reason = redact((str(exc).strip() or type(exc).__name__).splitlines()[0])
            raise ServiceUnavailable(
                f"cannot reach Airtable ({reason}); check AIRTABLE_URL or try again later"
            ) from None


def airtable_rows(settings: SourceSettings) -> AirtableRows | None:
    """Airtable as the settings configure it; None when no AIRTABLE_API_KEY is set."""
    if settings.airtable_api_key is None:
        return None
    return AirtableRows(
        settings.airtable_api_key.get_secret_value(),
        settings.airtable_url,
        status_field=settings.airtable_status_field,
        timeout_s=settings.timeout_s,
    )


def _http_error(
    exc: requests.HTTPError, base: str, table: str, fields: tuple[str, ...]
) -> BadInput | ServiceUnavailable:
    response = exc.response
    status = response.status_code if response is not None else 0
    kind, message = "", ""
    try:
        body = response.json() if response is not None else None
    except ValueError:
        body = None
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, str):
            kind = error
        elif isinstance(error, dict):
            kind = str(error.get("type") or "")
            message = redact(" ".join(str(error.get("message") or "").split()))[:300]
    if status == 401:
        return BadInput("Airtable refused the key (401); check AIRTABLE_API_KEY")
    if status == 404 or kind in _MISSING:
        return BadInput(
            f"Airtable has no table {table} in base {base} (or the key cannot see it); "
            "check the airtable:// address and the key's access"
        )
    if status == 429 or status >= 500:
        return ServiceUnavailable(f"Airtable answered {status}; try again later")
    if status == 403:
        return BadInput(f"Airtable refused access to base {base} ({kind or 403}); give the key access to it")
    if kind == "ROW_DOES_NOT_EXIST":
        fix = "the row was deleted during the run; nothing to update"
    elif kind == "INVALID_FILTER_BY_FORMULA":
        fix = f"check that the table has a {fields[0]} field"
    else:
        fix = f"check that the table has the fields {', '.join(fields)}"
    detail = f"{kind}: {message}" if message else kind or str(status)
    return BadInput(f"Airtable refused the request for table {table} in base {base} ({detail}); {fix}")
