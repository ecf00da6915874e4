"""JobRequest: the pydantic boundary model that turns user input into a valid JobSpec."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from state.job import ASPECTS, LANGUAGES, STYLES, VOICES, JobSpec

MAX_TOPIC_CHARS = 500
MIN_DURATION_S = 10
MAX_DURATION_S = 600
TARGETS: tuple[str, ...] = ("gallery",)


# field → (allowed values, what to call it in an error, the CLI flag that sets it)
_CLOSED_SETS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "aspect": (ASPECTS, "aspect", "--aspect"),
    "lang": (LANGUAGES, "language", "--lang"),
    "voice": (VOICES, "voice", "--voice"),
    "style": (STYLES, "style", "--style"),
}


def _one_of(value: str, allowed: tuple[str, ...], what: str, flag: str) -> str:
    if value not in allowed:
        raise ValueError(f"unknown {what} '{value}'; choose one of {', '.join(allowed)} with {flag}")
    return value


class JobRequest(BaseModel):
    """What a user asked for, checked field by field before any work starts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    topic: str
    duration_s: int = 60
    aspect: str = "9:16"
    lang: str = "en"
    voice: str = "joe"
    style: str = "bold"
    sources: list[str] = Field(default_factory=list)
    music: str | None = None
    targets: list[str] = Field(default_factory=lambda: ["gallery"])
    preview: bool = False
    model: str = "default"

    @field_validator("topic")
    @classmethod
    def _topic(cls, value: str) -> str:
        topic = " ".join(value.split())
        if not topic:
            raise ValueError('the topic is empty; say what the video is about, e.g. reelforge make "coffee"')
        if len(topic) > MAX_TOPIC_CHARS:
            raise ValueError(
                f"the topic is {len(topic)} characters; keep it under {MAX_TOPIC_CHARS} "
                "and pass longer material with --source FILE"
            )
        return topic

    @field_validator("duration_s")
    @classmethod
    def _duration(cls, value: int) -> int:
        if not MIN_DURATION_S <= value <= MAX_DURATION_S:
            raise ValueError(
                f"duration {value} s is out of range; "
                f"pass --duration between {MIN_DURATION_S} and {MAX_DURATION_S}"
            )
        return value

    @field_validator("aspect", "lang", "voice", "style")
    @classmethod
    def _closed_set(cls, value: str, info: ValidationInfo) -> str:
        allowed, what, flag = _CLOSED_SETS[info.field_name or ""]
        return _one_of(value.lower() if info.field_name == "lang" else value, allowed, what, flag)

    @field_validator("targets")
    @classmethod
    def _targets(cls, value: list[str]) -> list[str]:
        for target in value:
            _one_of(target, TARGETS, "publish target", "--target")
        return list(dict.fromkeys(value))

    def to_job(self) -> JobSpec:
        """Return the request as the JSON-native JobSpec that enters graph state."""
        return {
            "topic": self.topic,
            "duration_s": self.duration_s,
            "aspect": self.aspect,
            "lang": self.lang,
            "voice": self.voice,
            "style": self.style,
            "sources": list(self.sources),
            "music": self.music,
            "targets": list(self.targets),
            "preview": self.preview,
            "model": self.model,
        }


def first_error(exc: Exception) -> str:
    """Return the first validation message of a pydantic error as one line, without pydantic's prefix."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        for error in errors():
            message = str(error.get("msg", ""))
            return message.removeprefix("Value error, ")
    return str(exc).splitlines()[0]
