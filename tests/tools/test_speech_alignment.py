"""Forced alignment with the real pocketsphinx: any rate, channels or container, numbers, names, fallback,
and word starts after pauses where the voices put them, in clean narration and under a ducked music bed."""

from __future__ import annotations

import threading
import wave
from pathlib import Path

import av
import numpy as np
import pytest

from state.artifacts import SpokenSentence
from state.context import SpeechResult
from tools.media.audio import mix_soundtrack
from tools.media.ffmpeg import find_ffmpeg
from tools.speech import (
    ALIGNED_LANGUAGES,
    VoiceShelf,
    align_words,
    split_spoken_sentences,
    time_words,
)
from tools.speech.alignment import number_readings
from tools.speech.onsets import frame_levels, refine_onsets

TEXT = "On 27 May 1937 the Golden Gate Bridge opened. Leon Moisseiff drew it, for $35 million!"


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> SpeechResult:
    """TEXT in espeak-ng's voice (mono, 22050 Hz), whose own word timings are the reference here."""
    folder = tmp_path_factory.mktemp("align")
    return VoiceShelf().get("espeak").synthesize(TEXT, folder / "clip.wav")


def starts(sentences: list[SpokenSentence]) -> list[float]:
    """Every word's start, in order."""
    return [word["start_s"] for sentence in sentences for word in sentence["words"]]


def resampled(source: Path, out: Path, rate: int, layout: str, codec: str) -> Path:
    """Re-encode `source` with PyAV at `rate` Hz in `layout` with `codec` (a WAV's PCM or an MP4's AAC)."""
    with av.open(str(source)) as reader, av.open(str(out), "w") as writer:
        stream = writer.add_stream(codec, rate=rate, layout=layout)
        assert isinstance(stream, av.audio.stream.AudioStream)
        resampler = av.AudioResampler(format=stream.format.name, layout=layout, rate=rate)
        frames = [*(f for frame in reader.decode(audio=0) for f in resampler.resample(frame))]
        for frame in [*frames, *resampler.resample(None)]:
            frame.pts = None
            writer.mux(stream.encode(frame))
        writer.mux(stream.encode(None))
    return out


def assert_in_step(sentences: list[SpokenSentence] | None, reference: SpeechResult) -> None:
    """Aligned words are the text's, and start within 100 ms of the voice's own word starts."""
    assert sentences is not None
    assert [s["text"] for s in sentences] == split_spoken_sentences(TEXT)
    assert [w["text"] for s in sentences for w in s["words"]] == TEXT.split()
    told = starts(reference.sentences)
    heard = starts(sentences)
    assert max(abs(a - b) for a, b in zip(told, heard, strict=True)) <= 0.100


def test_aligns_the_voice_clip(clip: SpeechResult) -> None:
    """Numbers, a currency, a date and a name missing from the dictionary are all aligned, in order."""
    aligned = align_words(clip.path, TEXT)
    assert_in_step(aligned, clip)
    assert aligned is not None
    for sentence in aligned:
        words = sentence["words"]
        assert sentence["start_s"] == words[0]["start_s"] and sentence["end_s"] == words[-1]["end_s"]
        assert all(a["end_s"] == b["start_s"] for a, b in zip(words, words[1:], strict=False))


def test_aligns_48k_stereo(clip: SpeechResult, tmp_path: Path) -> None:
    """The same clip at 48 kHz in stereo still aligns."""
    wav = resampled(clip.path, tmp_path / "stereo.wav", 48_000, "stereo", "pcm_s16le")
    with wave.open(str(wav), "rb") as handle:
        assert (handle.getframerate(), handle.getnchannels()) == (48_000, 2)
    assert_in_step(align_words(wav, TEXT, "en"), clip)


def test_aligns_an_mp4_aac_track(clip: SpeechResult, tmp_path: Path) -> None:
    """A rendered video's soundtrack (AAC at 48 kHz in an MP4) aligns like the WAV it came from."""
    mp4 = resampled(clip.path, tmp_path / "clip.mp4", 48_000, "stereo", "aac")
    assert_in_step(align_words(mp4, TEXT, "en-US"), clip)


def test_unsupported_language_is_proportional(clip: SpeechResult) -> None:
    """Only English has a model: other languages get None, and time_words spreads the words instead."""
    assert ALIGNED_LANGUAGES == ("en",)
    assert align_words(clip.path, TEXT, "de") is None
    sentences, how = time_words(clip.path, TEXT, "de", clip.duration_s)
    assert how == "proportional"
    assert [w["text"] for s in sentences for w in s["words"]] == TEXT.split()
    assert sentences[-1]["words"][-1]["end_s"] == round(clip.duration_s, 3)


def test_time_words_aligns_english(clip: SpeechResult) -> None:
    """time_words reports "aligned" when pocketsphinx could align the text."""
    sentences, how = time_words(clip.path, TEXT, "en", clip.duration_s)
    assert how == "aligned"
    assert_in_step(sentences, clip)


