"""The Instagram Reels publisher against a local Graph API that fetches the video like Meta does."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tests.servers.harness import refused_url
from tests.servers.instagram import VERSION, InstagramGraphServer, VideoHost
from tools.errors import BadInput, ServiceUnavailable, is_transient
from tools.publish import PublicationIntents, PublishItem, PublishRefused, publish_once
from tools.publish.instagram import MAX_CAPTION_CHARS, InstagramPublisher, caption, caption_marker

KEY = "make-coffee-3f2a:instagram:0123456789abcdef"
TOKEN = "EAAG-test-token-1234567890"
USER_ID = "17841400000000001"
MP4 = b"\x00\x00\x00\x18ftypmp42" + bytes(2000)
VIDEO_PATH = "/make-coffee-3f2a/video.mp4"
METADATA = {
    "title": "How to make coffee",
    "description": "Grind, bloom, pour. #barista",
    "tags": ["coffee", "#brewing", "pour over", "Barista", "!!"],
}


class Containers:
    """Where a caller keeps container ids (a file in the run's folder, in reelforge)."""

    def __init__(self) -> None:
        self.saved: dict[str, str] = {}

    def store(self, key: str, container: str) -> None:
        self.saved[key] = container

    def load(self, key: str) -> str | None:
        return self.saved.get(key)


@pytest.fixture
def host() -> Iterator[VideoHost]:
    with VideoHost({VIDEO_PATH: MP4}) as running:
        assert isinstance(running, VideoHost)
        yield running


@pytest.fixture
def graph() -> Iterator[InstagramGraphServer]:
    with InstagramGraphServer(USER_ID, TOKEN) as running:
        assert isinstance(running, InstagramGraphServer)
        yield running


@pytest.fixture
def item(tmp_path: Path, host: VideoHost) -> PublishItem:
    video = tmp_path / "video.mp4"
    video.write_bytes(MP4)
    return PublishItem(
        run_id="make-coffee-3f2a",
        video=video,
        thumbnail=tmp_path / "thumbnail.jpg",
        subtitles=tmp_path / "subtitles.srt",
        script_markdown="# How to make coffee",
        video_sha256="0123456789abcdef" * 4,
        duration_s=30.0,
        width=1080,
        height=1920,
        public_url=f"{host.url}{VIDEO_PATH}",
    )


def publisher(graph: InstagramGraphServer, containers: Containers | None = None, **options: Any):
    options.setdefault("sleep", lambda seconds: None)
    if containers is not None:
        options.update(container_store=containers.store, saved_container=containers.load)
    return InstagramPublisher(USER_ID, TOKEN, graph_url=f"{graph.url}/{VERSION}", **options)


# ---- publishing ---------------------------------------------------------------------------------------


def test_a_reel_is_fetched_processed_published_and_read_back(graph, host, item):
    slept: list[float] = []
    containers = Containers()
    publication = publisher(graph, containers, sleep=slept.append, poll_s=2).publish(item, METADATA, KEY)
    assert graph.containers_created == 1 and graph.publishes == 1 and graph.fetches == 1
    assert [r.path for r in host.requests] == [VIDEO_PATH], "Meta fetched the video from its public URL"
    assert slept == [2, 2], "polled until FINISHED"
    (container,) = graph.containers.values()
    assert containers.saved == {KEY: container.id}
    assert container.video_url == item.public_url and container.share_to_feed == "true"
    (media,) = graph.media
    assert publication == {
        "target": "instagram",
        "id": media["id"],
        "url": media["permalink"],
        "published_at": media["timestamp"].replace("+0000", "Z"),
        "status": "published",
        "key": KEY,
    }
    # The token travels in a header, never in a URL a log or an error could show.
    for request in graph.requests:
        assert request.headers["Authorization"] == f"Bearer {TOKEN}"
        assert "access_token" not in request.query and TOKEN not in request.body.decode()


def test_the_caption_has_title_description_hashtags_and_the_marker(graph, item):
    publisher(graph, share_to_feed=False).publish(item, METADATA, KEY)
    (container,) = graph.containers.values()
    assert container.share_to_feed == "false"
    assert container.caption == (
        "How to make coffee\n\nGrind, bloom, pour. #barista\n\n#coffee #brewing #pourover\n\n"
        f"· {caption_marker(KEY)}"
    )
    assert re.fullmatch(r"rf[0-9a-f]{10}", caption_marker(KEY))


def test_captions_stay_within_meta_limits():
    metadata = {
        "title": "T " * 50,
        "description": " ".join(f"word{n} #inline{n}" for n in range(400)),
        "tags": [f"tag{n}" for n in range(50)],
    }
    text = caption(metadata, KEY)
    assert len(text) <= MAX_CAPTION_CHARS
    assert len(re.findall(r"#\w+", text)) == 30
    assert text.endswith(f"· {caption_marker(KEY)}") and "…" in text
    few = caption({"title": "Hi", "tags": [f"t{n}" for n in range(40)]}, KEY)
    assert len(re.findall(r"#\w+", few)) == 30 and few.startswith("Hi\n\n#t0 ")


def test_an_expired_container_is_made_again(graph, item):
    graph.expire_containers = 1
    publication = publisher(graph).publish(item, METADATA, KEY)
    assert graph.containers_created == 2 and graph.publishes == 1 and publication["status"] == "published"


# ---- reconciling --------------------------------------------------------------------------------------


def test_a_resumed_run_waits_for_the_same_container_instead_of_fetching_again(graph, item):
    graph.processing_polls = 5
    containers = Containers()
    with pytest.raises(
        ServiceUnavailable, match="still processing the video after 2 s; try again later"
    ) as late:
        publisher(graph, containers, poll_s=1, timeout_s=2).publish(item, METADATA, KEY)
    assert is_transient(late.value) and graph.publishes == 0
    publication = publisher(graph, containers, poll_s=1).publish(item, METADATA, KEY)
    assert graph.containers_created == 1 and graph.fetches == 1 and graph.publishes == 1
    assert publication["id"] == graph.media[0]["id"]


def test_a_kill_after_publishing_is_found_not_posted_again(graph, item, tmp_path):
    class Killed(BaseException):
        pass

    def die() -> None:
        raise Killed

    containers = Containers()
    intents = PublicationIntents(tmp_path / "intents")
    with pytest.raises(Killed):
        publish_once(publisher(graph, containers), intents, KEY, item, METADATA, after_post=die)
    publication, how = publish_once(publisher(graph, containers), intents, KEY, item, METADATA)
    assert how == "found" and graph.publishes == 1 and publication["id"] == graph.media[0]["id"]


def test_a_lost_answer_of_media_publish_is_found_by_the_container_and_the_marker(graph, item):
    containers = Containers()
    first = publisher(graph, containers).publish(item, METADATA, KEY)
    # A second attempt (the answer of the first was lost) learns from the container that it was published.
    again = publisher(graph, containers).publish(item, METADATA, KEY)
    assert again == first and graph.publishes == 1 and graph.containers_created == 1


def test_find_with_a_container_store(graph, item):
    containers = Containers()
    instagram = publisher(graph, containers)
    assert instagram.find(KEY) is None
    assert graph.requests == [], "no container was saved, so nothing was published"
    published = instagram.publish(item, METADATA, KEY)
    graph.add_media("a later Reel posted by hand")
    assert instagram.find(KEY) == published


def test_find_with_a_saved_container_that_was_never_published(graph, item):
    containers = Containers()
    graph.processing_polls = 10
    with pytest.raises(ServiceUnavailable):
        publisher(graph, containers, poll_s=1, timeout_s=1).publish(item, METADATA, KEY)
    assert publisher(graph, containers).find(KEY) is None


def test_a_saved_container_meta_no_longer_knows_falls_back_to_the_marker(graph, item):
    containers = Containers()
    containers.store(KEY, "404404404")
    instagram = publisher(graph, containers)
    assert instagram.find(KEY) is None
    published = instagram.publish(item, METADATA, KEY)
    assert graph.containers_created == 1 and containers.saved[KEY] != "404404404"
    graph.containers.clear()  # Meta forgot the container; the Reel is still on the account
    assert instagram.find(KEY) == published
    assert instagram.publish(item, METADATA, KEY) == published and graph.publishes == 1


def test_find_without_a_store_searches_the_latest_media_for_the_marker(graph, item):
    instagram = publisher(graph)
    graph.add_media(f"an older Reel · {caption_marker('another key')}")
    assert instagram.find(KEY) is None
    published = instagram.publish(item, METADATA, KEY)
    for n in range(60):
        graph.add_media(f"newer Reel {n}")
    assert instagram.find(KEY) == published, "the marker is found on the second page"


# ---- refusals -----------------------------------------------------------------------------------------


def test_a_video_meta_cannot_fetch_is_refused_with_the_fix(graph, host, item):
    with pytest.raises(PublishRefused) as refused:
        publisher(graph).publish(replace(item, public_url=f"{host.url}/missing.mp4"), METADATA, KEY)
    message = str(refused.value)
    assert message.startswith("Instagram could not process the video (ERROR: Media download has failed.")
    assert message.endswith("check that REELFORGE_GALLERY_URL serves the video publicly over HTTPS")
    assert graph.publishes == 0


def test_a_video_meta_cannot_process_is_refused(graph, item):
    graph.fail_processing = True
    with pytest.raises(PublishRefused, match=r"\(ERROR: Media upload has failed with error code 2207026"):
        publisher(graph).publish(item, METADATA, KEY)


def test_without_a_public_url_nothing_is_sent(graph, item):
    with pytest.raises(PublishRefused) as refused:
        publisher(graph).publish(replace(item, public_url=None), METADATA, KEY)
    assert str(refused.value) == (
        "Instagram fetches the video from a public URL; set REELFORGE_GALLERY_URL to the gallery's public"
        " https address"
    )
    assert graph.requests == []


@pytest.mark.parametrize(
    ("change", "pattern"),
    [
        ({"duration_s": 901.0}, r"the video is 901 s; Instagram Reels take at most 900 s \(15 min\)"),
        ({"duration_s": 2.0}, r"the video is 2 s; Instagram Reels take at least 3 s"),
        ({"width": 2000, "height": 100}, r"the video is 20:1 \(2000x100\)"),
    ],
)
def test_what_the_reels_api_refuses_is_refused_before_anything_is_sent(graph, item, change, pattern):
    with pytest.raises(PublishRefused, match=pattern):
        publisher(graph).check(replace(item, **change), METADATA)
    with pytest.raises(PublishRefused, match=pattern):
        publisher(graph).publish(replace(item, **change), METADATA, KEY)
    assert graph.requests == []
    publisher(graph).check(replace(item, width=1920, height=1080), METADATA)


def test_a_bad_token_is_bad_input_naming_the_setting_without_the_token(graph, item):
    graph.graph_error(190, f"Error validating access token: Session has expired ({TOKEN})")
    with pytest.raises(BadInput) as refused:
        publisher(graph).publish(item, METADATA, KEY)
    message = str(refused.value)
    assert message.startswith(
        "Instagram refused INSTAGRAM_ACCESS_TOKEN (code 190: Error validating access token"
    )
    assert "set INSTAGRAM_ACCESS_TOKEN" in message and TOKEN not in message and "[redacted]" in message
    assert not is_transient(refused.value)


def test_a_wrong_token_is_refused_by_the_server_itself(graph, item):
    with pytest.raises(BadInput, match="refused INSTAGRAM_ACCESS_TOKEN"):
        InstagramPublisher(USER_ID, "EAAG-wrong", graph_url=f"{graph.url}/{VERSION}").find(KEY)


@pytest.mark.parametrize("code", [4, 17, 32, 613])
def test_rate_limits_are_retried(graph, item, code):
    graph.graph_error(code, "Application request limit reached")
    with pytest.raises(ServiceUnavailable, match=f"busy or rate-limiting \\(code {code}:") as limited:
        publisher(graph).publish(item, METADATA, KEY)
    assert is_transient(limited.value)


def test_a_graph_api_in_trouble_is_retried(graph, item):
    graph.fail("500")
    with pytest.raises(ServiceUnavailable, match="answered 500 to create the Reel's container; try again"):
        publisher(graph).publish(item, METADATA, KEY)


def test_an_address_that_is_not_the_graph_api_is_bad_input(graph, item):
    graph.fail("wrong_type")
    with pytest.raises(BadInput, match="did not answer like the Graph API .*; check INSTAGRAM_GRAPH_URL"):
        publisher(graph).publish(item, METADATA, KEY)


def test_another_graph_error_is_refused_with_its_message(graph, item):
    with pytest.raises(
        PublishRefused, match=r"Instagram refused to create the Reel's container \(code 100: Unsupported"
    ):
        InstagramPublisher("999", TOKEN, graph_url=f"{graph.url}/{VERSION}", sleep=lambda s: None).publish(
            item, METADATA, KEY
        )


def test_an_unreachable_graph_api_is_retried(item):
    with pytest.raises(ServiceUnavailable, match="cannot be reached") as unreachable:
        InstagramPublisher(USER_ID, TOKEN, graph_url=refused_url()).publish(item, METADATA, KEY)
    assert TOKEN not in str(unreachable.value)


def test_missing_settings_are_bad_input():
    with pytest.raises(BadInput, match="INSTAGRAM_USER_ID and INSTAGRAM_ACCESS_TOKEN"):
        InstagramPublisher("", TOKEN)
    with pytest.raises(BadInput, match="INSTAGRAM_GRAPH_URL"):
        InstagramPublisher(USER_ID, TOKEN, graph_url="graph.facebook.com")
