"""Product catalogues (CSV or JSON; a file or a URL) and the field mapping every product source uses."""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from state.sources import Product
from tools.errors import BadInput
from tools.secrets import redact
from tools.sources.pages import MAX_BYTES, MAX_REDIRECTS, TIMEOUT_S, CheckUrl, fetch_bytes

# A "Top N" video shows a handful of products; a catalogue longer than this is cut after this many.
MAX_PRODUCTS = 50
MAX_FEATURES = 10
# Column (or field) names per product field, compared without case, spaces, "-" or "_".
ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("name", "title", "product", "productname", "producttitle"),
    "price": ("price", "cost", "productprice", "saleprice"),
    "rating": ("rating", "stars", "score", "averagerating"),
    "features": ("features", "highlights", "featurebullets", "aboutitem"),
    "image": ("image", "imageurl", "picture", "photo", "mainimage", "images", "thumbnail"),
    "link": ("link", "url", "affiliatelink", "affiliateurl", "producturl"),
    "currency": ("currency",),
}
_WANTED_ONE_OF = ("price", "rating", "features")
_STARS = "\u2605\u2606\u2b50\u272d\u272e"
_RATING = re.compile(
    r"^(?P<value>\d+(?:[.,]\d+)?)\s*(?:(?:/|out\s+of|of)\s*(?P<scale>\d+(?:[.,]\d+)?))?\s*(?:stars?)?$",
    re.IGNORECASE,
)
_NUMBER_CHARS = re.compile(r"[\d.,\s'\u00a0\u202f]+")


def _key(column: str) -> str:
    return re.sub(r"[\s_\-]+", "", column.strip().lower())


_FIELD_OF = {alias: field for field, aliases in ALIASES.items() for alias in aliases}


def read_catalogue(path: Path) -> list[Product]:
    """Read a CSV or JSON product catalogue; relative image paths resolve against its folder."""
    path = Path(path)
    if not path.exists():
        raise BadInput(f"catalogue not found: {path}; check the path")
    if not path.is_file():
        raise BadInput(f"{path} is not a file; a catalogue is a .csv or .json file")
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise BadInput(f"{path} is {size / 1_048_576:.1f} MB; a catalogue may be at most 5 MB")
    try:
        data = path.read_bytes()
    except OSError as err:
        raise BadInput(f"cannot read {path}: {err.strerror or err}; check the file and try again") from None
    return parse_catalogue(data, str(path), base_dir=path.absolute().parent)


def fetch_catalogue(
    url: str,
    *,
    http: httpx.Client,
    max_bytes: int = MAX_BYTES,
    check_url: CheckUrl | None = None,
    max_redirects: int = MAX_REDIRECTS,
    timeout_s: float = TIMEOUT_S,
) -> list[Product]:
    """Fetch a CSV or JSON catalogue over http(s); relative image paths become URLs next to it."""

    def refuse_pages(content_type: str, final: str) -> None:
        if content_type in ("text/html", "application/xhtml+xml"):
            raise BadInput(
                redact(
                    f"{final} is a web page, not a CSV or JSON catalogue; give the catalogue file's address"
                )
            )

    fetched = fetch_bytes(
        url,
        http=http,
        what="the catalogue",
        max_bytes=max_bytes,
        max_redirects=max_redirects,
        check_url=check_url,
        check_type=refuse_pages,
        accept="text/csv,application/json;q=0.9,*/*;q=0.5",
        timeout_s=timeout_s,
    )
    kind = None
    if fetched.content_type in ("application/json", "text/json"):
        kind = "json"
    elif fetched.content_type == "text/csv":
        kind = "csv"
    return parse_catalogue(fetched.body, fetched.url, base_dir=None, kind=kind)


def parse_catalogue(
    data: bytes, name: str, *, base_dir: Path | None = None, kind: str | None = None
) -> list[Product]:
    """Products from CSV or JSON bytes (by `kind`, else `name`'s suffix, else the first character).

    JSON is a list of objects or {"products": [...]}. `name` is the catalogue's path or URL: errors name it,
    and each product's source is "<name>#row=<n>" (1-based). Relative image paths resolve against `base_dir`
    (the working directory when None), or against `name` when it is a URL. At most MAX_PRODUCTS are kept.
    """
    text = _decode(data, name)
    if kind is None:
        suffix = Path(urlsplit(name).path).suffix.lower()
        if suffix in (".csv", ".json"):
            kind = suffix[1:]
        else:
            kind = "json" if text.lstrip()[:1] in ("[", "{") else "csv"
    if kind == "json":
        rows, columns, what = _json_rows(text, name), None, "field"
    else:
        columns, rows = _csv_rows(text, name)
        what = "column"
    if not rows:
        raise BadInput(f"{name} lists no products; add a row for each product under its header")
    present = {_FIELD_OF[_key(column)] for column in columns or _all_keys(rows) if _key(column) in _FIELD_OF}
    shown = ", ".join(columns or _all_keys(rows)) or "none"
    if "name" not in present:
        raise BadInput(f"{name} has no name {what} (its {what}s: {shown}); add a {what} named name")
    if not present & set(_WANTED_ONE_OF):
        raise BadInput(
            f"{name} has no price, rating or features {what} (its {what}s: {shown}); add at least one of them"
        )
    base: Path | str = name if _is_http(name) else (base_dir or Path.cwd())
    products: list[Product] = []
    for number, row in rows:
        if not any(_filled(value) for value in row.values()):
            continue
        products.append(
            product_from_fields(row, f"{name}#row={number}", where=f"{name} row {number}", base=base)
        )
        if len(products) == MAX_PRODUCTS:
            break
    if not products:
        raise BadInput(f"{name} lists no products; add a row for each product under its header")
    return products


