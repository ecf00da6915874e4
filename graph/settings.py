"""One settings model for a process: the environment, over reelforge.toml, over built-in defaults."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from graph.config_file import FILE_KEYS, read_config, where
from graph.outlets_config import publish_settings, source_settings
from graph.research_config import research_settings
from graph.router_config import router_settings
from state.model_settings import RouterSettings
from state.outlets import PublishSettings, SourceSettings
from state.research import ResearchSettings
from tools.errors import BadInput
from tools.secrets import register_secrets

# field → the environment variable that sets it. Every one but home and config can also be a top-level key
# of reelforge.toml (FILE_KEYS): the file is found through those two, so they cannot come from it.
ENV_NAMES: dict[str, str] = {
    "home": "REELFORGE_HOME",
    "config": "REELFORGE_CONFIG",
    "min_free_gb": "REELFORGE_MIN_FREE_GB",
    "redis_url": "REDIS_URL",
    "checkpoint_ttl_s": "REELFORGE_CHECKPOINT_TTL_S",
    "lock_ttl_s": "REELFORGE_LOCK_TTL_S",
    "visibility_timeout_s": "REELFORGE_VISIBILITY_TIMEOUT_S",
    "gallery_url": "REELFORGE_GALLERY_URL",
    "ffmpeg": "REELFORGE_FFMPEG",
    "failpoint": "REELFORGE_FAILPOINT",
    "api_token": "REELFORGE_API_TOKEN",
    "api_runs_at_once": "REELFORGE_API_RUNS_AT_ONCE",
    "allow_private_sources": "REELFORGE_ALLOW_PRIVATE_SOURCES",
}

# The parsed reelforge.toml while one load_settings() call builds its model.
_DOCUMENT: ContextVar[Mapping[str, Any] | None] = ContextVar("reelforge_toml", default=None)


def default_home() -> Path:
    """Where runs live when REELFORGE_HOME is not set."""
    return Path.home() / ".local" / "share" / "reelforge"


def _env(name: str, default: Any = None) -> Any:
    """A field set by its environment variable or, by its own name, by reelforge.toml and the CLI."""
    return Field(default, validation_alias=AliasChoices(ENV_NAMES[name], name))


class _FileValues(PydanticBaseSettingsSource):
    """The top-level keys of reelforge.toml: below the environment, above the defaults."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        """Unused: __call__ returns every value at once."""
        return (_DOCUMENT.get() or {}).get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        """The file's scalar settings by field name."""
        return {key: value for key, value in (_DOCUMENT.get() or {}).items() if key in FILE_KEYS}


