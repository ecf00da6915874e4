"""The chat's rule parser: what a line asks for (an Intent and its fields) when no text model answers.

Pure functions over the text, no I/O: the chat desk carries the intent out. The make intent keeps the
line as `request` for agents/planning.parse_request (topic, duration, aspect, visuals), with the phrases
read here (language, targets, gates, voice, style, preview) taken out so they do not end up in the topic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

INTENTS: tuple[str, ...] = (
    "make",
    "status",
    "costs",
    "list",
    "show",
    "follow",
    "resume",
    "approve",
    "reject",
    "edit",
    "regenerate",
    "help",
    "start_over",
    "unknown",
)

# The one line said when a line is not understood: what the chat can do, with an example each.
CAN_DO = (
    "I can: make a video ('make a 30 second square video about bees'), show provider status ('status'), "
    "costs ('what did this week cost?', 'what did that cost?'), list, show, follow or resume runs "
    "('list runs', 'show it', 'resume'), answer a waiting script ('approve', 'reject: too long', "
    "'change scene 2 to say ...'), redo a scene ('redo scene 2 with a picture of a teapot'); "
    "'help' shows more."
)

HELP_LINES: tuple[str, ...] = (
    "Make a video: 'make a 30 second square video about bees' (also: 'in Spanish', 'publish to the "
    "gallery', 'with photos', 'with the espeak voice', 'calm style', 'as a preview', 'let me review "
    "the script').",
    "Providers: 'status' or 'which models are up?'.",
    "Costs: 'what did this week cost?', 'costs today by provider', 'what did that cost?' (the last run).",
    "Runs: 'list runs', 'list failed runs', 'show it', 'show RUN-ID', 'follow it', 'resume'.",
    "A waiting script: 'approve', 'reject: too long', 'change scene 2 to say Tea is older than paper.'",
    "A finished video: 'redo scene 2', 'regenerate scene 3 with a picture of a teapot'.",
    "'start over' begins a fresh conversation; 'quit' leaves the terminal chat.",
)


@dataclass(frozen=True)
class Intent:
    """What a chat line asks for: one of INTENTS and the fields the desk needs to do it."""

    name: str
    fields: dict[str, Any] = field(default_factory=dict)


# ---- shared pieces -------------------------------------------------------------------------------------

_NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "forty-five": 45,
    "fifty": 50,
    "sixty": 60,
    "ninety": 90,
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "last": -1,
}
_NUMBER = r"(?:\d{1,2}|" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + ")"
# "scene 2", "scene two", "the second scene", "the last scene".
_SCENE = re.compile(
    rf"\bscene\s+(?:no\.?\s*|number\s+|#)?(?P<n>{_NUMBER})\b|\bthe\s+(?P<m>{_NUMBER})\s+scene\b", re.I
)
# A generated run id ends in six hex digits ("history-of-coffee-3f2a9c"); "run NAME" names any run.
_RUN_ID = re.compile(r"\b(?P<id>[a-z0-9][a-z0-9._-]*-[0-9a-f]{6})\b")
_NAMED_RUN = re.compile(r"\brun\s+(?P<id>[A-Za-z0-9][A-Za-z0-9._-]{2,})\b")
_NOT_IDS = frozenset({"the", "that", "this", "again", "last", "latest", "one", "before", "was", "is", "has"})
# "it", "that", "the last run": this conversation's latest run.
_THAT_RUN = re.compile(
    r"\b(?:it|that|this|the\s+(?:last|latest|previous)\s+(?:one|run|video)|my\s+(?:last\s+)?(?:run|video)|"
    r"the\s+(?:run|video))\b",
    re.I,
)
_POLITE = re.compile(
    r"^(?:(?:hey|hi|hello|ok|okay|so|now|and)\b[,!]?\s+)*(?:please\s+|pls\s+|kindly\s+)?"
    r"(?:(?:can|could|would|will)\s+you\s+(?:please\s+)?|i\s+(?:want|need|would\s+like|'d\s+like)\s+(?:you\s+)?to\s+|"
    r"i'd\s+like\s+(?:you\s+)?to\s+|let's\s+|let\s+us\s+|go\s+(?:and\s+)?)?",
    re.I,
)
_TRAILING_POLITE = re.compile(r"[\s,]*\b(?:please|pls|thanks|thank\s+you|thx)\b[\s.!?]*$", re.I)


def _clean(text: str) -> str:
    return " ".join(text.split())


def _number(word: str) -> int:
    return int(word) if word.isdigit() else _NUMBER_WORDS[word.lower()]


def scene_of(text: str) -> int | None:
    """The scene number a line names ('scene 2', 'scene two', 'the second scene'); -1 for 'the last scene'."""
    match = _SCENE.search(text)
    if match is None:
        return None
    return _number(match.group("n") or match.group("m"))


def run_of(text: str) -> str | None:
    """The run a line names: an id, "run NAME", or 'last' for 'it', 'that', 'the last run'; None if none."""
    if match := _RUN_ID.search(text):
        return match.group("id")
    for match in _NAMED_RUN.finditer(text):
        if match.group("id").lower() not in _NOT_IDS:
            return match.group("id")
    return "last" if _THAT_RUN.search(text) else None


def _strip_quotes(text: str) -> str:
    text = text.strip()
    for left, right in (('"', '"'), ("'", "'"), ("\u201c", "\u201d"), ("\u2018", "\u2019")):
        if len(text) > 1 and text.startswith(left) and text.endswith(right):
            return text[1:-1].strip()
    return text


# ---- making a video ------------------------------------------------------------------------------------

LANGUAGE_CODES = {
    "english": "en",
    "spanish": "es",
    "french": "fr",
    "german": "de",
    "italian": "it",
    "portuguese": "pt",
    "dutch": "nl",
    "polish": "pl",
    "swedish": "sv",
    "norwegian": "no",
    "danish": "da",
    "finnish": "fi",
    "greek": "el",
    "turkish": "tr",
    "russian": "ru",
    "ukrainian": "uk",
    "arabic": "ar",
    "hebrew": "he",
    "hindi": "hi",
    "bengali": "bn",
    "japanese": "ja",
    "chinese": "zh",
    "mandarin": "zh",
    "korean": "ko",
    "vietnamese": "vi",
    "thai": "th",
    "indonesian": "id",
    "swahili": "sw",
}
# What may follow a language for it to be the narration's (not "in Japanese culture"): the end, a comma, or
# another of the line's parameters.
_AFTER_PARAM = (
    r"(?=\s*(?:$|[,.;!?)]|\band\b|\bwith\b|\bfor\b|\bpublish|\bpost|\bas\b|\bin\b|\busing\b|\blet\b))"
)
_LANGUAGE = re.compile(
    r"[,\s]*\b(?:in|narrated\s+in|spoken\s+in|voiced\s+in|language:?)\s+(?:the\s+)?"
    rf"(?P<lang>{'|'.join(LANGUAGE_CODES)})(?:\s+language)?\b{_AFTER_PARAM}",
    re.I,
)
_LANGUAGE_CODE = re.compile(r"[,\s]*\b(?:lang|language)\s*[:=]?\s*(?P<code>[a-z]{2})\b", re.I)
_PLATFORMS = {
    "youtube": "youtube",
    "youtube shorts": "youtube",
    "wordpress": "wordpress",
    "instagram": "instagram",
    "insta": "instagram",
    "tiktok": "tiktok",
    "facebook": "facebook",
    "twitter": "twitter",
    "linkedin": "linkedin",
    "the gallery": "gallery",
    "my gallery": "gallery",
    "gallery": "gallery",
}
_PLATFORM = "(?:" + "|".join(sorted((re.escape(p) for p in _PLATFORMS), key=len, reverse=True)) + ")"
_PLATFORM_LIST = rf"(?P<list>{_PLATFORM}(?:\s*(?:,|and|&|\+)\s*(?:on\s+|to\s+)?{_PLATFORM})*)"
_TARGETS = re.compile(
    r"[,\s]*\b(?:and\s+)?(?:then\s+)?(?:publish(?:ed)?|post(?:ed)?|upload(?:ed)?|share(?:d)?|put)\s+"
    rf"(?:it\s+|this\s+|that\s+|the\s+video\s+)?(?:to|on|onto|in)\s+{_PLATFORM_LIST}\b",
    re.I,
)
_FOR_TARGETS = re.compile(rf"[,\s]*\b(?:for|on)\s+{_PLATFORM_LIST}\b{_AFTER_PARAM}", re.I)
_SCRIPT_REVIEW = re.compile(
    r"[,\s]*\b(?:and\s+)?(?:(?:let|have)\s+me\s+|i\s+(?:want|would\s+like|'d\s+like)\s+to\s+|i'd\s+like\s+to\s+|"
    r"i'll\s+|ask\s+me\s+to\s+|so\s+i\s+can\s+|show\s+me\s+)?(?:review|approve|check|see|read|edit)\s+"
    r"(?:the\s+|your\s+)?script(?:\s+first|\s+before\s+(?:you\s+)?(?:render|rendering|making\s+it))?\b"
    r"|[,\s]*\bwith\s+(?:a\s+)?(?:script\s+)?review\b",
    re.I,
)
_PUBLISH_REVIEW = re.compile(
    r"[,\s]*\b(?:and\s+)?(?:(?:ask|check\s+with)\s+me|let\s+me\s+approve(?:\s+it)?|wait\s+for\s+my\s+(?:ok|okay|approval))"
    r"\s+before\s+(?:publishing|posting|it\s+goes\s+out)\b",
    re.I,
)
_NO_REVIEW = re.compile(r"[,\s]*\b(?:without|no|skip\s+the)\s+(?:script\s+)?(?:review|approval)\b", re.I)
_VOICE = re.compile(
    r"[,\s]*\b(?:with|using|in|and)\s+(?:the\s+|a\s+)?(?P<voice>[a-z][\w-]*)\s+voice\b"
    r"|[,\s]*\bvoice\s*[:=]?\s*(?P<named>[a-z][\w-]*)\b",
    re.I,
)
_VOICE_WORDS = {
    "robot": "espeak",
    "robotic": "espeak",
    "espeak-ng": "espeak",
    "fast": "espeak",
    "neural": "joe",
}
_STYLE = re.compile(
    r"[,\s]*\b(?:in\s+(?:a|the)\s+|with\s+(?:a|the)\s+|and\s+)?(?P<style>[a-z]+)\s+(?:style|palette|look)\b"
    r"|[,\s]*\bstyle\s*[:=]?\s*(?P<named>[a-z]+)\b",
    re.I,
)
_PREVIEW = re.compile(
    r"[,\s]*\b(?:as\s+a\s+|in\s+)?(?:quick\s+|fast\s+)?(?:preview|draft|low[- ]res(?:olution)?)"
    r"(?:\s+quality|\s+mode)?\b(?!s)",
    re.I,
)
_VERB = re.compile(r"^(?:make|create|generate|produce|render)\b", re.I)
_OTHER_VERB = re.compile(r"^(?:do|shoot|build|put\s+together|whip\s+up|cook\s+up|craft)\b", re.I)
_WANT = re.compile(r"^(?:i\s+(?:want|need|would\s+like|'d\s+like)|i'd\s+like|give\s+me|how\s+about)\s+", re.I)
# Durations in words: parse_request reads digits.
_NUMBER_WORD = "(?:" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + ")"
_WORD_DURATION = re.compile(
    rf"\b(?P<n>{_NUMBER_WORD}|a|an|half\s+a)\s*-?\s*(?P<unit>seconds?|secs?|minutes?|mins?)\b", re.I
)
_ASPECT_WORDS = re.compile(r"\b(?:9:16|16:9|1:1|vertical|portrait|landscape|widescreen|square)\b", re.I)
_DURATION_DIGITS = re.compile(r"\b\d{1,3}\s*-?\s*(?:s|sec|secs|seconds?|min|mins|minutes?)\b", re.I)
_VIDEO_WORD = re.compile(r"\b(?:video|reel|short|clip|film|movie)s?\b", re.I)
_IMPLICIT_MAKE = re.compile(
    r"^(?:an?\s+|another\s+|one\s+more\s+|some\s+)?(?:\w+\s+){0,4}?(?:video|reel|short|clip)s?\s+(?:about|on|explaining|of)\b",
    re.I,
)


def _words_to_digits(text: str) -> str:
    def digits(match: re.Match[str]) -> str:
        word = match.group("n").lower()
        unit = match.group("unit").lower()
        if word.startswith("half"):
            return "30 seconds" if unit.startswith("min") else match.group(0)
        number = 1 if word in ("a", "an") else _number(word)
        if number <= 0:
            return match.group(0)
        return f"{number} {'minutes' if unit.startswith('min') else 'seconds'}"

    return _WORD_DURATION.sub(digits, text)


def _platforms(found: str) -> list[str]:
    names = re.split(r"\s*(?:,|\band\b|&|\+)\s*(?:on\s+|to\s+)?", found.strip(), flags=re.I)
    return list(dict.fromkeys(_PLATFORMS[name.lower().strip()] for name in names if name.strip()))


def make_fields(text: str) -> dict[str, Any]:
    """A make line's job fields: `request` (the line without the phrases read here, for parse_request),
    and any of lang, targets, gates, voice, style and preview it states. Values are as said ("es",
    "wordpress"); the job's checks say which it cannot take yet."""
    line = _clean(_TRAILING_POLITE.sub("", _POLITE.sub("", _clean(text))))
    fields: dict[str, Any] = {}
    targets: list[str] = []
    gates: list[str] = []

    def take(pattern: re.Pattern[str], on_match: Any) -> None:
        nonlocal line
        while match := pattern.search(line):
            on_match(match)
            line = line[: match.start()] + " " + line[match.end() :]

    take(_LANGUAGE, lambda m: fields.__setitem__("lang", LANGUAGE_CODES[m.group("lang").lower()]))
    take(_LANGUAGE_CODE, lambda m: fields.__setitem__("lang", m.group("code").lower()))
    take(_TARGETS, lambda m: targets.extend(_platforms(m.group("list"))))
    take(_FOR_TARGETS, lambda m: targets.extend(_platforms(m.group("list"))))
    take(_NO_REVIEW, lambda m: fields.__setitem__("review", False))
    take(_SCRIPT_REVIEW, lambda m: gates.append("script"))
    take(_PUBLISH_REVIEW, lambda m: gates.append("publish"))
    take(_PREVIEW, lambda m: fields.__setitem__("preview", True))

    def voice(match: re.Match[str]) -> None:
        said = (match.group("voice") or match.group("named")).lower()
        fields["voice"] = _VOICE_WORDS.get(said, said)

    take(_VOICE, voice)
    take(_STYLE, lambda m: fields.__setitem__("style", (m.group("style") or m.group("named")).lower()))
    if targets:
        fields["targets"] = list(dict.fromkeys(targets))
    if gates:
        fields["gates"] = list(dict.fromkeys(gates))
        fields.pop("review", None)
    line = _words_to_digits(_clean(line))
    # Leftover joints of removed phrases: "bees , , and" -> "bees".
    line = re.sub(r"\s+([,.;!?])", r"\1", line)
    line = re.sub(r"(?:[,;]\s*)+(?=[,;.!?]|$)", "", line)
    line = re.sub(r"(?:\s*\b(?:and|then|also)\b)+\s*[,.!?]*\s*$", "", line, flags=re.I).strip(" ,;")
    if _OTHER_VERB.match(line):
        line = _OTHER_VERB.sub("make", line, count=1)
    elif _WANT.match(line):
        line = "make " + _WANT.sub("", line, count=1)
    elif line and not _VERB.match(line):
        line = "make " + line
    fields["request"] = line
    return fields


