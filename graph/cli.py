"""The `reelforge` command line: run commands and operator commands on one Typer app."""

from __future__ import annotations

import importlib

from graph.cli_common import app

__all__ = ["app", "main"]

# Importing them registers their commands, in this order in --help: runs first, then operations.
for _module in ("graph.cli_runs", "graph.cli_ops"):
    importlib.import_module(_module)


def main() -> None:
    """Entry point of the console script."""
    app(prog_name="reelforge")


if __name__ == "__main__":  # pragma: no cover
    main()