def test_failures_are_none(clip: SpeechResult, tmp_path: Path) -> None:
    """A file with no audio, or silence for the words, gives None (the caller falls back)."""
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"not audio")
    assert align_words(broken, TEXT) is None
    silent = tmp_path / "silent.wav"
    with wave.open(str(silent), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(16_000)
        handle.writeframes(np.zeros(1600, dtype="<i2").tobytes())
    assert align_words(silent, TEXT) is None
    assert align_words(clip.path, "  ") is None
    assert time_words(broken, TEXT, "en", 3.0)[1] == "proportional"


def test_threads_align_at_once(clip: SpeechResult) -> None:
    """Each thread has its own decoder: four alignments at once all succeed alike."""
    results: list[list[SpokenSentence] | None] = []
    threads = [
        threading.Thread(target=lambda: results.append(align_words(clip.path, TEXT))) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(results) == 4 and all(result == results[0] for result in results)
    assert_in_step(results[0], clip)


def test_numbers_are_read_as_voices_read_them() -> None:
    """Years, thousands, decimals, ordinals and decades, with the readings voices use."""
    assert number_readings("1937") == [
        ["nineteen", "thirty", "seven"],
        ["nineteen", "hundred", "thirty", "seven"],
        ["one", "thousand", "nine", "hundred", "thirty", "seven"],
    ]
    assert number_readings("200,000") == [["two", "hundred", "thousand"]]
    assert number_readings("3.05") == [["three", "point", "zero", "five"]]
    assert number_readings("21st") == [["twenty", "first"]]
    assert number_readings("1860s")[0] == ["eighteen", "sixties"]
    assert number_readings("2005") == [["two", "thousand", "five"]]
    assert number_readings("1900")[0] == ["nineteen", "hundred"]
    assert number_readings("12ab") == []


# --- Word starts after pauses ---

# Two scenes, as a video has them: sentences that open on a vowel after a pause ("Its" lost its "I" to the
# silence before it), numbers, and a comma pause.
SCENES = (
    "The bridge opened in 1937. Its main span is 1,280 metres long. Every cable holds thousands of wires.",
    "On foggy days, it vanishes. After dark, the towers glow. Engineers watch the wind.",
)


def music_loop(path: Path, seconds: float = 4.0, rate: int = 44_100) -> Path:
    """A stereo music loop: sustained chords, a kick drum on every beat and a hi-hat between them."""
    t = np.arange(int(seconds * rate)) / rate
    chords = ((220.0, 277.2, 329.6), (196.0, 246.9, 293.7))
    music = np.zeros_like(t)
    for index, chord in enumerate(chords):
        span = (t >= index * seconds / 2) & (t < (index + 1) * seconds / 2)
        music[span] += sum(0.15 * np.sin(2 * np.pi * hz * t[span]) for hz in chord)
    hit = np.arange(int(0.15 * rate)) / rate
    kick = 0.6 * np.sin(2 * np.pi * (50 + 80 * np.exp(-hit * 30)) * hit) * np.exp(-hit * 20)
    hat = 0.15 * np.random.default_rng(1).standard_normal(len(hit)) * np.exp(-hit * 80)
    for beat in np.arange(0, seconds, 0.5):
        for sound, at in ((kick, beat), (hat, beat + 0.25)):
            start = int(at * rate)
            music[start : start + len(sound)] += sound[: len(music) - start]
    music *= 0.9 / np.abs(music).max()
    pcm = (np.repeat(music, 2) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(2)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes(pcm.tobytes())
    return path


Scenes = tuple[list[tuple[Path, float]], float, list[float]]


@pytest.fixture(scope="module", params=["espeak", "joe"])
def scenes(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Scenes:
    """The SCENES in one voice, as (clip, start) pairs 0.9 s apart, the timeline's length, and every word's
    start in the voice's own timing on that timeline."""
    folder = tmp_path_factory.mktemp(f"scenes-{request.param}")
    clips: list[tuple[Path, float]] = []
    told: list[float] = []
    at = 0.3
    for index, text in enumerate(SCENES):
        spoken = VoiceShelf().get(request.param).synthesize(text, folder / f"scene-{index}.wav")
        clips.append((spoken.path, at))
        told += [at + start for start in starts(spoken.sentences)]
        at += spoken.duration_s + 0.9
    return clips, at, told


def assert_starts_agree(sentences: list[SpokenSentence] | None, told: list[float]) -> None:
    """At least 95 % of the aligned word starts are within 100 ms of the voice's, and none 150 ms off."""
    assert sentences is not None
    heard = starts(sentences)
    assert len(heard) == len(told)
    offsets = [abs(a - b) for a, b in zip(told, heard, strict=True)]
    within = sum(offset <= 0.100 for offset in offsets) / len(offsets)
    assert within >= 0.95 and max(offsets) <= 0.150, [round(offset, 3) for offset in offsets]


def test_word_starts_after_pauses_follow_the_voice(scenes: Scenes, tmp_path: Path) -> None:
    """The narration mixed to -14 LUFS as a video's is: every word, sentence openers included, in step."""
    clips, total_s, told = scenes
    mix = mix_soundtrack(clips, total_s, tmp_path / "mix.wav", find_ffmpeg()).path
    assert_starts_agree(align_words(mix, " ".join(SCENES)), told)


def test_word_starts_under_a_music_bed(scenes: Scenes, tmp_path: Path) -> None:
    """Under a music bed ducked beneath each line and up between scenes, in a video's AAC track."""
    clips, total_s, told = scenes
    music = music_loop(tmp_path / "music.wav")
    mix = mix_soundtrack(clips, total_s, tmp_path / "mix.wav", find_ffmpeg(), music=music).path
    mp4 = resampled(mix, tmp_path / "mix.mp4", 48_000, "stereo", "aac")
    assert_starts_agree(align_words(mp4, " ".join(SCENES)), told)


def test_the_same_audio_aligns_alike_after_other_audio(clip: SpeechResult, tmp_path: Path) -> None:
    """What a thread aligned before does not move the words of the next clip."""
    first = align_words(clip.path, TEXT)
    other = VoiceShelf().get("espeak").synthesize(SCENES[1], tmp_path / "other.wav")
    assert align_words(other.path, SCENES[1]) is not None
    assert align_words(clip.path, TEXT) == first


def tones(*parts: tuple[float, float]) -> bytes:
    """16 kHz 16-bit PCM of (seconds, amplitude) parts: a 220 Hz tone, or silence at amplitude 0."""
    pieces = [amp * np.sin(2 * np.pi * 220 * np.arange(round(s * 16_000)) / 16_000) for s, amp in parts]
    return (np.concatenate(pieces) * 32767).astype("<i2").tobytes()


def test_a_word_starts_at_its_first_burst() -> None:
    """Silence, a 60 ms burst, a 40 ms stop closure, the rest of the word: the decoder labelled the burst
    and the closure silence and started the word at frame 60; it starts at the burst, frame 50."""
    levels = frame_levels(tones((0.5, 0.0), (0.06, 0.5), (0.04, 0.0), (0.3, 0.5), (0.3, 0.0)))
    assert len(levels) == 120
    assert refine_onsets(levels, [("<sil>", 0, 59), ("its", 60, 89), ("<sil>", 90, 119)]) == [50]
    # At the clip's start as after a pause: the same word after another one and a silence.
    audio = tones((0.3, 0.5), (0.2, 0.0), (0.06, 0.5), (0.04, 0.0), (0.3, 0.5))
    timeline = [("long", 0, 29), ("<sil>", 30, 59), ("its", 60, 89)]
    assert refine_onsets(frame_levels(audio), timeline) == [0, 50]


@pytest.mark.parametrize(
    ("parts", "why"),
    [
        ([(0.5, 0.0), (0.06, 0.5), (0.1, 0.0), (0.3, 0.5)], "100 ms of quiet is a pause, not a closure"),
        ([(0.56, 0.5), (0.04, 0.0), (0.3, 0.5)], "sound running on from the previous word is its own"),
        ([(0.5, 0.0), (0.1, 0.04), (0.04, 0.0), (0.3, 0.5)], "a bed 22 dB down is not a vowel"),
        ([(0.5, 0.0), (0.1, 0.04), (0.04, 0.0), (0.03, 0.5), (0.02, 0.0), (0.3, 0.5)], "nor is a drum beat"),
        ([(0.5, 0.0), (0.35, 0.08), (0.3, 0.5)], "a bed 16 dB down as long as that is not a lost phone"),
    ],
)
def test_a_word_keeps_its_start(parts: list[tuple[float, float]], why: str) -> None:
    """Sound in the silence before a word that is not its lost onset stays the silence's."""
    levels = frame_levels(tones(*parts))
    word = round(sum(seconds for seconds, _ in parts[:-1]) * 100)
    timeline = [("long", 0, 49), ("<sil>", 50, word - 1), ("its", word, len(levels) - 1)]
    assert refine_onsets(levels, timeline)[1] == word, why


def test_a_word_that_swallowed_a_pause_starts_at_its_sound() -> None:
    """A word the decoder began 300 ms early, over a quiet pause, begins where its sound does."""
    levels = frame_levels(tones((0.3, 0.5), (0.3, 0.0), (0.3, 0.5)))
    assert refine_onsets(levels, [("long", 0, 29), ("its", 30, 89)]) == [0, 60]
    # A quiet word start shorter than that is the word's own (a stop's closure, a soft "f"): it stays.
    levels = frame_levels(tones((0.3, 0.5), (0.1, 0.0), (0.3, 0.5)))
    assert refine_onsets(levels, [("long", 0, 29), ("its", 30, 69)]) == [0, 30]
