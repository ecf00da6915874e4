"""The script and the facts it is built from."""

from __future__ import annotations

from typing import NotRequired

from typing_extensions import TypedDict


class Fact(TypedDict):
    """One statement taken from a source, with where it came from."""

    text: str
    source: str
    # For researched facts: the page's title, the section the sentence is in, and the page revision.
    title: NotRequired[str]
    section: NotRequired[str]
    revision: NotRequired[int]


class Citation(TypedDict):
    """A source the script used."""

    source: str
    title: str


class SceneSpec(TypedDict):
    """One scene: what is said, what is shown as text, and what the image depicts."""

    index: int
    narration: str
    on_screen_text: str
    visual: str
    sources: list[str]


class Script(TypedDict):
    """A complete script. The hook opens scene 1's narration and the call to action closes the last."""

    title: str
    hook: str
    scenes: list[SceneSpec]
    call_to_action: str
    description: str
    tags: list[str]
    citations: list[Citation]
    writer: str


class QualityReport(TypedDict):
    """What the rule quality gate found."""

    passed: bool
    problems: list[str]
    words: int
    words_per_second: float
