"""Words a caption line must not be broken between: a number and its unit, a date, a name.

A reader takes "27 May | 1937" or "$3.5 | million" as two things, so a line (or a caption) may only break
between groups. Groups are found by rule, not by a model: digits and number words with the units, currencies
and scales that follow them; day, month and year in either order; runs of capitalised words (with "of",
"de", "van" ... inside) that are more than a capital at the start of a sentence. Text without spaces
(Chinese, Japanese) keeps a number with the characters written against it ("1937年5月27日").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from tools.text.line_breaks import Unit, join, units

# Stripped from both ends of a word before it is classified ("1937," -> "1937", "(Dr." -> "Dr").
_EDGE = ",.;:!?\"'“”‘’„«»‹›()[]{}…¿¡"
_CLAUSE_PUNCT = frozenset(",;:.!?…")
_SENTENCE_END = frozenset(".!?…:")
_OPENERS = frozenset("([{«‹“‘„¿¡\"'")

_NUMBER_WORDS = frozenset(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety "
    "hundred thousand million billion trillion dozen half".split()
)
_SCALES = frozenset("hundred thousand million billion trillion dozen k m bn mn lakh crore".split())
_CURRENCY_WORDS = frozenset(
    "dollar dollars cent cents euro euros pound pounds pence penny sterling yen yuan renminbi rupee rupees "
    "franc francs peso pesos rouble roubles ruble rubles krona kronor krone kroner won bucks "
    "usd eur gbp jpy cny chf inr aud cad".split()
)
_CURRENCY_SIGNS = frozenset("$ € £ ¥ ₹ ₩ ₽ us$ a$ c$ r$ hk$ rs rs. usd eur gbp jpy cny chf inr".split())
_UNITS = (
    _SCALES
    | _CURRENCY_WORDS
    | frozenset(
        # percentages, temperatures and angles
        "% ‰ percent per-cent pc pp °c °f ° °k degree degrees celsius fahrenheit kelvin points "
        # length, area, volume
        "nm µm mm cm m km ft yd mi metre metres meter meters kilometre kilometres kilometer kilometers "
        "centimetre centimetres centimeter centimeters millimetre millimetres millimeter millimeters "
        "inch inches foot feet yard yards mile miles light-year light-years m² m2 km² km2 m³ m3 ha hectare "
        "hectares acre acres ml cl l litre litres liter liters gallon gallons cup cups "
        "tablespoon tablespoons teaspoon teaspoons tbsp tsp "
        # mass and energy
        "mg g kg t lb lbs oz gram grams kilogram kilograms kilo kilos tonne tonnes ton tons ounce ounces "
        "cal kcal calorie calories kj j w kw mw gw tw kwh mwh gwh v hz khz mhz ghz db hp "
        # speed and data
        "mph kph km/h m/s knots b kb mb gb tb pb byte bytes bit bits "
        # time and era
        "s sec secs ms min mins h hr hrs second seconds minute minutes hour hours day days week weeks month "
        "months year years decade decades century centuries millennium millennia am pm a.m p.m o'clock uhr "
        "ad bc bce ce".split()
    )
)
_MONTHS = frozenset(
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec "
    "januar februar märz mai juni juli oktober dezember "
    "janvier février mars avril juin juillet août septembre octobre novembre décembre "
    "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre".split()
)
_MONTH_SHORT = frozenset("jan feb mar apr jun jul aug sep sept oct nov dec".split())
_WEEKDAYS = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday "
    "mon tue tues wed thu thur thurs fri sat sun".split()
)
_ERA_OR_TIME = frozenset("ad bc bce ce am pm a.m p.m".split())
_DATE_LINKS = frozenset("of de del di".split())
_RANGE_LINKS = frozenset("to - – — bis à a".split())
# Lower-case words that may sit inside a name: "Bank of England", "Leonardo da Vinci", "Alexander the Great".
_NAME_LINKS = frozenset("of the de da di del della der den van von du des la le bin ibn al el &".split())
_PRONOUN_I = frozenset("i i'm i've i'll i'd i’m i’ve i’ll i’d".split())
# Titles and other abbreviations whose full stop does not end a sentence.
_TITLES = frozenset(
    "dr mr mrs ms mx prof sr jr st mt ft gen col capt lt sgt rev hon pres gov sen rep no vol fig".split()
)
# Capitalised only because a sentence starts with them: never the start of a name there.
_STARTERS = frozenset(
    "a an the this that these those it its they them we you he she i our their his her my your there here "
    "what why how who whom where which when while whether if but and or so yet nor as because since "
    "although though once now then today tomorrow yesterday later soon first next finally also still even "
    "just only in on at by for from with into onto over under about after before during without within "
    "across against among around behind below beyond despite unlike like near through throughout until "
    "upon some many most much all each every no not both few more less another other such one "
    "however meanwhile instead indeed perhaps maybe yes no please let "
    "der die das ein eine es er sie wir ich im am auf aus bei mit nach von zu und aber dann heute wenn als "
    "le la les un une il elle nous vous ils elles en dans pour et mais "
    "el los las una ella ellos en con para por y pero".split()
)
_ROMAN = re.compile(r"^[IVXLC]+$")
_DAY = re.compile(r"^(\d{1,2})(?:st|nd|rd|th|er|e|º|°)?$", re.IGNORECASE)
_YEAR = re.compile(r"^\d{3,4}$")
_DECADE = re.compile(r"^(?:\d{2,4}|['’]\d{2})['’]?s$")
_THOUSANDS = re.compile(r"^\d{3}$")
_SMALL = re.compile(r"^\d{1,3}$")
_FRACTION = re.compile(r"^\d+/\d+$")
_INITIALS = re.compile(r"^(?:[^\W\d_]\.)*[^\W\d_]$")
_SHORT_NUMBER = re.compile(r"^\d{1,4}[a-z]?$")

# How badly a line ends on a word: an article or determiner worst, then prepositions, then conjunctions.
_WEAK_ENDINGS: dict[str, float] = {
    **dict.fromkeys(
        "a an the this these those my your his her its our their every each "
        "der die das den dem des ein eine einen einem einer eines "
        "le la les l' un une des du au aux el los las una unos unas il lo gli uno".split(),
        1.0,
    ),
    **dict.fromkeys(
        "of to in on at by for from with into onto over under about after before between through during "
        "without within across against among around behind below beneath beside beyond near per since "
        "toward towards until upon via than like nearly almost roughly approximately some "
        "von zu mit für auf aus bei nach über unter vor "
        "de à dans pour par sur avec en con por para sin sobre".split(),
        0.6,
    ),
    **dict.fromkeys(
        "and or but nor if because as while whereas although though "
        "und oder aber et ou mais y o pero".split(),
        0.4,
    ),
}

# Words Title Case leaves in lower case.
_SMALL_WORDS = frozenset(_WEAK_ENDINGS) | _NAME_LINKS | frozenset("is are was be".split())


@dataclass(frozen=True, slots=True)
class _Word:
    """A unit as written, its bare form (edge punctuation stripped) and what it could be part of."""

    text: str
    bare: str
    lower: str
    spaced: bool
    trail: str  # edge punctuation after it
    clean: bool  # no clause punctuation after it, so it may run on into the next word's group
    alnum: bool
    numeric: bool
    unit: bool
    capital: bool
    abbreviation: bool  # a title or initials whose full stop does not end the sentence ("Dr.", "U.S.")
    day: bool
    year: bool
    month: bool
    weekday: bool


def _word(unit: Unit) -> _Word:
    """Classify a unit once."""
    text = unit.text
    bare = text.strip(_EDGE) or text
    lower = bare.casefold()
    trail = text[len(text.rstrip(_EDGE)) :]
    digits = any(char.isdigit() for char in text)
    letters = [char for char in text if char.isalpha()]
    day = _DAY.match(bare)
    return _Word(
        text=text,
        bare=bare,
        lower=lower,
        spaced=unit.spaced,
        trail=trail,
        clean=not any(char in _CLAUSE_PUNCT for char in trail),
        alnum=digits or bool(letters) or any(char.isalnum() for char in text),
        numeric=digits or all(part in _NUMBER_WORDS for part in lower.split("-")),
        unit=lower in _UNITS or text in ("%", "‰", "°"),
        capital=bool(letters) and letters[0].isupper(),
        abbreviation=text.rstrip("\"'”’)]»").endswith(".")
        and (lower in _TITLES or bool(_INITIALS.match(bare))),
        day=day is not None and 1 <= int(day.group(1)) <= 31,
        year=bool(_YEAR.match(bare)),
        month=lower in _MONTHS,
        weekday=lower in _WEEKDAYS,
    )


def unbreakable(pieces: Sequence[Unit]) -> list[bool]:
    """For each unit, whether a line must not break right before it: it continues a number, date or name.

    `pieces` are the units of one sentence as `line_breaks.units` gives them; the first flag is always False.
    """
    words = [_word(unit) for unit in pieces]
    glued = [False] * len(words)
    _glue_marks_and_scripts(words, glued)
    _glue_numbers(words, glued)
    _glue_dates(words, glued)
    _glue_names(words, glued)
    return glued


def word_groups(text: str) -> list[str]:
    """The unbreakable groups of two or more units in text, as written ("27 May 1937", "Ada Lovelace")."""
    pieces = units(text)
    glued = unbreakable(pieces)
    groups: list[str] = []
    start = 0
    for index in range(1, len(pieces) + 1):
        if index == len(pieces) or not glued[index]:
            if index - start > 1:
                groups.append(join(pieces[start:index]))
            start = index
    return groups


def weak_ending(word: str) -> float:
    """How badly a line ends on `word`: 1 for an article, less for a preposition or conjunction, else 0."""
    if any(char in _CLAUSE_PUNCT for char in word[len(word.rstrip(_EDGE)) :]):
        return 0.0  # "the end of it," ends a clause, not a dangling article
    return _WEAK_ENDINGS.get(word.strip(_EDGE).casefold(), 0.0)


def _glue_marks_and_scripts(words: list[_Word], glued: list[bool]) -> None:
    """Lone marks stay with their word; in text without spaces, a number stays with its characters."""
    for k in range(1, len(words)):
        before, word = words[k - 1], words[k]
        if not word.spaced:
            # Text without spaces: "1937年", "5月27日", "第3章" read as one.
            if any(c.isdigit() for c in before.text):
                glued[k] = True
            elif any(c.isdigit() for c in word.text) and (glued[k - 1] or before.text in ("第", "約", "约")):
                glued[k] = True  # the next number of a date, or an ordinal
            continue
        if not word.alnum and not _leads(word):
            glued[k] = True  # "40 %", "word —", "so !"
        elif not before.alnum and _leads(before):
            glued[k] = True  # "( word", "« mot", "$ 5", "# 1"


def _leads(word: _Word) -> bool:
    """Whether a mark belongs to the word after it: an opening bracket or quote, a currency sign, "#"."""
    return all(char in _OPENERS or char in "#№§~≈±" for char in word.text) or word.lower in _CURRENCY_SIGNS


def _glue_numbers(words: list[_Word], glued: list[bool]) -> None:
    """A number with its unit, currency or scale: "1,200 km", "$ 3.5 million", "39 dollars 99"."""
    n = len(words)
    for k in range(1, n):
        before, word = words[k - 1], words[k]
        after = words[k + 1] if k + 1 < n else None
        if not before.clean:
            continue
        if before.numeric and word.unit:
            glued[k] = True
        elif before.numeric and word.lower in ("square", "cubic", "sq", "per") and after and after.unit:
            glued[k] = glued[k + 1] = True  # "5 square metres", "40 per cent"
        elif (before.unit or before.lower in ("square", "cubic")) and glued[k - 1] and word.lower == "per":
            if after is not None and (after.unit or after.lower in ("cent",)):
                glued[k] = glued[k + 1] = True  # "60 km per hour"
        elif before.lower in _SCALES and glued[k - 1] and word.unit:
            glued[k] = True  # "3.5 million dollars"
        elif before.lower in _CURRENCY_SIGNS and word.numeric:
            glued[k] = True  # "$ 5", "USD 40"
        elif before.numeric and word.numeric and _numbers_run_on(before, word):
            glued[k] = True  # "1 200", "twenty five", "3 1/2"
        elif before.lower in _CURRENCY_WORDS and glued[k - 1] and _SMALL.match(word.bare):
            glued[k] = True  # "39 dollars 99"
        elif before.numeric and word.lower in _RANGE_LINKS and after is not None and after.numeric:
            glued[k] = glued[k + 1] = True  # "5 to 10 km"


def _numbers_run_on(before: _Word, word: _Word) -> bool:
    """Whether two numbers side by side read as one: a thousands group, a fraction, or number words."""
    if before.bare.isdigit() and _SMALL.match(before.bare) and _THOUSANDS.match(word.bare):
        return True
    if before.bare.isdigit() and _FRACTION.match(word.bare):
        return True
    return not any(c.isdigit() for c in before.text + word.text)


def _glue_dates(words: list[_Word], glued: list[bool]) -> None:
    """Day, month and year in any order: "27 May 1937", "May 27, 1937", "the 27th of May", "the 1930s"."""
    n = len(words)
    for k in range(1, n):
        before, word = words[k - 1], words[k]
        after = words[k + 1] if k + 1 < n else None
        # "27." (German) and "Sept." keep their full stop; a comma ends the group, but for "May 27, 1937".
        open_end = before.clean or before.trail == "." and (before.day or before.lower in _MONTH_SHORT)
        if open_end and before.day and word.month:
            glued[k] = True
        elif open_end and before.month and (word.day or word.year):
            glued[k] = True
        elif (
            before.day
            and before.trail == ","
            and k >= 2
            and glued[k - 1]
            and words[k - 2].month
            and word.year
        ):
            glued[k] = True  # "May 27, 1937"
        elif (
            before.clean and (before.day or before.month) and word.lower in _DATE_LINKS and after is not None
        ):
            if (before.day and after.month) or (before.month and after.year):
                glued[k] = glued[k + 1] = True  # "27th of May", "mayo de 1937"
        elif before.weekday and (word.day or word.month) and before.trail in ("", ",", "."):
            glued[k] = True  # "Monday, 27 May"
        elif before.lower == "the" and before.clean and (_DECADE.match(word.bare) or _ordinal(word)):
            glued[k] = True  # "the 1930s", "the 27th"
        elif before.year and before.clean and word.lower in _ERA_OR_TIME:
            glued[k] = True


def _ordinal(word: _Word) -> bool:
    return word.day and not word.bare.isdigit()


def _glue_names(words: list[_Word], glued: list[bool]) -> None:
    """Runs of capitalised words, with "of", "de", "van" ... between them, and a number after a name."""
    content = [w for w in words if any(c.isalpha() for c in w.text) and w.lower not in _SMALL_WORDS]
    if len(content) >= 3 and all(w.capital for w in content):
        return  # Title Case Or ALL CAPS text: capitals say nothing about names here
    n = len(words)
    in_name = [False] * n
    for k in range(n):
        word = words[k]
        if not word.capital or not word.spaced and k > 0:
            continue
        starts_sentence = k == 0 or _ends_sentence(words[k - 1])
        if k > 0 and in_name[k - 1] and _links(words[k - 1], word):
            in_name[k] = glued[k] = True
            continue
        if starts_sentence and word.lower in _STARTERS or word.lower in _PRONOUN_I:
            continue
        in_name[k] = True
        # "Bank of England", "Leonardo da Vinci", "Bank of the West": at most two links in a row.
        if k >= 2 and in_name[k - 2] and words[k - 1].lower in _NAME_LINKS and words[k - 2].clean:
            glued[k - 1] = glued[k] = True
        elif (
            k >= 3
            and in_name[k - 3]
            and words[k - 3].clean
            and words[k - 2].lower in _NAME_LINKS
            and words[k - 1].lower in _NAME_LINKS
            and words[k - 2].clean
            and words[k - 1].clean
        ):
            glued[k - 2] = glued[k - 1] = glued[k] = True
    for k in range(1, n):
        before, word = words[k - 1], words[k]
        # "Apollo 11", "Boeing 747", "World War 2"
        if in_name[k - 1] and before.clean and _SHORT_NUMBER.match(word.bare) and word.spaced:
            glued[k] = True


def _links(before: _Word, word: _Word) -> bool:
    """Whether a capital word continues the name before it ("Ada Lovelace", "Dr. Smith", "World War II")."""
    if before.trail == "":
        return word.lower not in _PRONOUN_I or word.lower == "i"
    if before.abbreviation:
        return word.lower not in _STARTERS or bool(_ROMAN.match(word.bare))
    return False


def _ends_sentence(word: _Word) -> bool:
    """Whether the next word starts a sentence: a full stop, ! ? or : after a word that is no abbreviation."""
    return any(char in _SENTENCE_END for char in word.trail) and not word.abbreviation