def _states_parameters(text: str) -> bool:
    """True when a line states a video's parameters ('30 seconds, square, in Spanish')."""
    if _DURATION_DIGITS.search(text) or _ASPECT_WORDS.search(text) or _WORD_DURATION.search(text):
        return True
    fields = make_fields(text)
    return any(key != "request" for key in fields)


# ---- the other intents ---------------------------------------------------------------------------------

_START_OVER = re.compile(
    r"^(?:/new|/reset|start\s+over|start\s+afresh|start\s+a\s+new\s+(?:conversation|chat)|new\s+(?:conversation|chat)|"
    r"forget\s+(?:everything|this\s+conversation|all\s+that)|clear\s+(?:the\s+)?(?:chat|conversation|history)|reset)"
    r"\s*[.!]*$",
    re.I,
)
_HELP = re.compile(
    r"^(?:/?help\b.*|\?+|what\s+can\s+you\s+do\b.*|what\s+do\s+you\s+(?:understand|know)\b.*|"
    r"how\s+do(?:es)?\s+(?:this|it|i)\b.*|commands\??|what\s+are\s+(?:the|your)\s+commands\??|usage)$",
    re.I,
)
_EDIT = re.compile(
    r"^(?:change|edit|rewrite|update|set|make|have|let)\s+(?P<scene>.+?)\s+(?:to\s+)?(?:say|says|read|reads)\b"
    r"\s*[:,]?\s*(?P<text>.+)$"
    r"|^(?:change|edit|rewrite|update|replace)\s+(?P<scene2>.+?)(?::\s*|\s+(?:to|as|with)\s+)"
    r"(?!(?:a|an|the)\s+(?:picture|image|photo|drawing)\b|show\b)(?P<text2>.+)$"
    r"|^(?P<scene3>(?:the\s+\w+\s+)?scene\s*\S*)\s+(?:should|must|will|shall)?\s*(?:say|says|read|reads)\b"
    r"\s*[:,]?\s*(?P<text3>.+)$",
    re.I,
)
_REGEN = re.compile(
    r"^(?:redo|re-do|regenerate|re-generate|remake|re-make|rerender|re-render|refresh|reroll|retake|"
    r"make\s+again|try\s+again|do\s+again|render\s+again|new\s+(?:take|picture|image|version)\s+(?:for|of))\b"
    r"|^(?:redo|remake|regenerate|change|make|give|have)\b.*\bscene\b.*\b(?:show|showing|with\s+(?:a|an)\s+"
    r"(?:picture|image|photo|drawing|illustration))\b"
    r"|^(?:the\s+\w+\s+)?scene\s*\S+\s+again\b",
    re.I,
)
_REGEN_VISUAL = re.compile(
    r"\b(?:with|using|as)\s+(?:a\s+|an\s+|the\s+)?(?:new\s+)?(?:picture|image|photo|photograph|drawing|"
    r"illustration|visual)\s+(?:of|showing)\s+(?P<v>.+?)(?=\s+(?:and\s+)?(?:saying|that\s+says|with\s+the\s+words|"
    r"to\s+say)\b|$)"
    r"|\b(?:to\s+)?show(?:ing)?\s+(?P<w>.+?)(?=\s+(?:and\s+)?(?:saying|that\s+says|with\s+the\s+words|to\s+say)\b|$)",
    re.I,
)
_REGEN_WORDS = re.compile(
    r"\b(?:saying|that\s+says|with\s+the\s+words|to\s+say|so\s+it\s+says)\s*[:,]?\s*(?P<n>.+)$", re.I
)
_REJECT = re.compile(
    r"^(?:please\s+)?(?:reject(?:ed)?|decline|refuse|turn\s+(?:it|this)\s+down|don'?t\s+publish|cancel\s+(?:it|that|the\s+run))\b(?P<rest>.*)$",
    re.I,
)
_NO = re.compile(r"^(?:no|nope|nah|not\s+good|i\s+don'?t\s+like\s+it)\b[\s,.!:;-]*(?P<rest>.*)$", re.I)
_APPROVE = re.compile(
    r"^(?:please\s+)?(?:approve[ds]?|accept(?:ed)?|confirm(?:ed)?|sign\s+off)\b(?P<rest>.*)$", re.I
)
_YES = re.compile(
    r"^(?:yes|yep|yeah|yup|sure|ok|okay|k|fine|great|perfect|good|looks\s+(?:good|great|fine)|lgtm|go\s+ahead|"
    r"go\s+on|go\s+for\s+it|ship\s+it|publish\s+it|do\s+it|sounds\s+good)\b[\s,.!]*(?P<rest>.*)$",
    re.I,
)
_COSTS = re.compile(
    r"\b(?:cost|costs|costed|costing|spend|spent|spending|price|prices|priced|charge[sd]?|bill|billing|"
    r"how\s+much|expenses?|usage)\b",
    re.I,
)
_PERIODS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b(?:today|this\s+morning|so\s+far\s+today)\b", re.I), "today"),
    (re.compile(r"\b(?:since\s+)?yesterday\b", re.I), "yesterday"),
    (re.compile(r"\b(?:this|last|the\s+past|past|the\s+last)\s+week\b|\bweekly\b", re.I), "7d"),
    (re.compile(r"\b(?:this|last|the\s+past|past|the\s+last)\s+month\b|\bmonthly\b", re.I), "30d"),
    (re.compile(r"\b(?:this|last|the\s+past|past|the\s+last)\s+year\b", re.I), "365d"),
    (re.compile(r"\b(?:ever|all\s+time|in\s+total|overall|altogether|so\s+far)\b", re.I), "3650d"),
)
_SPAN = re.compile(
    r"\b(?:last|past|the\s+last|the\s+past|in\s+the\s+last)\s+(?P<n>\d{1,4}|" + _NUMBER + r")\s+"
    r"(?P<unit>hours?|days?|weeks?|months?)\b",
    re.I,
)
_SINCE_DATE = re.compile(r"\bsince\s+(?P<date>\d{4}-\d{2}-\d{2})\b", re.I)
_GROUPING = re.compile(
    r"\b(?:by|per|each|for\s+each|grouped\s+by)\s+(?P<by>provider|day|run|video|model)s?\b", re.I
)
_RESUME = re.compile(
    r"^(?:please\s+)?(?:resume|continue|retry|carry\s+on|keep\s+going|pick\s+(?:it\s+)?up|try\s+(?:it\s+)?again|"
    r"restart)\b",
    re.I,
)
_FOLLOW = re.compile(
    r"^(?:please\s+)?(?:follow|watch|track|keep\s+me\s+(?:posted|updated)|show\s+(?:me\s+)?(?:the\s+)?progress|"
    r"how(?:'s|\s+is)\s+(?:it|that|the\s+run|my\s+video|the\s+video)\s+(?:going|doing|coming\s+along))\b",
    re.I,
)
_LIST = re.compile(
    r"^(?:please\s+)?(?:list|show|see|display|what\s+are|which\s+are|give\s+me)?\s*(?:me\s+)?"
    r"(?:(?:all|my|the|our|recent|latest|last\s+\d+|\d+|failed|waiting|done|finished|running|stopped|rejected|"
    r"queued|completed)\s+)*(?:runs|videos|jobs)\b"
    r"|^(?:list|runs)\s*\??$"
    r"|^what\s+(?:runs|videos)\b|^(?:which|what)\s+(?:runs|videos)\s+(?:are|have)\b",
    re.I,
)
_LIST_STATUS = {
    "failed": "failed",
    "waiting": "waiting",
    "done": "done",
    "finished": "done",
    "completed": "done",
    "running": "running",
    "stopped": "stopped",
    "rejected": "rejected",
    "queued": "queued",
}
_LIMIT = re.compile(r"\b(?:last|latest|recent)?\s*(?P<n>\d{1,3})\s+(?:runs|videos|jobs)\b", re.I)
_SHOW = re.compile(
    r"^(?:please\s+)?(?:show|describe|open|details|detail|info|information|tell\s+me\s+about|"
    r"what(?:'s|\s+is)\s+(?:the\s+)?(?:status|state)\s+of|status\s+of|where(?:'s|\s+is)|what\s+happened\s+to|"
    r"what\s+about)\b",
    re.I,
)
_STATUS = re.compile(
    r"\b(?:status|providers?|models?|health|healthy|mode|online|offline|servers?|ollama|comfyui|gpu|"
    r"backends?|tiers?)\b|\bis\s+(?:anything|everything)\s+(?:up|running)\b|\bwhat(?:'s|\s+is)\s+up\b",
    re.I,
)


