"""Read the figure in a data card's text: the number with its unit, date or range, and the words around it.

"27 May 1937" is one figure, "1,280 metres (4,200 feet)" is "1,280 m" with "4,200 ft" as a note, and
"Brazil grows 40% of the world's coffee" is "Brazil grows" / "40%" / "of the world's coffee".
"""

from __future__ import annotations

import re
from typing import NamedTuple


class Figure(NamedTuple):
    """A data card's parts, in reading order: the words before the figure, the figure, the words after.

    `kind` says what the figure is ("date", "year", "money", "percent", "length", "count"...), and
    `note` holds a conversion given in brackets ("4,200 ft").
    """

    lead: str
    value: str
    label: str
    note: str
    kind: str


_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?"
    r"|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\b\.?"
)
_DAY = r"(?:3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?"
_ERA = r"(?:\s?(?:BCE|BC|CE|AD)\b)"
_ERA_AFTER = re.compile(_ERA)
# A number glued to letters is a name (H.264, COVID-19, MP3), not a figure.
# Chinese, Japanese and Korean text has no spaces, so a number may follow a hanzi directly.
_FREE = r"(?<![0-9A-Za-z_.,\u00c0-\u024f])(?<![A-Za-z]-)"
_DATE = re.compile(
    rf"{_FREE}(?:"
    rf"{_DAY}(?:\s+of)?\s+{_MONTH}(?:,?\s+\d{{3,4}}\b{_ERA}?)?"  # 27 May 1937, 4th of July
    rf"|{_MONTH}\s+{_DAY}\b(?:,?\s+\d{{3,4}}\b)?"  # May 27, 1937
    rf"|{_MONTH}\s+\d{{3,4}}\b{_ERA}?"  # May 1937
    r"|\d{4}-\d{2}-\d{2}\b"  # 1937-05-27
    r")"
)
_NUMBER = re.compile(
    rf"{_FREE}(?:\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+\.\d+|\d+,\d{{1,2}}(?!\d)|\d+)(?:st|nd|rd|th|s\b)?(?!\d)"
)
_CURRENCY = re.compile(r"(?:(?:US|A|C|NZ|HK|R)?\$|\u20ac|\u00a3|\u00a5|\u20b9|\u20a9)\s?$")
_SIGN = re.compile(r"(?:^|(?<=\s))[-\u2212]$")
_APPROX = re.compile(
    r"(?i:\b(?P<word>more than|at least|upwards of|over|above|almost|nearly|about|around|approximately"
    r"|roughly|some|up to|only|just|under|below|less than|fewer than|circa|c\.)\s*|(?P<tilde>~)\s*)$"
)
_APPROX_SIGNS = {
    "more than": "{}+",
    "at least": "{}+",
    "upwards of": "{}+",
    "over": "{}+",
    "above": "{}+",
    # These stay words, as written: "Only 3%", "up to 20 m".
    "up to": "{word} {}",
    "only": "{word} {}",
    "just": "{word} {}",
    "under": "< {}",
    "below": "< {}",
    "less than": "< {}",
    "fewer than": "< {}",
    "circa": "c. {}",
    "c.": "c. {}",
}
_SCALE = re.compile(r"\s?(?P<scale>(?i:thousand|million|billion|trillion)\b|bn\b|mn\b|k\b|m\b)")
_ORDINAL_PERIOD = re.compile(
    r"(?<=st|nd|rd|th)(?:\s?[-\u2013\u2014]\s?\d{1,2}(?:st|nd|rd|th))?[\s-]+(?P<period>(?i:century|centuries|millennium))\b"
)
_CURRENCY_WORDS = re.compile(r"\s(?P<word>(?i:(?:US )?dollars|euros|yen))\b")
_CURRENCY_SIGNS = {"dollars": "$", "us dollars": "US$", "euros": "\u20ac", "yen": "\u00a5"}

