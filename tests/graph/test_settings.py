"""One settings model: the environment over reelforge.toml over defaults; every bad value is one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.settings import ENV_NAMES, default_home, load_settings
from tools.errors import BadInput
from tools.secrets import redact


def test_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.home == default_home().absolute()
    assert (settings.min_free_gb, settings.lock_ttl_s, settings.visibility_timeout_s) == (1.0, 30.0, 7200)
    assert (settings.redis_url, settings.gallery_url, settings.ffmpeg, settings.checkpoint_ttl_s) == (
        None,
    ) * 4
    assert (settings.daily, settings.config_file) == (None, None)
    assert settings.router.order["text"][-1] == "offline"


def test_the_file_sets_what_the_environment_does_not(monkeypatch: pytest.MonkeyPatch, home: Path):
    (home / "reelforge.toml").write_text(
        'gallery_url = "https://videos.example/g/"\nmin_free_gb = 2.5\nlock_ttl_s = 12\n'
        'redis_url = "redis://file-host:6379/0"\n\n'
        '[providers.ollama]\nurl = "http://gpu:11434"\n\n[daily]\n[[daily.items]]\ntopic = "bees"\n'
    )
    monkeypatch.setenv("REELFORGE_HOME", str(home))
    monkeypatch.setenv("REDIS_URL", "redis://env-host:6379/0")
    monkeypatch.setenv("REELFORGE_LOCK_TTL_S", "")  # empty means unset
    settings = load_settings()
    assert settings.config_file == home / "reelforge.toml"
    assert settings.gallery_url == "https://videos.example/g"
    assert (settings.min_free_gb, settings.min_free_bytes, settings.lock_ttl_s) == (2.5, 2_500_000_000, 12.0)
    assert settings.redis_url == "redis://env-host:6379/0", "the environment wins over the file"
    assert settings.router.providers["ollama"].url == "http://gpu:11434"
    assert settings.daily == {"items": [{"topic": "bees"}]}
    # The CLI's flags win over both.
    assert load_settings(redis_url="redis://flag:6379/0").redis_url == "redis://flag:6379/0"


@pytest.mark.parametrize(
    ("name", "value", "needle"),
    [
        ("min_free_gb", "abc", "REELFORGE_MIN_FREE_GB='abc' must be a number; fix it or unset it"),
        ("min_free_gb", "nan", "must be a number of GB, 0 or more"),
        ("min_free_gb", "-1", "must be a number of GB, 0 or more"),
        ("checkpoint_ttl_s", "0", "REELFORGE_CHECKPOINT_TTL_S='0' must be a whole number of seconds above 0"),
        ("checkpoint_ttl_s", "soon", "REELFORGE_CHECKPOINT_TTL_S='soon' must be a whole number"),
        ("lock_ttl_s", "inf", "must be a number of seconds above 0"),
        ("visibility_timeout_s", "1.5", "REELFORGE_VISIBILITY_TIMEOUT_S='1.5' must be a whole number"),
    ],
)
def test_a_bad_variable_is_one_line_naming_it(monkeypatch, home, name, value, needle):
    monkeypatch.setenv("REELFORGE_HOME", str(home))
    monkeypatch.setenv(ENV_NAMES[name], value)
    with pytest.raises(BadInput) as caught:
        load_settings()
    assert needle in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("min_free_gb = 'lots'\n", "min_free_gb = 'lots' must be a number; fix it in that file"),
        ("redis = 'x'\n", "unknown key 'redis'; known top-level keys: min_free_gb, redis_url"),
        ("[videos]\nfps = 30\n", "unknown section [videos]"),
        ("daily = 3\n", "daily must be a table"),
        ("home = '/elsewhere'\n", "unknown key 'home'"),
    ],
)
def test_a_bad_file_is_one_line_naming_the_file_and_the_key(monkeypatch, home, text, needle):
    (home / "reelforge.toml").write_text(text)
    monkeypatch.setenv("REELFORGE_HOME", str(home))
    with pytest.raises(BadInput) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith(str(home / "reelforge.toml")) and needle in message, message


def test_a_redis_password_is_a_secret_from_the_start(monkeypatch, home):
    monkeypatch.setenv("REELFORGE_HOME", str(home))
    monkeypatch.setenv("REDIS_URL", "redis://:hunter2-but-longer@db:6379/0")
    load_settings()
    assert redact("connecting with hunter2-but-longer") == "connecting with [redacted]"


def test_platforms_come_from_their_tables_and_variables_and_their_secrets_never_show(monkeypatch, home):
    monkeypatch.setenv("REELFORGE_HOME", str(home))
    (home / "reelforge.toml").write_text(
        '[sources]\nfeed_entries = 3\n[publish.wordpress]\nurl = "https://blog.example.com/"\nuser = "ed"\n'
        '[publish.youtube]\nprivacy = "unlisted"\n'
    )
    monkeypatch.setenv("WORDPRESS_APP_PASSWORD", "abcd efgh ijkl mnop")
    monkeypatch.setenv("AIRTABLE_API_KEY", "patSECRET.0123456789")
    settings = load_settings()
    assert settings.sources.feed_entries == 3
    assert settings.publish.wordpress.url == "https://blog.example.com"
    assert settings.publish.wordpress.user == "ed"
    assert settings.publish.youtube.privacy == "unlisted"
    assert settings.youtube_token == home / "youtube-token.json"
    assert redact("pw abcd efgh ijkl mnop, key patSECRET.0123456789") == "pw [redacted], key [redacted]"


@pytest.mark.parametrize(
    ("setup", "needle"),
    [
        ({"WORDPRESS_URL": "blog.example.com"}, "WORDPRESS_URL: 'blog.example.com' is not an http(s) URL"),
        ({"YOUTUBE_PRIVACY": "secret"}, "YOUTUBE_PRIVACY:"),
        ({"REELFORGE_PRODUCT_API_URL": "https://api.example.com/p"}, "needs an {id} placeholder"),
    ],
)
def test_a_bad_platform_setting_is_one_line_naming_it(monkeypatch, home, setup, needle):
    monkeypatch.setenv("REELFORGE_HOME", str(home))
    for name, value in setup.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(BadInput, match=None) as caught:
        load_settings()
    assert needle in str(caught.value)


def test_an_unknown_publish_table_is_named(monkeypatch, home):
    monkeypatch.setenv("REELFORGE_HOME", str(home))
    (home / "reelforge.toml").write_text("[publish.tiktok]\nuser = 'x'\n")
    with pytest.raises(BadInput, match=r"unknown table \[publish.tiktok\]"):
        load_settings()
