"""The Publisher protocol every target implements, and what a publisher is handed to publish."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from state import Publication
from tools.errors import BadInput


@dataclass(frozen=True)
class PublishItem:
    """One verified video and the files that travel with it."""

    run_id: str
    video: Path
    thumbnail: Path
    subtitles: Path
    script_markdown: str
    video_sha256: str = ""
    duration_s: float = 0.0
    width: int = 0
    height: int = 0
    # Where the video can be fetched by anyone (the gallery's public URL); Instagram pulls it from there.
    public_url: str | None = None
    # Where the gallery page of the video is, for links in posts; None when the gallery is not served.
    page_url: str | None = None


class PublishRefused(BadInput):
    """The target refused this video or this post for good (too long, wrong aspect, bad credentials).

    Retrying cannot help; the message is one line naming the problem and the fix.
    """


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

    def check(self, item: PublishItem, metadata: dict[str, Any]) -> None:
        """Raise PublishRefused before uploading when the target cannot take this video (length, size…)."""
        ...
