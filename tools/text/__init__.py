"""Text tools: the offline script writer and the rule quality gate."""

from tools.text.offline_writer import WRITER, revise_script, write_script
from tools.text.quality import check_script, count_words, normalise_text, split_sentences, word_limits

__all__ = [
    "WRITER",
    "check_script",
    "count_words",
    "normalise_text",
    "revise_script",
    "split_sentences",
    "word_limits",
    "write_script",
]
