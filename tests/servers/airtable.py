"""Airtable's Web API v0 on localhost, as pyairtable speaks it: list records and batch-update them.

`GET /v0/{base}/{table}` lists records ({"records": [{id, createdTime, fields}], "offset"}) with the
documented `filterByFormula`, `pageSize` (at most 100; the server's `page_size` is its default),
`maxRecords` and `offset` parameters. Of formulas it understands what the readers send:
`{Field}='value'` and `LOWER({Field})='value'` (fields in braces, strings in quotes with \\' escapes); other
formulas and unknown fields are 422 INVALID_FILTER_BY_FORMULA, as Airtable answers them.
`PATCH /v0/{base}/{table}` updates at most 10 records ({"records": [{"id", "fields"}], "typecast"}); an
unknown field is 422 UNKNOWN_FIELD_NAME, an unknown record 422 ROW_DOES_NOT_EXIST, more than 10 records 422
INVALID_RECORDS. Empty fields are left out of a record, as Airtable does.

Authentication is `Authorization: Bearer <token>`: anything else is 401 AUTHENTICATION_REQUIRED. A base
that does not exist is 404 NOT_FOUND; a table that does not exist is 403
INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND (what a personal access token sees). Tables are found by name or id.
The rows stay in memory (`server.table(base, name).records`) so tests read statuses back.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

from tests.servers.harness import ProtocolServer, Request, Response, _handler_for

TOKEN = "patTESTtoken.0123456789abcdef"
BASE = "appTESTBASE000001"
ATTACHMENT_HOST = "https://v5.airtableusercontent.com/v3/u/29"
CREATED = "2024-05-01T12:00:00.000Z"
MAX_PAGE_SIZE = 100
MAX_UPDATE = 10
_FORMULA = re.compile(r"^\s*(LOWER\(\s*)?\{((?:[^}\\]|\\.)+)\}(\s*\))?\s*=\s*'((?:[^'\\]|\\.)*)'\s*$")


@dataclass
class Table:
    """One table: its name, id, field names, and records as Airtable returns them."""

    name: str
    id: str
    fields: list[str]
    records: list[dict[str, Any]] = field(default_factory=list)

    def record(self, record_id: str) -> dict[str, Any]:
        """The record with this id (KeyError when there is none)."""
        for record in self.records:
            if record["id"] == record_id:
                return record
        raise KeyError(record_id)


def attachment(name: str, content_type: str = "image/png") -> dict[str, Any]:
    """An attachment cell's value as the API lists it."""
    return {
        "id": f"att{name[:10]:0<14}",
        "url": f"{ATTACHMENT_HOST}/{name}",
        "filename": name,
        "size": 2048,
        "type": content_type,
        "width": 640,
        "height": 480,
    }


def default_products() -> Table:
    """A product table in a typical shape: text, currency, rating, long text, attachments and a status."""
    fields = ["Name", "Price", "Rating", "Features", "Image", "Affiliate Link"]
    fields += ["Status", "Video URL", "Error"]
    rows: list[tuple[str, dict[str, Any]]] = [
        (
            "recAEROPRESS00001",
            {
                "Name": "Aeropress Go",
                "Price": 39.95,
                "Rating": 5,
                "Features": "Packs into its own mug\nBrews in a minute",
                "Image": [attachment("aeropress.png"), attachment("aeropress-side.png")],
                "Affiliate Link": "https://shop.example/aeropress?tag=rf-20",
                "Status": "ready",
            },
        ),
        (
            "recKETTLE00000002",
            {"Name": "Stagg EKG Kettle", "Price": 165, "Rating": 4, "Status": "Ready"},
        ),
        ("recGRINDER0000003", {"Name": "Comandante C40", "Price": 250, "Status": "published"}),
        ("recSCALE000000004", {"Name": "Timemore Scale", "Price": 49, "Rating": 4, "Status": "ready"}),
        ("recDRAFT000000005", {"Name": "Draft row", "Price": 1}),
    ]
    records = [{"id": record_id, "createdTime": CREATED, "fields": values} for record_id, values in rows]
    return Table("Products", "tblPRODUCTS000001", fields, records)


