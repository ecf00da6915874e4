"""Load the daily plan from `--plan FILE` or reelforge.toml's [daily], failing in one line per problem."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from graph.settings import Settings
from state.daily_plan import DailyItem, DailyPlan
from state.sources import is_local
from tools.config_files import read_toml
from tools.errors import BadInput

NO_PLAN = "no daily plan: add [daily] with [[daily.items]] to reelforge.toml or pass --plan FILE"
_PLAN_KEYS = sorted(DailyPlan.model_fields)
_ITEM_KEYS = sorted({field.alias or name for name, field in DailyItem.model_fields.items()} | {"source"})


def load_plan(settings: Settings, plan_file: Path | None = None) -> DailyPlan:
    """The plan in `plan_file` (its top level is the plan), else the [daily] table of reelforge.toml."""
    if plan_file is not None:
        path = plan_file.expanduser().absolute()
        if not path.is_file():
            raise BadInput(f"plan file not found: {path}; pass an existing TOML file to --plan")
        return _validate(read_toml(path), path, "")
    if settings.daily is None or settings.config_file is None:
        raise BadInput(NO_PLAN)
    return _validate(settings.daily, settings.config_file.absolute(), "daily.")


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
            "sources": [
                {"kind": source["kind"], "ref": resolve(source["ref"])} if is_local(source) else source
                for source in item.sources
            ],
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
    # Most messages already start with the key ("duration 5 s is out of range; ...").
    return f"{table} {key}: {message}" if key and not message.startswith(key) else f"{table}: {message}"
