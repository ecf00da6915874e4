"""The offline tier's script writer: templates and rules over the acquired facts; it never invents facts."""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import PurePosixPath
from typing import NamedTuple
from urllib.parse import urlsplit

from state import Citation, Fact, SceneSpec, Script
from tools.errors import BadInput
from tools.text.quality import count_words, normalise_text, problem_code, split_sentences, word_limits

WRITER = "offline-template"
# Narration fills this share of the voice's capacity; the rest is pauses between sentences and scenes.
TARGET_FILL = 0.85
# After a "too_many_words" verdict the writer aims lower, so the next attempt passes with room to spare.
REVISED_FILL = 0.75
MAX_TOPIC_CHARS = 500
MAX_TITLE_CHARS = 70
MAX_HEADLINE_WORDS = 6
MAX_HEADLINE_CHARS = 40
MIN_SCENES = 5
MAX_SCENES = 8


class _Slot(NamedTuple):
    """One kind of outline scene: its headlines, picture, shortest line, opening lines and follow-ups."""

    headlines: tuple[str, ...]
    visual: str
    tiny: tuple[str, ...]
    openers: tuple[str, ...]
    more: tuple[str, ...]


# Outline scenes give guidance and ask questions; none of them may assert a fact, a number, a date or a name.
_SLOTS: dict[str, _Slot] = {
    "what": _Slot(
        ("What it is", "Start with a definition", "The basics first"),
        "a simple labelled diagram",
        (),
        (
            "Start with the basics: what exactly is {c}, and how would you define it in one plain sentence?",
            "First, pin down what {c} actually means, in words a friend would understand.",
            "Begin with a plain definition: what is {c}, and what is it not?",
        ),
        (
            "A good definition says what something is, what it is made of, and what sets it apart.",
            "If two sources define it differently, note both and look for exactly where they disagree.",
            "Write your definition down now, so that you can see later how your understanding changed.",
            "Listing the key terms people use around it helps, because vocabulary shows how experts think.",
            "Try to name one example that clearly fits your definition and one that clearly does not.",
            "Notice whether the word means something different to specialists than in everyday speech.",
            "A definition you can say in one breath is a good test of whether you really understand it.",
        ),
    ),
    "origins": _Slot(
        ("Where it comes from", "Trace the origins", "Follow it back in time"),
        "an old map with a timeline",
        ("Trace its origins.", "Ask where it began.", "Look at its roots."),
        (
            "Next, ask where {c} comes from, and who first described it.",
            "Then trace the origins: where did it begin, and how do we know?",
            "Next, follow it back to the start and ask what the earliest records actually say.",
        ),
        (
            "Origin stories get retold and polished, so look for the earliest records, not the popular ones.",
            "Separate what is documented from what is legend, and keep the two apart in your notes.",
            "A simple timeline helps: put the key moments in order and see what changed between them.",
            "When an origin story is tidy and dramatic, treat it as a lead to check, not a settled answer.",
            "Ask who told the story first, and what reasons they might have had to tell it that way.",
            "Details in popular retellings often drift over time, so check them against older accounts.",
            "Sometimes the honest answer is that nobody knows exactly how it began, and that is fine.",
        ),
    ),
    "how": _Slot(
        ("How it works", "Look at the mechanics", "Break it into parts"),
        "gears and arrows showing the steps",
        ("See how it works.", "Ask how it works.", "Break it into parts."),
        (
            "Then look at how it works: break it into parts and follow how they fit together.",
            "Now ask how it works, step by step, from the beginning to the end.",
            "Next, take it apart: what are the pieces, and how do they connect?",
        ),
        (
            "Try explaining the process out loud; the step you cannot explain is the one to read about next.",
            "Sketches, maps and simple diagrams often show the moving parts more clearly than paragraphs do.",
            "Compare it with something familiar, but also notice where that comparison stops working.",
            "Look for the conditions it depends on, and ask what would happen if one of them changed.",
            "Experts often explain the same process in different ways, and comparing them is revealing.",
            "Ask which step matters most, and what fails first when something goes wrong.",
            "If you can, watch it happen or try a small version yourself; seeing it often beats reading.",
        ),
    ),
    "turning": _Slot(
        ("Turning points", "The moments that changed it", "Key turning points"),
        "a timeline with a few highlighted moments",
        ("Find the turning points.", "Mark the turning points.", "Look for turning points."),
        (
            "Then look for the turning points: which moments changed the direction of the story?",
            "Next, mark the turning points, and ask what changed before and after each one.",
            "Then find the moments where things shifted, and ask what caused each shift.",
        ),
        (
            "Ask which changes were sudden and which happened slowly over long stretches of time.",
            "Look at the people, places and ideas involved at each turning point.",
            "Notice which turning points are well recorded and which are pieced together from scraps.",
            "It helps to ask what ordinary people experienced, not only what leaders decided.",
            "Compare how different places lived through the same change; the story rarely runs the same.",
            "For each turning point, ask what would have happened if it had gone the other way.",
            "Look for the quiet changes too, such as new tools, habits or rules that spread without notice.",
        ),
    ),
    "why": _Slot(
        ("Why it matters", "Who it affects", "What is at stake"),
        "simple icons of the people it touches",
        ("Ask why it matters.", "Ask who it affects.", "Weigh what is at stake."),
        (
            "Ask why it matters: who does it affect, and what changes because of it?",
            "Then ask what is at stake, and for whom.",
            "Ask why anyone should care, and look at who it touches and how.",
        ),
        (
            "Look at it from several sides: the people involved, the costs, and the everyday effects.",
            "Ask what would be different if it had never existed, and whether that answer holds up.",
            "Notice who benefits and who bears the costs, because the two groups are not always the same.",
            "Local and personal angles matter as much as the big picture, so look for both.",
            "It helps to ask how it shows up in ordinary life, not only in headlines.",
            "Think about how it might matter differently in the future than it does today.",
            "Ask who gets to decide about it, and who is left out of those decisions.",
        ),
    ),
    "myths": _Slot(
        ("Common misconceptions", "Myths to watch for", "Check the popular claims"),
        "a checklist with a large question mark",
        ("Watch for myths.", "Check popular claims.", "Question easy answers."),
        (
            "Watch for common misconceptions: a claim that sounds too neat deserves a second source.",
            "Be careful with popular claims; the most repeated ones are not always the best supported.",
            "Every popular topic collects myths, so check the claims you hear most often.",
        ),
        (
            "A quick test is to ask where a claim comes from and whether anyone who would know confirmed it.",
            "Be wary of suspiciously round numbers, perfect quotes, and stories with a single hero.",
            "If a claim appears everywhere but no one cites a source, treat it as unconfirmed.",
            "Misconceptions often start as useful simplifications that got repeated without their caveats.",
            "When you find a myth, ask why it spread, because that is often a story in itself.",
            "Popular images and films often shape what people believe, so compare them with careful sources.",
            "Changing your mind when the evidence is good is a strength, not a weakness.",
        ),
    ),
    "open": _Slot(
        ("Open questions", "Where experts disagree", "What is still debated"),
        "two speech bubbles facing each other",
        ("Note the open questions.", "See what is debated.", "Find the disagreements."),
        (
            "Look for the open questions: where do people who study {s} still disagree?",
            "Ask what is still debated, and what kind of evidence would settle it.",
            "Next, find the disagreements, because they show where knowledge is still moving.",
        ),
        (
            "Disagreement is useful, because it shows where the evidence is thin and where it is strong.",
            "Read at least one view you expect to disagree with, and note its best argument.",
            "Check how old your sources are, since understanding can change as new evidence appears.",
            "Be honest about what remains uncertain instead of filling the gaps with guesses.",
            "Notice whether people disagree about the facts themselves or about what those facts mean.",
            "Some questions stay open because they are hard to measure, not because nobody has tried.",
            "Following a live debate for a while teaches more than reading a single summary of it.",
        ),
    ),
    "learn": _Slot(
        ("Where to learn more", "Find good sources", "Keep exploring"),
        "books and a magnifying glass",
        ("Check good sources.", "Find trusted sources.", "Keep exploring."),
        (
            "To learn more, look for primary sources, a good library, or an expert you trust.",
            "For the full picture, start with a well-sourced reference and work outward from there.",
            "To go deeper, find a reliable overview first, then follow its references.",
        ),
        (
            "Museums, archives, public libraries and university courses are good places to start.",
            "Prefer sources that show their evidence and explain how they know what they claim.",
            "Reading two or three sources side by side quickly shows what is settled and what is not.",
            "Keep a short list of questions as you read, and cross them off as you find good answers.",
            "Librarians are underrated guides, and they can point you to material you would not find alone.",
            "Documentaries and podcasts can be great starting points, as long as you check what they cite.",
            "Try explaining what you learned to someone else, because teaching quickly shows the gaps.",
        ),
    ),
    "recap": _Slot(
        ("The short version", "Quick recap", "Your checklist"),
        "a short checklist with ticks",
        ("Define, trace, check.", "Keep asking why.", "Question, then check."),
        (
            "In short: define it, trace where it came from, see how it works, and check the claims.",
            "To recap, start with a clear definition, follow the history, and test what you hear.",
            "So the short version is this: know what it is, where it came from, and question easy answers.",
        ),
        (
            "This outline gives you the questions; good sources will give you the answers.",
            "Come back to your first definition at the end and see what you would change.",
            "The best understanding usually comes from a few sources read carefully, not many read quickly.",
            "Keep the questions, because they work for almost any topic you want to understand.",
            "Curiosity plus a little checking goes a long way.",
        ),
    ),
    "check": _Slot(
        ("Check the sources", "Sources in the description", "See the sources"),
        "a stack of documents with a magnifying glass",
        ("Sources are below.", "Check the sources.", "See the sources."),
        (
            "Every statement here is quoted from the sources listed in the description.",
            "All of these facts come from the sources in the description, so you can check them.",
            "The sources for each fact are listed in the description.",
        ),
        (
            "Reading them in full gives context that a short video has to leave out.",
            "If a detail surprises you, follow it back to the source and read the passage around it.",
        ),
    ),
}
# Which outline scenes a topic-only script uses, by scene count; order is the order they are told in.
_OUTLINE_ORDER = ("what", "origins", "how", "why", "myths", "open", "learn", "recap")
_OUTLINE_BY_COUNT = {
    5: ("what", "origins", "how", "why", "learn"),
    6: ("what", "origins", "how", "why", "myths", "learn"),
    7: ("what", "origins", "how", "why", "myths", "open", "learn"),
    8: _OUTLINE_ORDER,
}
# Guidance scenes that pad a fact-based script, most useful first; "check" always closes.
_GUIDANCE_PRIORITY = ("why", "open", "learn", "myths", "how", "origins")
_GUIDANCE_ORDER = ("origins", "how", "why", "myths", "open", "learn", "check")

