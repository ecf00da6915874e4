"""Publishing end to end against local YouTube, WordPress and Instagram servers: verified posts, a SIGKILL
right after each platform's upload that resume reconciles without posting again, dry runs, and failures
that stay with their own target.
"""

from __future__ import annotations

import functools
import json
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import CliResult, run_cli
from tests.servers.instagram import InstagramGraphServer
from tests.servers.wordpress import WordPressServer
from tests.servers.youtube import YouTubeServer

pytestmark = pytest.mark.slow

TARGETS = ("--target", "youtube", "--target", "wordpress", "--target", "instagram")
MAKE = ("make", "how glaciers move", "--duration", "10", "--voice", "espeak", "--preview", "--json")
SCOPES = [
    "https://www.googleapis.com/auth/youtube.upload",
    "https://www.googleapis.com/auth/youtube.readonly",
]


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # pytest shows failures
        pass


@dataclass
class Platforms:
    """The three platforms, the served gallery, and the environment that points reelforge at them."""

    youtube: YouTubeServer
    wordpress: WordPressServer
    instagram: InstagramGraphServer
    env: dict[str, str]

    def make(self, home: Path, run_id: str, *extra: str, **env: str) -> CliResult:
        return run_cli(home, *MAKE, "--run-id", run_id, *TARGETS, *extra, **{**self.env, **env})

    def counts(self) -> dict[str, int]:
        return {
            "youtube uploads": self.youtube.uploads,
            "wordpress uploads": self.wordpress.uploads,
            "wordpress posts": self.wordpress.posts_created,
            "instagram containers": self.instagram.containers_created,
            "instagram publishes": self.instagram.publishes,
        }


# Exactly one of each: the video and its poster image are WordPress's two media uploads.
ONCE = {
    "youtube uploads": 1,
    "wordpress uploads": 2,
    "wordpress posts": 1,
    "instagram containers": 1,
    "instagram publishes": 1,
}


@pytest.fixture
def platforms(home: Path, tmp_path: Path) -> Iterator[Platforms]:
    gallery = home / "gallery"
    gallery.mkdir(parents=True)
    served = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(gallery)))
    thread = threading.Thread(target=served.serve_forever, daemon=True)
    thread.start()
    with YouTubeServer() as youtube, WordPressServer() as wordpress, InstagramGraphServer() as instagram:
        instagram.processing_polls = 0
        token = tmp_path / "youtube-token.json"
        token.write_text(
            json.dumps(
                {
                    "refresh_token": youtube.refresh_token,
                    "client_id": youtube.client_id,
                    "client_secret": youtube.client_secret,
                    "token_uri": f"{youtube.url}/token",
                    "scopes": SCOPES,
                    "type": "authorized_user",
                }
            )
        )
        env = {
            "YOUTUBE_API_URL": youtube.url,
            "YOUTUBE_TOKEN_URL": f"{youtube.url}/token",
            "YOUTUBE_TOKEN_FILE": str(token),
            "WORDPRESS_URL": wordpress.url,
            "WORDPRESS_USER": wordpress.user,
            "WORDPRESS_APP_PASSWORD": wordpress.app_password,
            "INSTAGRAM_GRAPH_URL": f"{instagram.url}/v21.0",
            "INSTAGRAM_USER_ID": instagram.user_id,
            "INSTAGRAM_ACCESS_TOKEN": instagram.access_token,
            "REELFORGE_GALLERY_URL": f"http://127.0.0.1:{served.server_address[1]}",
        }
        yield Platforms(youtube, wordpress, instagram, env)
    served.shutdown()
    served.server_close()


def _publications(home: Path, run_id: str, env: dict[str, str]) -> dict[str, dict]:
    shown = run_cli(home, "show", run_id, "--json", **env)
    assert shown.code == 0, shown.stderr
    return {p["target"]: p for p in shown.json()["publications"]}


def test_each_platform_is_posted_once_verified_and_listed_by_show(home: Path, platforms: Platforms):
    result = platforms.make(home, "all")
    assert result.code == 0, result.stderr
    assert platforms.counts() == ONCE
    found = _publications(home, "all", platforms.env)
    assert set(found) == {"gallery", "youtube", "wordpress", "instagram"}
    youtube, wordpress, instagram = found["youtube"], found["wordpress"], found["instagram"]
    assert youtube["url"] == f"https://www.youtube.com/watch?v={youtube['id']}"
    assert youtube["status"] == "private"  # the default privacy until a person makes it public
    assert wordpress["status"] == "draft" and wordpress["url"].startswith(platforms.wordpress.url)
    assert instagram["status"] == "published" and instagram["id"]
    for publication in (youtube, wordpress, instagram):
        assert publication["key"].startswith(f"all:{publication['target']}:")
    # What YouTube holds is what was sent: the disclosure and the made-for-kids answer are always there.
    (video,) = platforms.youtube.videos.values()
    assert video["status"]["selfDeclaredMadeForKids"] is False
    assert video["status"]["containsSyntheticMedia"] is True


