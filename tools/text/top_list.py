"""The offline "Top N" writer: a countdown over catalogue products that states only their own fields."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from state import Citation, SceneSpec, Script
from state.sources import Product
from tools.errors import BadInput
from tools.text.headlines import cap_first
from tools.text.offline_writer import TARGET_FILL
from tools.text.outline_phrases import STOPWORDS
from tools.text.quality import count_words, normalise_text, scene_budgets, word_limits
from tools.text.topic_phrasing import MAX_TITLE_CHARS, clean_topic, pick, subject_of, trim_edges

__all__ = [
    "MAX_PRODUCTS",
    "MAX_SCREEN_CHARS",
    "WRITER",
    "format_price",
    "product_links",
    "products_block",
    "products_that_fit",
    "rank_products",
    "spoken_price",
    "with_links",
    "write_top_list",
]

WRITER = "offline-top-list"
# A countdown longer than ten is a catalogue, not a video.
MAX_PRODUCTS = 10
# "#10 " plus a name this long still fits one line of a card's headline and of a vertical frame.
MAX_SCREEN_CHARS = 32
# The category stands in for the topic when the topic names none ("Top 5 picks").
DEFAULT_CATEGORY = "picks"

_NUMBER_WORDS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
# "top 5", "5 best", "the best", "our top 10 of the": what a topic says about ranking, not what it ranks.
_RANKING_LEAD = re.compile(
    r"^(?:(?:the|our|my)\s+)?(?:(?:top|best)\s+\d+|\d+\s+(?:best|top)|top|best)\s+(?:of\s+(?:the\s+)?)?",
    re.IGNORECASE,
)
_RANKING_TAIL = re.compile(r"\s+(?:ranked|compared|reviewed|countdown)$", re.IGNORECASE)
_SMALL_TITLE_WORDS = frozenset("a an the and or for of in on under over with to at by vs from per".split())
# A feature that starts with one of these reads as what the product does: "boils fast" -> "It boils fast."
_VERBS = frozenset(
    "adds arrives blends boils brews charges cleans comes connects cools cuts delivers doubles features "
    "fits folds gives grinds has heats holds includes keeps lasts lets makes measures needs offers plays "
    "provides reaches records runs saves ships shuts starts stays stores supports switches takes tracks "
    "turns uses weighs works".split()
)
# A shop title's details in brackets: "(2nd Generation)", "[2024 model]".
_BRACKETED = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")
MAX_NAME_WORDS = 8
# Words a truncated on-screen name must not end on: "#3 Acme Kettle with" reads as a mistake.
_DANGLING = frozenset("a an the and or for of in on with to at by from plus".split())

HOOKS = (
    "Here are the {n} best {x}, ranked.",
    "These are the {n} best {x}, counted down.",
    "Counting down the {n} best {x}.",
)
TINY_HOOK = "The top {n} {x}."
SINGLE_HOOK = "Here is the best of the {x}."
SINGLE_TINY_HOOK = "The top pick."


@dataclass(frozen=True)
class _Currency:
    """How a currency is written and spoken."""

    symbol: str
    unit: str
    units: str
    minor: str
    minors: str


_DOLLAR = _Currency("$", "dollar", "dollars", "cent", "cents")
_POUND = _Currency("\u00a3", "pound", "pounds", "penny", "pence")
_EURO = _Currency("\u20ac", "euro", "euros", "cent", "cents")
_CURRENCIES = {"USD": _DOLLAR, "$": _DOLLAR, "GBP": _POUND, "\u00a3": _POUND, "EUR": _EURO, "\u20ac": _EURO}
# Codes written after the amount ("19.99 CAD"), spoken by name: espeak-ng spells a code out letter by letter.
_CODE_NAMES = {
    "AUD": "Australian dollars",
    "CAD": "Canadian dollars",
    "CHF": "Swiss francs",
    "INR": "rupees",
    "JPY": "yen",
    "NZD": "New Zealand dollars",
}


def rank_products(products: Sequence[Product]) -> list[Product]:
    """Best first: higher rating, then more features, then lower price (unknowns last); stable; at most 10."""

    def key(product: Product) -> tuple[bool, float, int, bool, float]:
        rating = _amount(product.get("rating"))
        price = _amount(product.get("price"))
        return (rating is None, -(rating or 0.0), -len(_features(product)), price is None, price or 0.0)

    return sorted(products, key=key)[:MAX_PRODUCTS]


def product_links(products: Sequence[Product]) -> list[dict[str, str]]:
    """{"name", "url"} of each product with an http(s) link, in the given order, for publishers."""
    links = []
    for product in products:
        url = _link(product)
        if url:
            links.append({"name": _name(product) or str(product.get("name", "")).strip(), "url": url})
    return links


def format_price(price: float, currency: str) -> str:
    """A price as written: "$19.99", "£5", "€1,299.50", "19.99 CAD", or "19.99" without a currency."""
    amount = _written_amount(price)
    code = currency.strip()
    known = _CURRENCIES.get(code.upper())
    if known is not None:
        return f"{known.symbol}{amount}"
    if code and not any(char.isalpha() for char in code):
        return f"{code}{amount}"
    return f"{amount} {code.upper()}" if code else amount


def spoken_price(price: float, currency: str) -> str:
    """A price as the voices read it well: "39 dollars 99", not "dollar thirty-nine point nine nine"."""
    code = currency.strip()
    known = _CURRENCIES.get(code.upper())
    if known is None:
        name = _CODE_NAMES.get(code.upper())
        return f"{_written_amount(price)} {name}" if name else format_price(price, currency)
    whole, minor = divmod(round(price * 100), 100)
    units = known.unit if whole == 1 else known.units
    minors = known.minor if minor == 1 else known.minors
    if whole == 0:
        return f"{minor} {minors}"
    if minor == 0:
        return f"{whole:,} {units}"
    # "39 dollars 5" would be heard as 39.50; under ten the small unit is named.
    return f"{whole:,} {units} {minor}" if minor >= 10 else f"{whole:,} {units} and {minor} {minors}"


def products_block(products: Sequence[Product]) -> str:
    """The products for a model's prompt, one line each, "#1" first, with exactly the fields it may use."""
    lines = []
    for rank, product in enumerate(products, start=1):
        parts = [f"#{rank} {_name(product)}"]
        price = _amount(product.get("price"))
        if price is not None:
            parts.append(f"price: {format_price(price, str(product.get('currency') or ''))}")
        rating = _amount(product.get("rating"))
        if rating is not None:
            parts.append(f"rating: {_rating_phrase(rating)}")
        features = _features(product)
        if features:
            parts.append("features: " + "; ".join(features))
        url = _link(product)
        if url:
            parts.append(f"link: {url}")
        if product.get("source"):
            parts.append(f"source: {product['source']}")
        lines.append(" | ".join(parts))
    return "\n".join(lines) or "(no products given)"


