"""The Publisher protocol every target implements, and what a publisher is handed to publish."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from state import Publication


@dataclass(frozen=True)
class PublishItem:
    """One verified video and the files that travel with it."""

    run_id: str
    video: Path
    thumbnail: Path
    subtitles: Path
    script_markdown: str


class Publisher(Protocol):
    """A place videos are published; `find` lets a resumed run learn whether a post already happened."""

    @property
    def target(self) -> str:
        """The target's name, as jobs name it."""
        ...

    def publish(self, item: PublishItem, metadata: dict[str, Any], idempotency_key: str) -> Publication:
        """Publish `item` once under `idempotency_key` and return where it is."""
        ...

    def find(self, idempotency_key: str) -> Publication | None:
        """The publication made under `idempotency_key`, or None when there is none."""
        ...
