"""The offline tier's script writer: templates and rules over the acquired facts; it never invents facts."""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import PurePosixPath
from urllib.parse import urlsplit

from state import Citation, Fact, SceneSpec, Script
from tools.errors import BadInput
from tools.text.headlines import cap_first, headline_options, informativeness, topic_tags, unique_headline
from tools.text.outline_phrases import (
    BRIEF_HOOK,
    CTAS,
    FACT_HOOKS,
    FACT_TITLES,
    FRAMING,
    GUIDANCE_ORDER,
    GUIDANCE_PRIORITY,
    HISTORY,
    OUTLINE_BY_COUNT,
    OUTLINE_HOOKS,
    OUTLINE_TITLES,
    SLOTS,
    TINY_CTA,
    TINY_HOOKS,
    Slot,
)
from tools.text.quality import (
    count_words,
    normalise_text,
    planned_scene_count,
    problem_code,
    scene_budgets,
    word_limits,
)
from tools.text.script_revision import revise_script
from tools.text.topic_phrasing import clean_topic, fill_in, pick, pick_title, subject_of

__all__ = ["WRITER", "revise_script", "write_script"]

WRITER = "offline-template"
# Narration fills this share of the voice's capacity; the rest is pauses between sentences and scenes.
TARGET_FILL = 0.85
# After a "too_many_words" verdict the writer aims lower, so the next attempt passes with room to spare.
REVISED_FILL = 0.75
MAX_TOPIC_CHARS = 500


def write_script(
    topic: str,
    facts: list[Fact],
    duration_s: int,
    words_per_second: float,
    feedback: list[str] | None = None,
    *,
    source_titles: Mapping[str, str] | None = None,
) -> Script:
    """Write a script from facts (quoted verbatim) or, with none, an honest outline of questions.

    It aims at TARGET_FILL of what the voice can say; each scene grows only within its own budget
    (`scene_budgets` of the gate's maximum), the one a model is given too.
    """
    _, max_words = word_limits(duration_s, words_per_second)
    if not topic or not topic.strip():
        raise BadInput("the topic is empty; give a topic such as 'the history of coffee'")
    clean = clean_topic(topic[:MAX_TOPIC_CHARS])
    subject = subject_of(clean)
    key = normalise_text(clean) or clean
    fill = (
        REVISED_FILL if feedback and "too_many_words" in {problem_code(p) for p in feedback} else TARGET_FILL
    )
    target = duration_s * words_per_second * fill
    count = planned_scene_count(duration_s)
    budgets = scene_budgets(max_words, count)
    cap = _sentence_cap(target, count)

    usable = _usable_facts(facts)
    script = None
    if usable:
        script = _fact_script(key, clean, subject, usable, budgets, cap, target, source_titles or {})
    if script is None:
        script = _outline_script(key, clean, subject, budgets, cap, target, bool(usable), duration_s)
    if feedback:
        script = revise_script(script, feedback, duration_s, words_per_second)
    return script


def _sentence_cap(target: float, count: int) -> int:
    """Sentences per scene: 3, unless a long video needs more to fill its minutes with only 8 scenes."""
    return max(3, math.ceil(target / count / 20))


def _usable_facts(facts: Sequence[Fact]) -> list[Fact]:
    """Facts with text, whitespace tidied, each ending as a sentence, without exact repeats."""
    usable: list[Fact] = []
    seen: set[str] = set()
    for fact in facts:
        text = " ".join(str(fact.get("text", "")).split())
        key = normalise_text(text)
        if not key or key in seen:
            continue
        seen.add(key)
        if text[-1] not in ".!?\"'\u201d\u2019)":
            text += "."
        usable.append({"text": text, "source": str(fact.get("source", "")).strip()})
    return usable


