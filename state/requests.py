"""JobRequest: the pydantic boundary model that checks what a user asked for and resolves it to a JobSpec.

Messages are neutral: they name the problem and the accepted values, never a flag or a key, because each
door words them its own way (flags for the CLI, keys for the plan file, JSON fields for the API).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from state.job import (
    ASPECTS,
    CAPTIONS,
    GATES,
    LANGUAGES,
    ORIENTATIONS,
    STYLES,
    VISUALS,
    VOICES,
    JobSpec,
    output_size,
)
from state.model_calls import CAPABILITIES
from state.model_settings import DEFAULT_ORDER, PROVIDER_TIERS
from state.sources import Source, as_source

MAX_TOPIC_CHARS = 500
MIN_DURATION_S = 10
MAX_DURATION_S = 600
# The gallery is always published to; the platforms are added by name.
TARGETS: tuple[str, ...] = ("gallery", "youtube", "wordpress", "instagram", "webhook")

# Markup that must never reach a card, a subtitle or a voice; tools/text/markup.py strips the same shapes
# from sources, so they are defined once, here. Only real HTML element names count: "vector<int>" is text.
HTML_ELEMENTS = frozenset(
    "a abbr audio b big blink blockquote body br button canvas center code del details dialog div em embed "
    "font form frame h1 h2 h3 h4 h5 h6 head hr html i iframe img input ins kbd label li link marquee math "
    "meta noscript object ol option p pre q s script section select small source span strike strong style "
    "sub summary sup svg table tbody td template textarea tfoot th thead title tr tt u ul var video".split()
)
HTML_TAG = re.compile(
    r"</?(?:" + "|".join(sorted(HTML_ELEMENTS, key=len, reverse=True)) + r")\b[^<>]*>", re.IGNORECASE
)
# An ASS/SSA override block such as {\an8} or {\fs40\b1}, or one left open at the end of a line.
ASS_OVERRIDE = re.compile(r"\{\\[^{}\n]*(?:\}|$|(?=\n))")
# Embeddings, overrides and isolates reorder how text shows (a "Trojan Source" trick); marks (LRM, RLM) stay.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


# field → (allowed values, what to call one in a message)
_CLOSED_SETS: dict[str, tuple[tuple[str, ...], str]] = {
    "aspect": (ASPECTS, "aspect"),
    "lang": (LANGUAGES, "language"),
    "voice": (VOICES, "voice"),
    "style": (STYLES, "style"),
    "targets": (TARGETS, "publish target"),
    "gates": (GATES, "gate"),
    "visuals": (VISUALS, "kind of visuals"),
    "captions": (CAPTIONS, "caption style"),
}


def _one_of(value: str, field: str) -> str:
    allowed, what = _CLOSED_SETS[field]
    if value not in allowed:
        raise ValueError(f"unknown {what} '{value}'; choose one of {', '.join(allowed)}")
    return value


def _preferred(capability: str, name: str) -> None:
    """Check that `name` is a provider that can serve `capability` (the router's names for them)."""
    if capability not in CAPABILITIES:
        raise ValueError(f"unknown capability '{capability}'; choose one of {', '.join(CAPABILITIES)}")
    # Every provider able to serve a capability is in its default order, best tier first.
    able = DEFAULT_ORDER[capability]
    if name in PROVIDER_TIERS and name not in able:
        raise ValueError(f"'{name}' does not serve {capability}; choose one of {', '.join(able)}")
    if name not in able:
        raise ValueError(f"unknown {capability} provider '{name}'; choose one of {', '.join(able)}")


class JobRequest(BaseModel):
    """What a user asked for, checked field by field before any work starts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    topic: str
    duration_s: int = 60
    aspect: str = "9:16"
    lang: str = "en"
    voice: str = "joe"
    style: str = "bold"
    # Typed sources; a plain string's kind is inferred from its shape (a path, a URL, airtable://…).
    sources: list[Source] = Field(default_factory=list)
    music: str | None = None
    targets: list[str] = Field(default_factory=lambda: ["gallery"])
    gates: list[str] = Field(default_factory=list)
    preview: bool = False
    model: str = "default"
    research: bool = True
    visuals: str = "auto"
    captions: str = "words"
    # capability → the provider to try first for it; the configured order stands behind it.
    providers: dict[str, str] = Field(default_factory=dict)
    # Show what would be posted to the platforms, and post nothing there.
    dry_run: bool = False
    # Publish at this time (ISO 8601 with a zone) where the platform can schedule (YouTube's publishAt).
    publish_at: str | None = None

    @field_validator("topic")
    @classmethod
    def _topic(cls, value: str) -> str:
        topic = " ".join(value.split())
        if not topic:
            raise ValueError("the topic is empty; say what the video is about")
        problem = text_problem(topic)
        if problem:
            raise ValueError(f"the topic {problem}")
        if len(topic) > MAX_TOPIC_CHARS:
            raise ValueError(
                f"the topic is {len(topic)} characters; keep it under {MAX_TOPIC_CHARS} "
                "and give longer material as a source"
            )
        return topic

    @field_validator("duration_s")
    @classmethod
    def _duration(cls, value: int) -> int:
        if not MIN_DURATION_S <= value <= MAX_DURATION_S:
            raise ValueError(
                f"duration {value} s is out of range; use {MIN_DURATION_S} to {MAX_DURATION_S} seconds"
            )
        return value

    @field_validator("sources", mode="before")
    @classmethod
    def _typed_sources(cls, value: Any) -> Any:
        if isinstance(value, str | dict):
            value = [value]
        if not isinstance(value, list | tuple):
            return value
        return [as_source(item) if isinstance(item, str | dict) else item for item in value]

    @field_validator("publish_at")
    @classmethod
    def _publish_at(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from datetime import datetime

        try:
            when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"'{value}' is not a date and time; write e.g. 2026-12-24T09:00:00Z") from None
        if when.tzinfo is None:
            raise ValueError(f"'{value}' has no time zone; add one, e.g. 2026-12-24T09:00:00Z")
        return when.isoformat().replace("+00:00", "Z")

    @field_validator("music")
    @classmethod
    def _music_path(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("the music path is empty; give an audio file, or leave it out")
        return value

    @field_validator("aspect", "lang", "voice", "style", "visuals", "captions")
    @classmethod
    def _closed_set(cls, value: str, info: ValidationInfo) -> str:
        return _one_of(value.lower() if info.field_name == "lang" else value, info.field_name or "")

    @field_validator("targets", "gates")
    @classmethod
    def _closed_list(cls, value: list[str], info: ValidationInfo) -> list[str]:
        for item in value:
            _one_of(item, info.field_name or "")
        if info.field_name == "targets":
            # The gallery is always on: it is the run's own record, and where Instagram fetches from.
            value = ["gallery", *value]
        return list(dict.fromkeys(value))

    @field_validator("providers")
    @classmethod
    def _providers(cls, value: dict[str, str]) -> dict[str, str]:
        for capability, name in value.items():
            _preferred(capability, name)
        return dict(value)

    @classmethod
    def from_job(cls, job: Mapping[str, Any]) -> JobRequest:
        """The request behind a JobSpec (or any mapping holding a request's fields and more)."""
        return cls(**{name: value for name, value in job.items() if name in cls.model_fields})

    def to_job(self) -> JobSpec:
        """The request resolved into the JSON-native JobSpec that enters graph state."""
        width, height = output_size(self.aspect, self.preview)
        return {
            "topic": self.topic,
            "duration_s": self.duration_s,
            "aspect": self.aspect,
            "width": width,
            "height": height,
            "orientation": ORIENTATIONS[self.aspect],
            "lang": self.lang,
            "voice": self.voice,
            "style": self.style,
            "sources": [Source(kind=source["kind"], ref=source["ref"]) for source in self.sources],
            "music": self.music,
            "targets": list(self.targets),
            "gates": list(self.gates),
            "preview": self.preview,
            "model": self.model,
            "research": self.research,
            "visuals": self.visuals,
            "captions": self.captions,
            "providers": dict(self.providers),
            "dry_run": self.dry_run,
            "publish_at": self.publish_at,
        }


def text_problem(text: str) -> str | None:
    """What makes `text` unfit to show and speak as written (markup, control or reordering characters)."""
    for pattern in (HTML_TAG, ASS_OVERRIDE):
        found = pattern.search(text)
        if found:
            shown = found.group(0) if len(found.group(0)) <= 30 else found.group(0)[:29] + "…"
            return f"holds markup ({shown}); give it as plain text"
    for char in text:
        if char in BIDI_CONTROLS:
            return f"holds a bidirectional control (U+{ord(char):04X}) that reorders how it reads; remove it"
        if unicodedata.category(char) == "Cc":
            return f"holds a control character (U+{ord(char):04X}); remove it"
    return None


def first_problem(error: ValidationError) -> tuple[str, str]:
    """(field, neutral message) of a validation error's first problem, for a door to word."""
    item = error.errors()[0]
    field = ".".join(str(part) for part in item["loc"])
    message = str(item["msg"]).removeprefix("Value error, ")
    if item["type"] == "extra_forbidden":
        message = "is not a field of a job"
    elif item["type"] in ("int_parsing", "int_type", "int_from_float"):
        message = f"{item.get('input')!r} is not a whole number"
    return field, message
