"""Load the daily plan from `--plan FILE` or reelforge.toml's [daily], failing in one line per problem."""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from graph.router_config import config_path
from state.daily_plan import DailyItem, DailyPlan
from tools.config_files import read_toml
from tools.errors import BadInput

NO_PLAN = "no daily plan: add [daily] with [[daily.items]] to reelforge.toml or pass --plan FILE"
_PLAN_KEYS = sorted(DailyPlan.model_fields)
_ITEM_KEYS = sorted({field.alias or name for name, field in DailyItem.model_fields.items()} | {"source"})
# JobRequest's messages name make's flags; a plan sets keys instead.
_PLAN_WORDING = [
    (re.compile(r"pass --(\w+)"), r"set \1"),
    (re.compile(r"with --source FILE"), "in sources"),
    (re.compile(r"with --target"), "in targets"),
    (re.compile(r"with --(\w+)"), r"for \1"),
    (re.compile(r'reelforge make "([^"]*)"'), r'topic = "\1"'),
]


def has_plan(home: Path) -> bool:
    """True when reelforge.toml has a [daily] table (valid or not: load_plan says what is wrong)."""
    found = config_path(home)
    return found is not None and "daily" in read_toml(found)


def load_plan(home: Path, plan_file: Path | None = None) -> DailyPlan:
    """The plan in `plan_file` (its top level is the plan), else in the [daily] table of reelforge.toml."""
    if plan_file is not None:
        path = plan_file.expanduser().absolute()
        if not path.is_file():
            raise BadInput(f"plan file not found: {path}; pass an existing TOML file to --plan")
        return _validate(read_toml(path), path, "")
    found = config_path(home)
    document = read_toml(found) if found else {}
    if found is None or "daily" not in document:
        raise BadInput(NO_PLAN)
    table = document["daily"]
    if not isinstance(table, dict):
        raise BadInput(f"{found}: daily must be a table such as [daily], not {type(table).__name__}")
    return _validate(table, found.absolute(), "daily.")


def _validate(table: dict[str, Any], path: Path, prefix: str) -> DailyPlan:
    try:
        plan = DailyPlan.model_validate(table)
    except ValidationError as error:
        raise BadInput(f"{path}: {_explain(error.errors()[0], prefix)}") from None
    # Relative paths in a plan mean the plan's folder: cron and systemd start elsewhere.
    items = [_resolve_paths(item, path.parent) for item in plan.items]
    return plan.model_copy(update={"items": items})


def _resolve_paths(item: DailyItem, base: Path) -> DailyItem:
    def resolve(name: str) -> str:
        return str((base / Path(name).expanduser()).absolute())

    return item.model_copy(
        update={
            "sources": [resolve(source) for source in item.sources],
            "music": resolve(item.music) if item.music else None,
        }
    )


def _explain(error: ErrorDetails, prefix: str) -> str:
    """One error as 'where: what; the fix', in the plan's own terms."""
    loc = list(error["loc"])
    table = f"[{prefix.rstrip('.')}]" if prefix else "the top level"
    known = _PLAN_KEYS
    if loc and loc[0] == "items":
        table, known = f"[[{prefix}items]]", _ITEM_KEYS
        if len(loc) > 1 and isinstance(loc[1], int):
            table = f"{table} #{loc[1] + 1}"
        loc = loc[2:] if len(loc) > 1 and isinstance(loc[1], int) else []
    key = ".".join(str(part) for part in loc)
    if error["type"] == "extra_forbidden":
        close = difflib.get_close_matches(key, known, n=1)
        fix = f"did you mean '{close[0]}'?" if close else f"known keys: {', '.join(known)}"
        return f"unknown key '{key}' in {table}; {fix}"
    message = str(error["msg"]).removeprefix("Value error, ")
    for pattern, replacement in _PLAN_WORDING:
        message = pattern.sub(replacement, message)
    # Most messages already start with the key ("duration 5 s is out of range; ...").
    return f"{table} {key}: {message}" if key and not message.startswith(key) else f"{table}: {message}"