def _advance(stages: list[list[list[str]]], target: float, budgets: list[int]) -> list[list[str]]:
    """Grow the shortest scene that can still grow, one stage at a time, while the script fits the target:
    within each scene's own budget first, and past it only when no scene can grow within its own."""
    level = [0] * len(stages)
    words = [sum(count_words(s) for s in scene[0]) for scene in stages]
    total = sum(words)
    while True:
        # Shortest first keeps scenes balanced: none gets a third line while another has only its tiny one.
        order = sorted(range(len(stages)), key=lambda i: (words[i], i))
        # A stage is a whole sentence or more, so a scene's budget can leave room no scene can use.
        growths = [
            (position, new_words)
            for position in order
            if level[position] + 1 < len(stages[position])
            and total - words[position] + (new_words := _stage_words(stages, position, level[position] + 1))
            <= target
        ]
        if not growths:
            return [scene[level[position]] for position, scene in enumerate(stages)]
        # Within its budget the shortest scene grows; past them all, the one that overshoots its budget least.
        within = [growth for growth in growths if growth[1] <= budgets[growth[0]]]
        position, new_words = (
            within[0] if within else min(growths, key=lambda g: (g[1] - budgets[g[0]], g[0]))
        )
        total += new_words - words[position]
        words[position] = new_words
        level[position] += 1


def _stage_words(stages: list[list[list[str]]], position: int, level: int) -> int:
    return sum(count_words(s) for s in stages[position][level])


def _shrink_base(stages: list[list[list[str]]], max_words: int) -> list[list[list[str]]]:
    """When even the shortest script is too long (a long topic in 10 s), open with a two-word hook."""
    base = sum(count_words(sentence) for scene in stages for sentence in scene[0])
    if stages and stages[0] and base > max_words:
        stages[0][0] = [BRIEF_HOOK, *stages[0][0][1:]]
    return stages


def _ladder(
    core: list[list[str]],
    hook: tuple[str, str] | None,
    cta: tuple[str, str] | None,
    cap: int,
) -> list[list[str]]:
    """A scene's stages, smallest first: the hook and call to action grow before the scene's own lines."""
    pres = [[hook[0]], [hook[1]]] if hook else [[]]
    posts = [[cta[0]], [cta[1]]] if cta else [[]]
    steps: list[tuple[int, int, int]] = [(0, 0, 0)]
    if len(pres) > 1:
        steps.append((1, 0, 0))
    if len(posts) > 1:
        steps.append((len(pres) - 1, 1, 0))
    for level in range(1, len(core)):
        steps.append((len(pres) - 1, len(posts) - 1, level))
    stages: list[list[str]] = []
    for pre, post, level in steps:
        stage = pres[pre] + core[level] + posts[post]
        if stages and len(stage) > cap:
            break
        if not stages or stage != stages[-1]:
            stages.append(stage)
    return stages


def _rotated(options: Sequence[str], key: str, slot: str) -> list[str]:
    """All options, starting at the one the topic's hash picks."""
    shift = int.from_bytes(hashlib.sha256(f"{key}\x00{slot}".encode()).digest()[:4], "big") % len(options)
    return list(options[shift:]) + list(options[:shift])


def _slot_core(
    slot: Slot,
    key: str,
    name: str,
    subject: str,
    cap: int,
    tiny: bool = True,
    openings: set[str] | None = None,
) -> list[list[str]]:
    """Stages of one outline scene's own lines: its tiny line, then its opener, then follow-ups."""
    openers = _rotated(slot.openers, key, name + ":open")
    if openings is not None:
        # Scenes in a row should not all start "Next, ...": prefer an opener whose first word is still unused.
        openers.sort(key=lambda line: line.split(" ", 1)[0] in openings)
        openings.add(openers[0].split(" ", 1)[0])
    opener = fill_in(openers[0], subject)
    # Rotate the follow-ups by the topic hash so two topics do not share their second and third lines.
    more = _rotated(slot.more, key, name + ":more") if slot.more else []
    core: list[list[str]] = [[pick(slot.tiny, key, name + ":tiny")]] if tiny and slot.tiny else [[]]
    lines = [opener]
    core.append(list(lines))
    for line in more[: max(0, cap + 2)]:
        lines.append(line)
        core.append(list(lines))
    return core


