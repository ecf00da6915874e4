"""Fit a script to its word budget deterministically: drop whole sentences and scenes, never part of one."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from state import Citation, SceneSpec, Script
from tools.text.headlines import informativeness
from tools.text.quality import (
    Pace,
    count_words,
    narration_time,
    normalise_text,
    scene_budgets,
    split_sentences,
)

__all__ = ["FittedScript", "fit_script", "fitting_note"]

_COUNT_WORDS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
# A dropped scene is named by its on-screen text, or by the start of its narration, at most this long.
_LABEL_WORDS = 6


@dataclass(frozen=True)
class FittedScript:
    """A script fitted to a word budget, and what was dropped from it (scene numbers as written)."""

    script: Script
    words_before: int
    words_after: int
    max_words: int
    # The estimated length of the scenes (speech and gaps) before and after, when a pace was given.
    seconds_before: float | None = None
    seconds_after: float | None = None
    max_seconds: float | None = None
    # (number as written, its on-screen text or the start of its narration)
    dropped_scenes: list[tuple[int, str]] = field(default_factory=list)
    # number as written -> whole sentences dropped from that scene, for scenes that stay
    dropped_sentences: dict[int, int] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        """True when anything was dropped."""
        return bool(self.dropped_scenes or self.dropped_sentences)

    @property
    def fits(self) -> bool:
        """True when the narration is within the budget (false only when one sentence alone is too long)."""
        too_slow = self.max_seconds is not None and (self.seconds_after or 0.0) > self.max_seconds
        return self.words_after <= self.max_words and not too_slow


@dataclass
class _Scene:
    """One scene while it is being fitted: its sentences and which of them are still kept."""

    number: int
    spec: SceneSpec
    sentences: list[str]
    kept: list[bool]
    lead: int = 0  # the hook's sentences at the start of the first scene
    trail: int = 0  # the call to action's sentences at the end of the last scene
    alive: bool = True

    def words(self) -> int:
        return sum(count_words(s) for s, keep in zip(self.sentences, self.kept, strict=True) if keep)

    def kept_at(self) -> list[int]:
        return [i for i, keep in enumerate(self.kept) if keep]

    def protected(self, index: int) -> bool:
        return index < self.lead or index >= len(self.sentences) - self.trail

    def narration(self) -> str:
        return " ".join(s for s, keep in zip(self.sentences, self.kept, strict=True) if keep)


# A cut is the scene and the sentence it drops (None: the whole scene), ranked by a key (lowest goes first).
_Cut = tuple[tuple[float, ...], _Scene, int | None]


def fit_script(
    script: Script,
    max_words: int,
    *,
    min_scenes: int = 1,
    lang: str = "en",
    pace: Pace | None = None,
    max_seconds: float | None = None,
) -> FittedScript:
    """Drop the least important sentences and scenes until the narration has at most `max_words` words
    and, given the voice's `pace`, lasts at most `max_seconds` (`narration_time`: short sentences' pauses
    add up).

    Whole sentences go, never part of one. In order, until it fits: the least informative sentences of
    scenes over their own budget (`scene_budgets`), each scene keeping one of its own; middle scenes while
    more than `min_scenes` remain; any other sentence, down to leaving the opening scene its hook alone or
    the closing one its call to action; middle scenes below `min_scenes`; and only then the hook,
    the call to action, and the first or last scene. Each scene keeps at least one sentence; a scene that
    goes goes whole, and the rest are numbered 1..n again. Sentences dropped along the way come back, the
    most informative first, where they fit after all. Citations of sources no remaining scene uses go; the
    hook and call to action follow what the first and last scenes still say.
    """
    scenes = _to_scenes(script, lang)
    limit = max_seconds if pace is not None else None

    def seconds() -> float | None:
        if pace is None or limit is None:
            return None
        return narration_time([scene.narration() for scene in scenes if scene.alive], pace, lang)

    def fits() -> bool:
        words = sum(scene.words() for scene in scenes if scene.alive)
        spoken = seconds()
        return words <= max_words and (spoken is None or limit is None or spoken <= limit)

    before, seconds_before = sum(scene.words() for scene in scenes), seconds()
    while not fits():
        cut = _next_cut([scene for scene in scenes if scene.alive], max_words, min_scenes)
        if cut is None:
            break
        _, scene, index = cut
        if index is None:
            scene.alive = False
        else:
            scene.kept[index] = False
    _restore([scene for scene in scenes if scene.alive], fits)
    fitted = _to_script(script, scenes)
    dropped_scenes = [(scene.number, _label(scene)) for scene in scenes if not scene.alive]
    dropped_sentences = {
        scene.number: scene.kept.count(False) for scene in scenes if scene.alive and not all(scene.kept)
    }
    return FittedScript(
        script=fitted,
        words_before=before,
        words_after=sum(scene.words() for scene in scenes if scene.alive),
        max_words=max_words,
        seconds_before=seconds_before,
        seconds_after=seconds(),
        max_seconds=limit,
        dropped_scenes=dropped_scenes,
        dropped_sentences=dropped_sentences,
    )


def fitting_note(fitted: FittedScript, duration_s: int) -> str:
    """One line for the run's warnings: 'dropped scene 4 ("Wax caps") and one sentence of scene 2 to fit
    25 s (147 words down to 70; at most 72 fit)'."""
    parts = [f'scene {number} ("{label}")' for number, label in fitted.dropped_scenes]
    for number, count in sorted(fitted.dropped_sentences.items()):
        amount = _COUNT_WORDS[count - 1] if count <= len(_COUNT_WORDS) else str(count)
        parts.append(f"{amount} sentence{'s' if count > 1 else ''} of scene {number}")
    dropped = _joined(parts) if parts else "nothing"
    counts = f"{fitted.words_before} words down to {fitted.words_after}; at most {fitted.max_words} fit"
    if fitted.seconds_before is not None and fitted.seconds_after is not None:
        counts += f"; about {fitted.seconds_before:.0f} s spoken down to {fitted.seconds_after:.0f} s"
    note = f"dropped {dropped} to fit {duration_s} s ({counts})"
    if not fitted.fits:
        note += "; a sentence is never cut in the middle, so the video runs long: shorten it"
    return note


