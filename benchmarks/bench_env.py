"""The environment a benchmark's `reelforge make` runs in: a fresh home, nothing from the developer's shell
that chooses a provider, and the router's order pinned so only the servers the benchmark starts answer (on a
machine with a network, the free tier's public services would otherwise join in).
"""

from __future__ import annotations

import os
from pathlib import Path

from graph.router_config import ENV_VARS

# Every setting that points reelforge at a service (the router's own table), plus research and Redis.
SERVICE_SETTINGS = {var for fields in ENV_VARS.values() for var in fields.values()} | {
    "WIKIPEDIA_URL",
    "REDIS_URL",
}


def make_env(home: Path, images: list[str], **extra: str) -> dict[str, str]:
    """The make's environment with `home` and a reelforge.toml in it whose image order is `images` (text and
    speech offline); `extra` adds the fakes' URLs."""
    home.mkdir(parents=True, exist_ok=True)
    config = home / "reelforge.toml"
    config.write_text(
        f'[router]\norder = {{ text = ["offline"], speech = ["offline"], image = {images!r} }}\n'.replace(
            "'", '"'
        )
    )
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("REELFORGE_") and k not in SERVICE_SETTINGS
    }
    env.update(REELFORGE_HOME=str(home), REELFORGE_CONFIG=str(config))
    env.update(extra)
    return env
