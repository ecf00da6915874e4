"""The daily plan: a UTC cron time and the videos to make each day, checked like `reelforge make`'s input."""

from __future__ import annotations

import re
from pathlib import PurePath
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from state.requests import JobRequest
from state.slugs import slugify

DEFAULT_TIME = "0 6 * * *"
MAX_SLUG_CHARS = 40
_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
# Standard cron order, with the name celery's crontab gives each field.
_CRON_FIELDS = (
    ("minute", "minute"),
    ("hour", "hour"),
    ("day of month", "day_of_month"),
    ("month", "month_of_year"),
    ("day of week", "day_of_week"),
)


def check_cron(expression: str) -> str:
    """Check a 5-field UTC cron expression with celery's parser; return it with single spaces."""
    from celery.schedules import crontab

    fields = expression.split()
    if len(fields) != len(_CRON_FIELDS):
        raise ValueError(
            f"'{expression}' has {len(fields)} fields, a cron expression has 5 "
            '(minute hour day-of-month month day-of-week); e.g. time = "0 6 * * *" is 06:00 UTC daily'
        )
    for field, (label, name) in zip(fields, _CRON_FIELDS, strict=True):
        try:
            crontab(**{name: field})
        except Exception as exc:  # celery raises ValueError, ParseException and friends
            reason = str(exc).rstrip(".") or type(exc).__name__
            raise ValueError(
                f"'{expression}' has a bad {label} field '{field}' ({reason}); "
                'write minute hour day-of-month month day-of-week, e.g. time = "0 6 * * *"'
            ) from None
    return " ".join(fields)


class DailyItem(JobRequest):
    """One video of the daily plan: a topic or source files, with the same options as `reelforge make`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Keys read as they are written in TOML; the checks are JobRequest's, so they match `make` exactly.
    duration_s: int = Field(60, alias="duration")
    slug: str
    # One video per entry: the newest N entries of the item's feed each become their own item (0: off).
    each_entry: int = Field(0, ge=0, le=20)

    @model_validator(mode="before")
    @classmethod
    def _fill_in(cls, data: Any) -> Any:
        """Accept `source` for one file, and default the topic and slug from the topic or the first source."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        if "source" in data:
            if "sources" in data:
                raise ValueError("give either source or sources, not both")
            data["sources"] = data.pop("source")
        if isinstance(data.get("sources"), str):
            data["sources"] = [data["sources"]]
        sources = data.get("sources") or []
        if data.get("topic") is None:
            if not sources:
                raise ValueError(
                    'an item needs a topic or a source; add topic = "..." or sources = ["notes.md"]'
                )
            first = sources[0] if isinstance(sources, list) else None
            ref = first.get("ref") if isinstance(first, dict) else first
            if isinstance(ref, str):
                name = PurePath(ref.split("?", 1)[0].rstrip("/")).stem
                data["topic"] = re.sub(r"[-_.]+", " ", name).strip() or "video"
        if "slug" not in data and isinstance(data.get("topic"), str):
            data["slug"] = slugify(data["topic"], MAX_SLUG_CHARS)
        return data

    @model_validator(mode="after")
    def _one_feed(self) -> DailyItem:
        if self.each_entry and [source["kind"] for source in self.sources] != ["feed"]:
            raise ValueError(
                "each_entry makes one video per entry of a feed; give exactly one source, the feed's URL"
            )
        return self

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str) -> str:
        if len(value) > MAX_SLUG_CHARS or not _SLUG.fullmatch(value):
            raise ValueError(
                f"slug '{value}' must be 1-{MAX_SLUG_CHARS} lower-case letters, digits and '-', "
                f'e.g. slug = "{slugify(value, MAX_SLUG_CHARS)}"'
            )
        return value


class DailyPlan(BaseModel):
    """The daily plan: when it runs (cron, UTC), how often model servers are checked, and its items."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    time: str = DEFAULT_TIME
    health_every_s: int = 60
    items: list[DailyItem] = Field(default_factory=list, validate_default=True)

    @field_validator("time")
    @classmethod
    def _time(cls, value: str) -> str:
        return check_cron(value)

    @field_validator("health_every_s")
    @classmethod
    def _health_every(cls, value: int) -> int:
        if not 1 <= value <= 86_400:
            raise ValueError(f"health_every_s {value} is out of range; set it between 1 and 86400 seconds")
        return value

    @field_validator("items")
    @classmethod
    def _items(cls, items: list[DailyItem]) -> list[DailyItem]:
        if not items:
            raise ValueError('the plan has no items; add at least one item with topic = "..."')
        seen: set[str] = set()
        for item in items:
            if item.slug in seen:
                raise ValueError(
                    f"two items have the slug '{item.slug}'; give one of them its own slug = \"...\""
                )
            seen.add(item.slug)
        return items
