"""Publishing exactly once: an intent is recorded before a post and its outcome after it.

A kill can land between any two of these steps. On the next attempt a finished intent hands back its
publication; an intent with no outcome asks the publisher whether the post happened before posting again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from state import Publication
from tools.files import write_text_atomic
from tools.publish.publisher import Publisher, PublishItem

How = Literal["posted", "recorded", "found"]


def idempotency_key(run_id: str, target: str, video_sha256: str) -> str:
    """The key of one video version posted to one target by one run."""
    return f"{run_id}:{target}:{video_sha256[:16]}"


class PublicationIntents:
    """Intents and outcomes of posts, one small file each under a run's folder, written atomically."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, key: str) -> Path:
        return self.folder / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        """The intent recorded under `key`: status "started", or "done" with its publication."""
        try:
            record: dict[str, Any] = json.loads(self._path(key).read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return None
        return record if record.get("key") == key else None

    def begin(self, key: str, target: str) -> None:
        """Record that a post is about to be made (keeping what was noted for it)."""
        record = {**(self.get(key) or {}), "key": key, "target": target, "status": "started"}
        write_text_atomic(self._path(key), json.dumps(record, ensure_ascii=False))

    def note(self, key: str, name: str, value: str | None) -> None:
        """Keep `name` = `value` with a started intent (an upload session, a container id) for a resume."""
        record = self.get(key) or {"key": key, "status": "started"}
        record.setdefault("notes", {})[name] = value
        write_text_atomic(self._path(key), json.dumps(record, ensure_ascii=False))

    def noted(self, key: str, name: str) -> str | None:
        """What `note` kept under `name` for this key, or None."""
        value = ((self.get(key) or {}).get("notes") or {}).get(name)
        return str(value) if value is not None else None

    def finish(self, key: str, target: str, publication: Publication) -> None:
        """Record the post's outcome."""
        record = {"key": key, "target": target, "status": "done", "publication": publication}
        write_text_atomic(self._path(key), json.dumps(record, ensure_ascii=False))


def publish_once(
    publisher: Publisher,
    intents: PublicationIntents,
    key: str,
    item: PublishItem,
    metadata: dict[str, Any],
    after_post: Callable[[], None] | None = None,
) -> tuple[Publication, How]:
    """Post `item` unless this key was posted before; say whether it was posted now, recorded, or found."""
    intent = intents.get(key)
    if intent is not None and intent["status"] == "done":
        recorded: Publication = intent["publication"]
        return recorded, "recorded"
    if intent is not None and (found := publisher.find(key)) is not None:
        intents.finish(key, publisher.target, found)
        return found, "found"
    if intent is None:
        intents.begin(key, publisher.target)
    publication = publisher.publish(item, metadata, key)
    if after_post is not None:
        after_post()
    intents.finish(key, publisher.target, publication)
    return publication, "posted"