# (pattern after the number, symbol shown, what it measures); longer spellings first.
_UNITS: tuple[tuple[str, str, str], ...] = (
    (r"(?i:per ?cent|percent)\b|%", "%", "percent"),
    (r"(?i:kilomet(?:re|er)s? (?:per|an) hour)\b|km/h\b|kph\b", "km/h", "speed"),
    (r"(?i:miles (?:per|an) hour)\b|mph\b", "mph", "speed"),
    (r"(?i:met(?:re|er)s? per second)\b|m/s\b", "m/s", "speed"),
    (r"(?i:square kilomet(?:re|er)s?)\b|km\u00b2|km2\b|sq\.? ?km\b", "km\u00b2", "area"),
    (r"(?i:square met(?:re|er)s?)\b|m\u00b2|m2\b", "m\u00b2", "area"),
    (r"(?i:square miles?)\b|sq\.? ?mi\b", "sq mi", "area"),
    (r"(?i:kilomet(?:re|er)s?)\b|km\b", "km", "distance"),
    (r"(?i:centimet(?:re|er)s?)\b|cm\b", "cm", "length"),
    (r"(?i:millimet(?:re|er)s?)\b|mm\b", "mm", "length"),
    (r"(?i:met(?:re|er)s?)\b|m\b", "m", "length"),
    (r"(?i:feet|foot)\b|ft\b", "ft", "length"),
    (r"(?i:miles?)\b|mi\b", "miles", "distance"),
    (r"(?i:kilograms?|kilos?)\b|kg\b", "kg", "weight"),
    (r"(?i:tonnes|tons)\b", "", "weight"),
    (r"(?i:lit(?:re|er)s|gallons|barrels)\b", "", "volume"),
    (r"(?i:hectares|acres)\b", "", "area"),
    (r"(?i:grams?)\b|g\b", "g", "weight"),
    (r"(?i:degrees? (?:celsius|centigrade)|degrees? c)\b|\u00b0\s?C\b", "\u00b0C", "temperature"),
    (r"(?i:degrees? fahrenheit|degrees? f)\b|\u00b0\s?F\b", "\u00b0F", "temperature"),
    (r"(?i:gigawatts?)\b|GW\b", "GW", "power"),
    (r"(?i:megawatts?)\b|MW\b", "MW", "power"),
    (r"(?i:kilowatts?)\b|kW\b", "kW", "power"),
    (r"(?i:kilowatt[- ]hours?)\b|kWh\b", "kWh", "energy"),
    (r"TWh\b|GWh\b|MWh\b", "", "energy"),
    (r"(?i:terabytes?)\b|TB\b", "TB", "data"),
    (r"(?i:gigabytes?)\b|GB\b", "GB", "data"),
    (r"(?i:megabytes?)\b|MB\b", "MB", "data"),
    (r"GHz\b|MHz\b|kHz\b|Hz\b", "", "frequency"),
    (r"LUFS\b|dB\b", "", "loudness"),
)
_UNIT_RES = tuple((re.compile(r"\s?(?:" + pattern + ")"), symbol, kind) for pattern, symbol, kind in _UNITS)
_RANGE = re.compile(r"\s?(?P<joiner>[-\u2013\u2014]|to|and)\s?")
# A number's Chinese, Japanese or Korean date parts, scale and unit: 2023年5月1日, 1,000万吨, 3억 원.
_CJK_SUFFIX = re.compile(
    r"(?:[年月日号]|\d{1,2}[月日号]|[万亿億兆千百]|[吨噸元円人名个種种米]|公里|公斤|平方公里"
    r"|[년월일만억조원명]|\d{1,2}[월일])+"
)
_BETWEEN = re.compile(r"(?i:\bbetween)\s*$")
_RATIO = re.compile(r"\s(?:in|out of)\s(?=\d)")
_BRACKETED = re.compile(r"^\s*\((?P<inner>[^()]*\d[^()]*)\)")
_YEAR = re.compile(r"(?:1\d{3}|20\d{2})s?")
# Words that only join the figure to the sentence; a label never starts or ends with them alone.
_JOINERS = frozenset(
    "in on at by since from of to for during until till as around about the a an and or".split()
    + "was were is are".split()
)
_EDGE = " \t:;,.\u2013\u2014-|\u00b7\uff1a\uff0c\u3002\u3001\uff1b"


