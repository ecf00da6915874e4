"""Text sent to models, as named templates; no I/O."""

from prompts.script import (
    ALL,
    REVISE_SCRIPT,
    SCENE_IMAGE,
    SCENE_IMAGE_NEGATIVE,
    SCRIPT_SYSTEM,
    WRITE_SCRIPT,
)
from prompts.templates import Prompt

__all__ = [
    "ALL",
    "REVISE_SCRIPT",
    "SCENE_IMAGE",
    "SCENE_IMAGE_NEGATIVE",
    "SCRIPT_SYSTEM",
    "WRITE_SCRIPT",
    "Prompt",
]
