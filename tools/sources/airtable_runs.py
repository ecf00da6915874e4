"""Which Airtable rows a run took, kept in its folder, so the run's end can write their status back."""

from __future__ import annotations

import json
from pathlib import Path

from tools.files import write_text_atomic

ROWS_FILE = "airtable-rows.json"


def remember_rows(run_dir: Path, ref: str, record_ids: list[str]) -> None:
    """Add `record_ids` of the table at `ref` (airtable://BASE/TABLE) to the rows this run took."""
    rows = taken_rows(run_dir)
    known = rows.setdefault(ref, [])
    known += [record for record in record_ids if record not in known]
    write_text_atomic(run_dir / ROWS_FILE, json.dumps(rows))


def taken_rows(run_dir: Path) -> dict[str, list[str]]:
    """The rows this run took, by table; {} when it took none."""
    try:
        rows = json.loads((run_dir / ROWS_FILE).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}
    if not isinstance(rows, dict):
        return {}
    return {str(ref): [str(record) for record in ids] for ref, ids in rows.items()}
