"""Run ids and thread ids: readable, deterministic where asked, and safe as folder names."""

from __future__ import annotations

import re
import secrets
from datetime import date

from state.slugs import slugify
from tools.errors import BadInput

__all__ = [
    "check_run_id",
    "daily_run_id",
    "daily_thread_id",
    "new_run_id",
    "parse_day",
    "slugify",
    "thread_id_for",
]

_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def new_run_id(topic: str) -> str:
    """A fresh run id: the topic's slug plus a short random hash, e.g. 'history-of-coffee-3f2a9c'."""
    return f"{slugify(topic)}-{secrets.token_hex(3)}"


def check_run_id(run_id: str, flag: str | None = None) -> str:
    """Accept only ids that are safe as a folder name; reject path characters in one line.

    With `flag` (make's `--run-id`), the message names the flag: an empty value is a mistake there, never
    a request for a generated id.
    """
    named = f"{flag}: " if flag else ""
    if not run_id.strip():
        fix = "give a name or leave the flag out" if flag else "give a run id (see 'reelforge runs')"
        raise BadInput(f"{named}the run id is empty; {fix}")
    if not _RUN_ID.fullmatch(run_id) or ".." in run_id:
        shown = repr(run_id if len(run_id) <= 90 else run_id[:89] + "…")
        too_long = f" ({len(run_id)} characters)" if len(run_id) > 80 else ""
        raise BadInput(
            f"{named}invalid run id {shown}{too_long}: use 1-80 letters, digits, '.', '_' or '-', starting "
            "with a letter or digit (no '/' or '..')"
        )
    return run_id


def thread_id_for(run_id: str) -> str:
    """The checkpoint thread of a `make` run; other runs keep the thread recorded in the run index."""
    return f"make:{run_id}"


def daily_run_id(day: date, slug: str) -> str:
    """The run id of a daily plan item on one day, e.g. 'daily-2026-11-22-coffee'."""
    return f"daily-{day.isoformat()}-{slug}"


def daily_thread_id(day: date, slug: str) -> str:
    """The checkpoint thread of a daily plan item on one day, e.g. 'daily:2026-11-22:coffee'."""
    return f"daily:{day.isoformat()}:{slug}"


def parse_day(text: str, flag: str = "--date") -> date:
    """A YYYY-MM-DD date, or BadInput naming the flag."""
    try:
        if _DAY.fullmatch(text.strip()):
            return date.fromisoformat(text.strip())
    except ValueError:
        pass
    raise BadInput(f"invalid {flag} '{text}'; use YYYY-MM-DD")