@pytest.mark.parametrize("target", ["youtube", "wordpress", "instagram"])
def test_a_kill_right_after_the_upload_never_posts_twice(home: Path, platforms: Platforms, target: str):
    killed = platforms.make(home, "kill", REELFORGE_FAILPOINT=f"posted:{target}")
    assert killed.code == -signal.SIGKILL, killed.stderr
    resumed = run_cli(home, "resume", "kill", "--json", **platforms.env)
    assert resumed.code == 0, resumed.stderr
    assert platforms.counts() == ONCE
    found = _publications(home, "kill", platforms.env)
    assert found[target]["status"] in ("published", "private", "draft"), found[target]
    assert found[target]["id"]


def test_a_dry_run_shows_what_would_be_posted_and_posts_nothing(home: Path, platforms: Platforms):
    result = platforms.make(home, "dry", "--dry-run")
    assert result.code == 0, result.stderr
    assert set(platforms.counts().values()) == {0}
    found = _publications(home, "dry", platforms.env)
    for target in ("youtube", "wordpress", "instagram"):
        assert found[target]["status"] == "dry-run"
        assert found[target]["would_post"]["title"]


def test_one_failing_target_does_not_stop_the_others(home: Path, platforms: Platforms):
    result = platforms.make(home, "partly", WORDPRESS_APP_PASSWORD="wrong password here")
    assert result.code == 0, result.stderr
    summary = result.json()
    failed = [w for w in summary["warnings"] if w.startswith("publishing to wordpress failed")]
    assert failed and "WORDPRESS_APP_PASSWORD" in failed[0], summary["warnings"]
    assert "wrong password here" not in result.stdout + result.stderr
    found = _publications(home, "partly", platforms.env)
    assert found["wordpress"]["status"] == "failed"
    assert found["youtube"]["id"] and found["instagram"]["id"]
    assert platforms.youtube.uploads == 1 and platforms.instagram.publishes == 1


def test_a_revoked_youtube_token_names_the_command_that_fixes_it(home: Path, platforms: Platforms):
    platforms.youtube.revoke()
    result = platforms.make(home, "revoked")
    assert result.code == 0, result.stderr
    (failed,) = [w for w in result.json()["warnings"] if "youtube" in w]
    assert "reelforge auth youtube" in failed


def test_a_target_that_is_not_set_up_is_refused_before_anything_runs(home: Path):
    result = run_cli(home, *MAKE, "--target", "wordpress")
    assert result.code == 2
    assert "WORDPRESS_URL" in result.stderr
    assert not (home / "runs").exists() or not any((home / "runs").iterdir())


def test_a_failed_target_is_published_later_and_no_other_target_again(home: Path, platforms: Platforms):
    made = platforms.make(home, "later", WORDPRESS_APP_PASSWORD="wrong password here")
    assert made.code == 0, made.stderr
    assert platforms.wordpress.posts_created == 0
    again = run_cli(home, "publish", "later", "--json", **platforms.env)
    assert again.code == 0, again.stderr
    assert platforms.counts() == ONCE
    assert _publications(home, "later", platforms.env)["wordpress"]["status"] == "draft"


def test_a_finished_run_goes_to_a_new_target_and_a_running_one_is_refused(home: Path, platforms: Platforms):
    made = run_cli(home, *MAKE, "--run-id", "new", **platforms.env)
    assert made.code == 0, made.stderr
    again = run_cli(home, "publish", "new", "--target", "wordpress", "--json", **platforms.env)
    assert again.code == 0, again.stderr
    assert (platforms.wordpress.posts_created, platforms.youtube.uploads) == (1, 0)
    assert set(_publications(home, "new", platforms.env)) == {"gallery", "wordpress"}
    waiting = run_cli(home, *MAKE, "--run-id", "gated", "--review", **platforms.env)
    assert waiting.code == 0, waiting.stderr
    refused = run_cli(home, "publish", "gated", **platforms.env)
    assert refused.code == 2
    assert "run gated is waiting, not done" in refused.stderr
