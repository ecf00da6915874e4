"""What each platform takes (length, file size, aspect), in one place, checked before anything is uploaded."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from tools.lenient import as_number
from tools.publish.publisher import PublishItem, PublishRefused

__all__ = ["LIMITS", "TargetLimits", "aspect_label", "check_limits", "measured"]

MB = 1000 * 1000
GB = 1000 * MB


@dataclass(frozen=True)
class TargetLimits:
    """One target's hard limits; None means the target sets no limit there.

    Aspects are width / height: 9:16 is 0.5625, 16:9 is 1.78. Only what the platform's API refuses is a
    limit; what it merely recommends goes in `note`.
    """

    label: str
    max_duration_s: float | None = None
    min_duration_s: float = 0.0
    max_bytes: int | None = None
    min_aspect: float | None = None
    max_aspect: float | None = None
    # The aspects it takes, in words, for the message ("square or vertical").
    aspects: str = "any aspect"
    # What to do about a file that is too big: the fix differs between platforms.
    size_fix: str = "make it shorter with --duration"
    note: str = ""


LIMITS: dict[str, TargetLimits] = {
    # YouTube Help "Understand three-minute YouTube Shorts": since 15 October 2024 a video of up to three
    # minutes with a square or vertical aspect is a Short. Longer or wider ones still upload, but as regular
    # videos, so a job that asks for a Short is refused rather than silently posted as something else.
    "youtube_shorts": TargetLimits(
        label="YouTube Shorts",
        max_duration_s=180.0,
        max_bytes=256 * GB,
        max_aspect=1.0,
        aspects="square or vertical videos",
        note="A Short over one minute with a Content ID claim is blocked worldwide; 9:16 fills the screen.",
    ),
    # YouTube Help "Upload videos longer than 15 minutes": 256 GB or 12 hours, whichever is less; an
    # account that is not verified is held to 15 minutes, which YouTube enforces after the upload.
    "youtube": TargetLimits(
        label="YouTube",
        max_duration_s=12 * 3600.0,
        max_bytes=256 * GB,
        note="Accounts that are not verified can upload at most 15 minutes; verify the account for more.",
    ),
    # Meta, Instagram Graph API reference, POST /{ig-user-id}/media, "Reels specifications": MP4 or MOV,
    # H.264 or HEVC, 23-60 fps, at most 1920 columns, aspect ratio between 0.01:1 and 10:1 (9:16
    # recommended), 3 seconds to 15 minutes, at most 300 MB.
    "instagram_reels": TargetLimits(
        label="Instagram Reels",
        max_duration_s=900.0,
        min_duration_s=3.0,
        max_bytes=300 * MB,
        min_aspect=0.01,
        max_aspect=10.0,
        aspects="aspects between 0.01:1 and 10:1",
        size_fix="make it shorter with --duration",
        note="9:16 is recommended: other aspects show with bars or cropped in the Reels feed.",
    ),
    # WordPress itself sets no length; the site's PHP upload_max_filesize and post_max_size decide the
    # size. 512 MB is a default that WordPressPublisher's max_upload_bytes overrides to match the site.
    "wordpress": TargetLimits(
        label="WordPress",
        max_bytes=512 * MB,
        size_fix="raise the site's upload_max_filesize and post_max_size, or make it shorter with --duration",
        note="The real limit is the site's upload_max_filesize; WordPress answers 413 above it.",
    ),
}


def measured(item: PublishItem, metadata: dict[str, Any]) -> PublishItem:
    """`item` with its duration and size taken from `metadata` where the item itself does not know them."""
    changes: dict[str, Any] = {}
    if item.duration_s <= 0 and (duration := as_number(metadata.get("duration_s"))) and duration > 0:
        changes["duration_s"] = float(duration)
    for name in ("width", "height"):
        if getattr(item, name) <= 0 and (value := as_number(metadata.get(name))) and value > 0:
            changes[name] = int(value)
    return replace(item, **changes) if changes else item


def check_limits(target: str, item: PublishItem, limits: TargetLimits | None = None) -> None:
    """Raise PublishRefused when `item` breaks `target`'s limits (or `limits`, which override them).

    A duration or size of zero means unknown, and is not checked; the file's size is read from disk.
    """
    if limits is None:
        if target not in LIMITS:
            raise ValueError(f"no limits are known for target {target!r}; one of {', '.join(LIMITS)}")
        limits = LIMITS[target]
    label = limits.label
    duration = item.duration_s
    if duration > 0 and limits.max_duration_s is not None and duration > limits.max_duration_s:
        most = math.floor(limits.max_duration_s)
        raise PublishRefused(
            f"the video is {_seconds(duration)}; {label} take at most {_seconds(limits.max_duration_s)}"
            f" through the API: make it shorter with --duration {most}"
        )
    if duration > 0 and duration < limits.min_duration_s:
        least = math.ceil(limits.min_duration_s)
        raise PublishRefused(
            f"the video is {_seconds(duration)}; {label} take at least {_seconds(limits.min_duration_s)}:"
            f" make it longer with --duration {least}"
        )
    if limits.max_bytes is not None:
        try:
            size = item.video.stat().st_size
        except OSError:
            raise PublishRefused(
                f"the video to publish is missing at {item.video}; re-run the video production step"
            ) from None
        if size > limits.max_bytes:
            raise PublishRefused(
                f"the video is {_size(size, up=True)}; {label} take at most {_size(limits.max_bytes)}:"
                f" {limits.size_fix}"
            )
    if item.width > 0 and item.height > 0:
        ratio = item.width / item.height
        too_narrow = limits.min_aspect is not None and ratio < limits.min_aspect
        too_wide = limits.max_aspect is not None and ratio > limits.max_aspect
        if too_narrow or too_wide:
            raise PublishRefused(
                f"the video is {aspect_label(item.width, item.height)} ({item.width}x{item.height});"
                f" {label} take {limits.aspects} only: make it with --aspect {_suggested_aspect(limits)}"
            )


def aspect_label(width: int, height: int) -> str:
    """The aspect as people write it ("9:16"), or as a ratio to one ("2.35:1") when it is not a small one."""
    divisor = math.gcd(width, height)
    w, h = width // divisor, height // divisor
    if w <= 32 and h <= 32:
        return f"{w}:{h}"
    return f"{width / height:.2f}:1"


def _suggested_aspect(limits: TargetLimits) -> str:
    """The job aspect that fits the limits best: vertical first, as every short-video platform prefers it."""
    for aspect, ratio in (("9:16", 9 / 16), ("1:1", 1.0), ("16:9", 16 / 9)):
        if (limits.min_aspect is None or ratio >= limits.min_aspect) and (
            limits.max_aspect is None or ratio <= limits.max_aspect
        ):
            return aspect
    return "9:16"


def _seconds(value: float) -> str:
    """A length as "95 s", or "900 s (15 min)" when it is whole minutes."""
    whole = round(value)
    text = f"{whole} s" if abs(value - whole) < 0.05 else f"{value:.1f} s"
    if whole >= 120 and whole % 60 == 0 and abs(value - whole) < 0.05:
        hours, minutes = divmod(whole // 60, 60)
        return f"{text} ({hours} h)" if hours and not minutes else f"{text} ({whole // 60} min)"
    return text


def _size(size: int, up: bool = False) -> str:
    """A byte count in decimal units, as platforms state their limits; `up` rounds a file just over up."""
    for unit, name in ((GB, "GB"), (MB, "MB")):
        if size >= unit:
            tenths = math.ceil(size * 10 / unit) if up else round(size * 10 / unit)
            return f"{tenths // 10} {name}" if tenths % 10 == 0 else f"{tenths / 10:.1f} {name}"
    return f"{size} bytes"