_FRAMING = (
    "This is a map of good questions, not a list of facts.",
    "Think of this as an outline of questions rather than a list of answers.",
    "What follows is a set of questions to explore, not a list of facts.",
)
_OUTLINE_HOOKS = (
    "What do you actually know about {s}?",
    "Here is a simple way to start thinking about {s}.",
    "Where would you even begin with {s}?",
    "Let's map out {s}, one question at a time.",
)
_FACT_HOOKS = (
    "Here is what the sources say about {s}.",
    "What do the records actually tell us about {s}?",
    "Let's look at {s}, one fact at a time.",
    "Here are a few documented facts about {s}.",
)
_TINY_HOOKS = ("{S}, in brief.", "{S}, briefly.")
_CTAS = (
    "Follow for more short explainers.",
    "Follow for more explainers like this one.",
    "Follow along for more short explainers.",
)
_TINY_CTA = "Follow for more."
_BRIEF_HOOK = "In brief."
_OUTLINE_TITLES = ("{T}: what to know", "{T}, explained", "A quick guide to {t}", "{T}: where to start")
_FACT_TITLES = ("{T}: the key facts", "{T}, in brief", "{T}: what the sources say", "{T}")

# Sentences that add no claim at all, used when a revised script must grow; each scene draws a different one.
_FILLERS = (
    ("Worth checking", "Pause here and ask what evidence supports this."),
    ("Check a second source", "It is worth comparing this with a second source."),
    ("Documented or debated?", "Notice which parts are well documented and which are still debated."),
    ("Connect the dots", "Ask yourself how this connects to what came before."),
    ("Easy to misremember", "Details like these are easy to misremember, so check them yourself."),
    ("Go deeper", "The sources listed in the description go into more depth."),
    ("Who it touched", "Think about who this affected and how."),
    ("Keep asking", "Keep asking how we know what we know about this."),
)

