"""Run ids and thread ids: readable, deterministic where asked, and safe as folder names."""

from __future__ import annotations

import re
import secrets

from tools.errors import BadInput

_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")


def slugify(text: str, max_len: int = 40) -> str:
    """Lower-case ASCII words joined by hyphens."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:max_len].rstrip("-") or "video"


def new_run_id(topic: str) -> str:
    """A fresh run id: the topic's slug plus a short random hash, e.g. 'history-of-coffee-3f2a9c'."""
    return f"{slugify(topic)}-{secrets.token_hex(3)}"


def check_run_id(run_id: str) -> str:
    """Accept only ids that are safe as a folder name; reject path characters in one line."""
    if not _RUN_ID.fullmatch(run_id) or ".." in run_id:
        raise BadInput(
            f"invalid run id {run_id!r}: use 1-80 letters, digits, '.', '_' or '-', starting with a letter "
            "or digit (no '/' or '..')"
        )
    return run_id


def thread_id_for(run_id: str) -> str:
    """The checkpoint thread of a `make` run."""
    return f"make:{run_id}"
