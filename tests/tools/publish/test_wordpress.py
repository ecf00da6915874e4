"""The WordPress publisher against a local WordPress REST API: uploads, the post, reconciling, refusals."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from tests.servers.harness import refused_url
from tests.servers.wordpress import API, WordPressServer
from tools.errors import BadInput, ServiceUnavailable, is_transient
from tools.publish import PublicationIntents, PublishItem, PublishRefused, publish_once
from tools.publish.wordpress import WordPressPublisher, markdown_html, post_html, post_slug

KEY = "make-coffee-3f2a:wordpress:0123456789abcdef"
USER, PASSWORD = "editor", "abcd EFGH ijkl MNOP qrst UVWX"
SCRIPT = """# How to make coffee <fast>

> Better coffee in three steps.

## Scene 1: Grind

Grind the beans *just* before brewing, like **this**.

*Visual:* a hand grinder

*Sources:* https://en.wikipedia.org/wiki/Coffee

## Sources

- Coffee (https://en.wikipedia.org/wiki/Coffee)

## Pictures

- "Beans" by Ann, CC BY 4.0 (https://commons.wikimedia.org/wiki/File:Beans.jpg)

*Written by:* offline
"""
METADATA = {
    "title": "How to make coffee <fast>",
    "description": "Grind, bloom, pour.",
    "tags": ["coffee"],
    "writer": "offline",
    "citations": [
        {"source": "https://en.wikipedia.org/wiki/Coffee", "title": "Coffee"},
        {"source": "https://example.org/brewing", "title": "Brewing <guide>"},
    ],
    "credits": [
        {
            "title": "Beans",
            "author": "Ann",
            "license": "CC BY 4.0",
            "source": "https://commons.wikimedia.org/wiki/File:Beans.jpg",
        },
        {"title": "Cup", "author": "Bo <b>", "license": "CC0", "source": "https://example.org/cup"},
    ],
    "links": [{"name": "Shop", "url": "https://shop.example.org/"}, {"name": "Bad", "url": "javascript:x"}],
}
MP4 = b"\x00\x00\x00\x18ftypmp42" + bytes(4000)


@pytest.fixture
def site() -> Iterator[WordPressServer]:
    with WordPressServer(USER, PASSWORD) as running:
        assert isinstance(running, WordPressServer)
        yield running


@pytest.fixture
def item(tmp_path: Path) -> PublishItem:
    video, thumbnail, subtitles = tmp_path / "video.mp4", tmp_path / "thumbnail.jpg", tmp_path / "sub.srt"
    video.write_bytes(MP4)
    thumbnail.write_bytes(b"\xff\xd8\xff\xe0 a jpeg")
    subtitles.write_text("1\n00:00:00,000 --> 00:00:01,000\nhi\n", encoding="utf-8")
    return PublishItem(
        run_id="make-coffee-3f2a",
        video=video,
        thumbnail=thumbnail,
        subtitles=subtitles,
        script_markdown=SCRIPT,
        video_sha256="0123456789abcdef" * 4,
        duration_s=30.0,
        width=1080,
        height=1920,
        page_url="https://videos.example.org/#make-coffee-3f2a",
    )


def publisher(site: WordPressServer, **options) -> WordPressPublisher:
    return WordPressPublisher(site.url, USER, PASSWORD, **options)


class DropOnce(httpx.HTTPTransport):
    """A network that drops the first request matching `method` and `path`, as a kill at that moment would."""

    def __init__(self, method: str, path: str) -> None:
        super().__init__()
        self.method, self.path, self.dropped = method, path, False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if not self.dropped and request.method == self.method and request.url.path == self.path:
            self.dropped = True
            raise httpx.ConnectError("connection reset", request=request)
        return super().handle_request(request)


# ---- publishing ---------------------------------------------------------------------------------------


def test_the_video_and_poster_are_uploaded_and_the_post_embeds_them(site, item):
    publication = publisher(site).publish(item, METADATA, KEY)
    assert site.uploads == 2 and site.posts_created == 1
    (post,) = site.posts.values()
    video, poster = sorted(site.media.values(), key=lambda media: media["id"])
    assert site.files[video["id"]] == MP4
    assert video["slug"] == f"{post_slug(KEY)}-video" and video["mime_type"] == "video/mp4"
    assert poster["slug"] == f"{post_slug(KEY)}-poster" and poster["mime_type"] == "image/jpeg"
    uploads = [r for r in site.requests if r.method == "POST" and r.path == f"{API}/media"]
    assert uploads[0].headers["Content-Disposition"] == f'attachment; filename="{post_slug(KEY)}-video.mp4"'
    assert uploads[0].headers["Content-Type"] == "video/mp4"
    assert (
        uploads[0].headers["Authorization"]
        == "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    )

    assert post["slug"] == post_slug(KEY) and post["status"] == "draft"
    assert post["featured_media"] == poster["id"] and post["title"] == METADATA["title"]
    assert post["excerpt"] == "Grind, bloom, pour."
    content = post["content"]
    assert content.startswith(f'<!-- wp:video {{"id": {video["id"]}}} -->')
    assert f'src="{video["source_url"]}"' in content and f'poster="{poster["source_url"]}"' in content
    assert "<fast>" not in content and "&lt;fast&gt;" not in content.split("<h2>")[0].split("-->")[-1], (
        "the leading '# title' repeats the post's title and is left out"
    )
    assert "<h2>Scene 1: Grind</h2>" in content and "<h2>More sources</h2>" in content
    assert "<em>just</em>" in content and "<strong>this</strong>" in content
    assert "<blockquote><p>Better coffee in three steps.</p></blockquote>" in content
    # Sources and credits the script lists are linked; the ones it does not are added once.
    assert content.count('href="https://en.wikipedia.org/wiki/Coffee"') == 2
    assert (
        '<a href="https://example.org/brewing" rel="nofollow noopener noreferrer">Brewing &lt;guide&gt;</a>'
        in content
    )
    assert content.count('href="https://commons.wikimedia.org/wiki/File:Beans.jpg"') == 1
    assert 'href="https://example.org/cup"' in content and "Bo &lt;b&gt;" in content
    assert 'href="https://shop.example.org/"' in content and "javascript:" not in content
    assert 'href="https://videos.example.org/#make-coffee-3f2a"' in content

    assert publication == {
        "target": "wordpress",
        "id": str(post["id"]),
        "url": f"{site.url}/?p={post['id']}",
        "published_at": post["date_gmt"] + "Z",
        "status": "draft",
        "key": KEY,
    }
    # The post is read back after it is made, in the edit context.
    last = site.requests[-1]
    assert (
        last.method == "GET"
        and last.path == f"{API}/posts/{post['id']}"
        and last.query["context"] == ["edit"]
    )


def test_a_published_post_has_its_permalink(site, item):
    publication = publisher(site, status="publish").publish(item, METADATA, KEY)
    (post,) = site.posts.values()
    assert publication["status"] == "published" and post["status"] == "publish"
    assert publication["url"] == f"{site.url}/{post['date_gmt'][:10].replace('-', '/')}/{post_slug(KEY)}/"


def test_a_publish_time_schedules_the_post(site, item):
    metadata = {**METADATA, "publish_at": "2099-12-24T10:00:00+01:00"}
    publication = publisher(site, status="publish").publish(item, metadata, KEY)
    (post,) = site.posts.values()
    assert post["status"] == "future" and post["date_gmt"] == "2099-12-24T09:00:00"
    assert publication["status"] == "scheduled" and publication["published_at"] == "2099-12-24T09:00:00Z"


def test_a_scheduled_post_needs_a_publish_time(site, item):
    with pytest.raises(PublishRefused, match="status 'future' needs a publish time"):
        publisher(site, status="future").publish(item, METADATA, KEY)
    assert site.requests == []
    with pytest.raises(BadInput, match="publish time 'soon' is not ISO 8601"):
        publisher(site, status="future").check(item, {**METADATA, "publish_at": "soon"})
    scheduled = publisher(site, status="future", publish_at="2099-01-01T00:00:00Z")
    publication = scheduled.publish(item, METADATA, KEY)
    assert publication["status"] == "scheduled" and publication["published_at"] == "2099-01-01T00:00:00Z"


@pytest.mark.parametrize(("status", "recorded"), [("private", "private"), ("pending", "draft")])
def test_other_statuses(site, item, status, recorded):
    assert publisher(site, status=status).publish(item, METADATA, KEY)["status"] == recorded


# ---- reconciling --------------------------------------------------------------------------------------


def test_a_post_already_there_is_returned_not_made_again(site, item):
    first = publisher(site).publish(item, METADATA, KEY)
    requests_before = len(site.requests)
    second = publisher(site).publish(item, METADATA, KEY)
    assert second == first
    assert site.posts_created == 1 and site.uploads == 2
    assert [r.method for r in site.requests[requests_before:]] == ["GET"], "one look-up, no upload"


def test_find_gives_the_post_in_any_status_and_none_before(site, item):
    wordpress = publisher(site)
    assert wordpress.find(KEY) is None
    published = wordpress.publish(item, METADATA, KEY)
    assert wordpress.find(KEY) == published
    assert wordpress.find("another:wordpress:key") is None
    lookup = site.requests[-1]
    assert lookup.query["slug"] == [post_slug("another:wordpress:key")] and lookup.query["status"] == ["any"]


def test_a_kill_between_the_upload_and_the_post_does_not_upload_the_video_twice(site, item):
    dropping = WordPressPublisher(
        site.url, USER, PASSWORD, http=httpx.Client(transport=DropOnce("POST", f"{API}/posts"))
    )
    with pytest.raises(ServiceUnavailable, match="cannot be reached") as dropped:
        dropping.publish(item, METADATA, KEY)
    assert is_transient(dropped.value)
    assert site.uploads == 2 and site.posts_created == 0
    publication = publisher(site).publish(item, METADATA, KEY)
    assert site.uploads == 2 and site.posts_created == 1
    (post,) = site.posts.values()
    assert publication["id"] == str(post["id"])


def test_a_kill_after_the_post_finds_it_through_publish_once(site, item, tmp_path):
    class Killed(BaseException):
        pass

    def die() -> None:
        raise Killed

    intents = PublicationIntents(tmp_path / "intents")
    with pytest.raises(Killed):
        publish_once(publisher(site), intents, KEY, item, METADATA, after_post=die)
    publication, how = publish_once(publisher(site), intents, KEY, item, METADATA)
    assert how == "found" and site.posts_created == 1 and site.uploads == 2
    assert publication["key"] == KEY


# ---- refusals -----------------------------------------------------------------------------------------


def test_a_wrong_application_password_is_bad_input_without_the_password(site, item):
    wrong = "zzzz yyyy xxxx wwww vvvv uuuu"
    with pytest.raises(BadInput) as refused:
        WordPressPublisher(site.url, USER, wrong).publish(item, METADATA, KEY)
    message = str(refused.value)
    assert message.startswith(
        f"WordPress at {site.url} refused the application password (401); check WORDPRESS_USER and"
        " WORDPRESS_APP_PASSWORD (Users → Profile → Application Passwords)"
    )
    assert wrong not in message and PASSWORD not in message and not is_transient(refused.value)
    assert site.uploads == 0


def test_an_unknown_user_is_the_same_refusal(site, item):
    with pytest.raises(BadInput, match=r"refused the application password \(401\)"):
        WordPressPublisher(site.url, "nobody", PASSWORD).find(KEY)


def test_a_user_who_may_not_upload_is_told_which_role(site, item):
    site.role = "subscriber"
    with pytest.raises(
        BadInput, match=r"does not let WORDPRESS_USER upload video.mp4 \(403 rest_cannot_create\)"
    ):
        publisher(site).publish(item, METADATA, KEY)


def test_a_site_without_the_rest_api_is_named(item):
    with WordPressServer(USER, PASSWORD, rest_api=False) as plain, pytest.raises(BadInput) as refused:
        WordPressPublisher(plain.url, USER, PASSWORD).publish(item, METADATA, KEY)
    url = refused.value.args[0].split(" ")[0]
    assert url.startswith("http://127.0.0.1:")
    assert str(refused.value) == (
        f"{url} has no WordPress REST API (/wp-json); check WORDPRESS_URL and that permalinks are not 'Plain'"
    )


def test_a_404_without_wordpress_is_no_rest_api(site, item):
    with pytest.raises(BadInput, match="has no WordPress REST API"):
        WordPressPublisher(f"{site.url}/blog", USER, PASSWORD).find(KEY)


def test_an_upload_too_big_for_the_site_is_refused(item):
    with WordPressServer(USER, PASSWORD, max_upload_bytes=1000) as small:
        with pytest.raises(PublishRefused, match=r"refused the upload as too big \(413\); raise the site's"):
            WordPressPublisher(small.url, USER, PASSWORD).publish(item, METADATA, KEY)


def test_check_refuses_a_video_over_max_upload_bytes_before_any_request(site, item):
    wordpress = publisher(site, max_upload_bytes=100)
    with pytest.raises(PublishRefused, match="the video is 4012 bytes; WordPress take at most 100 bytes"):
        wordpress.check(item, METADATA)
    with pytest.raises(PublishRefused):
        wordpress.publish(item, METADATA, KEY)
    assert site.requests == []
    publisher(site).check(replace(item, duration_s=3600.0), METADATA)


@pytest.mark.parametrize("fault", ["500", "429"])
def test_a_busy_site_is_retried(site, item, fault):
    site.fail(fault)
    with pytest.raises(ServiceUnavailable, match=f"answered {fault}; try again later") as busy:
        publisher(site).publish(item, METADATA, KEY)
    assert is_transient(busy.value)


def test_an_unreachable_site_is_retried(item):
    with pytest.raises(ServiceUnavailable, match="cannot be reached .*; check WORDPRESS_URL"):
        WordPressPublisher(refused_url(), USER, PASSWORD).find(KEY)


def test_a_post_wordpress_rejects_is_refused_with_its_reason(site, item):
    # WordPress's own validation error, echoing what it was sent; nothing of the password leaks into it.
    site.post_error = ("rest_invalid_param", f"Invalid parameter(s): title {PASSWORD}", 400)
    with pytest.raises(PublishRefused) as refused:
        publisher(site).publish(item, METADATA, KEY)
    message = str(refused.value)
    assert message.startswith(f"WordPress at {site.url} would not create the post (400 rest_invalid_param:")
    assert PASSWORD not in message


def test_bad_settings_are_bad_input():
    with pytest.raises(BadInput, match="WORDPRESS_URL is not an http"):
        WordPressPublisher("example.org", USER, PASSWORD)
    with pytest.raises(BadInput, match="WORDPRESS_USER and WORDPRESS_APP_PASSWORD"):
        WordPressPublisher("https://example.org", USER, "")
    with pytest.raises(BadInput, match="status 'live' is unknown; use one of draft, publish"):
        WordPressPublisher("https://example.org", USER, PASSWORD, status="live")


def test_credentials_in_the_url_never_show(site):
    wordpress = WordPressPublisher(
        f"http://someone:hunter22@127.0.0.1:{site.url.rsplit(':', 1)[1]}", USER, PASSWORD
    )
    assert "hunter22" not in wordpress.url


# ---- the post's HTML ----------------------------------------------------------------------------------


def test_markdown_is_escaped_and_links_are_web_links_only():
    html = markdown_html(
        "# Other title\n\nA <script>alert(1)</script> & [click](javascript:alert(1)) or [ok](https://ok.org)\n"
        "line two\n\n1. first\n2. second\n\n- a\n- b\n\n---\n`<code>`"
    )
    assert "<h2>Other title</h2>" in html
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert 'href="javascript' not in html and "[click](javascript:alert(1))" in html
    assert '<a href="https://ok.org" rel="nofollow noopener noreferrer">ok</a>' in html
    assert "<br>\nline two</p>" in html
    assert "<ol><li>first</li><li>second</li></ol>" in html and "<ul><li>a</li><li>b</li></ul>" in html
    assert "<hr>" in html and "<code>&lt;code&gt;</code>" in html


def test_the_video_block_escapes_its_addresses():
    html = post_html(
        video_url='https://s.example/v.mp4?a=1&b="2"',
        script_markdown="",
        metadata={},
        poster_url="javascript:alert(1)",
    )
    assert 'src="https://s.example/v.mp4?a=1&amp;b=&quot;2&quot;"' in html and "poster=" not in html
