"""A "Top N" scene's picture: the product's own image from the catalogue, fitted to the frame."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from langgraph.runtime import Runtime

from state import Context, SceneTask
from state.model_calls import Degradation
from state.sources import Product
from tools.addresses import check_public_url
from tools.errors import BadInput, ServiceUnavailable, first_line
from tools.files import make_artifact
from tools.images.product_picture import fetch_product_image, place_product_picture
from tools.web import USER_AGENT

# Product photographs are larger than text: allow at least this much even when pages are capped lower.
MIN_PICTURE_BYTES = 15_000_000
REMOTE_PREFIXES = ("http://", "https://", "api:")


def scene_product(products: list[Product], sources: list[str], on_screen_text: str) -> Product | None:
    """The product a scene presents: the one it cites, else the one its on-screen text names."""
    for product in products:
        if product["source"] in sources:
            return product
    text = on_screen_text.casefold()
    named = [product for product in products if product["name"].casefold()[:20] in text]
    return named[0] if len(named) == 1 else None


def product_picture(
    task: SceneTask, runtime: Runtime[Context], path: Path, overlay: Path
) -> tuple[dict[str, Any] | None, Degradation | None]:
    """The scene's product picture at `path` and its text layer (the header and the product's heading) at
    `overlay`, or (None, why) when it cannot be had: the scene then gets the picture any scene would, and
    the run says which product's picture was missing and why."""
    product = task.get("product")
    if product is None or not product.get("image"):
        return None, None
    ref = str(product["image"])
    context = runtime.context
    check = None if context.allow_private_sources else (lambda url: check_public_url(url, "image"))
    try:
        with httpx.Client(
            timeout=context.sources.timeout_s, headers={"User-Agent": USER_AGENT}, follow_redirects=False
        ) as http:
            data = fetch_product_image(
                ref,
                http=http,
                check_url=check,
                max_bytes=max(context.sources.max_bytes, MIN_PICTURE_BYTES),
                # Only a catalogue on this machine may name pictures on this machine: a page's or a
                # service's catalogue must not pull a local file into a public video.
                allow_files=not product["source"].lower().startswith(REMOTE_PREFIXES),
            )
        job, scene = task["job"], task["scene"]
        place_product_picture(
            data,
            job["width"],
            job["height"],
            path,
            overlay_path=overlay,
            style=job["style"],
            heading=scene["on_screen_text"],
            index=scene["index"],
            title=task["title"],
            count=task["scene_count"],
        )
    except (BadInput, ServiceUnavailable) as exc:
        reason = f"the picture of {product['name']} could not be used ({first_line(exc)})"
        return None, Degradation(
            capability="image",
            artifact=f"image.{task['scene']['index']:02d}",
            tier="offline",
            provider="cards",
            reason=reason,
        )
    tier = "free" if ref.lower().startswith(("http://", "https://")) else "offline"
    return {**make_artifact(path, tier, "catalogue"), "overlay": str(overlay)}, None