def _outline_script(
    key: str,
    clean: str,
    subject: str,
    budgets: list[int],
    cap: int,
    target: float,
    facts_skipped: bool,
    duration_s: int,
) -> Script:
    """A topic-only script: questions and guidance about the topic, with no asserted facts."""
    count, max_words = len(budgets), sum(budgets)
    hook = (
        fill_in(pick(TINY_HOOKS, key, "tiny-hook"), subject),
        fill_in(pick(OUTLINE_HOOKS, key, "hook"), subject),
    )
    cta = (TINY_CTA, pick(CTAS, key, "cta"))
    names = OUTLINE_BY_COUNT[count]
    if HISTORY.match(subject):
        # "How it works" means little for a history; its turning points are the mechanics.
        names = tuple("turning" if name == "how" else name for name in names)
    stages: list[list[list[str]]] = []
    openings: set[str] = set()
    for position, name in enumerate(names):
        slot = SLOTS[name]
        core: list[list[str]]
        if name == "what":
            core = [[]] + [
                [pick(FRAMING, key, "framing")] + lines
                for lines in _slot_core(slot, key, name, subject, cap, False, openings)
            ]
        else:
            core = _slot_core(slot, key, name, subject, cap, openings=openings)
        first, last = position == 0, position == count - 1
        stages.append(_ladder(core, hook if first else None, cta if last else None, cap))
    chosen = _advance(_shrink_base(stages, max_words), target, budgets)

    title = pick_title(key, clean, subject, OUTLINE_TITLES)
    used: set[str] = set()
    scenes: list[SceneSpec] = []
    for position, (name, sentences) in enumerate(zip(names, chosen, strict=True), start=1):
        slot = SLOTS[name]
        options = list(slot.headlines)
        if name == "what":
            options = [cap_first(subject)] + options
        headline = unique_headline(options, used, position)
        scenes.append(
            {
                "index": position,
                "narration": " ".join(sentences),
                "on_screen_text": headline,
                "visual": f"Title card: {headline} \u2014 {slot.visual}",
                "sources": [],
            }
        )
    description = (
        f"{title}. An offline outline without sourced facts: it suggests questions to explore about "
        f"{subject} rather than stating facts."
    )
    # The description is public: what to do about an outline is told to the operator, in the run's warnings.
    if facts_skipped:
        description += f" The sourced facts were too long to fit {duration_s} seconds."
    return {
        "title": title,
        "hook": chosen[0][0],
        "scenes": scenes,
        "call_to_action": chosen[-1][-1],
        "description": description,
        "tags": topic_tags(subject, []),
        "citations": [],
        "writer": WRITER,
    }


def _select_facts(facts: list[Fact], budget: float, max_count: int) -> list[int]:
    """The most informative facts that fit the word budget, returned in document order."""
    ranked = sorted(range(len(facts)), key=lambda i: (-informativeness(facts[i]["text"]), i))
    chosen: list[int] = []
    total = 0
    for position in ranked:
        if len(chosen) >= max_count:
            break
        words = count_words(facts[position]["text"])
        if total + words <= budget:
            chosen.append(position)
            total += words
    return sorted(chosen)


def _partition(facts: list[Fact], groups: int, cap: int) -> list[list[Fact]]:
    """Split facts, in order, into contiguous groups of even length that rarely mix sources."""
    size = len(facts)
    words = [count_words(fact["text"]) for fact in facts]
    average = sum(words) / groups

    def group_cost(start: int, end: int) -> float:
        span = words[start:end]
        sources = {fact["source"] for fact in facts[start:end]}
        return (sum(span) - average) ** 2 + (len(sources) - 1) * average**2 * 0.5

    def limit(group: int) -> int:
        # The hook and the call to action take a sentence in the first and last scenes.
        return max(1, cap - 1) if group in (0, groups - 1) else cap

    infinity = float("inf")
    best = [[infinity] * (groups + 1) for _ in range(size + 1)]
    back = [[0] * (groups + 1) for _ in range(size + 1)]
    best[0][0] = 0.0
    for group in range(1, groups + 1):
        for end in range(1, size + 1):
            for start in range(max(0, end - limit(group - 1)), end):
                if best[start][group - 1] == infinity:
                    continue
                cost = best[start][group - 1] + group_cost(start, end)
                if cost < best[end][group]:
                    best[end][group] = cost
                    back[end][group] = start
    if best[size][groups] == infinity:
        # More facts than the scenes can hold: even slices, as a last resort.
        step = math.ceil(size / groups)
        return [facts[i : i + step] for i in range(0, size, step)]
    parts: list[list[Fact]] = []
    end = size
    for group in range(groups, 0, -1):
        start = back[end][group]
        parts.append(facts[start:end])
        end = start
    return parts[::-1]


