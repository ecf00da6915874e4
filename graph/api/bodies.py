"""The API's request bodies (pydantic, at the edge), each with an example the OpenAPI schema shows."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class SourceIn(BaseModel):
    """A typed source."""

    model_config = ConfigDict(extra="forbid")

    kind: str = Field(description="file, url, feed, catalogue, airtable or api.", max_length=20)
    ref: str = Field(description="The path, URL, airtable://BASE/TABLE or product id.", max_length=2000)


class RunCreate(BaseModel):
    """A new video: a chat line in `request`, or the job's fields (`topic` and any others), or both (the
    fields then override what the line says)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"request": "make a 30 second square video about bees"},
                {"topic": "the history of coffee", "duration_s": 45, "aspect": "16:9", "gates": ["script"]},
            ]
        },
    )

    request: str | None = Field(
        None, max_length=1000, description="A chat line: 'make a 30 second video about X'."
    )
    run_id: str | None = Field(None, max_length=80, description="Name the run (letters, digits, . _ -).")
    topic: str | None = Field(None, max_length=2000)
    duration_s: int | None = Field(None, description="Target length, 10-600 seconds.")
    aspect: str | None = Field(None, description="9:16, 16:9 or 1:1.")
    lang: str | None = None
    voice: str | None = Field(None, description="joe (Piper) or espeak.")
    style: str | None = None
    sources: list[str | SourceIn] | None = Field(
        None,
        max_length=20,
        description="Where facts come from: a path under <home>/sources, an http(s) page, feed or catalogue, "
        "airtable://BASE/TABLE or api:ID (the kind is inferred), or {kind, ref}.",
    )
    music: str | None = None
    targets: list[str] | None = Field(
        None,
        max_length=8,
        description="Platforms to publish to besides the gallery: youtube, wordpress, instagram, webhook.",
    )
    dry_run: bool | None = Field(
        None, description="Make the video; record what would be posted; post nothing."
    )
    publish_at: str | None = Field(
        None, description="Schedule the post (ISO 8601 with a zone), where possible."
    )
    gates: list[str] | None = Field(None, max_length=2, description="'script' and/or 'publish'.")
    preview: bool | None = None
    model: str | None = None
    research: bool | None = None
    visuals: str | None = Field(None, description="auto, photos, clips or cards.")
    captions: str | None = Field(
        None, description="words (the default: the spoken word highlighted), plain or off."
    )
    providers: dict[str, str] | None = Field(
        None,
        max_length=3,
        description="The provider to try first per capability (text, image, speech), as GET /providers "
        "names them; the others still stand behind it.",
    )

    def job_fields(self) -> dict[str, Any]:
        """The job fields that were given, without the chat line and the run id."""
        return self.model_dump(exclude_none=True, exclude={"request", "run_id"})


class GateReply(BaseModel):
    """The answer to the gate a run waits at: approve (optionally with the edited script) or reject."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"decision": "approve"}, {"decision": "reject", "reason": "too long"}]
        },
    )

    decision: Literal["approve", "reject"] = "approve"
    script: dict[str, Any] | None = Field(None, description="The edited script, as GET /runs/{id} shows it.")
    reason: str = Field("", max_length=500)


class SceneRedo(BaseModel):
    """What to change when a scene is made again; both optional (a new take of the same words)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{}, {"narration": "Bees dance to show where flowers are."}]},
    )

    narration: str | None = Field(None, max_length=2000)
    visual: str | None = Field(None, max_length=500)


class ChatMessage(BaseModel):
    """One line typed into the chat, in a conversation (a new one when omitted)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"message": "make a 20 second video about tea", "conversation": "web", "review": True}
            ]
        },
    )

    message: str = Field(min_length=1, max_length=2000)
    conversation: str | None = Field(None, max_length=80, pattern=r"^[A-Za-z0-9._-]+$")
    review: bool | None = Field(
        None,
        description="Stop videos made in this conversation at the script for approval (kept for the "
        "conversation; omitted: as before, at first no).",
    )
