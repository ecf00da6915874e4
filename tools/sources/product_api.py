"""A product-data HTTP API (ScrapingDog-style): one GET per product id, its JSON mapped onto a Product."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from state.sources import Product
from tools.errors import BadInput, ServiceUnavailable
from tools.secrets import MASK, redact
from tools.sources.catalogue import product_from_fields
from tools.web import USER_AGENT

MAX_ANSWER_BYTES = 5 * 1024 * 1024
EXAMPLE = "https://api.scrapingdog.com/amazon/product?api_key={key}&asin={id}&domain=com"


class ProductApi:
    """Asks a product API for one product; `url_template` holds {id} and, when the API needs a key, {key}.

    Messages name the API by its host only: the full URL carries the key.
    """

    def __init__(
        self, url_template: str, key: str | None, *, http: httpx.Client, timeout_s: float = 30.0
    ) -> None:
        template = url_template.strip()
        parts = urlsplit(template)
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise BadInput(f"REELFORGE_PRODUCT_API_URL is not an http(s) URL; set it like {EXAMPLE}")
        if "{id}" not in template:
            raise BadInput(
                f"REELFORGE_PRODUCT_API_URL has no {{id}} for the product id; set it like {EXAMPLE}"
            )
        self.template = template
        self.host = parts.hostname if parts.port is None else f"{parts.hostname}:{parts.port}"
        self._key = key or None
        self.http = http
        self.timeout_s = timeout_s

    def __repr__(self) -> str:
        return f"ProductApi(host={self.host!r})"

    def _hide(self, text: str) -> str:
        """`text` without the key (raw or URL-quoted) and without anything else key-shaped."""
        if self._key:
            text = text.replace(quote(self._key, safe=""), MASK).replace(self._key, MASK)
        return redact(text)

    def product(self, product_id: str) -> Product:
        """The product with this id (an ASIN, a SKU), with its price, rating, features, image and link."""
        wanted = product_id.strip()
        if not wanted:
            raise BadInput("the product id is empty; give one such as api:B0C7HGFSN2")
        url = self.template.replace("{id}", quote(wanted, safe=""))
        if "{key}" in url:
            if self._key is None:
                raise BadInput(f"the product API at {self.host} needs a key; set REELFORGE_PRODUCT_API_KEY")
            url = url.replace("{key}", quote(self._key, safe=""))
        api = f"the product API at {self.host}"
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        try:
            with self.http.stream(
                "GET", url, headers=headers, follow_redirects=True, timeout=self.timeout_s
            ) as response:
                status = response.status_code
                body = _read(response, api)
        except httpx.TimeoutException:
            raise ServiceUnavailable(
                f"{api} did not answer within {self.timeout_s:g} s; try again later"
            ) from None
        except httpx.HTTPError as exc:
            reason = self._hide((str(exc).strip() or type(exc).__name__).splitlines()[0])
            raise ServiceUnavailable(f"cannot reach {api} ({reason}); try again later") from None
        if status in (401, 403):
            raise BadInput(f"{api} refused the key ({status}); check REELFORGE_PRODUCT_API_KEY")
        if status in (404, 410):
            raise BadInput(self._hide(f"the product API has no product {wanted}; check the id"))
        if status == 429 or status >= 500:
            raise ServiceUnavailable(f"{api} answered {status}; try again later")
        if status >= 400:
            detail = self._hide(_message(body))
            shown = f"{status}: {detail}" if detail else str(status)
            raise BadInput(
                self._hide(
                    f"{api} refused the product {wanted} ({shown}); "
                    "check the id and REELFORGE_PRODUCT_API_URL"
                )
            )
        try:
            answer = json.loads(body)
        except ValueError:
            answer = None
        if isinstance(answer, list) and len(answer) == 1:
            answer = answer[0]
        if not isinstance(answer, dict):
            raise BadInput(f"{api} did not answer with a JSON object; check REELFORGE_PRODUCT_API_URL")
        link = next(
            (str(answer[key]) for key in ("url", "product_url", "link") if _is_http(answer.get(key))), None
        )
        return product_from_fields(
            _flat(answer),
            self._hide(link) if link else f"api:{wanted}",
            where=f"{api}'s product {wanted}",
            base=None,
        )


def _read(response: httpx.Response, api: str) -> bytes:
    body = bytearray()
    for chunk in response.iter_bytes():
        body += chunk
        if len(body) > MAX_ANSWER_BYTES:
            raise ServiceUnavailable(f"{api} sent more than {MAX_ANSWER_BYTES >> 20} MB for one product")
    return bytes(body)


def _message(body: bytes) -> str:
    """The error message of a JSON error answer ({"message": …} or {"error": …}), one line."""
    try:
        answer = json.loads(body)
    except ValueError:
        return ""
    if isinstance(answer, dict):
        for key in ("message", "error", "detail"):
            value = answer.get(key)
            if isinstance(value, str) and value.strip():
                return " ".join(value.split())[:200]
    return ""


def _is_http(value: Any) -> bool:
    return isinstance(value, str) and urlsplit(value.strip()).scheme.lower() in ("http", "https")


def _flat(answer: dict[str, Any]) -> dict[str, Any]:
    """The answer with the main image before the gallery, so the product's picture is the main one."""
    flat = dict(answer)
    for key in ("main_image", "image"):
        if _is_http(flat.get(key)):
            flat.pop("images", None)
            break
    return flat
