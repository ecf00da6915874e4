"""Text sent to models, as named templates; no I/O."""

from prompts.script import ALL, REVISE_SCRIPT, WRITE_SCRIPT
from prompts.templates import Prompt

__all__ = ["ALL", "REVISE_SCRIPT", "WRITE_SCRIPT", "Prompt"]
