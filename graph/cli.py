"""The `reelforge` command line: run commands and operator commands on one Typer app."""

from __future__ import annotations

import importlib
import sys

from graph.cli_common import app, run_app

__all__ = ["app", "main"]

# Importing them registers their commands, in this order in --help: runs first, then operations.
for _module in (
    "graph.cli_runs",
    "graph.cli_ops",
    "graph.cli_doors",
    "graph.cli_chat",
    "graph.cli_mcp",
    "graph.cli_auth",
):
    importlib.import_module(_module)


def main(args: list[str] | None = None) -> None:
    """Entry point of the console script: every error, a usage error too, ends as one line on stderr."""
    raise SystemExit(run_app(sys.argv[1:] if args is None else list(args)))


if __name__ == "__main__":  # pragma: no cover
    main()
