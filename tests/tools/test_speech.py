"""Tests for the offline voices with the real Piper and espeak-ng engines: audio, timings, threads, errors."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import threading
import wave
from array import array
from pathlib import Path

import pytest

from state.context import SpeechResult, Synthesizer, VoiceLibrary
from tools.errors import BadInput
from tools.speech import (
    SENTENCE_PAUSE_S,
    VOICE_NAMES,
    WORDS_PER_SECOND,
    VoiceShelf,
    check_voice,
    split_spoken_sentences,
)
from tools.speech.espeak_voice import prepare_text
from tools.speech.piper_voice import sentence_texts

REPO = Path(__file__).resolve().parents[2]
NARRATION = (
    "The first bicycles had no pedals at all. Riders pushed themselves along with their feet, "
    'which was tiring on hills. "Why not add cranks?" asked one inventor. Dr. Smith wrote that the '
    "change came in the 1860s!"
)
SENTENCES = [
    "The first bicycles had no pedals at all.",
    "Riders pushed themselves along with their feet, which was tiring on hills.",
    '"Why not add cranks?"',
    "asked one inventor.",
    "Dr. Smith wrote that the change came in the 1860s!",
]
PROVIDERS = {"joe": "piper:joe", "espeak": "espeak-ng"}


@pytest.fixture(scope="module")
def shelf() -> VoiceShelf:
    """One shelf per module, so Piper's model loads once for every test here."""
    return VoiceShelf()


@pytest.fixture(scope="module")
def spoken(shelf: VoiceShelf, tmp_path_factory: pytest.TempPathFactory) -> dict[str, SpeechResult]:
    """NARRATION spoken once by each voice."""
    folder = tmp_path_factory.mktemp("spoken")
    return {name: shelf.get(name).synthesize(NARRATION, folder / name / "clip.wav") for name in VOICE_NAMES}


def read_wav(path: Path) -> tuple[array[int], int, int, int]:
    """Return the samples, channels, sample width and rate of a WAV file."""
    with wave.open(str(path), "rb") as wav:
        return (
            array("h", wav.readframes(wav.getnframes())),
            wav.getnchannels(),
            wav.getsampwidth(),
            wav.getframerate(),
        )


def dbfs(samples: array[int]) -> float:
    """RMS level of 16-bit samples in dB relative to full scale."""
    if not samples:
        return -math.inf
    rms = math.sqrt(sum(sample * sample for sample in samples) / len(samples))
    return 20 * math.log10(rms / 32768) if rms else -math.inf


def test_voice_names_match_the_job_options() -> None:
    """Every voice a job may ask for is on the shelf, with a measured speaking rate."""
    from state.job import VOICES

    assert set(VOICE_NAMES) == set(VOICES) == set(WORDS_PER_SECOND)
    assert all(2.0 < rate < 5.0 for rate in WORDS_PER_SECOND.values())


@pytest.mark.parametrize("name", VOICE_NAMES)
def test_shelf_is_a_voice_library_and_caches(shelf: VoiceShelf, name: str) -> None:
    """The shelf satisfies VoiceLibrary and hands back one loaded instance per voice."""
    library: VoiceLibrary = shelf
    voice: Synthesizer = library.get(name)
    assert voice is shelf.get(name)
    assert (voice.provider, voice.tier) == (PROVIDERS[name], "offline")


@pytest.mark.parametrize("name", VOICE_NAMES)
def test_writes_an_audible_mono_wav(spoken: dict[str, SpeechResult], name: str) -> None:
    """The clip is mono 16-bit at 22050 Hz, as long as it claims, plausibly paced and clearly audible."""
    result = spoken[name]
    samples, channels, width, rate = read_wav(result.path)
    assert (channels, width, rate, result.sample_rate) == (1, 2, 22050, 22050)
    assert result.duration_s == pytest.approx(len(samples) / rate, abs=1e-6)
    words_per_second = len(NARRATION.split()) / result.duration_s
    assert 1.5 < words_per_second < 5.0
    assert dbfs(samples) > -35
    assert not list(result.path.parent.glob(".*")), "the atomic write left a temporary file behind"


