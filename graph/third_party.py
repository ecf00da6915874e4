"""The free tier sends the job's words to third parties: what `status` and a home's first run say about it."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

from state.model_calls import CAPABILITIES
from state.model_settings import PROVIDER_TIERS, RouterSettings
from tools.notices import already_said, say_once

# What each capability's free providers receive.
SENT = {"text": "the prompts", "image": "scene descriptions", "speech": "narration text"}
HOW_TO_TURN_OFF = "set [router] third_party_free = false in reelforge.toml or REELFORGE_THIRD_PARTY_FREE=off"
OFF = "off: third_party_free is false (REELFORGE_THIRD_PARTY_FREE or [router] in reelforge.toml)"
NOTICE_MARKER = ".third-party-notice"


def host(url: str) -> str:
    """The host a URL sends to, e.g. text.pollinations.ai."""
    return urlsplit(url).hostname or url


def third_party_note(capability: str, endpoint: str) -> str:
    """What a free-tier row of `reelforge status` says it sends, and where."""
    return f"sends {SENT.get(capability, 'requests')} to {host(endpoint)} (a third party)"


def free_endpoints(router: RouterSettings) -> dict[str, tuple[bool, list[str]]]:
    """Each enabled free-tier provider's URL, in the order calls try them: whether the user set it, and
    the capabilities it serves."""
    seen: dict[str, tuple[bool, list[str]]] = {}
    for capability in CAPABILITIES:
        for name in router.order[capability]:
            provider = router.providers.get(name)
            if PROVIDER_TIERS.get(name) != "free" or provider is None or not provider.enabled:
                continue
            explicit, capabilities = seen.get(provider.url, (False, []))
            seen[provider.url] = (explicit or provider.explicit, [*capabilities, capability])
    return seen


def first_run_notice(
    home: Path, router: RouterSettings, reachable: Callable[[str], bool] | None = None
) -> str | None:
    """The one line a home's first run says when the free tier could send its words to a third party.

    Said once per home, and only when a free provider would be tried: the user set it up, or something
    answers at its address (the router's own rule), so a machine with no network is not told yet.
    """
    if not router.third_party_free or already_said(home, NOTICE_MARKER):
        return None
    endpoints = free_endpoints(router)
    if reachable is None:
        from tools.models.router import Reachability

        reachable = Reachability()
    probe = reachable
    with ThreadPoolExecutor(max_workers=max(1, len(endpoints))) as pool:
        usable = list(pool.map(lambda url: endpoints[url][0] or probe(url), endpoints))
    chosen = [url for url, ok in zip(endpoints, usable, strict=True) if ok]
    if not chosen or not say_once(home, NOTICE_MARKER):
        return None
    hosts = ", ".join(dict.fromkeys(host(url) for url in chosen))
    sent = [SENT[c] for c in CAPABILITIES if any(c in endpoints[url][1] for url in chosen)]
    what = ", ".join(sent[:-1]) + f" and {sent[-1]}" if len(sent) > 1 else sent[0]
    return (
        f"note: when no model of your own answers, reelforge sends {what} to free third-party services "
        f"({hosts}); to stop that, {HOW_TO_TURN_OFF}"
    )
