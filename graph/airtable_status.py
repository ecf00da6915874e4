"""At a run's end, write the status of the Airtable rows it took back to Airtable (seed 000's workflow)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from graph.settings import Settings
from tools.errors import first_line
from tools.secrets import redact
from tools.sources.airtable import FAILED, PUBLISHED, airtable_rows
from tools.sources.airtable_runs import taken_rows

# Publication statuses that mean the video is out there (or will be, at its scheduled time).
_OUT = frozenset({"published", "scheduled", "private", "draft", "delivered"})


def video_url(values: dict[str, Any]) -> str | None:
    """Where the video is: its first platform post, else the gallery."""
    publications = values.get("publications") or []
    posts = [p for p in publications if p["target"] != "gallery" and p.get("status", "published") in _OUT]
    gallery = [p for p in publications if p["target"] == "gallery"]
    chosen = (posts or gallery or [None])[0]
    return chosen["url"] if chosen else None


def outcome_of(status: str, values: dict[str, Any], error: str | None) -> tuple[str, str | None, str | None]:
    """(row status, video URL, error) for a run that ended with `status`."""
    if status == "done":
        publications = values.get("publications") or []
        platforms = [p for p in publications if p["target"] != "gallery"]
        if platforms and not any(p.get("status", "published") in _OUT for p in platforms):
            failures = "; ".join(f"{p['target']}: {p.get('error', p.get('status'))}" for p in platforms)
            return FAILED, None, f"not published: {failures}"
        return PUBLISHED, video_url(values), None
    return FAILED, None, error or status


def report_rows(
    settings: Settings, run_dir: Path, status: str, values: dict[str, Any], error: str | None
) -> str | None:
    """Write the outcome to every row the run took; a problem doing so is returned as a warning, never
    raised, because the run's own outcome stands either way."""
    rows = taken_rows(run_dir)
    client = airtable_rows(settings.sources) if rows else None
    if client is None:
        return None
    row_status, url, problem = outcome_of(status, values, error)
    try:
        for ref, records in rows.items():
            client.set_status(ref, records, row_status, video_url=url, error=problem)
    except Exception as exc:  # Airtable down or the key revoked: the run is still done (or failed)
        return redact(f"could not write the status back to Airtable ({first_line(exc)})")
    return None