@pytest.mark.parametrize("name", VOICE_NAMES)
def test_one_timed_sentence_per_sentence(spoken: dict[str, SpeechResult], name: str) -> None:
    """Sentences come back in order, inside the clip, with the input's text."""
    result = spoken[name]
    assert [sentence["text"] for sentence in result.sentences] == SENTENCES
    previous_end = 0.0
    for sentence in result.sentences:
        assert previous_end <= sentence["start_s"] < sentence["end_s"] <= result.duration_s
        previous_end = sentence["end_s"]
        # Every sentence carries its words as written (quotes, "Dr.", "1860s!" included), timed in order.
        words = sentence["words"]
        assert [word["text"] for word in words] == sentence["text"].split()
        assert all(a["start_s"] < b["start_s"] for a, b in zip(words, words[1:], strict=False))
    assert " ".join(sentence["text"] for sentence in result.sentences) == " ".join(NARRATION.split())


@pytest.mark.parametrize("name", VOICE_NAMES)
def test_sentences_are_separated_by_a_silent_pause(spoken: dict[str, SpeechResult], name: str) -> None:
    """Between two sentences there is a breath of true silence, and speech inside each sentence."""
    result = spoken[name]
    samples, _, _, rate = read_wav(result.path)
    for before, after in zip(result.sentences, result.sentences[1:], strict=False):
        gap = after["start_s"] - before["end_s"]
        if name == "joe":
            assert gap == pytest.approx(SENTENCE_PAUSE_S, abs=1e-3)
        assert gap >= 0.2
        quiet = samples[round(before["end_s"] * rate) + 1 : round(after["start_s"] * rate) - 1]
        assert dbfs(quiet) < -60
    for sentence in result.sentences:
        assert dbfs(samples[round(sentence["start_s"] * rate) : round(sentence["end_s"] * rate)]) > -35