_FUNCTION_WORDS = frozenset(
    "a an the how why what when where who which whose is are was were do does did can could should would "
    "will in on of at to for from by with about into over under this that these those my your our "
    "their".split()
)
_STOPWORDS = _FUNCTION_WORDS | frozenset(
    "and or but not no as be been being has have had it its it's he she they them his her than then there so "
    "if also very more most many much some any each other such only just into out up down one two first new "
    "per about after before during while according says said like".split()
)
_VERBISH = frozenset(
    "is are was were be been being has have had can could will would may might must shall should do does "
    "did says said became become becomes began begins remains remained makes made produces produced "
    "contains contained includes included uses used helps helped grew grows spread spreads took takes came "
    "comes went goes brought brings opened opens reached reaches that which who whose where when while "
    "because although and or but".split()
)
_NUMBER = re.compile(
    r"(?<![\w.,])[$\u20ac\u00a3]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:st|nd|rd|th|s)?"
    r"(?:\s?%|\s(?:percent|per cent))?(?!\w)"
)
_JOINERS = frozenset({"of", "de", "da", "del", "von", "van"})
_DOTTED = re.compile(r"(?:[A-Za-z]\.){2,}")
_HONORIFICS = frozenset(
    {"dr", "mr", "mrs", "ms", "prof", "st", "mt", "sr", "jr", "gen", "col", "capt", "lt", "rev"}
)
_YEAR = re.compile(r"(1\d{3}|20\d{2})s?")
_UNITS_AFTER_NUMBER = 4


def write_script(
    topic: str,
    facts: list[Fact],
    duration_s: int,
    words_per_second: float,
    feedback: list[str] | None = None,
    *,
    source_titles: Mapping[str, str] | None = None,
) -> Script:
    """Write a script from facts (quoted verbatim) or, with none, an honest outline of questions."""
    _, max_words = word_limits(duration_s, words_per_second)
    if not topic or not topic.strip():
        raise BadInput("the topic is empty; give a topic such as 'the history of coffee'")
    clean = _clean_topic(topic[:MAX_TOPIC_CHARS])
    subject = _subject(clean)
    key = normalise_text(clean) or clean
    fill = (
        REVISED_FILL if feedback and "too_many_words" in {problem_code(p) for p in feedback} else TARGET_FILL
    )
    target = duration_s * words_per_second * fill
    count = _scene_count(duration_s)
    cap = _sentence_cap(target, count)

    usable = _usable_facts(facts)
    script = None
    if usable:
        script = _fact_script(key, clean, subject, usable, count, cap, target, max_words, source_titles or {})
    if script is None:
        script = _outline_script(key, clean, subject, count, cap, target, max_words, bool(usable), duration_s)
    if feedback:
        script = revise_script(script, feedback, duration_s, words_per_second)
    return script


def _pick(options: Sequence[str], key: str, slot: str) -> str:
    """Choose a phrasing by a stable hash of the topic, so each topic reads the same every time."""
    digest = hashlib.sha256(f"{key}\x00{slot}".encode()).digest()
    return options[int.from_bytes(digest[:4], "big") % len(options)]


def _clean_topic(topic: str) -> str:
    """Drop emoji, control characters and markup; keep letters of any script, digits and punctuation."""
    kept: list[str] = []
    for char in unicodedata.normalize("NFC", topic):
        category = unicodedata.category(char)
        # Emoji, their variation selectors and joiners, and markup symbols have no spoken or printable form.
        if category in ("So", "Sk", "Cs", "Co", "Cn", "Cc", "Cf") or "\ufe00" <= char <= "\ufe0f":
            kept.append(" ")
        elif char in "*_`<>[]{}|\\~^" or char == "\u20e3":
            kept.append(" ")
        else:
            kept.append(char)
    # A hashtag loses its '#', but "C#" keeps it.
    text = re.sub(r"(^|\s)#+(?=\w)", r"\1", "".join(kept))
    text = " ".join(text.replace(" #", " ").split())
    return text.strip(" .,;:!?-\u2013\u2014\"'\u201c\u201d\u2018\u2019")


def _subject(clean: str) -> str:
    """A short subject for use inside sentences: the topic's first clause, at most eight words."""
    if not clean:
        return "this topic"
    # A topic of several sentences ("Why do cats purr? Nobody agrees.") is about its first one.
    subject = split_sentences(clean)[0] if clean else clean
    if count_words(subject) > 8 or len(subject) > 60:
        for mark in (":", " - ", " \u2013 ", " \u2014 ", ";", "(", ","):
            head = subject.split(mark, 1)[0].strip()
            if 2 <= count_words(head) <= 8 and len(head) <= 60:
                subject = head
                break
        else:
            words = subject.split()[:8]
            while words and words[-1].lower() in _STOPWORDS:
                words.pop()
            subject = " ".join(words) or subject.split()[0]
    subject = subject.strip(" .,;:!?-\u2013\u2014\"'")
    first, _, rest = subject.partition(" ")
    # "The History of Coffee" reads "the History of Coffee" mid-sentence, and sentence-case "Black holes"
    # reads "black holes"; a lone name ("Rome") or a capitalised phrase ("Ancient Rome") keeps its capitals.
    sentence_case = bool(rest) and not any(word[:1].isupper() for word in rest.split())
    if first[:1].isupper() and not first.isupper() and (first.lower() in _FUNCTION_WORDS or sentence_case):
        subject = (first.lower() + " " + rest).strip()
    return subject or "this topic"


