"""Offline narration voices (Piper 'joe', espeak-ng) with sentence and word timings, and forced alignment."""

from tools.speech.alignment import ALIGNED_LANGUAGES, align_words, time_words
from tools.speech.espeak_voice import EspeakSynthesizer, split_spoken_sentences
from tools.speech.library import (
    SENTENCE_PAUSE_WORDS,
    VOICE_NAMES,
    WORDS_PER_SECOND,
    VoiceShelf,
    check_voice,
)
from tools.speech.piper_voice import SENTENCE_PAUSE_S, PiperSynthesizer
from tools.speech.timing import spread_sentences
from tools.speech.words import place_words, spread_words

__all__ = [
    "ALIGNED_LANGUAGES",
    "SENTENCE_PAUSE_S",
    "SENTENCE_PAUSE_WORDS",
    "VOICE_NAMES",
    "WORDS_PER_SECOND",
    "EspeakSynthesizer",
    "PiperSynthesizer",
    "VoiceShelf",
    "align_words",
    "check_voice",
    "place_words",
    "split_spoken_sentences",
    "spread_sentences",
    "spread_words",
    "time_words",
]
