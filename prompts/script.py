"""Prompts for writing and revising a video script with a language model."""

from __future__ import annotations

from collections.abc import Sequence

from prompts.templates import Prompt

SCRIPT_SYSTEM = Prompt(
    "script_system",
    """You are a careful scriptwriter for short $aspect videos in $language.
You answer with one JSON object that matches the schema you are given, and nothing else.
You never invent facts: every number, name or date you state comes from the facts you are given.""",
)

WRITE_SCRIPT = Prompt(
    "write_script",
    """You write scripts for short vertical videos.
Topic: $topic
Target length: $duration_s seconds, so at most $max_words words of narration in total.
Write $scene_count scenes. Each scene has a word budget; keep every scene within it (the hook counts in
scene 1, the call to action in the last scene):
$budgets
A script over budget is cut by dropping whole sentences, so count your words.

Facts you may use, each with its source. Use only these facts; never invent numbers, names or dates.
If there are no facts, write an honest outline of what a viewer should know, without asserting facts.
$facts

Return JSON with: title, hook (one sentence that opens scene 1), scenes (each with narration,
on_screen_text of at most six words, visual, sources), call_to_action, description, tags.""",
)

REVISE_SCRIPT = Prompt(
    "revise_script",
    """Revise this video script so that it passes the checks below. Keep the scenes that pass.
Target length: $duration_s seconds, so at most $max_words words of narration in total.

Problems found:
$problems

Each scene's word budget, and the words it has now (the hook counts in scene 1, the call to action in
the last scene):
$budgets
Bring every scene within its budget by removing sentences or writing shorter ones. A script still over
budget after this revision is cut by dropping its least important sentences and scenes.

Script (JSON):
$script""",
)

SCENE_IMAGE = Prompt(
    "scene_image",
    """$visual. Illustration for a short video titled "$title", scene $index of $count. $style style,
$orientation composition, one clear subject, no words, no letters, no watermark.""",
)

SCENE_IMAGE_NEGATIVE = "text, letters, watermark, logo, blurry, deformed"

ALL = (SCRIPT_SYSTEM, WRITE_SCRIPT, REVISE_SCRIPT, SCENE_IMAGE)


def budget_lines(budgets: Sequence[int], words: Sequence[int] | None = None) -> str:
    """The scene budgets for a prompt, one line a scene: "- scene 2: at most 14 words", or with the words
    each scene of a draft has, "- scene 2: 31 words, budget 14: cut 17", and the total."""
    if words is None or len(words) != len(budgets):
        lines = [f"- scene {n}: at most {budget} words" for n, budget in enumerate(budgets, start=1)]
    else:
        lines = []
        for number, (budget, count) in enumerate(zip(budgets, words, strict=True), start=1):
            verdict = f"cut {count - budget}" if count > budget else "fits"
            lines.append(f"- scene {number}: {count} words, budget {budget}: {verdict}")
    if words is not None:
        lines.append(f"- in total: {sum(words)} words, budget {sum(budgets)}")
    return "\n".join(lines)