def _fact_script(
    key: str,
    clean: str,
    subject: str,
    facts: list[Fact],
    budgets: list[int],
    cap: int,
    target: float,
    source_titles: Mapping[str, str],
) -> Script | None:
    """A script whose scenes quote the facts verbatim; None when no fact fits the duration."""
    count, max_words = len(budgets), sum(budgets)
    hook = (
        fill_in(pick(TINY_HOOKS, key, "tiny-hook"), subject),
        fill_in(pick(FACT_HOOKS, key, "hook"), subject),
    )
    cta = (TINY_CTA, pick(CTAS, key, "cta"))
    overhead = count_words(hook[1]) + count_words(cta[1])
    max_count = count * cap - 2
    chosen: list[int] = []
    for guidance in range(count + 1):
        # Each guidance scene needs a few words of its own, so the facts' budget shrinks as they are added.
        budget = min(target, max_words) - overhead - guidance * 4
        chosen = _select_facts(facts, budget, max_count)
        if len(chosen) + guidance >= count:
            break
    if not chosen:
        return None
    picked = [facts[i] for i in chosen]
    fact_scenes = min(len(picked), count)
    groups = _partition(picked, fact_scenes, cap) if len(picked) > fact_scenes else [[f] for f in picked]
    guidance_names = _guidance_names(count - len(groups))

    plans: list[tuple[str, list[Fact]]] = [("facts", group) for group in groups]
    plans += [(name, []) for name in guidance_names]
    stages: list[list[list[str]]] = []
    openings: set[str] = set()
    for position, (name, group) in enumerate(plans):
        core = (
            [[fact["text"] for fact in group]]
            if group
            else _slot_core(SLOTS[name], key, name, subject, cap, openings=openings)
        )
        first, last = position == 0, position == len(plans) - 1
        stages.append(_ladder(core, hook if first else None, cta if last else None, cap))
    chosen_lines = _advance(_shrink_base(stages, max_words), target, budgets)

    title = pick_title(key, clean, subject, FACT_TITLES)
    used: set[str] = set()
    scenes: list[SceneSpec] = []
    for position, ((name, group), sentences) in enumerate(zip(plans, chosen_lines, strict=True), start=1):
        sources = list(dict.fromkeys(fact["source"] for fact in group if fact["source"]))
        if group:
            texts = [fact["text"] for fact in group]
            options = [option for text in texts for option in headline_options(text)]
            headline = unique_headline(options, used, position)
            visual = f"Data card: {headline}" if re.search(r"\d", headline) else f"Title card: {headline}"
        else:
            slot = SLOTS[name]
            headline = unique_headline(list(slot.headlines), used, position)
            visual = f"Title card: {headline} \u2014 {slot.visual}"
        scenes.append(
            {
                "index": position,
                "narration": " ".join(sentences),
                "on_screen_text": headline,
                "visual": visual,
                "sources": sources,
            }
        )

    cited = list(dict.fromkeys(source for scene in scenes for source in scene["sources"]))
    citations: list[Citation] = [
        {"source": source, "title": source_titles.get(source) or _source_name(source)} for source in cited
    ]
    names = ", ".join(_cited(citation) for citation in citations[:10])
    more = f" and {len(citations) - 10} more" if len(citations) > 10 else ""
    description = (
        f"{title}. A short explainer on {subject} built from {len(picked)} sourced facts. Every statement in "
        f"the narration is quoted word for word from the sources. Sources: {names}{more}."
    )
    return {
        "title": title,
        "hook": chosen_lines[0][0],
        "scenes": scenes,
        "call_to_action": chosen_lines[-1][-1],
        "description": description,
        "tags": topic_tags(subject, [fact["text"] for fact in picked]),
        "citations": citations,
        "writer": WRITER,
    }


def _guidance_names(needed: int) -> list[str]:
    if needed <= 0:
        return []
    chosen = set(GUIDANCE_PRIORITY[: needed - 1]) | {"check"}
    return [name for name in GUIDANCE_ORDER if name in chosen]


def _cited(citation: Citation) -> str:
    """A citation as the public description names it: a web page with its address, so readers can go."""
    title, source = citation["title"], citation["source"]
    return f"{title} ({source})" if "://" in source and title != source else title


def _source_name(source: str) -> str:
    """A readable name for a source: a file's name, or a URL's host and last path part."""
    if "://" in source:
        parts = urlsplit(source)
        tail = PurePosixPath(parts.path).name
        return f"{parts.netloc}/{tail}" if tail else parts.netloc or source
    return PurePosixPath(source.replace("\\", "/")).name or source