def _joined(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _label(scene: _Scene) -> str:
    text = " ".join(str(scene.spec.get("on_screen_text", "")).split())
    if not text:
        words = scene.narration().split() or " ".join(scene.sentences).split()
        text = " ".join(words[:_LABEL_WORDS]) + ("\u2026" if len(words) > _LABEL_WORDS else "")
    return text.replace('"', "'")


def _matches(parts: list[str], sentences: list[str]) -> bool:
    return bool(parts) and [normalise_text(s) for s in sentences] == [normalise_text(p) for p in parts]


def _to_scenes(script: Script, lang: str) -> list[_Scene]:
    scenes = []
    for number, spec in enumerate(script.get("scenes", []), start=1):
        sentences = split_sentences(str(spec.get("narration", "")), lang)
        scenes.append(_Scene(number, spec, sentences, [True] * len(sentences)))
    if not scenes:
        return scenes
    hook = split_sentences(str(script.get("hook", "")), lang)
    first, last = scenes[0], scenes[-1]
    if _matches(hook, first.sentences[: len(hook)]):
        first.lead = len(hook)
    cta = split_sentences(str(script.get("call_to_action", "")), lang)
    start = len(last.sentences) - len(cta)
    # In a one-scene script the call to action follows the hook; it never overlaps it.
    if start >= (last.lead if last is first else 0) and _matches(cta, last.sentences[start:]):
        last.trail = len(cta)
    return scenes


def _sentence_cuts(
    scenes: list[_Scene],
    allowed: Callable[[int, _Scene], bool],
    *,
    protected: bool = False,
    keep_own: bool = True,
) -> Iterator[_Cut]:
    """Sentences that may go: of scenes `allowed`, from scenes that keep another sentence (with `keep_own`,
    another of their own, besides the hook or the call to action); the hook's and the call to action's
    only when `protected`."""
    for position, scene in enumerate(scenes):
        kept = scene.kept_at()
        own = [index for index in kept if not scene.protected(index)]
        if len(kept) <= 1 or not allowed(position, scene):
            continue
        for index in kept:
            if scene.protected(index) != protected or (keep_own and not protected and len(own) <= 1):
                continue
            sentence = scene.sentences[index]
            # The least informative goes first; on a tie the longer one, then the later one.
            key = (informativeness(sentence), -count_words(sentence), -position, -index)
            yield key, scene, index


def _scene_cuts(scenes: list[_Scene], ends: bool = False) -> Iterator[_Cut]:
    """Whole scenes that may go: the middle ones, or with `ends` the first and last (the last first)."""
    count = len(scenes)
    if count <= 1:
        return
    if ends:
        # The call to action's scene goes before the hook's: a video can end abruptly, not start so.
        for position in (count - 1, 0):
            scene = scenes[position]
            yield (float(position == 0), informativeness(scene.narration())), scene, None
        return
    for position in range(1, count - 1):
        # The least informative goes first; on a tie the later one.
        scene = scenes[position]
        yield (informativeness(scene.narration()), -float(position)), scene, None


def _next_cut(scenes: list[_Scene], max_words: int, min_scenes: int) -> _Cut | None:
    """The next sentence or scene to drop, by the rules `fit_script` states, or None when none can go."""
    budgets = scene_budgets(max_words, len(scenes))
    steps: list[Callable[[], Iterator[_Cut]]] = [
        lambda: _sentence_cuts(scenes, lambda position, scene: scene.words() > budgets[position]),
        lambda: _scene_cuts(scenes) if len(scenes) > min_scenes else iter(()),
        lambda: _sentence_cuts(scenes, lambda position, scene: True),
        # The opening scene may keep only its hook, the closing one only its call to action.
        lambda: _sentence_cuts(scenes, lambda position, scene: True, keep_own=False),
        lambda: _scene_cuts(scenes),
        lambda: _sentence_cuts(scenes, lambda position, scene: True, protected=True),
        lambda: _scene_cuts(scenes, ends=True),
    ]
    for step in steps:
        cuts = list(step())
        if cuts:
            return min(cuts, key=lambda cut: cut[0])
    return None


def _restore(scenes: list[_Scene], fits: Callable[[], bool]) -> None:
    """Bring dropped sentences back, the most informative first, wherever the budget still has room."""
    dropped = [(scene, index) for scene in scenes for index, keep in enumerate(scene.kept) if not keep]
    dropped.sort(key=lambda item: -informativeness(item[0].sentences[item[1]]))
    for scene, index in dropped:
        scene.kept[index] = True
        if not fits():
            scene.kept[index] = False


def _to_script(script: Script, scenes: list[_Scene]) -> Script:
    alive = [scene for scene in scenes if scene.alive]
    specs: list[SceneSpec] = [
        {**scene.spec, "index": position, "narration": scene.narration()}
        for position, scene in enumerate(alive, start=1)
    ]
    # A citation goes when every scene that used its source went; one no scene named stays.
    before = {source for scene in scenes for source in scene.spec.get("sources", [])}
    after = {source for scene in alive for source in scene.spec.get("sources", [])}
    citations: list[Citation] = [
        citation
        for citation in script.get("citations", [])
        if citation.get("source") in after or citation.get("source") not in before
    ]
    fitted: Script = {**script, "scenes": specs, "citations": citations}
    if alive:
        first, last = alive[0], alive[-1]
        if not (first is scenes[0] and all(first.kept[: first.lead])):
            fitted["hook"] = _first_sentence(first)
        if not (last is scenes[-1] and all(last.kept[len(last.sentences) - last.trail :])):
            fitted["call_to_action"] = _last_sentence(last)
    return fitted


def _first_sentence(scene: _Scene) -> str:
    kept = scene.kept_at()
    return scene.sentences[kept[0]] if kept else ""


def _last_sentence(scene: _Scene) -> str:
    kept = scene.kept_at()
    return scene.sentences[kept[-1]] if kept else ""
