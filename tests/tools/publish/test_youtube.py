"""The YouTube publisher against a local YouTube Data API: uploads, resumes, find, errors and the sign-in."""

from __future__ import annotations

import json
import logging
import re
import stat
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import av
import httpx
import numpy as np
import pytest
from PIL import Image

from tests.servers.harness import wait_until
from tests.servers.youtube import VIDEOS, YouTubeServer, header_of
from tools.errors import BadInput, ServiceUnavailable
from tools.publish import PublicationIntents, PublishItem, PublishRefused, publish_once
from tools.publish.youtube import YouTubePublisher, key_line, key_tag
from tools.publish.youtube_auth import SCOPES, authorize

CHUNK = 256 * 1024
KEY = "make-coffee-3f2a:youtube:0123456789abcdef"
METADATA = {
    "title": "How to make coffee <fast>",
    "description": "Grind, bloom, pour.\nPictures: Wikimedia Commons.",
    "tags": ["coffee", "#brewing", "pour over"],
}


# ---- inputs ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A real vertical H.264 MP4 of a few chunks (noise does not compress) and a real JPEG thumbnail."""
    folder = tmp_path_factory.mktemp("youtube-media")
    video, thumbnail = folder / "video.mp4", folder / "thumbnail.jpg"
    rng = np.random.default_rng(7)
    with av.open(str(video), "w") as container:
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 128, 224, "yuv420p"
        stream.options = {"crf": "0", "preset": "ultrafast"}
        for _ in range(30):
            frame = av.VideoFrame.from_ndarray(rng.integers(0, 255, (224, 128, 3), dtype=np.uint8), "rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    Image.new("RGB", (128, 72), (200, 120, 40)).save(thumbnail, "JPEG")
    assert video.stat().st_size > 4 * CHUNK
    return video, thumbnail


@pytest.fixture
def item(media: tuple[Path, Path], tmp_path: Path) -> PublishItem:
    video, thumbnail = media
    subtitles = tmp_path / "subtitles.srt"
    subtitles.write_text("1\n00:00:00,000 --> 00:00:01,000\nhi\n", encoding="utf-8")
    return PublishItem(
        run_id="make-coffee-3f2a",
        video=video,
        thumbnail=thumbnail,
        subtitles=subtitles,
        script_markdown="# How to make coffee",
        video_sha256="0123456789abcdef" * 4,
        duration_s=1.0,
        width=128,
        height=224,
    )


@pytest.fixture
def server() -> Iterator[YouTubeServer]:
    with YouTubeServer() as running:
        assert isinstance(running, YouTubeServer)
        yield running


def token_file(server: YouTubeServer, folder: Path, **extra: Any) -> Path:
    """A token file as `reelforge auth youtube` leaves it, with the token endpoint on the fake server."""
    path = folder / "youtube-token.json"
    record = {
        "refresh_token": server.refresh_token,
        "client_id": server.client_id,
        "client_secret": server.client_secret,
        "token_uri": f"{server.url}/token",
        "scopes": SCOPES,
        "type": "authorized_user",
        **extra,
    }
    path.write_text(json.dumps(record), encoding="utf-8")
    return path


class Sessions:
    """Where a caller keeps upload session URIs (the run's checkpoint, in reelforge)."""

    def __init__(self) -> None:
        self.saved: dict[str, str | None] = {}
        self.history: list[str | None] = []

    def store(self, key: str, uri: str | None) -> None:
        self.saved[key] = uri
        self.history.append(uri)

    def load(self, key: str) -> str | None:
        return self.saved.get(key)


def publisher(server: YouTubeServer, folder: Path, sessions: Sessions | None = None, **options: Any):
    sessions = sessions or Sessions()
    options.setdefault("num_retries", 0)
    return YouTubePublisher(
        token_file(server, folder),
        api_url=server.url,
        token_url=f"{server.url}/token",
        chunk_bytes=CHUNK,
        session_store=sessions.store,
        saved_session=sessions.load,
        **options,
    )


def session_starts(server: YouTubeServer) -> int:
    return sum(1 for r in server.requests if r.method == "POST" and r.path == VIDEOS)


def upload_bytes(server: YouTubeServer) -> int:
    return sum(server.chunk_bytes)


# ---- publishing -----------------------------------------------------------------------------------------


def test_publish_uploads_once_sends_every_field_and_reads_the_video_back(server, item, tmp_path):
    sessions = Sessions()
    youtube = publisher(server, tmp_path, sessions, privacy="unlisted", category_id="27")
    publication = youtube.publish(item, METADATA, KEY)

    assert server.uploads == 1 and session_starts(server) == 1
    start = next(r for r in server.requests if r.method == "POST" and r.path == VIDEOS)
    assert start.query["uploadType"] == ["resumable"] and start.query["part"] == ["snippet,status"]
    assert header_of(start, "X-Upload-Content-Length") == str(item.video.stat().st_size)
    assert header_of(start, "X-Upload-Content-Type") == "video/mp4"
    sent = start.json()
    assert sent["snippet"]["title"] == "How to make coffee ‹fast›"
    assert sent["snippet"]["description"].splitlines()[-1] == key_line(KEY)
    assert sent["snippet"]["description"].startswith("Grind, bloom, pour.")
    assert sent["snippet"]["tags"] == [key_tag(KEY), "coffee", "brewing", "pour over"]
    assert sent["snippet"]["categoryId"] == "27"
    assert sent["status"] == {
        "privacyStatus": "unlisted",
        "selfDeclaredMadeForKids": False,
        "containsSyntheticMedia": True,
    }
    # Every byte arrived once, in chunks of the configured size, and the thumbnail was set.
    video = server.videos[publication["id"]]
    assert upload_bytes(server) == item.video.stat().st_size
    assert max(server.chunk_bytes) == CHUNK
    assert server.thumbnails[publication["id"]] == item.thumbnail.read_bytes()
    assert video["status"]["containsSyntheticMedia"] is True
    # Read back after the upload.
    assert server.requests[-1].path == "/youtube/v3/videos"
    assert publication["target"] == "youtube"
    assert publication["url"] == f"https://www.youtube.com/watch?v={publication['id']}"
    assert publication["status"] == "unlisted" and publication["key"] == KEY
    assert publication["video_sha256"] == item.video_sha256
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", publication["published_at"])
    # The session was handed over as soon as it existed, and cleared once the upload was complete.
    assert sessions.history[0] is not None and "upload_id=" in sessions.history[0]
    assert sessions.history[-1] is None


def test_a_scheduled_video_is_sent_private_with_its_publish_time(server, item, tmp_path):
    when = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    youtube = publisher(
        server,
        tmp_path,
        privacy="public",
        made_for_kids=True,
        synthetic_media=False,
        publish_at=when.isoformat(),
    )
    publication = youtube.publish(item, METADATA, KEY)
    status = server.videos[publication["id"]]["status"]
    assert status["privacyStatus"] == "private"
    assert status["publishAt"] == when.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert status["selfDeclaredMadeForKids"] is True and status["containsSyntheticMedia"] is False
    assert publication["status"] == "scheduled"


def test_public_videos_are_recorded_as_published(server, item, tmp_path):
    publication = publisher(server, tmp_path, privacy="public").publish(item, METADATA, KEY)
    assert publication["status"] == "published"


def test_long_titles_descriptions_and_tags_are_fitted_to_youtubes_limits(server, item, tmp_path):
    metadata = {
        "title": "A very long title " * 10,
        "description": "é" * 4000,
        "tags": [f"tag number {n}" for n in range(60)],
    }
    publication = publisher(server, tmp_path).publish(item, metadata, KEY)
    snippet = server.videos[publication["id"]]["snippet"]
    assert len(snippet["title"]) <= 100 and snippet["title"].endswith("…")
    assert len(snippet["description"].encode()) <= 5000
    assert snippet["description"].splitlines()[-1] == key_line(KEY)
    tags = snippet["tags"]
    assert tags[0] == key_tag(KEY)
    assert sum(len(t) + (2 if " " in t else 0) for t in tags) + len(tags) - 1 <= 500


def test_a_thumbnail_youtube_refuses_leaves_the_video_published(server, item, tmp_path, caplog):
    server.thumbnails_allowed = False
    with caplog.at_level(logging.WARNING, logger="tools.publish.youtube"):
        publication = publisher(server, tmp_path).publish(item, METADATA, KEY)
    assert server.uploads == 1 and publication["id"] in server.videos
    assert "did not take the thumbnail" in caplog.text and "custom thumbnails" in caplog.text


# ---- find -----------------------------------------------------------------------------------------------


def test_find_recognises_the_upload_by_its_key_among_the_channel_uploads(server, item, tmp_path):
    server.add_video({"title": "Older", "description": "unrelated"}, {"privacyStatus": "public"})
    posted = publisher(server, tmp_path).publish(item, METADATA, KEY)
    server.add_video({"title": "Newer", "description": "unrelated"}, {"privacyStatus": "public"})

    fresh = publisher(server, tmp_path)
    found = fresh.find(KEY)
    assert found is not None
    assert (found["id"], found["url"], found["status"], found["key"]) == (
        posted["id"],
        posted["url"],
        "private",
        KEY,
    )
    assert fresh.find(KEY + "-other") is None
    # A key that only prefixes another one does not match it.
    assert fresh.find(KEY[:-1]) is None


def test_find_also_recognises_the_key_tag(server, tmp_path):
    video_id = server.add_video(
        {"title": "Edited in Studio", "description": "the key line was removed", "tags": [key_tag(KEY)]},
        {"privacyStatus": "public"},
    )
    found = publisher(server, tmp_path).find(KEY)
    assert found is not None and found["id"] == video_id and found["status"] == "published"


def test_an_intent_without_outcome_is_reconciled_with_the_channel_not_uploaded_again(server, item, tmp_path):
    intents = PublicationIntents(tmp_path / "intents")

    class Killed(BaseException):
        pass

    def kill() -> None:
        raise Killed

    with pytest.raises(Killed):
        publish_once(publisher(server, tmp_path), intents, KEY, item, METADATA, after_post=kill)
    publication, how = publish_once(publisher(server, tmp_path), intents, KEY, item, METADATA)
    assert how == "found" and server.uploads == 1 and session_starts(server) == 1
    assert publication["id"] in server.videos


# ---- resuming -------------------------------------------------------------------------------------------


def test_a_cut_upload_resumes_its_saved_session_without_sending_everything_again(server, item, tmp_path):
    size = item.video.stat().st_size
    sessions = Sessions()
    kept = 2 * CHUNK + 1000
    # Two whole chunks arrive, then the third one's connection breaks after 1000 of its bytes.
    server.drop_after_bytes = kept
    first = publisher(server, tmp_path, sessions)
    with pytest.raises(ServiceUnavailable) as caught:
        first.publish(item, METADATA, KEY)
    assert server.uploads == 0
    uri = sessions.load(KEY)
    assert uri is not None
    assert upload_bytes(server) == kept
    assert "upload_id" not in str(caught.value)

    # A new process: the caller hands back the saved session, which is asked where it stands.
    second = publisher(server, tmp_path, sessions)
    publication = second.publish(item, METADATA, KEY)
    assert server.uploads == 1 and session_starts(server) == 1
    assert upload_bytes(server) == size  # the second attempt sent only the missing bytes
    status_query = next(
        r for r in server.requests if r.method == "PUT" and header_of(r, "Content-Range") == f"bytes */{size}"
    )
    assert status_query.body == b""
    assert publication["id"] in server.videos
    assert sessions.load(KEY) is None


def test_the_session_is_handed_over_before_any_video_byte_is_sent(server, item, tmp_path):
    sent_when_stored: list[int] = []
    sessions = Sessions()

    def store(key: str, uri: str | None) -> None:
        sent_when_stored.append(upload_bytes(server))
        sessions.store(key, uri)

    youtube = publisher(server, tmp_path, sessions)
    youtube.session_store = store
    youtube.publish(item, METADATA, KEY)
    assert sent_when_stored[0] == 0 and sessions.history[0] is not None


def test_a_dropped_connection_is_resumed_within_the_same_call(server, item, tmp_path):
    size = item.video.stat().st_size
    server.drop_after_bytes = 5000
    publication = publisher(server, tmp_path, num_retries=1).publish(item, METADATA, KEY)
    assert server.uploads == 1 and session_starts(server) == 1
    assert upload_bytes(server) == size
    assert publication["id"] in server.videos


def test_an_expired_session_starts_a_new_upload(server, item, tmp_path):
    sessions = Sessions()
    server.drop_after_bytes = 1000
    with pytest.raises(ServiceUnavailable):
        publisher(server, tmp_path, sessions).publish(item, METADATA, KEY)
    old = sessions.load(KEY)
    assert old is not None
    server.expire_sessions()

    publication = publisher(server, tmp_path, sessions).publish(item, METADATA, KEY)
    assert server.uploads == 1 and session_starts(server) == 2
    new_sessions = [uri for uri in sessions.history if uri not in (None, old)]
    assert new_sessions and publication["id"] in server.videos


def test_a_session_that_had_finished_hands_back_its_video_without_uploading(server, item, tmp_path):
    sessions = Sessions()

    def crash_before_clearing(key: str, uri: str | None) -> None:
        if uri is not None:  # the process died before the cleared session was recorded
            sessions.store(key, uri)

    first = publisher(server, tmp_path, sessions)
    first.session_store = crash_before_clearing
    posted = first.publish(item, METADATA, KEY)
    sent = upload_bytes(server)

    again = publisher(server, tmp_path, sessions).publish(item, METADATA, KEY)
    assert again["id"] == posted["id"]
    assert server.uploads == 1 and session_starts(server) == 1 and upload_bytes(server) == sent


# ---- errors ---------------------------------------------------------------------------------------------


def test_a_missing_token_file_names_the_auth_command(server, item, tmp_path):
    youtube = YouTubePublisher(tmp_path / "nope.json", api_url=server.url)
    with pytest.raises(BadInput, match=r"no YouTube token at .*nope\.json; run 'reelforge auth youtube'"):
        youtube.publish(item, METADATA, KEY)


def test_a_revoked_token_names_the_auth_command_and_no_secret(server, item, tmp_path):
    refresh = server.refresh_token
    server.revoke()
    with pytest.raises(BadInput) as caught:
        publisher(server, tmp_path).publish(item, METADATA, KEY)
    message = str(caught.value)
    assert message == (
        "YouTube refused the saved token (expired or revoked); run 'reelforge auth youtube' again"
    )
    assert server.uploads == 0
    for secret in (refresh, server.client_secret):
        assert secret not in message
    with pytest.raises(BadInput, match="reelforge auth youtube"):
        publisher(server, tmp_path).find(KEY)


def test_a_stale_access_token_is_refreshed_through_the_token_file_endpoint(server, item, tmp_path):
    path = token_file(server, tmp_path, token="ya29.stale", expiry="2999-01-01T00:00:00Z")
    youtube = YouTubePublisher(
        path, api_url=server.url, token_url=f"{server.url}/token", chunk_bytes=CHUNK, num_retries=0
    )
    publication = youtube.publish(item, METADATA, KEY)
    assert publication["id"] in server.videos
    assert any(r.path == "/token" for r in server.requests)


def test_an_api_401_after_a_refresh_names_the_auth_command(server, item, tmp_path):
    # Tokens are granted, but the API refuses them: the client refreshes, is refused again, and stops.
    server.accept_tokens = False
    with pytest.raises(BadInput, match=r"expired or revoked\); run 'reelforge auth youtube' again"):
        publisher(server, tmp_path).find(KEY)
    assert sum(1 for r in server.requests if r.path == "/token") >= 2


def test_a_used_up_quota_says_to_try_tomorrow(server, item, tmp_path):
    server.quota_exceeded = True
    with pytest.raises(BadInput) as caught:
        publisher(server, tmp_path).publish(item, METADATA, KEY)
    assert str(caught.value) == "YouTube's daily upload quota is used up; try again tomorrow"
    assert not isinstance(caught.value, ServiceUnavailable)


def test_a_rejected_field_is_a_bad_input_with_youtubes_reason(server, item, tmp_path):
    with pytest.raises(BadInput) as caught:
        publisher(server, tmp_path, category_id="999").publish(item, METADATA, KEY)
    assert "invalidCategoryId" in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize("kind", ["500", "429"])
def test_server_errors_are_transient(server, item, tmp_path, kind):
    server.fail(kind, times=None, path=VIDEOS)
    with pytest.raises(ServiceUnavailable, match=rf"YouTube answered {kind}"):
        publisher(server, tmp_path).publish(item, METADATA, KEY)


def test_an_unreachable_api_is_transient(item, tmp_path):
    from tests.servers.harness import refused_url

    with YouTubeServer() as tokens:
        assert isinstance(tokens, YouTubeServer)
        path = token_file(tokens, tmp_path)
        youtube = YouTubePublisher(
            path, api_url=refused_url(), token_url=f"{tokens.url}/token", chunk_bytes=CHUNK, num_retries=0
        )
        with pytest.raises(ServiceUnavailable, match="could not be reached"):
            youtube.find(KEY)


def test_no_secret_reaches_messages_or_logs(server, item, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    sessions = Sessions()
    messages = []
    access_tokens: set[str] = set()
    server.drop_after_bytes = 1000
    # A cut upload, a failing resume, then a revoked token.
    for setup in (lambda: None, lambda: server.fail("500", times=None, path=VIDEOS), server.revoke):
        access_tokens |= server.access_tokens
        setup()
        try:
            publisher(server, tmp_path, sessions).publish(item, METADATA, KEY)
        except (BadInput, ServiceUnavailable) as exc:
            messages.append(str(exc))
    assert len(messages) == 3 and access_tokens
    upload_id = (sessions.load(KEY) or "").partition("upload_id=")[2]
    secrets = [upload_id, server.client_secret, server.refresh_token, *access_tokens]
    for secret in filter(None, secrets):
        for message in messages:
            assert secret not in message
        assert secret not in caplog.text


# ---- check ----------------------------------------------------------------------------------------------


def test_check_refuses_a_vertical_video_longer_than_a_short(item, tmp_path):
    youtube = YouTubePublisher(tmp_path / "token.json")
    long_vertical = PublishItem(**{**item.__dict__, "duration_s": 200.0, "width": 1080, "height": 1920})
    with pytest.raises(PublishRefused) as caught:
        youtube.check(long_vertical, METADATA)
    assert str(caught.value) == (
        "the video is 200 s; YouTube Shorts must be at most 180 s: make it shorter with --duration 180, "
        "or publish it as 16:9"
    )
    # The same length in 16:9 is an ordinary video; a square one is a Short too.
    youtube.check(PublishItem(**{**long_vertical.__dict__, "width": 1920, "height": 1080}), METADATA)
    with pytest.raises(PublishRefused):
        youtube.check(PublishItem(**{**long_vertical.__dict__, "width": 1080, "height": 1080}), METADATA)


def test_check_refuses_an_empty_title_and_a_past_schedule(item, tmp_path):
    with pytest.raises(PublishRefused, match="no title"):
        YouTubePublisher(tmp_path / "token.json").check(item, {**METADATA, "title": "  "})
    with pytest.raises(PublishRefused, match="in the past"):
        YouTubePublisher(tmp_path / "token.json", publish_at="2020-01-01T00:00:00Z").check(item, METADATA)


def test_publish_checks_before_uploading(server, item, tmp_path):
    with pytest.raises(PublishRefused):
        publisher(server, tmp_path).publish(item, {**METADATA, "title": ""}, KEY)
    assert not server.requests


def test_bad_settings_are_refused_up_front(tmp_path):
    with pytest.raises(BadInput, match="privacy"):
        YouTubePublisher(tmp_path / "t.json", privacy="secret")
    with pytest.raises(BadInput, match="256 KiB"):
        YouTubePublisher(tmp_path / "t.json", chunk_bytes=1000)
    with pytest.raises(BadInput, match="ISO 8601"):
        YouTubePublisher(tmp_path / "t.json", publish_at="next tuesday")


# ---- reelforge auth youtube -----------------------------------------------------------------------------


def client_secrets(server: YouTubeServer, folder: Path) -> Path:
    """A Desktop-app client secrets file as the Google Cloud console gives it, on the fake server."""
    path = folder / "client_secret.json"
    client = {
        "client_id": server.client_id,
        "client_secret": server.client_secret,
        "auth_uri": f"{server.url}/o/oauth2/auth",
        "token_uri": f"{server.url}/token",
        "redirect_uris": ["http://localhost"],
    }
    path.write_text(json.dumps({"installed": client}), encoding="utf-8")
    return path


def sign_in(secrets_file: Path, target: Path, caplog: pytest.LogCaptureFixture) -> tuple[Any, httpx.Response]:
    """Run authorize() in a thread and play the browser: open the URL it prints and follow the redirect."""
    caplog.set_level(logging.INFO, logger="google_auth_oauthlib.flow")
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append(authorize(secrets_file, target, open_browser=False, timeout_s=10))
        except BaseException as exc:  # handed over to the test's thread
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    prompts = lambda: [r.getMessage() for r in caplog.records if "authorize" in r.getMessage()]  # noqa: E731
    wait_until(lambda: bool(prompts()) or bool(outcome))
    assert not outcome, outcome
    auth_url = prompts()[0].split()[-1]
    answer = httpx.get(auth_url, follow_redirects=True, timeout=10)
    thread.join(10)
    assert not thread.is_alive() and len(outcome) == 1
    return outcome[0], answer


@pytest.fixture
def insecure_oauth(monkeypatch: pytest.MonkeyPatch) -> None:
    # oauthlib insists on https; the fake token endpoint is plain http on localhost.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


def test_authorize_runs_the_installed_app_flow_and_writes_a_private_token(
    server, item, tmp_path, caplog, insecure_oauth
):
    target = tmp_path / "home" / "youtube-token.json"
    result, answer = sign_in(client_secrets(server, tmp_path), target, caplog)
    assert result == target and answer.status_code == 200
    consent = next(r for r in server.requests if r.path == "/o/oauth2/auth")
    assert set(consent.query["scope"][0].split()) == set(SCOPES)
    assert consent.query["prompt"] == ["consent"] and consent.query["access_type"] == ["offline"]
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    token = json.loads(target.read_text(encoding="utf-8"))
    assert token["refresh_token"] in server.refresh_tokens
    assert set(token["scopes"]) == set(SCOPES)
    assert not [path for path in target.parent.iterdir() if path != target]
    # The token works for the publisher.
    youtube = YouTubePublisher(
        target, api_url=server.url, token_url=f"{server.url}/token", chunk_bytes=CHUNK, num_retries=0
    )
    assert youtube.publish(item, METADATA, KEY)["id"] in server.videos


def test_a_refused_consent_ends_the_sign_in_with_one_line(server, tmp_path, caplog, insecure_oauth):
    server.deny_consent = True
    target = tmp_path / "youtube-token.json"
    result, _ = sign_in(client_secrets(server, tmp_path), target, caplog)
    assert isinstance(result, BadInput)
    assert "run 'reelforge auth youtube' again" in str(result) and "\n" not in str(result)
    assert not target.exists()


def test_authorize_refuses_a_file_that_is_not_a_desktop_client(tmp_path):
    path = tmp_path / "client_secret.json"
    path.write_text('{"type": "service_account"}', encoding="utf-8")
    with pytest.raises(BadInput, match="not a Desktop-app OAuth client"):
        authorize(path, tmp_path / "token.json", open_browser=False)


def test_authorize_without_client_secrets_says_where_to_get_them(tmp_path):
    with pytest.raises(BadInput) as caught:
        authorize(tmp_path / "client_secret.json", tmp_path / "token.json", open_browser=False)
    message = str(caught.value)
    assert "OAuth client ID" in message and "Desktop app" in message and "YOUTUBE_CLIENT_SECRETS" in message