class Settings(BaseSettings):
    """Everything a process is configured with: paths, limits, Redis, the gallery, ffmpeg and the router."""

    model_config = SettingsConfigDict(
        frozen=True, extra="ignore", env_ignore_empty=True, populate_by_name=True, case_sensitive=True
    )

    home: Path = Field(default_factory=default_home, validation_alias=AliasChoices("REELFORGE_HOME", "home"))
    # The reelforge.toml to read instead of ./reelforge.toml or <home>/reelforge.toml.
    config: Path | None = _env("config")
    # A run needs this much free disk in the home before it starts.
    min_free_gb: float = _env("min_free_gb", 1.0)
    # Set: checkpoints, the run index, the ledger, events and locks live in this Redis, and Celery's broker
    # in the next database number. Unset: SQLite files and event files under `home`.
    redis_url: str | None = _env("redis_url")
    # With Redis: drop a thread's checkpoints this long after its last write (None keeps them until cleanup).
    checkpoint_ttl_s: int | None = _env("checkpoint_ttl_s")
    # With Redis: how long a dead process's thread lock outlives it.
    lock_ttl_s: float = _env("lock_ttl_s", 30.0)
    # How long a queued job may run before Redis hands it to another worker.
    visibility_timeout_s: int = _env("visibility_timeout_s", 7200)
    # The base URL the gallery is served at, for the feed's links (None: file:// paths).
    gallery_url: str | None = _env("gallery_url")
    # Another ffmpeg binary instead of imageio-ffmpeg's.
    ffmpeg: str | None = _env("ffmpeg")
    # For the fault suite only: kill the process at this point (`start:<node>`, `end:<node>`,
    # `posted:<target>`), to prove that a run killed there resumes without losing or repeating work.
    failpoint: str | None = _env("failpoint")
    # `serve` and `mcp --http`: every request must carry `Authorization: Bearer <token>`; binding beyond
    # loopback needs one.
    api_token: str | None = _env("api_token")
    # `serve`, `chat` and `mcp` without Redis: how many runs execute in the server's own process at once.
    api_runs_at_once: int = _env("api_runs_at_once", 2)
    # Let URL sources given through `serve`, `chat` or `mcp` point at private or loopback addresses.
    allow_private_sources: bool = _env("allow_private_sources", False)
    # The model router: [router], [providers.*], [aliases.*], [prices.*] and the providers' variables.
    router: RouterSettings = Field(default_factory=RouterSettings)
    # Research before writing: [research] and WIKIPEDIA_URL, REELFORGE_RESEARCH.
    research: ResearchSettings = ResearchSettings()
    # Reading pages, feeds, Airtable and product APIs: [sources] and AIRTABLE_*, REELFORGE_PRODUCT_API_*.
    sources: SourceSettings = SourceSettings()
    # The platform targets: [publish.youtube], [publish.wordpress], … and YOUTUBE_*, WORDPRESS_*, INSTAGRAM_*.
    publish: PublishSettings = PublishSettings()
    # The [daily] table as written; graph/daily_plan.py checks it when a command needs the plan.
    daily: dict[str, Any] | None = None
    # The reelforge.toml that was read, if any.
    config_file: Path | None = None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Explicit values (the CLI's flags), then the environment, then reelforge.toml."""
        return init_settings, env_settings, _FileValues(settings_cls)

    @field_validator("home", mode="after")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().absolute()

    @field_validator("redis_url", "gallery_url", "ffmpeg", "api_token", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip()
            return value or None
        return value

    @field_validator("gallery_url", mode="after")
    @classmethod
    def _no_trailing_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") or None if value else None

    @field_validator("min_free_gb", mode="after")
    @classmethod
    def _min_free(cls, value: float) -> float:
        if not math.isfinite(value) or value < 0:
            raise ValueError("must be a number of GB, 0 or more")
        return value

    @field_validator("lock_ttl_s", mode="after")
    @classmethod
    def _positive_float(cls, value: float) -> float:
        if not math.isfinite(value) or value <= 0:
            raise ValueError("must be a number of seconds above 0")
        return value

    @field_validator("api_token", mode="after")
    @classmethod
    def _secret_token(cls, value: str | None) -> str | None:
        if value is not None:
            register_secrets([value])  # never in a log line or an error
        return value

    @field_validator("api_runs_at_once", mode="after")
    @classmethod
    def _runs_at_once(cls, value: int) -> int:
        if not 1 <= value <= 64:
            raise ValueError("must be a whole number from 1 to 64")
        return value

    @field_validator("checkpoint_ttl_s", "visibility_timeout_s", mode="after")
    @classmethod
    def _positive_int(cls, value: int | None) -> int | None:
        if value is not None and value <= 0:
            raise ValueError("must be a whole number of seconds above 0")
        return value

    @property
    def min_free_bytes(self) -> int:
        """The free disk a run needs, in bytes."""
        return int(self.min_free_gb * 1e9)

    @property
    def checkpoints(self) -> Path:
        """The SQLite checkpoint database."""
        return self.home / "checkpoints.sqlite"

    @property
    def index(self) -> Path:
        """The SQLite run index."""
        return self.home / "index.sqlite"

    @property
    def ledger(self) -> Path:
        """The SQLite usage ledger and health log of the model router."""
        return self.home / "ledger.sqlite"

    @property
    def runs(self) -> Path:
        """The folder holding one subfolder per run."""
        return self.home / "runs"

    @property
    def gallery(self) -> Path:
        """The local gallery folder."""
        return self.home / "gallery"

    @property
    def youtube_token(self) -> Path:
        """Where `reelforge auth youtube` stores the YouTube token, and where uploads read it."""
        return self.publish.youtube.token_file or self.home / "youtube-token.json"

    def run_dir(self, run_id: str) -> Path:
        """The folder of one run's artifacts."""
        return self.runs / run_id


def load_settings(**overrides: Any) -> Settings:
    """Read the settings once: `overrides` (the CLI's flags), the environment, reelforge.toml, defaults.

    BadInput names the variable or key that is wrong and how to fix it.
    """
    env = os.environ
    home = Path(overrides.get("home") or env.get("REELFORGE_HOME") or default_home()).expanduser()
    path, document = read_config(home, env)
    origin = where(path)
    daily = document.get("daily")
    if daily is not None and not isinstance(daily, dict):
        raise BadInput(f"{origin}: daily must be a table such as [daily], not {type(daily).__name__}")
    token = _DOCUMENT.set(document)
    try:
        settings = Settings(
            router=router_settings(document, origin, env),
            research=research_settings(document, origin, env),
            sources=source_settings(document, origin, env),
            publish=publish_settings(document, origin, env),
            daily=daily,
            config_file=path,
            **overrides,
        )
    except ValidationError as error:
        raise BadInput(_explain(error, env, origin)) from None
    finally:
        _DOCUMENT.reset(token)
    _register_password(settings.redis_url)
    return settings


def _explain(error: ValidationError, env: Mapping[str, str], where: str) -> str:
    """The first problem as one line naming where the value came from."""
    item = error.errors()[0]
    field = str(item["loc"][0]) if item["loc"] else ""
    name = next((key for key, alias in ENV_NAMES.items() if field in (key, alias)), field)
    message = str(item["msg"]).removeprefix("Value error, ")
    if item["type"] in ("int_parsing", "int_from_float", "int_type"):
        message = "must be a whole number"
    elif item["type"] in ("float_parsing", "float_type"):
        message = "must be a number"
    elif item["type"] == "string_type":
        message = "must be text (in quotes)"
    variable = ENV_NAMES.get(name, name)
    if variable in env and env[variable].strip():
        return f"{variable}={env[variable]!r} {message}; fix it or unset it"
    value = item.get("input")
    shown = f" = {value!r}" if isinstance(value, str | int | float) else ""
    return f"{where}: {name}{shown} {message}; fix it in that file"


def _register_password(url: str | None) -> None:
    # A password in REDIS_URL is a secret like any key: keep it out of logs and messages.
    if url:
        try:
            register_secrets([urlsplit(url).password])
        except ValueError:
            pass