def split_figure(text: str, narration: str = "") -> Figure | None:
    """The first figure in text with the words that say what it is, or None when there is no number.

    A headline cut short ("27: Golden Gate Bridge") takes the whole figure from the narration when the
    narration has one that starts with the same number ("27 May 1937").
    """
    text = " ".join(text.split())
    found = _figure_at(text)
    if found is None:
        return None
    start, end, value, kind = found
    if kind in ("count", "year") and (whole := _completed(value, narration)) is not None:
        value, kind = whole
    note = ""
    if (bracket := _BRACKETED.match(text[end:])) is not None:
        note = _note(bracket.group("inner"))
        end += bracket.end()
    elif (converted := _conversion(text, end, kind)) is not None:
        # "1,280 metres 4,200 feet": a second measure of the same thing, with its brackets lost.
        note, end = converted
    lead, label = _trim(text[:start]), text[end:].strip(_EDGE + "()")
    # After a comma or colon the label is a clause of its own; otherwise it reads on from the figure.
    if label and (text[end : end + 1] in ",:;" or not lead and not label[:1].islower()):
        label = label[:1].upper() + label[1:]
    if not label:
        lead, label = "", lead
    if not label and kind in _DIMENSIONS:
        label = kind.capitalize()
    return Figure(lead, value, label, note, kind)


def _figure_at(text: str, position: int = 0) -> tuple[int, int, str, str] | None:
    """The first figure at or after `position`: its span, its shown form and its kind."""
    date = _DATE.search(text, position)
    number = _first_number(text, position)
    if date and (number is None or date.start() <= number.start()):
        return date.start(), date.end(), date.group(0), "date"
    if number:
        return _quantity(text, number)
    return None


def _completed(value: str, narration: str) -> tuple[str, str] | None:
    """The narration's longer figure that starts with this one ("27" in "on 27 May 1937"), if any."""
    narration = " ".join(narration.split())
    position = 0
    while (found := _figure_at(narration, position)) is not None:
        start, end, whole, kind = found
        if whole != value and re.match(re.escape(value) + r"\b", whole):
            return whole, kind
        position = max(end, start + 1)
    return None


def _conversion(text: str, end: int, kind: str) -> tuple[str, int] | None:
    """A second figure right after the first that measures the same thing, and where it ends."""
    if kind not in _DIMENSIONS:
        return None
    following = _figure_at(text, end)
    if following is None or text[end : following[0]].strip(" =/\u2248") or following[3] != kind:
        return None
    return following[2], following[1]


# What a unit measures, said in a word when the text gives no label.
_DIMENSIONS = frozenset(
    "speed area distance length weight volume temperature power energy data frequency loudness".split()
)


def _first_number(text: str, start: int = 0) -> re.Match[str] | None:
    """The first number that is a figure: "5km" is one, but "3D" and "4K" are names."""
    for found in _NUMBER.finditer(text, start):
        glued = text[found.end() : found.end() + 1]
        cjk = _CJK_SUFFIX.match(text, found.end())
        if not glued.isalpha() or cjk or _SCALE.match(text, found.end()) or _unit(text, found.end()):
            return found
    return None