def _cap_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _short_title(clean: str, subject: str) -> str:
    """The topic as a title of at most 70 characters, cut at a clause or word boundary."""
    title = _cap_first(clean or subject)
    if len(title) <= MAX_TITLE_CHARS:
        return title
    head = _cap_first(subject)
    if len(head) <= MAX_TITLE_CHARS:
        return head
    cut = title[: MAX_TITLE_CHARS - 1].rsplit(" ", 1)[0].rstrip(" ,;:-")
    return cut + "\u2026"


def _title(key: str, clean: str, subject: str, templates: Sequence[str]) -> str:
    base = _short_title(clean, subject)
    template = _pick(templates, key, "title")
    candidate = template.replace("{T}", base).replace("{t}", _lower_first(base))
    return candidate if len(candidate) <= MAX_TITLE_CHARS else base


def _lower_first(text: str) -> str:
    first, _, rest = text.partition(" ")
    if first.lower() in _FUNCTION_WORDS and not first.isupper():
        return (first.lower() + " " + rest).strip()
    return text


_FRAME_PREFIX = re.compile(
    r"^(?:the |a |an )?(?:(?:brief |short |quick )?(?:history|story|science|origins?|rise|basics|future|art"
    r"|economics|psychology|physics|chemistry|biology|culture|evolution) of|(?:an )?introduction to"
    r"|(?:a )?guide to)\s+",
    re.IGNORECASE,
)


_HISTORY = re.compile(r"^(?:the |a |an )?(?:(?:brief |short )?history|story|origins?|rise|evolution)\b", re.I)


def _core(subject: str) -> str:
    """The thing itself: "the history of coffee" -> "coffee", so that "where coffee comes from" reads well."""
    core = _FRAME_PREFIX.sub("", subject).strip()
    if not core or core.split(" ", 1)[0].lower() in ("how", "why", "what", "when", "where", "who", "which"):
        return "this topic"
    return core


def _fill(template: str, subject: str) -> str:
    core = _core(subject)
    return template.replace("{S}", _cap_first(subject)).replace("{s}", subject).replace("{c}", core)


def _scene_count(duration_s: int) -> int:
    """About 5 scenes up to 30 s, growing to 8 at 90 s and beyond."""
    return max(MIN_SCENES, min(MAX_SCENES, MIN_SCENES + int((duration_s - 30) * 3 / 60 + 0.5)))


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


def _informativeness(sentence: str) -> float:
    """How much a sentence tells: numbers, dates and names count most, then length."""
    score = 0.0
    if re.search(r"\d", sentence):
        score += 2.0
    score += 0.6 * min(_proper_count(sentence), 3)
    score += min(count_words(sentence), 30) / 30
    return score


def _proper_count(sentence: str) -> int:
    words = re.findall(r"[\w'\u2019-]+", sentence)
    return sum(1 for word in words[1:] if word[:1].isupper() and word != "I")


def _advance(stages: list[list[list[str]]], target: float) -> list[list[str]]:
    """Grow the shortest scene that can still grow, one stage at a time, while the script fits the target."""
    level = [0] * len(stages)
    words = [sum(count_words(s) for s in scene[0]) for scene in stages]
    total = sum(words)
    while True:
        # Shortest first keeps scenes balanced: none gets a third line while another has only its tiny one.
        for position in sorted(range(len(stages)), key=lambda i: (words[i], i)):
            nxt = level[position] + 1
            if nxt >= len(stages[position]):
                continue
            new_words = sum(count_words(s) for s in stages[position][nxt])
            if total - words[position] + new_words <= target:
                total += new_words - words[position]
                words[position] = new_words
                level[position] = nxt
                break
        else:
            return [scene[level[position]] for position, scene in enumerate(stages)]


def _shrink_base(stages: list[list[list[str]]], max_words: int) -> list[list[list[str]]]:
    """When even the shortest script is too long (a long topic in 10 s), open with a two-word hook."""
    base = sum(count_words(sentence) for scene in stages for sentence in scene[0])
    if stages and stages[0] and base > max_words:
        stages[0][0] = [_BRIEF_HOOK, *stages[0][0][1:]]
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
    slot: _Slot,
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
    opener = _fill(openers[0], subject)
    # Rotate the follow-ups by the topic hash so two topics do not share their second and third lines.
    more = _rotated(slot.more, key, name + ":more") if slot.more else []
    core: list[list[str]] = [[_pick(slot.tiny, key, name + ":tiny")]] if tiny and slot.tiny else [[]]
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
    count: int,
    cap: int,
    target: float,
    max_words: int,
    facts_skipped: bool,
    duration_s: int,
) -> Script:
    """A topic-only script: questions and guidance about the topic, with no asserted facts."""
    hook = (
        _fill(_pick(_TINY_HOOKS, key, "tiny-hook"), subject),
        _fill(_pick(_OUTLINE_HOOKS, key, "hook"), subject),
    )
    cta = (_TINY_CTA, _pick(_CTAS, key, "cta"))
    names = _OUTLINE_BY_COUNT[count]
    if _HISTORY.match(subject):
        # "How it works" means little for a history; its turning points are the mechanics.
        names = tuple("turning" if name == "how" else name for name in names)
    stages: list[list[list[str]]] = []
    openings: set[str] = set()
    for position, name in enumerate(names):
        slot = _SLOTS[name]
        core: list[list[str]]
        if name == "what":
            core = [[]] + [
                [_pick(_FRAMING, key, "framing")] + lines
                for lines in _slot_core(slot, key, name, subject, cap, False, openings)
            ]
        else:
            core = _slot_core(slot, key, name, subject, cap, openings=openings)
        first, last = position == 0, position == count - 1
        stages.append(_ladder(core, hook if first else None, cta if last else None, cap))
    chosen = _advance(_shrink_base(stages, max_words), target)

    title = _title(key, clean, subject, _OUTLINE_TITLES)
    used: set[str] = set()
    scenes: list[SceneSpec] = []
    for position, (name, sentences) in enumerate(zip(names, chosen, strict=True), start=1):
        slot = _SLOTS[name]
        options = list(slot.headlines)
        if name == "what":
            options = [_cap_first(subject)] + options
        headline = _unique_headline(options, used, position)
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
    if facts_skipped:
        description += f" The sourced facts were too long to fit {duration_s} seconds."
    else:
        description += " Add source files to get a script built on real, cited facts."
    return {
        "title": title,
        "hook": chosen[0][0],
        "scenes": scenes,
        "call_to_action": chosen[-1][-1],
        "description": description,
        "tags": _tags(subject, []),
        "citations": [],
        "writer": WRITER,
    }