def is_start_over(text: str) -> bool:
    """True for 'start over', 'new conversation' and the like: the conversation's next thread begins."""
    return bool(_START_OVER.match(_clean(text)))


def _reason(rest: str) -> str:
    rest = _RUN_ID.sub("", rest)
    rest = re.sub(
        r"^\s*(?:it|this|that|the\s+script|the\s+run|the\s+video)(?=[\s:,.;!-]|$)", "", rest, flags=re.I
    )
    rest = re.sub(r"^[\s:,.;!-]*(?:because|since|as|reason:?|why:?)?\s*", "", rest, flags=re.I)
    return _strip_quotes(rest.strip()).rstrip(".") if rest.strip() else ""


def _edit(text: str) -> Intent | None:
    match = _EDIT.match(text)
    if match is None:
        return None
    scene_words = match.group("scene") or match.group("scene2") or match.group("scene3") or ""
    words = match.group("text") or match.group("text2") or match.group("text3") or ""
    scene = scene_of(scene_words)
    if scene is None or not words.strip():
        return None
    fields: dict[str, Any] = {"scene": scene, "narration": _strip_quotes(words)}
    if (run := _RUN_ID.search(scene_words)) is not None:
        fields["run_id"] = run.group("id")
    return Intent("edit", fields)


def _regenerate(text: str) -> Intent | None:
    if not _REGEN.match(text):
        return None
    scene = scene_of(text)
    if scene is None:
        return None
    fields: dict[str, Any] = {"scene": scene}
    rest = text[_SCENE.search(text).end() :]  # type: ignore[union-attr]  # scene_of found one
    if words := _REGEN_WORDS.search(rest):
        fields["narration"] = _strip_quotes(words.group("n"))
        rest = rest[: words.start()]
    if visual := _REGEN_VISUAL.search(rest):
        fields["visual"] = _strip_quotes((visual.group("v") or visual.group("w")).rstrip(" .!"))
    elif (visual := _REGEN_VISUAL.search(text[: _SCENE.search(text).start()])) is not None:  # type: ignore[union-attr]
        fields["visual"] = _strip_quotes((visual.group("v") or visual.group("w")).rstrip(" .!"))
    if run := _RUN_ID.search(text):
        fields["run_id"] = run.group("id")
    return Intent("regenerate", fields)