@pytest.mark.parametrize("name", VOICE_NAMES)
def test_concurrent_synthesis_from_four_threads(shelf: VoiceShelf, name: str, tmp_path: Path) -> None:
    """Four graph branches speaking at once each get their own complete, correctly timed clip."""
    results: dict[int, SpeechResult] = {}
    errors: list[BaseException] = []

    def speak(index: int) -> None:
        try:
            text = f"Branch number {index} is speaking. It has a second sentence too."
            results[index] = shelf.get(name).synthesize(text, tmp_path / f"{index}.wav")
        except BaseException as error:  # surfaced below: a thread's exception would otherwise vanish
            errors.append(error)

    threads = [threading.Thread(target=speak, args=(index,)) for index in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert sorted(results) == [0, 1, 2, 3]
    for index, result in results.items():
        assert [sentence["text"] for sentence in result.sentences] == [
            f"Branch number {index} is speaking.",
            "It has a second sentence too.",
        ]
        samples, _, _, _ = read_wav(result.path)
        assert result.duration_s > 2 and dbfs(samples) > -35


def test_both_voices_at_once(shelf: VoiceShelf, tmp_path: Path) -> None:
    """Piper's own espeak-ng and the espeakng-loader copy run side by side in one process."""
    results: list[SpeechResult] = []
    threads = [
        threading.Thread(
            target=lambda name=name, index=index: results.append(
                shelf.get(name).synthesize(
                    "Side by side. Both voices speak.", tmp_path / f"{name}{index}.wav"
                )
            )
        )
        for index in range(2)
        for name in VOICE_NAMES
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(results) == 4
    assert all(len(result.sentences) == 2 for result in results)


def test_split_follows_espeak_rules() -> None:
    """Abbreviations, decimals, ellipses, quotes and blank lines split where espeak-ng splits."""
    assert split_spoken_sentences("It costs 3.5 dollars at 3 p.m. today. Wait... what? Yes!!") == [
        "It costs 3.5 dollars at 3 p.m. today.",
        "Wait... what?",
        "Yes!!",
    ]
    assert split_spoken_sentences('He said "Go home." Then he left.\n\nNew paragraph') == [
        'He said "Go home."',
        "Then he left.",
        "New paragraph",
    ]
    assert split_spoken_sentences(
        "Mr. Smith met Dr. Jones in St. Louis. The U.S., China and others met."
    ) == [
        "Mr. Smith met Dr. Jones in St. Louis.",
        "The U.S.,",
        "China and others met.",
    ]
    assert split_spoken_sentences("   ") == []


def test_mismatched_chunks_still_get_all_the_words() -> None:
    """If Piper made a different number of chunks, the words are spread over them by phoneme count."""
    spoken = prepare_text("One two three four. Five six seven eight nine ten.")
    texts = sentence_texts(spoken, [10, 10, 20])
    assert len(texts) == 3 and all(texts)
    assert " ".join(texts) == spoken.original
    assert sentence_texts(spoken, [5]) == [spoken.original]


@pytest.mark.parametrize("name", VOICE_NAMES)
def test_empty_text_is_bad_input(shelf: VoiceShelf, name: str, tmp_path: Path) -> None:
    """Nothing to say is the caller's mistake, reported in one line."""
    with pytest.raises(BadInput, match="narration text is empty"):
        shelf.get(name).synthesize("  \n ", tmp_path / "empty.wav")
    assert not (tmp_path / "empty.wav").exists()


@pytest.mark.parametrize("name", VOICE_NAMES)
def test_bare_punctuation_is_bad_input(shelf: VoiceShelf, name: str, tmp_path: Path) -> None:
    """Text that makes no sound is refused rather than written as a silent clip."""
    with pytest.raises(BadInput, match="no speakable words"):
        shelf.get(name).synthesize("...", tmp_path / "silent.wav")


def test_unknown_voice_is_bad_input() -> None:
    """Asking for a voice that does not exist names the ones that do."""
    with pytest.raises(BadInput) as caught:
        VoiceShelf().get("morgan")
    assert str(caught.value) == "unknown voice 'morgan'; choose one of: joe, espeak"


@pytest.mark.parametrize("name", VOICE_NAMES)
def test_check_voice_passes_for_installed_voices(shelf: VoiceShelf, name: str) -> None:
    """The preflight loads the voice and speaks a word without raising."""
    check_voice(name, shelf=shelf)


def test_check_voice_rejects_unknown_names() -> None:
    """The preflight raises the same BadInput as the shelf."""
    with pytest.raises(BadInput, match="choose one of"):
        check_voice("morgan")


def run_with_broken_module(tmp_path: Path, module: str, code: str) -> subprocess.CompletedProcess[str]:
    """Run `code` in a fresh interpreter where `module` fails to import, as in a half-installed extra."""
    fake = tmp_path / "shadow" / module
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text(f"raise ImportError('{module} is broken in this test')\n")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(fake.parent), str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("name", "module", "message"),
    [
        ("joe", "piper", "the Piper voice 'joe' could not be loaded (piper is broken in this test)"),
        ("espeak", "espeakng_loader", "the espeak-ng voice could not be loaded (espeakng_loader is broken"),
    ],
)
def test_broken_install_is_tool_unavailable(tmp_path: Path, name: str, module: str, message: str) -> None:
    """A voice whose package cannot be imported gives one line that says how to install it."""
    code = (
        "from tools.errors import ToolUnavailable\n"
        "from tools.speech import VoiceShelf, check_voice\n"
        "for attempt in (lambda: VoiceShelf().get(NAME), lambda: check_voice(NAME)):\n"
        "    try:\n"
        "        attempt()\n"
        "    except ToolUnavailable as error:\n"
        "        print(error)\n"
    ).replace("NAME", repr(name))
    completed = run_with_broken_module(tmp_path, module, code)
    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.splitlines()
    assert len(lines) == 2
    for line in lines:
        assert line.startswith(message)
        assert line.endswith("install it with: pip install 'reelforge[voices]'")


def test_importing_speech_loads_no_engine() -> None:
    """Importing tools.speech stays cheap: Piper, onnxruntime and numpy load only when a voice is used."""
    code = (
        "import sys, tools.speech\n"
        "print(sorted({'piper', 'onnxruntime', 'numpy', 'espeakng_loader'} & set(sys.modules)))\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60, check=True
    )
    assert completed.stdout.strip() == "[]"
