"""Read TOML settings and plan files, turning every problem into one line that names the file."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from tools.errors import BadInput


def read_toml(path: Path) -> dict[str, Any]:
    """The parsed document at `path`; BadInput when it cannot be read or is not TOML."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise BadInput(
            f"cannot read {path} ({error}); fix its permissions or point to another file"
        ) from None
    except tomllib.TOMLDecodeError as error:
        raise BadInput(f"{path} is not valid TOML ({error}); fix the line it names") from None