def _costs(text: str) -> Intent:
    fields: dict[str, Any] = {}
    rest = text
    for pattern, since in _PERIODS:
        if match := pattern.search(rest):
            fields["since"] = since
            rest = rest[: match.start()] + rest[match.end() :]
            break
    if "since" not in fields and (span := _SPAN.search(rest)):
        unit = span.group("unit").lower()[0]
        amount = _number(span.group("n"))
        fields["since"] = f"{amount * 30}d" if unit == "m" else f"{amount}{unit}"
        rest = rest[: span.start()] + rest[span.end() :]
    if "since" not in fields and (date := _SINCE_DATE.search(rest)):
        fields["since"] = date.group("date")
        rest = rest[: date.start()] + rest[date.end() :]
    if grouping := _GROUPING.search(rest):
        by = grouping.group("by").lower()
        fields["by"] = {"video": "run", "model": "provider"}.get(by, by)
        rest = rest[: grouping.start()] + rest[grouping.end() :]
    if "since" not in fields and (run := run_of(rest)) is not None:
        fields["run_id"] = run
    return Intent("costs", fields)


def _list(text: str) -> Intent:
    fields: dict[str, Any] = {}
    for word, status in _LIST_STATUS.items():
        if re.search(rf"\b{word}\b", text, re.I):
            fields["status"] = status
            break
    if limit := _LIMIT.search(text):
        fields["limit"] = max(1, min(int(limit.group("n")), 100))
    return Intent("list", fields)


