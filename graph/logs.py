"""Logging for a process: structlog JSON lines in <home>/logs/reelforge.log, with every secret redacted."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TextIO

import structlog

from state.model_settings import RouterSettings
from tools.secrets import redact_processor, register_secrets

_open: list[TextIO] = []


def configure_logging(home: Path, router: RouterSettings, *, to_stderr: bool = False) -> Path:
    """Send structlog events to the home's log file (and stderr with --debug); return the file's path."""
    register_secrets(router.secrets())
    path = home / "logs" / "reelforge.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    while _open:
        _open.pop().close()
    stream: TextIO = sys.stderr if to_stderr else open(path, "a", encoding="utf-8", buffering=1)  # noqa: SIM115
    if stream is not sys.stderr:
        _open.append(stream)
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            redact_processor,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        logger_factory=structlog.WriteLoggerFactory(file=stream),
        cache_logger_on_first_use=False,
    )
    return path