def _select_facts(facts: list[Fact], budget: float, max_count: int) -> list[int]:
    """The most informative facts that fit the word budget, returned in document order."""
    ranked = sorted(range(len(facts)), key=lambda i: (-_informativeness(facts[i]["text"]), i))
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
    count: int,
    cap: int,
    target: float,
    max_words: int,
    source_titles: Mapping[str, str],
) -> Script | None:
    """A script whose scenes quote the facts verbatim; None when no fact fits the duration."""
    hook = (
        _fill(_pick(_TINY_HOOKS, key, "tiny-hook"), subject),
        _fill(_pick(_FACT_HOOKS, key, "hook"), subject),
    )
    cta = (_TINY_CTA, _pick(_CTAS, key, "cta"))
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
            else _slot_core(_SLOTS[name], key, name, subject, cap, openings=openings)
        )
        first, last = position == 0, position == len(plans) - 1
        stages.append(_ladder(core, hook if first else None, cta if last else None, cap))
    chosen_lines = _advance(_shrink_base(stages, max_words), target)

    title = _title(key, clean, subject, _FACT_TITLES)
    used: set[str] = set()
    scenes: list[SceneSpec] = []
    for position, ((name, group), sentences) in enumerate(zip(plans, chosen_lines, strict=True), start=1):
        sources = list(dict.fromkeys(fact["source"] for fact in group if fact["source"]))
        if group:
            texts = [fact["text"] for fact in group]
            options = [option for text in texts for option in _headline_options(text)]
            headline = _unique_headline(options, used, position)
            visual = f"Data card: {headline}" if re.search(r"\d", headline) else f"Title card: {headline}"
        else:
            slot = _SLOTS[name]
            headline = _unique_headline(list(slot.headlines), used, position)
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
    names = ", ".join(citation["title"] for citation in citations[:10])
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
        "tags": _tags(subject, [fact["text"] for fact in picked]),
        "citations": citations,
        "writer": WRITER,
    }


def _guidance_names(needed: int) -> list[str]:
    if needed <= 0:
        return []
    chosen = set(_GUIDANCE_PRIORITY[: needed - 1]) | {"check"}
    return [name for name in _GUIDANCE_ORDER if name in chosen]


def _source_name(source: str) -> str:
    """A readable name for a source: a file's name, or a URL's host and last path part."""
    if "://" in source:
        parts = urlsplit(source)
        tail = PurePosixPath(parts.path).name
        return f"{parts.netloc}/{tail}" if tail else parts.netloc or source
    return PurePosixPath(source.replace("\\", "/")).name or source


def _words_of(text: str) -> list[str]:
    return re.findall(r"[^\s]+", text)


def _strip_token(token: str) -> str:
    return token.strip("\"'\u201c\u201d\u2018\u2019()[]{}.,;:!?")


def _proper_phrases(sentence: str) -> list[str]:
    """Runs of capitalised words ("Ottoman Empire", "Republic of Yemen"), skipping a lone sentence opener."""
    phrases: list[str] = []
    current: list[str] = []
    start = 0

    def close() -> None:
        while current and current[-1].lower() in _JOINERS:
            current.pop()
        words = list(current)
        if words and start == 0:
            # The first word is capitalised anyway: keep it only as part of a longer name.
            if words[0].lower() in _STOPWORDS:
                words = words[1:]
            elif len(words) == 1:
                words = []
        if words:
            phrases.append(" ".join(words))
        current.clear()

    for position, raw in enumerate(sentence.split()):
        word = _strip_token(raw)
        if word.endswith(("'s", "\u2019s")):
            word = word[:-2]
        bare = raw.strip("\"'\u201c\u201d\u2018\u2019()[],;:!?")
        # "U.S." and "Dr." keep their dots and do not end the name.
        dotted = bool(_DOTTED.fullmatch(bare)) or (bare.endswith(".") and word.lower() in _HONORIFICS)
        if dotted:
            word = bare
        capital = word[:1].isupper() and word != "I"
        if capital or (current and word.lower() in _JOINERS):
            if not current:
                start = position
            current.append(word)
        else:
            close()
        if raw[-1:] in ",.;:!?)" and not (dotted and raw[-1:] == "."):
            close()
    close()
    return phrases


def _lead_phrase(sentence: str) -> str:
    """The sentence's opening noun phrase: its first words up to the verb, at most four."""
    words: list[str] = []
    for raw in _words_of(sentence):
        word = _strip_token(raw)
        lower = word.lower()
        if not words and (lower in _STOPWORDS or not word):
            continue
        if lower in _VERBISH or (words and lower.endswith("ed") and len(lower) > 4):
            break
        words.append(word)
        if raw[-1:] in ",;:.!?" or len(words) == 4:
            break
    while words and words[-1].lower() in _STOPWORDS:
        words.pop()
    return " ".join(words)