def products_that_fit(
    products: Sequence[Product], duration_s: int, words_per_second: float, topic: str = ""
) -> list[Product]:
    """The products a `duration_s` video shows, best first: all of them (at most 10) when the budget holds
    each one's name, price and rating, else the best ones it does (at least one); nameless ones never."""
    ranked = [product for product in rank_products(products) if _name(product)]
    return _fitting(ranked, _budget(duration_s, words_per_second), _category(topic))


def _fitting(ranked: list[Product], budget: float, category: str) -> list[Product]:
    """The longest head of `ranked` whose shortest script (tiny hook, names, short price lines) fits."""
    for count in range(len(ranked), 0, -1):
        shown = ranked[:count]
        base = count_words(_tiny_hook(count, category)) + count_words(_tiny_cta(shown))
        for rank, (product, name) in enumerate(zip(shown, _spoken_names(shown), strict=True), start=1):
            base += count_words(_intro(name, rank, count)) + count_words(_spec(product, full=False))
        if base <= budget:
            return shown
    return ranked[:1]


def write_top_list(topic: str, products: list[Product], duration_s: int, words_per_second: float) -> Script:
    """A "Top N" countdown script from products alone (#N first, #1 last): it states only their names,
    prices, ratings and features, fits the word budget, and lists every product's link in the description."""
    budget = _budget(duration_s, words_per_second)
    category = _category(topic)
    ranked = [product for product in rank_products(products) if _name(product)]
    if not ranked:
        raise BadInput("the catalogue has no product with a name; give each row at least a name")
    shown = _fitting(ranked, budget, category)
    count = len(shown)
    key = normalise_text(category) or category
    names = _spoken_names(shown)

    # The countdown: scene 1 presents the last-ranked product, the last scene the best one.
    scenes = [
        _Scene(
            intro=_intro(names[rank - 1], rank, count),
            short_spec=_spec(product, full=False),
            full_spec=_spec(product, full=True),
            features=[sentence for text in _features(product) if (sentence := _feature_sentence(text))],
        )
        for rank, product in reversed(list(enumerate(shown, start=1)))
    ]
    scenes[0].hook = (_tiny_hook(count, category), _hook(count, category, key))
    scenes[-1].cta = (_tiny_cta(shown), _cta(shown))
    for scene in scenes:
        scene.plan()
    _grow(scenes, budget, scene_budgets(word_limits(duration_s, words_per_second)[1], count))

    title = _title(count, category)
    specs: list[SceneSpec] = []
    for index, (scene, rank) in enumerate(zip(scenes, range(count, 0, -1), strict=True), start=1):
        product = shown[rank - 1]
        specs.append(
            {
                "index": index,
                "narration": " ".join(scene.sentences()),
                "on_screen_text": _screen_text(rank, names[rank - 1]),
                "visual": f"product photo: {_name(product)}",
                "sources": [product["source"]] if product.get("source") else [],
            }
        )
    citations: list[Citation] = [
        {"source": product["source"], "title": _name(product)} for product in shown if product.get("source")
    ]
    return {
        "title": title,
        "hook": scenes[0].sentences()[0],
        "scenes": specs,
        "call_to_action": scenes[-1].sentences()[-1],
        "description": _description(title, category, shown),
        "tags": _tags(category, count, shown),
        "citations": citations,
        "writer": WRITER,
    }


