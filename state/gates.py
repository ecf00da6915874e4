"""Approval gates: what a waiting run shows a person, and the answer it accepts (pydantic, at the edge)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from typing_extensions import TypedDict

from state.script import Citation, SceneSpec, Script

MAX_EDITED_SCENES = 12


class Approval(TypedDict):
    """A person's answer at a gate, as recorded in state."""

    gate: str
    decision: str
    # True when the answer replaced the draft script with an edited one.
    edited: bool
    reason: str


class SceneEdit(BaseModel):
    """One scene of an edited script: the same keys as in `show --json`'s waiting.script."""

    model_config = ConfigDict(extra="forbid")

    index: int = Field(ge=1)
    narration: str
    on_screen_text: str = ""
    visual: str = ""
    sources: list[str] = Field(default_factory=list)

    @field_validator("narration")
    @classmethod
    def _spoken(cls, value: str) -> str:
        value = " ".join(value.split())
        if not value:
            raise ValueError("is empty; every scene needs words to speak")
        return value

    @field_validator("on_screen_text", "visual")
    @classmethod
    def _one_line(cls, value: str) -> str:
        return " ".join(value.split())


class ScriptEdit(BaseModel):
    """A whole edited script, checked before it replaces the draft."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1)
    hook: str = ""
    scenes: list[SceneEdit] = Field(min_length=1, max_length=MAX_EDITED_SCENES)
    call_to_action: str = ""
    description: str = ""
    tags: list[str] = Field(default_factory=list)
    citations: list[Citation] = Field(default_factory=list)
    writer: str = ""

    @model_validator(mode="after")
    def _numbered(self) -> ScriptEdit:
        numbers = [scene.index for scene in self.scenes]
        if numbers != list(range(1, len(numbers) + 1)):
            raise ValueError(f"scenes are numbered {numbers}; number them 1 to {len(numbers)} in order")
        return self

    def to_script(self, drafted_by: str) -> Script:
        """The Script for state, its writer saying a person edited it."""
        scenes: list[SceneSpec] = [
            {
                "index": scene.index,
                "narration": scene.narration,
                "on_screen_text": scene.on_screen_text or self.title,
                "visual": scene.visual,
                "sources": list(scene.sources),
            }
            for scene in self.scenes
        ]
        writer = self.writer or drafted_by
        return {
            "title": self.title.strip(),
            "hook": self.hook.strip(),
            "scenes": scenes,
            "call_to_action": self.call_to_action.strip(),
            "description": self.description.strip(),
            "tags": [tag.strip() for tag in self.tags if tag.strip()],
            "citations": list(self.citations),
            "writer": writer if writer.endswith("(edited)") else f"{writer} (edited)",
        }


class GateAnswer(BaseModel):
    """What a person answers at a gate: approve (at the script gate, maybe with an edit) or reject."""

    model_config = ConfigDict(extra="forbid")

    decision: Literal["approve", "reject"]
    script: ScriptEdit | None = None
    reason: str = ""

    def to_approval(self, gate: str) -> Approval:
        """The answer as recorded in state."""
        return {
            "gate": gate,
            "decision": self.decision,
            "edited": self.script is not None,
            "reason": " ".join(self.reason.split()),
        }