def _number_phrase(text: str) -> str:
    """The first number in a text with the few words after it ("3.5 million tonnes of coffee")."""
    match = _NUMBER.search(text)
    if not match:
        return ""
    number = match.group(0).strip()
    after: list[str] = []
    for raw in _words_of(text[match.end() :]):
        word = _strip_token(raw)
        lower = word.lower()
        # The unit ends at the verb: "1500 tonnes were shipped" -> "1500 tonnes".
        if not word or lower in _VERBISH or (lower.endswith("ed") and len(lower) > 4):
            break
        after.append(word)
        if raw[-1:] in ",;:.!?)" or len(after) == _UNITS_AFTER_NUMBER:
            break
    while after and after[-1].lower() in _STOPWORDS:
        after.pop()
    return " ".join([number, *after])


def _headline_options(sentence: str) -> list[str]:
    """On-screen headlines for one fact, best first: a number phrase, a year with a name, names, lead."""
    options: list[str] = []
    proper = _proper_phrases(sentence)
    lead = _lead_phrase(sentence)
    match = _NUMBER.search(sentence)
    if match:
        number = match.group(0).strip()
        rest = sentence[match.end() :]
        following = _strip_token(rest.split(None, 1)[0]) if rest.strip() else ""
        # "in 1615, ..." or "in 1615 Venetian ..." is a year; "1500 tonnes" is a quantity.
        year = _YEAR.fullmatch(number) and (
            not following
            or not rest[:1].isspace()
            or following[0].isupper()
            or following.lower() in _STOPWORDS
        )
        if year:
            label = next((name for name in proper if number not in name), lead)
            if label:
                options.append(f"{number}: {label}")
            options.append(number)
        else:
            phrase = _number_phrase(sentence)
            label = next((name for name in proper if number not in name), "")
            if label and len(phrase.split()) <= 2:
                # "15th century: Yemen" says more than "15th century".
                options.append(f"{phrase}: {label}")
            options.append(phrase)
    options.extend(proper)
    if lead:
        options.append(lead)
    return [_fit_headline(option) for option in options if option]


def _fit_headline(text: str) -> str:
    """Trim a headline to at most six words and forty characters, at a word boundary."""
    text = " ".join(text.split()).strip("\"'\u201c\u201d\u2018\u2019()[]{},;:!? ")
    last = text.rsplit(" ", 1)[-1]
    if text.endswith(".") and not (_DOTTED.fullmatch(last) or last[:-1].lower() in _HONORIFICS):
        text = text.rstrip(".")
    words = text.split()[:MAX_HEADLINE_WORDS]
    while words and len(" ".join(words)) > MAX_HEADLINE_CHARS:
        words.pop()
    if len(words) < len(text.split()):
        # Only a cut headline can end on a dangling "of" or "the"; "Where it comes from" is whole.
        while len(words) > 1 and words[-1].lower() in _STOPWORDS:
            words.pop()
    if not words:
        return text[:MAX_HEADLINE_CHARS].strip()
    return _cap_first(" ".join(words).rstrip(",;:-"))


def _unique_headline(options: Sequence[str], used: set[str], position: int) -> str:
    """The first option no earlier scene shows; a numbered fallback keeps every scene's text distinct."""
    for option in options:
        fitted = _fit_headline(option)
        if fitted and normalise_text(fitted) and normalise_text(fitted) not in used:
            used.add(normalise_text(fitted))
            return fitted
    base = _fit_headline(options[0]) if options else ""
    for suffix in (", continued", ", part two", ", part three"):
        candidate = f"{' '.join(base.split()[: MAX_HEADLINE_WORDS - 2])}{suffix}" if base else ""
        if candidate and len(candidate) <= MAX_HEADLINE_CHARS and normalise_text(candidate) not in used:
            used.add(normalise_text(candidate))
            return candidate
    fallback = f"Scene {position}"
    used.add(normalise_text(fallback))
    return fallback


_GENERIC_TAG_WORDS = frozenset(
    "thing things people year years time times part way ways many most more first last century centuries "
    "today history".split()
)
_FILLER_TAGS = (
    "explainer",
    "short video",
    "learn something new",
    "education",
    "did you know",
    "curiosity",
    "quick guide",
)


def _tags(subject: str, texts: list[str]) -> list[str]:
    """5-10 lowercase tags: the subject, its words, then names and words the facts repeat."""
    tags: list[str] = []

    def add(raw: str) -> None:
        tag = " ".join(re.sub(r"[^\w\s'-]", " ", raw.lower().replace("#", " ")).split()).strip("'-")
        if 2 <= len(tag) <= 30 and tag not in tags and len(tags) < 10:
            tags.append(tag)

    words = subject.split()
    while words and words[0].lower() in _FUNCTION_WORDS:
        words = words[1:]
    if 1 < len(words) <= 4:
        add(" ".join(words))
    for word in words:
        bare = _strip_token(word)
        if len(bare) >= 3 and bare.lower() not in _STOPWORDS:
            add(bare)
    counts: dict[str, int] = {}
    for text in texts:
        for name in _proper_phrases(text):
            counts[name.lower()] = counts.get(name.lower(), 0) + 2
        for word in normalise_text(text).split():
            if (
                len(word) >= 5
                and word.isalpha()
                and word not in _STOPWORDS
                and word not in _GENERIC_TAG_WORDS
            ):
                counts[word] = counts.get(word, 0) + 1
    for word, _ in sorted(counts.items(), key=lambda item: -item[1]):
        if len(tags) >= 8:
            break
        add(word)
    for filler in _FILLER_TAGS:
        if len(tags) >= 5:
            break
        if filler == "did you know" and not texts:
            continue
        add(filler)
    return tags


