"""Offline narration voices: Piper 'joe' (neural) and espeak-ng, with per-sentence timings."""

from tools.speech.espeak_voice import EspeakSynthesizer, split_spoken_sentences
from tools.speech.library import VOICE_NAMES, WORDS_PER_SECOND, VoiceShelf, check_voice
from tools.speech.piper_voice import SENTENCE_PAUSE_S, PiperSynthesizer
from tools.speech.timing import spread_sentences

__all__ = [
    "SENTENCE_PAUSE_S",
    "VOICE_NAMES",
    "WORDS_PER_SECOND",
    "EspeakSynthesizer",
    "PiperSynthesizer",
    "VoiceShelf",
    "check_voice",
    "split_spoken_sentences",
    "spread_sentences",
]