def _decode(data: bytes, name: str) -> str:
    """UTF-8 (with or without a BOM), BOM-marked UTF-16, or else the Windows code page."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    if b"\x00" in data[:4096]:
        raise BadInput(f"{name} looks binary (a spreadsheet?); save it as CSV UTF-8 or JSON")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Spreadsheets on Windows save "CSV" in the ANSI code page.
        return data.decode("cp1252", errors="replace")


def _csv_rows(text: str, name: str) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """The header and (row number, {column: cell}) of each row; the header's most frequent separator wins."""
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = [cell.strip() for cell in next(reader)]
    except StopIteration:
        raise BadInput(f"{name} is empty; give a header row (name, price, …) and a row per product") from None
    except csv.Error as exc:
        raise BadInput(f"{name} is not valid CSV ({exc}); save it again as CSV") from None
    rows: list[tuple[int, dict[str, str]]] = []
    try:
        for number, cells in enumerate(reader, start=1):
            row: dict[str, str] = {}
            for column, cell in zip(header, cells, strict=False):
                if column and column not in row:
                    row[column] = cell
            rows.append((number, row))
    except csv.Error as exc:
        raise BadInput(f"{name} is not valid CSV ({exc}); save it again as CSV") from None
    return [column for column in header if column], rows


def _json_rows(text: str, name: str) -> list[tuple[int, dict[str, Any]]]:
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise BadInput(f"{name} is not valid JSON ({exc.args[0] if exc.args else exc}); fix it") from None
    if isinstance(value, dict):
        value = next((item for key, item in value.items() if _key(key) == "products"), None)
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise BadInput(
            f'{name} is not a list of products; give a JSON list of objects or {{"products": [...]}}'
        )
    return [(number, item) for number, item in enumerate(value, start=1)]


def _all_keys(rows: list[tuple[int, dict[str, Any]]]) -> list[str]:
    keys: dict[str, None] = {}
    for _, row in rows:
        keys.update(dict.fromkeys(row))
    return list(keys)


def _filled(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, str | list | dict):
        return bool(value.strip() if isinstance(value, str) else value)
    return True


def _is_http(text: str) -> bool:
    return urlsplit(text.strip()).scheme.lower() in ("http", "https")


def product_from_fields(
    fields: Mapping[str, Any], source: str, *, where: str, base: Path | str | None = None
) -> Product:
    """One Product from a row, a record or an API answer whose keys are any of the ALIASES.

    `where` names the row in errors ("catalogue.csv row 3"). `base` is what relative image paths resolve
    against: a folder, a URL, or None to keep only absolute http(s) image URLs (services' answers).
    """
    values: dict[str, Any] = {}
    for column, value in fields.items():
        field = _FIELD_OF.get(_key(str(column)))
        if field is not None and field not in values and _filled(value):
            values[field] = value
    name = _text(values.get("name"))
    if not name:
        raise BadInput(f"{where} has no name; fill it in or remove the row")
    price, currency = parse_price(values.get("price"), where)
    given_currency = _text(values.get("currency"))
    return {
        "name": name,
        "price": price,
        "currency": given_currency or currency,
        "rating": parse_rating(values.get("rating"), where),
        "features": parse_features(values.get("features")),
        "image": _image(values.get("image"), where, base),
        "link": _link(values.get("link"), where),
        "source": source,
    }


def _text(value: Any) -> str:
    if value is None or isinstance(value, dict | list):
        return ""
    return " ".join(str(value).split())


