"""Finding and reading reelforge.toml: the file every setting, router table and the daily plan come from."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tools.config_files import read_toml
from tools.errors import BadInput

# Tables of reelforge.toml, each read by its own loader.
SECTIONS = ("router", "providers", "aliases", "prices", "research", "daily", "sources", "publish")
# Top-level keys: settings that can also come from the environment (graph/settings.py names the variables).
FILE_KEYS = (
    "min_free_gb",
    "redis_url",
    "checkpoint_ttl_s",
    "lock_ttl_s",
    "visibility_timeout_s",
    "gallery_url",
    "ffmpeg",
    "api_token",
    "api_runs_at_once",
    "allow_private_sources",
)


def config_path(home: Path, environ: Mapping[str, str] | None = None) -> Path | None:
    """The reelforge.toml in use: $REELFORGE_CONFIG, else ./reelforge.toml, else <home>/reelforge.toml."""
    env = os.environ if environ is None else environ
    if env.get("REELFORGE_CONFIG"):
        path = Path(env["REELFORGE_CONFIG"]).expanduser()
        if path.is_dir():
            raise BadInput(
                f"REELFORGE_CONFIG names {path}, which is a folder; name the reelforge.toml file or unset it"
            )
        if not path.is_file():
            raise BadInput(f"REELFORGE_CONFIG names {path}, which does not exist; fix the path or unset it")
        return path
    for candidate in (Path.cwd() / "reelforge.toml", home / "reelforge.toml"):
        if candidate.is_file():
            return candidate
    return None


def read_config(home: Path, environ: Mapping[str, str] | None = None) -> tuple[Path | None, dict[str, Any]]:
    """The reelforge.toml in use and its document ({} when there is none); BadInput for unknown keys."""
    path = config_path(home, environ)
    document = read_toml(path) if path else {}
    where = str(path) if path else "the environment"
    for key in sorted(set(document) - set(SECTIONS) - set(FILE_KEYS)):
        if isinstance(document[key], dict):
            sections = ", ".join(f"[{name}]" for name in SECTIONS)
            raise BadInput(f"{where}: unknown section [{key}]; use {sections}")
        raise BadInput(f"{where}: unknown key '{key}'; known top-level keys: {', '.join(FILE_KEYS)}")
    return path, document


def where(path: Path | None) -> str:
    """How messages name the settings' origin: the file, or the environment when there is none."""
    return str(path) if path else "the environment"
