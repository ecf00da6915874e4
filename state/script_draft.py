"""ScriptDraft: the structured output a language model returns for a script (pydantic, at the edge)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from state.script import Citation, Fact, SceneSpec, Script


class SceneDraft(BaseModel):
    """One scene as the model writes it."""

    model_config = ConfigDict(extra="ignore")

    narration: str = Field(min_length=1, description="What the narrator says in this scene.")
    on_screen_text: str = Field(description="At most six words shown on screen.")
    visual: str = Field(default="", description="What the image shows, for an image model.")
    sources: list[str] = Field(default_factory=list, description="The sources of the facts this scene uses.")


class ScriptDraft(BaseModel):
    """A whole script as the model writes it; `to_script` turns it into the Script that enters state."""

    model_config = ConfigDict(extra="ignore")

    title: str = Field(min_length=1)
    hook: str = Field(description="One sentence that opens scene 1.")
    scenes: list[SceneDraft] = Field(min_length=1, max_length=12)
    call_to_action: str = Field(description="One sentence that closes the last scene.")
    description: str = ""
    tags: list[str] = Field(default_factory=list)

    def to_script(self, facts: list[Fact], writer: str) -> Script:
        """The Script for state: scenes numbered, hook and call to action spoken, real sources cited."""
        known = {fact["source"] for fact in facts}
        hook, call = " ".join(self.hook.split()), " ".join(self.call_to_action.split())
        scenes: list[SceneSpec] = []
        for index, draft in enumerate(self.scenes, start=1):
            narration = " ".join(draft.narration.split())
            if index == 1 and hook and not narration.startswith(hook[:20]):
                narration = f"{hook} {narration}"
            if index == len(self.scenes) and call not in narration:
                narration = f"{narration} {call}".strip()
            scenes.append(
                {
                    "index": index,
                    "narration": narration,
                    "on_screen_text": " ".join(draft.on_screen_text.split()) or self.title,
                    "visual": draft.visual.strip(),
                    # Only sources the run really read may be cited: a model cannot add one.
                    "sources": [source for source in draft.sources if source in known],
                }
            )
        cited = list(dict.fromkeys(source for scene in scenes for source in scene["sources"]))
        citations: list[Citation] = [
            {"source": source, "title": source.rsplit("/", 1)[-1]} for source in cited
        ]
        return {
            "title": self.title.strip(),
            "hook": hook,
            "scenes": scenes,
            "call_to_action": call,
            "description": self.description.strip(),
            "tags": [tag.strip() for tag in self.tags if tag.strip()][:15],
            "citations": citations,
            "writer": writer,
        }