def _with_run(name: str, text: str) -> Intent:
    run = run_of(text)
    return Intent(name, {"run_id": run} if run not in (None, "last") else {})


def parse(text: str, *, awaiting: str | None = None) -> Intent:
    """What `text` asks for. `awaiting` names the gate this conversation's run waits at, if any: then a
    bare 'yes' approves it and 'no' rejects it."""
    line = _clean(text)
    if not line:
        return Intent("unknown", {"text": text})
    bare = _clean(_POLITE.sub("", line)) or line
    if is_start_over(line):
        return Intent("start_over")
    if _HELP.match(bare):
        return Intent("help")
    # A scene redone with a picture ("change scene 2 to show a teapot") before a scene's new words.
    if (regen := _regenerate(bare)) is not None:
        return regen
    if (edit := _edit(bare)) is not None:
        return edit
    if match := _REJECT.match(bare):
        fields: dict[str, Any] = {"reason": _reason(match.group("rest"))}
        if run := _RUN_ID.search(match.group("rest")):
            fields["run_id"] = run.group("id")
        return Intent("reject", fields)
    if awaiting and (match := _NO.match(bare)):
        return Intent("reject", {"reason": _reason(match.group("rest"))})
    if match := _APPROVE.match(bare):
        if run := _RUN_ID.search(match.group("rest")):
            return Intent("approve", {"run_id": run.group("id")})
        return Intent("approve")
    if awaiting and _YES.match(bare):
        return Intent("approve")
    if (
        _VERB.match(bare)
        or _OTHER_VERB.match(bare)
        and _VIDEO_WORD.search(bare)
        or _WANT.match(bare)
        and _VIDEO_WORD.search(bare)
    ):
        return Intent("make", make_fields(line))
    if _COSTS.search(bare):
        return _costs(bare)
    if _RESUME.match(bare):
        return _with_run("resume", bare)
    if _FOLLOW.match(bare):
        return _with_run("follow", bare)
    if _LIST.match(bare):
        return _list(bare)
    if _SHOW.match(bare) and (run_of(bare) is not None or re.search(r"\bscript\b", bare, re.I)):
        return _with_run("show", bare)
    if _RUN_ID.fullmatch(bare.strip(" ?.!")):
        return Intent("show", {"run_id": bare.strip(" ?.!")})
    if _STATUS.search(bare):
        return Intent("status")
    if _IMPLICIT_MAKE.match(bare) or _states_parameters(bare):
        return Intent("make", make_fields(line))
    return Intent("unknown", {"text": line})


def not_understood(text: str) -> str:
    """The one line said for a line the rules cannot read: what was not understood and what can be done."""
    shown = _clean(text)
    shown = shown if len(shown) <= 60 else shown[:59] + "\u2026"
    return f"I did not understand '{shown}'. {CAN_DO}"
