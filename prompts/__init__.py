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
from prompts.top_list import TOP_LIST_SCRIPT

__all__ = [
    "ALL",
    "REVISE_SCRIPT",
    "SCENE_IMAGE",
    "SCENE_IMAGE_NEGATIVE",
    "SCRIPT_SYSTEM",
    "TOP_LIST_SCRIPT",
    "WRITE_SCRIPT",
    "Prompt",
]