@dataclass
class _Scene:
    """One product's scene: a fixed introduction and the optional lines it grows by, in order."""

    intro: str
    short_spec: str
    full_spec: str
    features: list[str]
    hook: tuple[str, str] | None = None
    cta: tuple[str, str] | None = None
    taken: set[str] = field(default_factory=set)
    extras: list[str] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)

    def plan(self) -> None:
        """The features it may grow by, in the catalogue's order."""
        self.steps = [f"feature:{position}" for position in range(len(self.features))]

    def sentences(self, extra: str = "") -> list[str]:
        """The scene's narration as sentences, with `extra` (a step) taken as well."""
        taken = self.taken | {extra} if extra else self.taken
        lines: list[str] = []
        if self.hook:
            lines.append(self.hook[1] if "hook" in taken else self.hook[0])
        lines.append(self.intro)
        spec = self.full_spec if "spec" in taken else self.short_spec
        if spec:
            lines.append(spec)
        steps = [*self.extras, extra] if extra.startswith("feature:") else self.extras
        lines += [self.features[int(step.split(":", 1)[1])] for step in steps]
        if self.cta:
            lines.append(self.cta[1] if "cta" in taken else self.cta[0])
        return lines

    def words(self, extra: str = "") -> int:
        """Spoken words of the narration, with `extra` taken as well."""
        return sum(count_words(line) for line in self.sentences(extra))

    def own_words(self) -> int:
        """Spoken words about the product itself: without the hook and the call to action."""
        framing = [self.hook[1] if "hook" in self.taken else self.hook[0]] if self.hook else []
        if self.cta:
            framing.append(self.cta[1] if "cta" in self.taken else self.cta[0])
        return self.words() - sum(count_words(line) for line in framing)

    def take(self, step: str) -> None:
        """Keep a step's line in the narration."""
        if step.startswith("feature:"):
            self.extras.append(step)
        else:
            self.taken.add(step)


