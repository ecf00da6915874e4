"""Prompts for writing and revising a video script with a language model."""

from __future__ import annotations

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
Target length: $duration_s seconds, about $max_words words of narration in total.
Scenes: between $min_scenes and $max_scenes.

Facts you may use, each with its source. Use only these facts; never invent numbers, names or dates.
If there are no facts, write an honest outline of what a viewer should know, without asserting facts.
$facts

Return JSON with: title, hook (one sentence that opens scene 1), scenes (each with narration,
on_screen_text of at most six words, visual, sources), call_to_action, description, tags.""",
)

REVISE_SCRIPT = Prompt(
    "revise_script",
    """Revise this video script so that it passes the checks below. Keep the scenes that pass.
Target length: $duration_s seconds, at most $max_words words of narration.

Problems found:
$problems

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