def _quantity(text: str, number: re.Match[str]) -> tuple[int, int, str, str]:
    """The number's span widened to its sign, currency, scale, unit, range or era, and its shown form."""
    start, end = number.start(), number.end()
    value = number.group(0)
    kind = "year" if _YEAR.fullmatch(value) else "count"
    if (currency := _CURRENCY.search(text[:start])) is not None:
        start, value, kind = currency.start(), currency.group(0).strip() + value, "money"
    elif (sign := _SIGN.search(text[:start])) is not None:
        start, value = sign.start(), "\u2212" + value
    if (period := _ORDINAL_PERIOD.match(text, end)) is not None:
        return start, period.end(), text[start : period.end()], "century"
    if value.isdigit() and (era := _ERA_AFTER.match(text, end)) is not None:
        return start, era.end(), value + era.group(0), "year"
    if (cjk := _CJK_SUFFIX.match(text, end)) is not None:
        # Chinese, Japanese and Korean write the unit or date part right after the number: 2023年, 1,000万吨.
        dated = any(char in cjk.group(0) for char in "年月日년월일")
        return start, cjk.end(), value + cjk.group(0), "date" if dated else kind
    end, value, kind = _scaled(text, end, value, kind)
    end, value, kind = _ranged(text, start, end, value, kind)
    if (between := _BETWEEN.search(text[:start])) is not None and "\u2013" in value:
        start = between.start()
    if (approx := _APPROX.search(text[:start])) is not None:
        word = (approx.group("word") or "").lower()
        value = _APPROX_SIGNS.get(word, "~{}").format(value, word=approx.group("word"))
        start = approx.start()
    return start, end, value, kind


def _unit(text: str, end: int) -> tuple[re.Match[str], str, str] | None:
    """The unit written right after a number, its symbol and what it measures."""
    for pattern, symbol, measure in _UNIT_RES:
        if (unit := pattern.match(text, end)) is not None:
            return unit, symbol or unit.group(0).strip(), measure
    return None


def _scaled(text: str, end: int, value: str, kind: str) -> tuple[int, str, str]:
    """Add a scale word ("million"), a currency word ("dollars") and a unit ("metres" shown as "m")."""
    scale = _SCALE.match(text, end)
    if scale and (scale.group("scale") != "m" or kind == "money"):
        word = scale.group("scale")
        # "bn", "m" and "k" stay glued to the number as written; words are spaced and lower case.
        value += word if word in ("bn", "mn", "m", "k") else " " + word.lower()
        end = scale.end()
    if kind == "money":
        return end, value, kind
    if (money := _CURRENCY_WORDS.match(text, end)) is not None:
        return money.end(), _CURRENCY_SIGNS[money.group("word").lower()] + value, "money"
    if (found := _unit(text, end)) is not None:
        unit, shown, measure = found
        joined = "" if shown == "%" or shown.startswith("\u00b0") else " "
        return unit.end(), f"{value}{joined}{shown}", measure
    return end, value, kind


def _ranged(text: str, start: int, end: int, value: str, kind: str) -> tuple[int, str, str]:
    """Join "1914-1918", "5 to 10 m" and "between 1,000 and 2,000" into one figure."""
    if (ratio := _RATIO.match(text, end)) is not None:
        second = _NUMBER.match(text, ratio.end())
        if second:
            return second.end(), f"{value}{ratio.group(0)}{second.group(0)}", "ratio"
    joiner = _RANGE.match(text, end)
    if joiner is None:
        return end, value, kind
    word = joiner.group("joiner")
    if word == "and" and not _BETWEEN.search(text[:start]):
        return end, value, kind
    after = joiner.end()
    currency = _CURRENCY.match(text[after:])
    second = _NUMBER.match(text, after + (currency.end() if currency else 0))
    if second is None:
        return end, value, kind
    second_end, second_value, second_kind = _scaled(text, second.end(), second.group(0), kind)
    # The unit said once at the end belongs to both ends of the range: "5 to 10 metres" is "5-10 m".
    unit = second_value[len(second.group(0)) :]
    first = value[: -len(unit)] if unit and value.endswith(unit) else value
    return second_end, f"{first}\u2013{second_value}", second_kind if second_kind != "count" else kind


def _note(inner: str) -> str:
    """A bracketed conversion with its unit shortened: "4,200 feet" becomes "4,200 ft"."""
    found = _first_number(inner)
    if found is None:
        return inner.strip()
    return _quantity(inner, found)[2]


def _trim(lead: str) -> str:
    """The words before a figure without the small words that only joined it ("Opened in" is "Opened")."""
    words = lead.strip(_EDGE + "()").split()
    while words and words[-1].lower().strip(",") in _JOINERS:
        words.pop()
    return " ".join(words).strip(_EDGE)