def _grow(scenes: list[_Scene], budget: float, scene_caps: list[int]) -> None:
    """Spend what the budget has left: the full call to action and hook, then the full price line in every
    scene (all or none, so the scenes read alike), then features, one at a time to the scene with least,
    within each scene's own budget (`scene_caps`) while any scene has room in its own.

    A feature that does not fit is dropped whole (never cut mid-sentence) and the scene's next one is
    tried: the total only grows, so it would not fit later either.
    """
    total = sum(scene.words() for scene in scenes)
    for position, step in ((len(scenes) - 1, "cta"), (0, "hook")):
        scene = scenes[position]
        new = scene.words(step)
        if total - scene.words() + new <= budget:
            total += new - scene.words()
            scene.take(step)
    spec_delta = sum(scene.words("spec") - scene.words() for scene in scenes)
    if total + spec_delta <= budget:
        total += spec_delta
        for scene in scenes:
            scene.take("spec")
    while True:
        # Balanced on each product's own lines (the hook and call to action do not count against its
        # scene), and on a tie the better product first: #1 never gets less said about it than #5.
        order = sorted(range(len(scenes)), key=lambda i: (scenes[i].own_words(), -i))
        for scene in scenes:
            while scene.steps and total - scene.words() + scene.words(scene.steps[0]) > budget:
                scene.steps.pop(0)
        ready = [position for position in order if scenes[position].steps]
        if not ready:
            return
        within = [p for p in ready if scenes[p].words(scenes[p].steps[0]) <= scene_caps[p]]
        scene = scenes[(within or ready)[0]]
        step = scene.steps.pop(0)
        total += scene.words(step) - scene.words()
        scene.take(step)


def _budget(duration_s: int, words_per_second: float) -> float:
    """The words to aim for: the offline writer's fill, never above the gate's maximum."""
    _, max_words = word_limits(duration_s, words_per_second)
    return min(duration_s * words_per_second * TARGET_FILL, float(max_words))


def _amount(value: object) -> float | None:
    """A usable price or rating: a finite number not below zero, else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) and number >= 0 else None


def _name(product: Product) -> str:
    """The product's name as it is spoken and shown: markup and emoji dropped, spaces tidied."""
    return clean_topic(str(product.get("name") or ""))


def _short_name(product: Product) -> str:
    """The name as a narrator says it: a shop title's details ("(1.7 L)", "- Stainless Steel, Auto Off",
    "with USB-C") dropped, at most eight words; the full name stays in the description."""
    name = _name(product)
    short = " ".join(_BRACKETED.sub(" ", name).split())
    # A bracket left open ("Acme Kettle (1.7 L") opens details too.
    short = re.split(r"\s[(\[]", short, maxsplit=1)[0]
    for mark in (" | ", " - ", " \u2013 ", " \u2014 ", ", ", " with ", " for "):
        head = short.split(mark, 1)[0].strip()
        if count_words(head) >= 2 or (head and mark in (" | ", " - ", " \u2013 ", " \u2014 ", ", ")):
            short = head
    words = short.split()
    if len(words) > MAX_NAME_WORDS:
        words = words[:MAX_NAME_WORDS]
        while len(words) > 1 and words[-1].lower() in _DANGLING:
            words.pop()
    return trim_edges(" ".join(words)) or name


def _spoken_names(shown: Sequence[Product]) -> list[str]:
    """Each product's short name, or its full name where two short names would sound the same."""
    short = [_short_name(product) for product in shown]
    keys = [normalise_text(name) for name in short]
    return [
        name if keys.count(keys[position]) == 1 else _name(product)
        for position, (name, product) in enumerate(zip(short, shown, strict=True))
    ]


def _link(product: Product) -> str:
    """The product's link when it is an http(s) URL (a description must not carry other schemes)."""
    url = str(product.get("link") or "").strip()
    parts = urlsplit(url)
    return url if parts.scheme.lower() in ("http", "https") and parts.netloc and " " not in url else ""