# ---------------------------------------------------------------------------------------------------------
# Revision: repair a given script against the quality gate's problems without rewriting its good scenes.


class _Work(NamedTuple):
    sentences: list[str]
    on_screen_text: str
    visual: str
    sources: list[str]


_LIMIT_PATTERNS = {
    "min_scenes": re.compile(r"^too_few_scenes:.*at least (\d+)"),
    "max_scenes": re.compile(r"^too_many_scenes:.*at most (\d+)"),
    "max_words": re.compile(r"^too_many_words:.*at most (\d+)"),
    "min_words": re.compile(r"^too_few_words:.*at least (\d+)"),
}


def revise_script(script: Script, problems: list[str], duration_s: int, words_per_second: float) -> Script:
    """Repair a script against the gate's problems: empty and repeated scenes, scene count, word count."""
    min_words, max_words = word_limits(duration_s, words_per_second)
    min_scenes, max_scenes = MIN_SCENES, MAX_SCENES
    for problem in problems:
        for name, pattern in _LIMIT_PATTERNS.items():
            found = pattern.match(problem.strip())
            if not found:
                continue
            value = int(found.group(1))
            if name == "min_scenes":
                min_scenes = value
            elif name == "max_scenes":
                max_scenes = value
            elif name == "max_words":
                max_words = min(max_words, value)
            else:
                min_words = max(min_words, value)
    max_scenes = max(max_scenes, min_scenes)

    hook = " ".join(str(script.get("hook", "")).split())
    cta = " ".join(str(script.get("call_to_action", "")).split())
    key = normalise_text(str(script.get("title", "")))

    work = _to_work(script)
    for _ in range(3):
        # One pass normally suffices; a second catches what one repair did to another (a split, then a trim).
        work = _fill_or_drop_empty(work)
        work = _drop_duplicates(work, hook, cta)
        work = _merge_scenes(work, max_scenes)
        work = _split_scenes(work, min_scenes, key, hook, cta)
        work = _trim_words(work, max_words, min_scenes, hook, cta)
        work = _pad_words(work, min_words, max_words, cta)
        work = _distinct_headlines(work)
        if _settled(work, min_scenes, max_scenes, min_words, max_words):
            break

    revised = script.copy()
    revised["scenes"] = [
        {
            "index": position,
            "narration": " ".join(scene.sentences),
            "on_screen_text": scene.on_screen_text,
            "visual": scene.visual,
            "sources": list(scene.sources),
        }
        for position, scene in enumerate(work, start=1)
    ]
    # A citation goes only when the scenes that used its source went; one no scene named stays.
    before = {source for scene in script.get("scenes", []) for source in scene.get("sources", [])}
    after = {source for scene in work for source in scene.sources}
    revised["citations"] = [
        citation
        for citation in script.get("citations", [])
        if citation.get("source") in after or citation.get("source") not in before
    ]
    return revised


def _to_work(script: Script) -> list[_Work]:
    return [
        _Work(
            split_sentences(str(scene.get("narration", ""))),
            " ".join(str(scene.get("on_screen_text", "")).split()),
            str(scene.get("visual", "")),
            list(scene.get("sources", [])),
        )
        for scene in script.get("scenes", [])
    ]


def _has_words(sentences: list[str]) -> bool:
    return bool(normalise_text(" ".join(sentences)))


def _fill_or_drop_empty(work: list[_Work]) -> list[_Work]:
    """An empty scene speaks its own on-screen text when it has one; otherwise it goes."""
    spoken = {normalise_text(" ".join(scene.sentences)) for scene in work}
    kept: list[_Work] = []
    for scene in work:
        if _has_words(scene.sentences):
            kept.append(scene)
            continue
        text = scene.on_screen_text.strip()
        if count_words(text) >= 2 and normalise_text(text) not in spoken:
            sentence = text if text[-1] in ".!?" else text + "."
            spoken.add(normalise_text(sentence))
            kept.append(scene._replace(sentences=[sentence]))
    return kept


def _drop_duplicates(work: list[_Work], hook: str, cta: str) -> list[_Work]:
    """A sentence said before goes, and so does a scene left with nothing new to say."""
    protected: dict[tuple[int, int], str] = {}
    for position, scene in enumerate(work):
        lead, trail = _protected(position, len(work), scene.sentences, hook, cta)
        for index in [*range(lead), *range(len(scene.sentences) - trail, len(scene.sentences))]:
            protected[(position, index)] = normalise_text(scene.sentences[index])
    # The hook and the call to action stay where they belong; their copies elsewhere are the repeats.
    seen = set(protected.values())
    kept: list[_Work] = []
    for position, scene in enumerate(work):
        sentences: list[str] = []
        for index, sentence in enumerate(scene.sentences):
            key = normalise_text(sentence)
            if (position, index) in protected:
                sentences.append(sentence)
            elif key and key not in seen:
                seen.add(key)
                sentences.append(sentence)
        if _has_words(sentences):
            kept.append(scene._replace(sentences=sentences))
    return kept


def _settled(work: list[_Work], min_scenes: int, max_scenes: int, min_words: int, max_words: int) -> bool:
    """True when the working scenes meet every limit the gate checks."""
    words = sum(count_words(" ".join(scene.sentences)) for scene in work)
    narrations = [normalise_text(" ".join(scene.sentences)) for scene in work]
    headlines = [normalise_text(scene.on_screen_text) for scene in work]
    return (
        min_scenes <= len(work) <= max_scenes
        and min_words <= words <= max_words
        and all(narrations)
        and len(set(narrations)) == len(narrations)
        and len(set(headlines)) == len(headlines)
    )


