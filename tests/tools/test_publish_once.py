"""Publishing exactly once: a kill at any step between intent, post and outcome never posts twice."""

from __future__ import annotations

from pathlib import Path

import pytest

from state import Publication
from tools.publish import GalleryPublisher, PublicationIntents, PublishItem, idempotency_key, publish_once


class CountingPublisher:
    """A Publisher that keeps its posts in memory, so a test can count them."""

    target = "counting"

    def __init__(self) -> None:
        self.posts: dict[str, Publication] = {}
        self.calls = 0

    def publish(self, item: PublishItem, metadata: dict, idempotency_key: str) -> Publication:
        self.calls += 1
        publication: Publication = {
            "target": self.target,
            "id": f"post-{self.calls}",
            "url": f"https://example.test/{self.calls}",
            "published_at": "2026-12-03T00:00:00+00:00",
        }
        self.posts[idempotency_key] = publication
        return publication

    def find(self, idempotency_key: str) -> Publication | None:
        return self.posts.get(idempotency_key)


class Killed(BaseException):
    """Stands for SIGKILL: nothing after it runs."""


@pytest.fixture
def item(tmp_path: Path) -> PublishItem:
    for name in ("video.mp4", "thumbnail.jpg", "subtitles.srt"):
        (tmp_path / name).write_bytes(
            b"1\n00:00:00,000 --> 00:00:01,000\nhi\n" if name.endswith("srt") else b"x"
        )
    return PublishItem(
        "run-1", tmp_path / "video.mp4", tmp_path / "thumbnail.jpg", tmp_path / "subtitles.srt", "#"
    )


def test_the_key_names_run_target_and_video():
    assert idempotency_key("run-1", "youtube", "ab" * 32) == "run-1:youtube:abababababababab"


def test_a_second_attempt_hands_back_the_recorded_post(tmp_path, item):
    publisher, intents = CountingPublisher(), PublicationIntents(tmp_path / "intents")
    first = publish_once(publisher, intents, "k", item, {})
    second = publish_once(publisher, intents, "k", item, {})
    assert first == (second[0], "posted") and second[1] == "recorded"
    assert publisher.calls == 1


def test_a_kill_after_the_post_finds_it_instead_of_posting_again(tmp_path, item):
    publisher, intents = CountingPublisher(), PublicationIntents(tmp_path / "intents")

    def die() -> None:
        raise Killed

    with pytest.raises(Killed):
        publish_once(publisher, intents, "k", item, {}, after_post=die)
    assert intents.get("k")["status"] == "started"
    publication, how = publish_once(publisher, intents, "k", item, {})
    assert how == "found" and publication["id"] == "post-1" and publisher.calls == 1
    assert intents.get("k")["status"] == "done"


def test_a_kill_before_the_post_posts_once_on_the_next_attempt(tmp_path, item):
    publisher, intents = CountingPublisher(), PublicationIntents(tmp_path / "intents")
    intents.begin("k", publisher.target)  # the intent was recorded, then the process died
    publication, how = publish_once(publisher, intents, "k", item, {})
    assert how == "posted" and publisher.calls == 1


def test_the_gallery_finds_its_own_posts_by_key(tmp_path, item):
    gallery = GalleryPublisher(tmp_path / "gallery")
    assert gallery.find("run-1:gallery:x") is None
    posted = gallery.publish(item, {"title": "t"}, "run-1:gallery:x")
    assert gallery.find("run-1:gallery:x") == posted
    assert gallery.find("run-1:gallery:y") is None
