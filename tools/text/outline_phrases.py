"""Phrasing tables for the offline writer: scene limits, outline scenes, hooks, titles, fillers, word sets."""

from __future__ import annotations

import re
from typing import NamedTuple

MIN_SCENES = 5
MAX_SCENES = 8


class Slot(NamedTuple):
    """One kind of outline scene: its headlines, picture, shortest line, opening lines and follow-ups."""

    headlines: tuple[str, ...]
    visual: str
    tiny: tuple[str, ...]
    openers: tuple[str, ...]
    more: tuple[str, ...]


# Outline scenes give guidance and ask questions; none of them may assert a fact, a number, a date or a name.
SLOTS: dict[str, Slot] = {
    "what": Slot(
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
    "origins": Slot(
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
    "how": Slot(
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
    "turning": Slot(
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
    "why": Slot(
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
    "myths": Slot(
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
    "open": Slot(
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
    "learn": Slot(
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
    "recap": Slot(
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
    "check": Slot(
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
OUTLINE_BY_COUNT = {
    5: ("what", "origins", "how", "why", "learn"),
    6: ("what", "origins", "how", "why", "myths", "learn"),
    7: ("what", "origins", "how", "why", "myths", "open", "learn"),
    8: _OUTLINE_ORDER,
}
# Guidance scenes that pad a fact-based script, most useful first; "check" always closes.
GUIDANCE_PRIORITY = ("why", "open", "learn", "myths", "how", "origins")
GUIDANCE_ORDER = ("origins", "how", "why", "myths", "open", "learn", "check")

FRAMING = (
    "This is a map of good questions, not a list of facts.",
    "Think of this as an outline of questions rather than a list of answers.",
    "What follows is a set of questions to explore, not a list of facts.",
)
OUTLINE_HOOKS = (
    "What do you actually know about {s}?",
    "Here is a simple way to start thinking about {s}.",
    "Where would you even begin with {s}?",
    "Let's map out {s}, one question at a time.",
)
FACT_HOOKS = (
    "Here is what the sources say about {s}.",
    "What do the records actually tell us about {s}?",
    "Let's look at {s}, one fact at a time.",
    "Here are a few documented facts about {s}.",
)
TINY_HOOKS = ("{S}, in brief.", "{S}, briefly.")
CTAS = (
    "Follow for more short explainers.",
    "Follow for more explainers like this one.",
    "Follow along for more short explainers.",
)
TINY_CTA = "Follow for more."
BRIEF_HOOK = "In brief."
OUTLINE_TITLES = ("{T}: what to know", "{T}, explained", "A quick guide to {t}", "{T}: where to start")
FACT_TITLES = ("{T}: the key facts", "{T}, in brief", "{T}: what the sources say", "{T}")

# Sentences that add no claim at all, used when a revised script must grow; each scene draws a different one.
FILLERS = (
    ("Worth checking", "Pause here and ask what evidence supports this."),
    ("Check a second source", "It is worth comparing this with a second source."),
    ("Documented or debated?", "Notice which parts are well documented and which are still debated."),
    ("Connect the dots", "Ask yourself how this connects to what came before."),
    ("Easy to misremember", "Details like these are easy to misremember, so check them yourself."),
    ("Go deeper", "The sources listed in the description go into more depth."),
    ("Who it touched", "Think about who this affected and how."),
    ("Keep asking", "Keep asking how we know what we know about this."),
)

FUNCTION_WORDS = frozenset(
    "a an the how why what when where who which whose is are was were do does did can could should would "
    "will in on of at to for from by with about into over under this that these those my your our "
    "their".split()
)
STOPWORDS = FUNCTION_WORDS | frozenset(
    "and or but not no as be been being has have had it its it's he she they them his her than then there so "
    "if also very more most many much some any each other such only just into out up down one two first new "
    "per about after before during while according says said like".split()
)

# A history topic tells its turning points in place of how it works.
HISTORY = re.compile(r"^(?:the |a |an )?(?:(?:brief |short )?history|story|origins?|rise|evolution)\b", re.I)