class AirtableServer(ProtocolServer):
    """Airtable's list and batch-update endpoints for the bases given ({base id: [tables]})."""

    def __init__(
        self,
        token: str = TOKEN,
        bases: dict[str, list[Table]] | None = None,
        page_size: int = MAX_PAGE_SIZE,
    ) -> None:
        self.token = token
        self.bases = bases if bases is not None else {BASE: [default_products()]}
        self.page_size = page_size
        self.rows_lock = threading.Lock()
        super().__init__()

    def register(self) -> None:
        """List and update records of any table."""
        self.route("GET", "/v0/", self._list)
        self.route("PATCH", "/v0/", self._update)

    def start(self) -> AirtableServer:
        """Serve as the harness does, with PATCH, which pyairtable's batch update uses."""
        handler = _handler_for(self)
        patching = type("PatchingHandler", (handler,), {"do_PATCH": handler.do_GET})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), patching)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def __enter__(self) -> AirtableServer:
        return self.start()

    def table(self, base: str, name: str) -> Table:
        """A table by its name or id (KeyError when there is none)."""
        for table in self.bases[base]:
            if name in (table.name, table.id):
                return table
        raise KeyError(name)

    def status(self, record_id: str, field_name: str = "Status", base: str = BASE) -> Any:
        """The value of a record's field (None when empty), wherever the record is."""
        for table in self.bases[base]:
            for record in table.records:
                if record["id"] == record_id:
                    return record["fields"].get(field_name)
        raise KeyError(record_id)

    # ---- protocol ---------------------------------------------------------------------------------

    def _find(self, request: Request) -> Table | Response:
        """The table the path names, or the error Airtable answers."""
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return _error(401, "AUTHENTICATION_REQUIRED", "Authentication required")
        parts = [unquote(part) for part in request.path.split("/")[2:] if part]
        if len(parts) != 2:
            return _error(404, "NOT_FOUND", "Could not find what you are looking for")
        base, name = parts
        if base not in self.bases:
            return _error(404, "NOT_FOUND", "Could not find what you are looking for")
        try:
            return self.table(base, name)
        except KeyError:
            return _error(
                403,
                "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND",
                "Invalid permissions, or the requested model was not found. Check that both your user and "
                "your token have the required permissions, and that the model names and/or ids are correct.",
            )

    def _list(self, request: Request, fault: str | None) -> Response:
        found = self._find(request)
        if isinstance(found, Response):
            return found
        params = {key: values[-1] for key, values in request.query.items()}
        try:
            size = int(params.get("pageSize", self.page_size))
            limit = int(params["maxRecords"]) if "maxRecords" in params else None
        except ValueError:
            return _error(422, "INVALID_REQUEST_UNKNOWN", "Invalid request: parameter validation failed")
        if not 1 <= size <= MAX_PAGE_SIZE:
            return _error(422, "INVALID_PAGE_SIZE", f"Invalid page size: {size}")
        with self.rows_lock:
            records = [dict(record, fields=dict(record["fields"])) for record in found.records]
        if fault == "empty":
            records = []
        formula = params.get("filterByFormula")
        if formula:
            matches = _FORMULA.match(formula)
            if not matches or bool(matches.group(1)) != bool(matches.group(3)):
                return _error(
                    422, "INVALID_FILTER_BY_FORMULA", "The formula for filtering records is invalid"
                )
            name = re.sub(r"\\(.)", r"\1", matches.group(2))
            wanted = re.sub(r"\\(.)", r"\1", matches.group(4))
            if name not in found.fields:
                return _error(422, "INVALID_FILTER_BY_FORMULA", f"Unknown field names: {name.lower()}")
            lower = bool(matches.group(1))

            def value(record: dict[str, Any]) -> str:
                text = str(record["fields"].get(name, ""))
                return text.lower() if lower else text

            records = [record for record in records if value(record) == wanted]
        if limit is not None:
            records = records[:limit]
        start = 0
        if "offset" in params:
            token = re.match(r"^itrFAKE(\d+)/", params["offset"])
            if not token:
                return _error(422, "LIST_RECORDS_ITERATOR_NOT_AVAILABLE", "Iterator not available")
            start = int(token.group(1))
        page = records[start : start + size]
        body: dict[str, Any] = {"records": page}
        if start + size < len(records):
            body["offset"] = f"itrFAKE{start + size}/{records[start + size]['id']}"
        return Response.json(body)

    def _update(self, request: Request, fault: str | None) -> Response:
        found = self._find(request)
        if isinstance(found, Response):
            return found
        try:
            body = json.loads(request.body or b"null")
        except ValueError:
            return _error(422, "INVALID_REQUEST_BODY", "Could not parse request body")
        updates = body.get("records") if isinstance(body, dict) else None
        if not isinstance(updates, list) or not updates:
            return _error(422, "INVALID_RECORDS", "Invalid request: parameter validation failed")
        if len(updates) > MAX_UPDATE:
            return _error(422, "INVALID_RECORDS", f"You can update at most {MAX_UPDATE} records at a time")
        with self.rows_lock:
            for update in updates:
                for name in update.get("fields", {}):
                    if name not in found.fields:
                        return _error(422, "UNKNOWN_FIELD_NAME", f'Unknown field name: "{name}"')
                try:
                    found.record(update["id"])
                except KeyError:
                    return _error(
                        422, "ROW_DOES_NOT_EXIST", f"Record ID {update['id']} does not exist in this table"
                    )
            changed = []
            for update in updates:
                record = found.record(update["id"])
                for name, value in update["fields"].items():
                    if value in (None, "", []):
                        record["fields"].pop(name, None)
                    else:
                        record["fields"][name] = value
                changed.append(dict(record, fields=dict(record["fields"])))
        return Response.json({"records": changed})


def _error(status: int, kind: str, message: str) -> Response:
    return Response.json({"error": {"type": kind, "message": message}}, status=status)