def _features(product: Product) -> list[str]:
    """The product's features, tidied, without empty or repeated ones."""
    seen: set[str] = set()
    features = []
    for raw in product.get("features") or []:
        text = clean_topic(str(raw))
        key = normalise_text(text)
        if key and key not in seen:
            seen.add(key)
            features.append(text)
    return features


def _sentence(text: str) -> str:
    """Text ending as a sentence."""
    return text if text[-1:] in ".!?" else text + "."


def _feature_sentence(text: str) -> str:
    """A feature as a sentence of its own: "boils in 3 minutes" becomes "It boils in 3 minutes."."""
    first, _, rest = text.partition(" ")
    if first.lower() in _VERBS and (first.islower() or first[1:].islower()):
        return _sentence(f"It {first.lower()} {rest}".strip())
    return _sentence(cap_first(text))


def _the(name: str) -> str:
    """The name with "the" before it, unless it starts with an article of its own."""
    return name if name.split(" ", 1)[0].lower() in ("the", "a", "an") else f"the {name}"


def _intro(name: str, rank: int, count: int) -> str:
    # The best comes last; "And number 1" marks the end of the countdown.
    lead = "And number 1" if rank == 1 and count > 1 else f"Number {rank}"
    return _sentence(f"{lead}: {_the(name)}")


def _rating_phrase(rating: float) -> str:
    """ "4.6 out of 5": the scale is the smallest usual one the rating fits (5, 10 or 100)."""
    value = f"{rating:.2f}".rstrip("0").rstrip(".")
    scale = next((top for top in (5, 10, 100) if rating <= top), None)
    return f"{value} out of {scale}" if scale else value


def _spec(product: Product, full: bool) -> str:
    """The price and rating line: short ("39 dollars 99, rated 4.6 out of 5.") or full ("It costs ...")."""
    price = _amount(product.get("price"))
    rating = _amount(product.get("rating"))
    cost = ""
    if price is not None:
        cost = "free" if price == 0 else spoken_price(price, str(product.get("currency") or ""))
    rated = f"rated {_rating_phrase(rating)}" if rating is not None else ""
    if not full:
        return cap_first(", ".join(part for part in (cost, rated) if part)) + "." if cost or rated else ""
    if not cost:
        return f"It is {rated}." if rated else ""
    price_clause = "is free" if cost == "free" else f"costs {cost}"
    if not rated:
        return f"It {price_clause}."
    return f"It {price_clause} and {rated}." if cost == "free" else f"It {price_clause} and is {rated}."


def _category(topic: str) -> str:
    """What the topic ranks, for "the 5 best <category>": "Top 10 electric kettles" -> "electric kettles"."""
    clean = clean_topic(topic[:500]) if topic else ""
    stripped = _RANKING_TAIL.sub("", _RANKING_LEAD.sub("", clean)).strip()
    stripped = trim_edges(stripped)
    if not stripped:
        return DEFAULT_CATEGORY
    category = subject_of(stripped)
    # "Kettles" alone is a common noun at a sentence's start; mid-sentence it reads "the 5 best kettles".
    if " " not in category and category[1:].islower():
        category = category.lower()
    return category


def _title_case(text: str) -> str:
    words = text.split()
    return " ".join(
        cap_first(word) if word.islower() and (position == 0 or word not in _SMALL_TITLE_WORDS) else word
        for position, word in enumerate(words)
    )


def _title(count: int, category: str) -> str:
    title = f"Top pick: {_title_case(category)}" if count == 1 else f"Top {count} {_title_case(category)}"
    if len(title) <= MAX_TITLE_CHARS:
        return title
    return title[: MAX_TITLE_CHARS + 1].rsplit(" ", 1)[0].rstrip(" ,;:-")


def _count_word(count: int) -> str:
    return _NUMBER_WORDS[count - 1] if 1 <= count <= len(_NUMBER_WORDS) else str(count)


def _hook(count: int, category: str, key: str) -> str:
    if count == 1:
        return SINGLE_HOOK.format(x=category)
    return pick(HOOKS, key, "top-list-hook").format(n=_count_word(count), x=category)


def _tiny_hook(count: int, category: str) -> str:
    return SINGLE_TINY_HOOK if count == 1 else TINY_HOOK.format(n=_count_word(count), x=category)