def parse_price(value: Any, where: str = "the price") -> tuple[float | None, str]:
    """(amount, currency) from 19.99, "$19.99", "19,99 €", "1,299.00", "1.299,00 EUR"; (None, "") if none."""
    if value is None or value == "":
        return None, ""
    if isinstance(value, bool):
        raise BadInput(f"{where}: the price {value!r} is not a number; write it like 19.99 or $19.99")
    if isinstance(value, int | float):
        if value < 0:
            raise BadInput(f"{where}: the price {value} is negative; write the price the product sells for")
        return float(value), ""
    text = " ".join(str(value).split())
    if not text:
        return None, ""
    numbers = [match for match in _NUMBER_CHARS.findall(text) if any(char.isdigit() for char in match)]
    currency = _NUMBER_CHARS.sub(" ", text).strip()
    problem = f"{where}: the price {text!r} is not a price; write it like 19.99, $19.99 or 19,99 €"
    if len(numbers) != 1 or (currency and (len(currency) > 4 or " " in currency or "-" in text)):
        raise BadInput(problem)
    amount = _amount(numbers[0].strip())
    if amount is None:
        raise BadInput(problem)
    return amount, currency


def _amount(number: str) -> float | None:
    """A number written with either convention of thousands and decimal separators."""
    number = re.sub(r"[\s'\u00a0\u202f]", "", number)
    if "," in number and "." in number:
        decimal = "," if number.rfind(",") > number.rfind(".") else "."
        thousands = "." if decimal == "," else ","
        number = number.replace(thousands, "").replace(decimal, ".")
    elif "," in number or "." in number:
        mark = "," if "," in number else "."
        groups = number.split(mark)
        if len(groups) > 2 or (mark == "," and len(groups[-1]) == 3):
            if not all(len(group) == 3 for group in groups[1:]):
                return None
            number = "".join(groups)
        else:
            number = number.replace(mark, ".")
    try:
        return float(number)
    except ValueError:
        return None


def parse_rating(value: Any, where: str = "the rating") -> float | None:
    """A rating out of 5 from 4.5, "4.5", "4.5/5", "9/10", "★4.5", "4.5 out of 5 stars" or "★★★★☆"."""
    if value is None or value == "":
        return None
    problem = f"{where}: the rating {value!r} is not a rating; write it like 4.5, 4.5/5 or 9/10"
    if isinstance(value, bool):
        raise BadInput(problem)
    if isinstance(value, int | float):
        rating = float(value)
    else:
        text = " ".join(str(value).split())
        if not text:
            return None
        if text and set(text) <= set(_STARS + " "):
            rating = float(text.count("\u2605") + text.count("\u2b50"))
        else:
            found = _RATING.match(text.strip(_STARS + " "))
            if not found:
                raise BadInput(problem)
            rating = float(found["value"].replace(",", "."))
            if found["scale"]:
                scale = float(found["scale"].replace(",", "."))
                if scale <= 0:
                    raise BadInput(problem)
                rating = rating / scale * 5
    if not 0 <= rating <= 5:
        raise BadInput(f"{where}: the rating {value!r} is not out of 5; write it like 4.5 or 9/10")
    return round(rating, 2)


def parse_features(value: Any) -> list[str]:
    """Features from a list, or from a string split on ";", "|" or line breaks (commas stay inside one)."""
    if value is None:
        return []
    items = value if isinstance(value, list) else re.split(r"[;|\n]", str(value))
    features = [" ".join(str(item).split()) for item in items if not isinstance(item, dict | list)]
    return [feature for feature in features if feature][:MAX_FEATURES]


def _image(value: Any, where: str, base: Path | str | None) -> str | None:
    """An http(s) URL or an absolute path; lists (Airtable attachments, API image lists) give their first."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        # An Airtable attachment: {"url": ..., "filename": ..., "type": "image/png"}.
        value = value.get("url")
    text = _text(value)
    if not text:
        return None
    if _is_http(text):
        return text
    if base is None:
        # A service's answer names no file on this machine.
        return None
    if isinstance(base, str):
        joined = urljoin(base, text)
        if not _is_http(joined):
            raise BadInput(redact(f"{where}: the image {text!r} is not an http(s) address; give a URL"))
        return joined
    scheme = urlsplit(text).scheme
    if len(scheme) > 1:
        # "data:", "file:", "ftp:" (a one-letter scheme is a Windows drive).
        raise BadInput(f"{where}: the image {text!r} is neither an http(s) URL nor a file path; give one")
    path = Path(text).expanduser()
    path = (path if path.is_absolute() else base / path).resolve()
    if not path.is_file():
        raise BadInput(f"{where}: the image {text} is not a file ({path}); fix the path or leave it empty")
    return str(path)


def _link(value: Any, where: str) -> str | None:
    text = _text(value)
    if not text:
        return None
    if not _is_http(text):
        raise BadInput(redact(f"{where}: the link {text!r} is not an http(s) URL; give the full address"))
    return text
