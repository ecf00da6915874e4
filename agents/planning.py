"""plan_request: turn a chat line or a ready JobSpec into the JobSpec every sub-agent reads."""

from __future__ import annotations

import re
from typing import Any

from langgraph.runtime import Runtime

from agents.tracking import tracked
from state import Context, JobRequest, JobSpec, OrchestratorState

_DURATION = re.compile(
    r"\b(?P<n>\d{1,3})\s*-?\s*(?P<unit>s|sec|secs|second|seconds|min|mins|minute|minutes)\b", re.IGNORECASE
)
_ASPECT = re.compile(r"\b(9:16|16:9|1:1)\b")
_WORDS_ASPECT = {
    "vertical": "9:16",
    "portrait": "9:16",
    "landscape": "16:9",
    "widescreen": "16:9",
    "square": "1:1",
}
# "with photos", "using stock clips", "with video clips", "with cards": what the scene pictures are.
_VISUALS = re.compile(
    r"\s*\b(with|using)\s+(real\s+|stock\s+)?(?P<kind>photos|photographs|pictures|video\s+clips|clips|cards)\b",
    re.IGNORECASE,
)
_VISUAL_WORDS = {"photos": "photos", "photographs": "photos", "pictures": "photos", "cards": "cards"}
# "without captions", "no subtitles", "with plain captions", "with word captions": the burned-in captions.
_CAPTIONS = re.compile(
    r"\s*\b(?:(?:with\s+)?(?P<none>without|no)\s+(?:captions|subtitles)"
    r"|(?:with|using)\s+(?P<kind>plain|simple|word[- ]by[- ]word|word|karaoke)[- ](?:captions|subtitles))\b",
    re.IGNORECASE,
)
_LEAD = re.compile(
    r"^\s*(please\s+)?(make|create|generate|produce|render)\s+(me\s+)?(an?\s+)?"
    r"(short\s+|quick\s+)?(video|reel|short|clip)?\s*(about|on|explaining|for)?\s*",
    re.IGNORECASE,
)
_TAIL = re.compile(
    r"\s+(for|on)\s+(youtube|wordpress|instagram|the gallery|tiktok)(\s*(,|and)\s*\w+)*\s*$", re.I
)


def parse_request(text: str) -> JobSpec:
    """Parse a chat line such as 'make a 45-second square video about coffee' with plain rules."""
    return JobRequest(**parse_fields(text)).to_job()


def parse_fields(text: str) -> dict[str, Any]:
    """The job fields a chat line states (topic, and duration, aspect, visuals or captions when said),
    unchecked."""
    fields: dict[str, Any] = {}
    remaining = text
    if match := _DURATION.search(remaining):
        number = int(match.group("n"))
        fields["duration_s"] = number * 60 if match.group("unit").lower().startswith("min") else number
        remaining = remaining[: match.start()] + remaining[match.end() :]
    if match := _ASPECT.search(remaining):
        fields["aspect"] = match.group(1)
        remaining = remaining[: match.start()] + remaining[match.end() :]
    for word, aspect in _WORDS_ASPECT.items():
        pattern = re.compile(rf"\b{word}\b", re.IGNORECASE)
        if pattern.search(remaining):
            fields.setdefault("aspect", aspect)
            remaining = pattern.sub("", remaining)
    if match := _VISUALS.search(remaining):
        kind = " ".join(match.group("kind").lower().split())
        fields["visuals"] = _VISUAL_WORDS.get(kind, "clips")
        remaining = remaining[: match.start()] + remaining[match.end() :]
    if match := _CAPTIONS.search(remaining):
        kind = (match.group("kind") or "").lower()
        plain = kind in ("plain", "simple")
        fields["captions"] = "off" if match.group("none") else "plain" if plain else "words"
        remaining = remaining[: match.start()] + remaining[match.end() :]
    remaining = _TAIL.sub("", remaining)
    remaining = _LEAD.sub("", " ".join(remaining.split()))
    return {"topic": remaining.strip(" .,!?:;-\"'"), **fields}


@tracked("planning")
def plan_request(state: OrchestratorState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Resolve the request once: a job from a door is checked again, a chat line is parsed by rules.

    The JobSpec it writes carries the output size and orientation, so no later node works them out.
    """
    if "job" in state:
        job = JobRequest.from_job(state["job"]).to_job()
    else:
        job = parse_request(state.get("request", ""))
    return {"job": job, "tiers": {"plan": "offline:rules"}}
