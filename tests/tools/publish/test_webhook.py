"""The webhook publisher against a local receiver: the event, its HMAC signature, and every kind of answer."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers.harness import refused_url
from tests.servers.webhook_receiver import WebhookReceiver
from tools.errors import BadInput, ServiceUnavailable, is_transient
from tools.publish import PublishItem, PublishRefused
from tools.publish.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, WebhookPublisher, sign

KEY = "make-coffee-3f2a:webhook:0123456789abcdef"
SECRET = "whsec-very-secret-value-42"
METADATA = {
    "title": "How to make coffee",
    "description": "Grind, bloom, pour.",
    "tags": ["coffee"],
    "citations": [{"source": "https://en.wikipedia.org/wiki/Coffee", "title": "Coffee"}],
}


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as running:
        assert isinstance(running, WebhookReceiver)
        yield running


@pytest.fixture
def item(tmp_path: Path) -> PublishItem:
    return PublishItem(
        run_id="make-coffee-3f2a",
        video=tmp_path / "video.mp4",
        thumbnail=tmp_path / "thumbnail.jpg",
        subtitles=tmp_path / "subtitles.srt",
        script_markdown="# How to make coffee",
        video_sha256="0123456789abcdef" * 4,
        duration_s=31.5,
        width=1080,
        height=1920,
        public_url="https://videos.example.org/make-coffee-3f2a/video.mp4",
        page_url="https://videos.example.org/#make-coffee-3f2a",
    )


def test_a_signed_delivery_carries_the_event_and_verifies(receiver, item):
    publication = WebhookPublisher(f"{receiver.url}/hooks/reelforge", SECRET).publish(item, METADATA, KEY)
    (request,) = receiver.requests
    assert request.path == "/hooks/reelforge"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Idempotency-Key"] == KEY
    expected = "sha256=" + hmac.new(SECRET.encode(), request.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(request.headers[SIGNATURE_HEADER], expected)
    body = json.loads(request.body)
    assert body["event"] == "video.published" and body["idempotency_key"] == KEY
    assert body["run_id"] == "make-coffee-3f2a" and body["metadata"] == METADATA
    assert body["video"] == {
        "sha256": item.video_sha256,
        "duration_s": 31.5,
        "width": 1080,
        "height": 1920,
        "url": item.public_url,
        "page": item.page_url,
    }
    # The timestamp header is the signed body's sent_at, in seconds since the epoch.
    from datetime import datetime

    sent_at = datetime.fromisoformat(body["sent_at"].replace("Z", "+00:00"))
    assert int(request.headers[TIMESTAMP_HEADER]) == int(sent_at.timestamp())
    assert publication == {
        "target": "webhook",
        "id": "evt_1",
        "url": f"{receiver.url}/events/{KEY}",
        "published_at": body["sent_at"],
        "status": "delivered",
        "key": KEY,
    }


def test_a_tampered_body_does_not_verify(receiver, item):
    WebhookPublisher(receiver.url, SECRET).publish(item, METADATA, KEY)
    (request,) = receiver.requests
    tampered = request.body.replace(b"make-coffee", b"make-tea")
    assert sign(SECRET, tampered) != request.headers[SIGNATURE_HEADER]
    assert sign("another-secret", request.body) != request.headers[SIGNATURE_HEADER]


def test_without_a_secret_nothing_is_signed(receiver, item):
    WebhookPublisher(receiver.url).publish(item, METADATA, KEY)
    (request,) = receiver.requests
    assert SIGNATURE_HEADER not in request.headers and TIMESTAMP_HEADER not in request.headers
    assert request.headers["Idempotency-Key"] == KEY


def test_an_answer_without_id_or_url_gets_the_key_hash_and_the_host_only(receiver, item):
    receiver.answer, receiver.status = b"OK", 200
    publication = WebhookPublisher(f"{receiver.url}/hooks/T0KEN-in-the-path?sig=abc").publish(item, {}, KEY)
    assert publication["id"] == hashlib.sha256(KEY.encode()).hexdigest()[:16]
    assert publication["url"] == receiver.url, "the path may hold a token; only the host is recorded"
    receiver.answer, receiver.status = None, 204
    assert WebhookPublisher(receiver.url).publish(item, {}, KEY)["status"] == "delivered"


def test_a_link_that_is_not_a_web_address_is_not_recorded(receiver, item):
    receiver.answer = {"id": 7, "url": "javascript:alert(1)"}
    publication = WebhookPublisher(receiver.url).publish(item, {}, KEY)
    assert publication["id"] == "7" and publication["url"] == receiver.url


def test_a_redelivery_carries_the_same_key_for_the_receiver_to_dedupe(receiver, item):
    publisher = WebhookPublisher(receiver.url, SECRET)
    assert publisher.find(KEY) is None, "a webhook cannot be asked"
    publisher.publish(item, METADATA, KEY)
    publisher.publish(item, METADATA, KEY)
    assert len(receiver.requests) == 2 and receiver.deliveries == {KEY}


def test_a_refusal_is_bad_input_without_the_secret(receiver, item):
    receiver.status, receiver.answer = 400, {"error": f"bad signature, expected key {SECRET}"}
    with pytest.raises(PublishRefused) as refused:
        WebhookPublisher(f"{receiver.url}/hooks/abc", SECRET).publish(item, METADATA, KEY)
    message = str(refused.value)
    assert message.startswith(f"the webhook at {receiver.url} refused the delivery (400: ")
    assert SECRET not in message and "[redacted]" in message and "/hooks/abc" not in message
    assert "\n" not in message and not is_transient(refused.value)


@pytest.mark.parametrize("status", [500, 503, 429, 408])
def test_a_busy_receiver_is_retried(receiver, item, status):
    receiver.status = status
    with pytest.raises(
        ServiceUnavailable, match=f"the webhook at .* answered {status}; try again later"
    ) as busy:
        WebhookPublisher(receiver.url, SECRET).publish(item, METADATA, KEY)
    assert is_transient(busy.value)


def test_a_redirect_is_refused_with_the_fix(receiver, item):
    receiver.status = 301
    with pytest.raises(PublishRefused, match=r"answered a redirect \(301\); set REELFORGE_WEBHOOK_URL"):
        WebhookPublisher(receiver.url).publish(item, METADATA, KEY)


def test_an_unreachable_receiver_is_retried(item):
    with pytest.raises(ServiceUnavailable, match="cannot be reached") as unreachable:
        WebhookPublisher(refused_url(), SECRET).publish(item, METADATA, KEY)
    assert is_transient(unreachable.value) and SECRET not in str(unreachable.value)


def test_a_hanging_receiver_times_out(receiver, item):
    receiver.fail("hang")
    with pytest.raises(ServiceUnavailable, match="did not answer within 0.3 s"):
        WebhookPublisher(receiver.url, timeout_s=0.3).publish(item, METADATA, KEY)


def test_a_url_that_is_not_http_is_bad_input():
    with pytest.raises(BadInput, match="REELFORGE_WEBHOOK_URL is not an http"):
        WebhookPublisher("ftp://example.org/hook")
