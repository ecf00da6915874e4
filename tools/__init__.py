"""Every side effect: model providers, sources, media, voices, publishers and storage."""

from tools.errors import BadInput, ReelforgeError, ToolUnavailable, VerificationFailed

__all__ = ["BadInput", "ReelforgeError", "ToolUnavailable", "VerificationFailed"]
