"""Research settings: which free sources DataAcquisition asks about the topic, and where they are."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

DEFAULT_WIKIPEDIA_URL = "https://{lang}.wikipedia.org"


class ResearchSettings(BaseModel):
    """The [research] table of reelforge.toml, with WIKIPEDIA_URL over it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Research the topic on Wikipedia (any MediaWiki site) unless a job says --no-research.
    wikipedia: bool = True
    # The site's base URL; {lang} becomes the job's language. The Action API is at <url>/w/api.php.
    wikipedia_url: str = DEFAULT_WIKIPEDIA_URL
    timeout_s: Annotated[float, Field(gt=0, le=120)] = 8.0
    max_facts: Annotated[int, Field(ge=1, le=100)] = 24

    @field_validator("wikipedia_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"'{value}' is not an http(s) URL; give e.g. {DEFAULT_WIKIPEDIA_URL}")
        return value