def _protected(position: int, count: int, sentences: list[str], hook: str, cta: str) -> tuple[int, int]:
    """How many leading (hook) and trailing (call to action) sentences of a scene must stay where they are."""
    lead = trail = 0
    if position == 0 and hook:
        hook_parts = split_sentences(hook)
        if sentences[: len(hook_parts)] == hook_parts:
            lead = len(hook_parts)
    if position == count - 1 and cta:
        cta_parts = split_sentences(cta)
        if len(sentences) > lead and sentences[-len(cta_parts) :] == cta_parts:
            trail = len(cta_parts)
    return lead, trail


def _merge_scenes(work: list[_Work], max_scenes: int) -> list[_Work]:
    """Merge the shortest neighbouring pair until the count fits; the first headline stays."""
    work = list(work)
    while len(work) > max_scenes:
        best = min(
            range(len(work) - 1),
            key=lambda i: (
                count_words(" ".join(work[i].sentences + work[i + 1].sentences)),
                work[i].sources != work[i + 1].sources,
                i,
            ),
        )
        first, second = work[best], work[best + 1]
        merged = first._replace(
            sentences=first.sentences + second.sentences,
            sources=list(dict.fromkeys(first.sources + second.sources)),
        )
        work[best : best + 2] = [merged]
    return work


def _split_scenes(work: list[_Work], min_scenes: int, key: str, hook: str, cta: str) -> list[_Work]:
    """Split the longest scenes until the count fits; add guidance scenes when none can split."""
    work = list(work)
    fillers = iter(
        _FILLERS[int.from_bytes(hashlib.sha256(key.encode()).digest()[:1], "big") % 3 :] + _FILLERS
    )
    used_headlines = {normalise_text(scene.on_screen_text) for scene in work}
    while len(work) < min_scenes:
        best, best_count, best_lead = -1, 1, 0
        for position, scene in enumerate(work):
            # Only a scene's own sentences split; the hook and the call to action stay with their halves.
            lead, trail = _protected(position, len(work), scene.sentences, hook, cta)
            own = len(scene.sentences) - lead - trail
            if own > best_count:
                best, best_count, best_lead = position, own, lead
        if best >= 0:
            scene = work[best]
            cut = best_lead + (best_count + 1) // 2
            head, tail = scene.sentences[:cut], scene.sentences[cut:]
            options = [option for text in tail for option in _headline_options(text)]
            headline = _unique_headline(options or [scene.on_screen_text], used_headlines, best + 2)
            second = _Work(tail, headline, f"Title card: {headline}", list(scene.sources))
            work[best : best + 1] = [scene._replace(sentences=head), second]
            continue
        spoken = {normalise_text(" ".join(scene.sentences)) for scene in work}
        for headline, sentence in fillers:
            if normalise_text(sentence) not in spoken and normalise_text(headline) not in used_headlines:
                break
        else:
            break
        used_headlines.add(normalise_text(headline))
        filler = _Work([sentence], headline, f"Title card: {headline}", [])
        # Before the last scene, so that the call to action still closes the video.
        work.insert(max(0, len(work) - 1), filler)
    return work


def _trim_words(work: list[_Work], max_words: int, min_scenes: int, hook: str, cta: str) -> list[_Work]:
    """Drop the least informative sentences (never the hook or the call to action) until the words fit."""
    work = [scene._replace(sentences=list(scene.sentences)) for scene in work]

    def total() -> int:
        return sum(count_words(" ".join(scene.sentences)) for scene in work)

    while total() > max_words:
        candidates: list[tuple[float, int, int, int]] = []
        for position, scene in enumerate(work):
            lead, trail = _protected(position, len(work), scene.sentences, hook, cta)
            removable = range(lead, len(scene.sentences) - trail)
            # A scene keeps at least one sentence of its own beside the hook or the call to action.
            if len(removable) <= 1:
                continue
            for index in removable:
                sentence = scene.sentences[index]
                candidates.append((_informativeness(sentence), -count_words(sentence), position, index))
        if candidates:
            _, _, position, index = min(candidates)
            del work[position].sentences[index]
            continue
        if len(work) > min_scenes:
            # Every scene is down to one sentence: drop the least informative middle scene.
            middle = range(1, len(work) - 1) if len(work) > 2 else range(len(work))
            weakest = min(middle, key=lambda i: (_informativeness(" ".join(work[i].sentences)), -i))
            del work[weakest]
            continue
        break
    return work


def _pad_words(work: list[_Work], min_words: int, max_words: int, cta: str) -> list[_Work]:
    """Add claim-free guidance lines to the shortest scenes until the narration reaches the floor."""
    work = [scene._replace(sentences=list(scene.sentences)) for scene in work]
    spoken = {normalise_text(s) for scene in work for s in scene.sentences}
    lines = [sentence for _, sentence in _FILLERS if normalise_text(sentence) not in spoken]
    total = sum(count_words(" ".join(scene.sentences)) for scene in work)
    while total < min_words and lines and work:
        line = lines.pop(0)
        if total + count_words(line) > max_words:
            break
        position = min(range(len(work)), key=lambda i: (len(work[i].sentences), i))
        sentences = work[position].sentences
        cta_parts = split_sentences(cta) if cta else []
        at = len(sentences)
        if position == len(work) - 1 and cta_parts and sentences[-len(cta_parts) :] == cta_parts:
            at -= len(cta_parts)
        sentences.insert(at, line)
        total += count_words(line)
    return work


def _distinct_headlines(work: list[_Work]) -> list[_Work]:
    """Give every scene a non-empty on-screen text that no other scene shows."""
    used: set[str] = set()
    result: list[_Work] = []
    for position, scene in enumerate(work, start=1):
        key = normalise_text(scene.on_screen_text)
        if key and key not in used:
            used.add(key)
            result.append(scene)
            continue
        options = [option for text in scene.sentences for option in _headline_options(text)]
        if scene.on_screen_text:
            options.append(scene.on_screen_text)
        headline = _unique_headline(options, used, position)
        visual = scene.visual or f"Title card: {headline}"
        result.append(scene._replace(on_screen_text=headline, visual=visual))
    return result