def _cta(shown: Sequence[Product]) -> str:
    linked = sum(1 for product in shown if _link(product))
    if not linked:
        return "Follow for more top picks."
    if len(shown) == 1:
        return "The link is in the description."
    if linked == len(shown):
        return f"Links to all {_count_word(len(shown))} are in the description."
    return "Links are in the description."


def _tiny_cta(shown: Sequence[Product]) -> str:
    if not any(_link(product) for product in shown):
        return "Follow for more."
    return "Link below." if len(shown) == 1 else "Links below."


def _screen_text(rank: int, name: str) -> str:
    """ "#3 Acme Kettle", at most 32 characters: a long name is cut after a whole word."""
    prefix = f"#{rank} "
    room = MAX_SCREEN_CHARS - len(prefix)
    if len(name) <= room:
        return prefix + name
    kept: list[str] = []
    for word in name.split():
        if len(" ".join([*kept, word])) > room:
            break
        kept.append(word)
    # A cut that leaves a bracket open or a joining word at the end reads as a mistake.
    while kept and (kept[-1].lower().strip(",;:-") in _DANGLING or _open_bracket(" ".join(kept))):
        kept.pop()
    shown = " ".join(kept).rstrip(" ,;:-\u2013\u2014/&+")
    # A first word longer than the line is cut inside, and the ellipsis says so.
    return prefix + (shown or name[: room - 1].rstrip() + "\u2026")


def _open_bracket(text: str) -> bool:
    return text.count("(") > text.count(")")


def with_links(description: str, products: Sequence[Product]) -> str:
    """`description` with a "#k Name — price — link" line added for each product (ranked as given) whose
    link it lacks: a model's description must still link every product it shows."""
    missing = [
        line
        for line, product in zip(_product_lines(products), products, strict=True)
        if _link(product) and _link(product) not in description
    ]
    return "\n".join([description.rstrip(), "", *missing]) if missing else description


def _product_lines(products: Sequence[Product]) -> list[str]:
    """ "#k Name — $39.99 — https://…" for each product, "#1" first."""
    lines = []
    for rank, product in enumerate(products, start=1):
        parts = [f"#{rank} {_name(product)}"]
        price = _amount(product.get("price"))
        if price is not None:
            parts.append(format_price(price, str(product.get("currency") or "")))
        url = _link(product)
        if url:
            parts.append(url)
        lines.append(" \u2014 ".join(parts))
    return lines


def _description(title: str, category: str, shown: Sequence[Product]) -> str:
    """A summary, then one line per product, best first: "#1 Name — $39.99 — https://…"."""
    count = len(shown)
    summary = (
        f"{title}: the {_count_word(count)} best {category}, counted down from #{count} to #1."
        if count > 1
        else f"{title}: the best of the {category}."
    )
    summary += " Prices and ratings as listed in the catalogue."
    if any(_link(product) for product in shown):
        summary += " Links may be affiliate links."
    return "\n".join([summary, "", *_product_lines(shown)])


def _tags(category: str, count: int, shown: Sequence[Product]) -> list[str]:
    """Up to 10 lowercase tags: the category and its words, "top N", then the products' names."""
    tags: list[str] = []

    def add(raw: str) -> None:
        tag = " ".join(re.sub(r"[^\w\s'-]", " ", raw.lower()).split()).strip("'-")
        if 2 <= len(tag) <= 30 and tag not in tags and len(tags) < 10:
            tags.append(tag)

    words = [word for word in category.split() if word.lower() not in ("the", "a", "an")]
    if 1 < len(words) <= 4:
        add(" ".join(words))
    for word in words:
        if len(word) >= 3 and word.lower() not in STOPWORDS:
            add(word)
    add(f"top {count}")
    for name in _spoken_names(shown):
        add(name)
    return tags


def _written_amount(price: float) -> str:
    """1299.5 -> "1,299.50"; 20.0 -> "20"."""
    cents = round(price * 100)
    return f"{cents // 100:,}" if cents % 100 == 0 else f"{price:,.2f}"
