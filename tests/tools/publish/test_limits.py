"""Each platform's limits, checked before anything is uploaded, in one line naming the limit and the fix."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from tools.errors import BadInput
from tools.publish import PublishItem, PublishRefused
from tools.publish.limits import LIMITS, MB, TargetLimits, aspect_label, check_limits, measured


@pytest.fixture
def item(tmp_path: Path) -> PublishItem:
    video = tmp_path / "video.mp4"
    video.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(1000))
    return PublishItem(
        run_id="run-1",
        video=video,
        thumbnail=tmp_path / "thumbnail.jpg",
        subtitles=tmp_path / "subtitles.srt",
        script_markdown="# Title",
        duration_s=60.0,
        width=1080,
        height=1920,
    )


def test_the_known_targets_have_limits():
    assert set(LIMITS) == {"youtube_shorts", "youtube", "instagram_reels", "wordpress"}
    reels = LIMITS["instagram_reels"]
    assert (reels.min_duration_s, reels.max_duration_s, reels.max_bytes) == (3.0, 900.0, 300 * MB)
    assert (reels.min_aspect, reels.max_aspect) == (0.01, 10.0)
    assert LIMITS["youtube_shorts"].max_duration_s == 180.0 and LIMITS["youtube_shorts"].max_aspect == 1.0


@pytest.mark.parametrize("target", list(LIMITS))
def test_a_vertical_minute_passes_everywhere(target, item):
    check_limits(target, item)


def test_a_short_too_long_names_the_limit_and_the_flag(item):
    with pytest.raises(PublishRefused) as refused:
        check_limits("youtube_shorts", replace(item, duration_s=195.0))
    message = str(refused.value)
    assert message == (
        "the video is 195 s; YouTube Shorts take at most 180 s (3 min) through the API:"
        " make it shorter with --duration 180"
    )
    assert isinstance(refused.value, BadInput), "a refusal is not worth retrying"


def test_a_reel_too_long_and_too_short(item):
    with pytest.raises(PublishRefused, match=r"is 901 s; Instagram Reels take at most 900 s \(15 min\)"):
        check_limits("instagram_reels", replace(item, duration_s=901.0))
    with pytest.raises(PublishRefused, match=r"is 2.5 s; Instagram Reels take at least 3 s: .*--duration 3"):
        check_limits("instagram_reels", replace(item, duration_s=2.5))


def test_an_unknown_duration_or_size_is_not_checked(item):
    check_limits("youtube_shorts", replace(item, duration_s=0.0, width=0, height=0))


def test_a_wide_short_is_refused_with_the_aspect_to_use(item):
    with pytest.raises(PublishRefused) as refused:
        check_limits("youtube_shorts", replace(item, width=1920, height=1080))
    assert str(refused.value) == (
        "the video is 16:9 (1920x1080); YouTube Shorts take square or vertical videos only:"
        " make it with --aspect 9:16"
    )
    check_limits("youtube_shorts", replace(item, width=1080, height=1080))
    check_limits("youtube", replace(item, width=1920, height=1080))


def test_reels_take_any_aspect_the_api_takes(item):
    check_limits("instagram_reels", replace(item, width=1920, height=1080))
    with pytest.raises(PublishRefused, match=r"is 20:1 \(2000x100\); Instagram Reels take aspects between"):
        check_limits("instagram_reels", replace(item, width=2000, height=100))


def test_a_file_too_big_is_refused_from_its_size_on_disk(item, tmp_path):
    big = tmp_path / "big.mp4"
    with big.open("wb") as handle:
        handle.truncate(300 * MB + 1)  # sparse: no disk is used
    with pytest.raises(PublishRefused) as refused:
        check_limits("instagram_reels", replace(item, video=big))
    assert str(refused.value) == (
        "the video is 300.1 MB; Instagram Reels take at most 300 MB: make it shorter with --duration"
    )


def test_overridden_limits_win(item):
    small = replace(LIMITS["wordpress"], max_bytes=100)
    with pytest.raises(
        PublishRefused, match=r"WordPress take at most 100 bytes: raise the site's upload_max"
    ):
        check_limits("wordpress", item, small)
    check_limits("anything", item, TargetLimits(label="Anything"))


def test_a_missing_video_is_refused(item, tmp_path):
    with pytest.raises(PublishRefused, match="the video to publish is missing at .*; re-run"):
        check_limits("wordpress", replace(item, video=tmp_path / "gone.mp4"))


def test_an_unknown_target_is_a_programming_error(item):
    with pytest.raises(ValueError, match="no limits are known for target 'tiktok'"):
        check_limits("tiktok", item)


def test_measured_fills_what_the_item_does_not_know_from_the_metadata(item):
    bare = replace(item, duration_s=0.0, width=0, height=0)
    filled = measured(bare, {"duration_s": 42.5, "width": "720", "height": 1280})
    assert (filled.duration_s, filled.width, filled.height) == (42.5, 720, 1280)
    assert measured(item, {"duration_s": 1}) is item


@pytest.mark.parametrize(
    ("width", "height", "label"),
    [
        (1080, 1920, "9:16"),
        (1920, 1080, "16:9"),
        (1080, 1080, "1:1"),
        (2350, 1000, "2.35:1"),
        (720, 1281, "0.56:1"),
    ],
)
def test_aspect_labels(width, height, label):
    assert aspect_label(width, height) == label
