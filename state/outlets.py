"""Settings of the services a job reads from and publishes to: [sources] and [publish.*] in reelforge.toml."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

_HTTP = ("http://", "https://")


def _url(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip().rstrip("/")
    if not value:
        return None
    if not value.lower().startswith(_HTTP):
        raise ValueError(f"'{value}' is not an http(s) URL")
    return value


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceSettings(_Table):
    """How sources are read: limits for pages and feeds, and the Airtable and product-API services."""

    timeout_s: Annotated[float, Field(gt=0, le=300)] = 20.0
    max_bytes: Annotated[int, Field(ge=1024, le=200_000_000)] = 5_000_000
    # How many of a feed's newest entries become facts.
    feed_entries: Annotated[int, Field(ge=1, le=50)] = 5
    airtable_api_key: SecretStr | None = None
    airtable_url: str = "https://api.airtable.com"
    airtable_status_field: str = "Status"
    # A ScrapingDog-style product endpoint: {key} and {id} are filled in, e.g.
    # https://api.scrapingdog.com/amazon/product?api_key={key}&asin={id}&domain=com
    product_api_url: str | None = None
    product_api_key: SecretStr | None = None

    @field_validator("airtable_url")
    @classmethod
    def _airtable_url(cls, value: str) -> str:
        return _url(value) or "https://api.airtable.com"

    @field_validator("product_api_url")
    @classmethod
    def _template(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        if not value.lower().startswith(_HTTP):
            raise ValueError(f"'{value}' is not an http(s) URL template")
        if "{id}" not in value:
            raise ValueError("the product API URL needs an {id} placeholder for the product id")
        return value


class YouTubeSettings(_Table):
    """[publish.youtube]: the OAuth files, the API's address, and what every upload declares."""

    # The OAuth client of a Desktop app from the Google Cloud console (for `reelforge auth youtube`).
    client_secrets: Path | None = None
    # The token `reelforge auth youtube` stores; None: <home>/youtube-token.json.
    token_file: Path | None = None
    api_url: str = "https://www.googleapis.com"
    # Where the token is refreshed (google-auth ignores a token file's own address, on purpose).
    token_url: str = "https://oauth2.googleapis.com/token"
    privacy: Literal["private", "unlisted", "public"] = "private"
    category_id: str = "22"
    made_for_kids: bool = False
    # Declare the video as altered or synthetic content (AI voice and pictures): on, as YouTube asks.
    synthetic_media: bool = True

    @field_validator("api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        return _url(value) or "https://www.googleapis.com"

    @field_validator("token_url")
    @classmethod
    def _token_url(cls, value: str) -> str:
        return _url(value) or "https://oauth2.googleapis.com/token"


class WordPressSettings(_Table):
    """[publish.wordpress]: the site, a user and an application password, and the new post's status."""

    url: str | None = None
    user: str | None = None
    app_password: SecretStr | None = None
    status: Literal["draft", "publish", "private", "pending"] = "draft"

    @field_validator("url")
    @classmethod
    def _site(cls, value: str | None) -> str | None:
        return _url(value)


class InstagramSettings(_Table):
    """[publish.instagram]: the Graph API, the Instagram professional account and its access token."""

    graph_url: str = "https://graph.facebook.com/v21.0"
    user_id: str | None = None
    access_token: SecretStr | None = None

    @field_validator("graph_url")
    @classmethod
    def _graph(cls, value: str) -> str:
        return _url(value) or "https://graph.facebook.com/v21.0"


class WebhookSettings(_Table):
    """[publish.webhook]: where the metadata is POSTed, and the HMAC secret that signs it."""

    url: str | None = None
    secret: SecretStr | None = None

    @field_validator("url")
    @classmethod
    def _hook(cls, value: str | None) -> str | None:
        return _url(value)


class PublishSettings(_Table):
    """Every platform target's settings."""

    youtube: YouTubeSettings = YouTubeSettings()
    wordpress: WordPressSettings = WordPressSettings()
    instagram: InstagramSettings = InstagramSettings()
    webhook: WebhookSettings = WebhookSettings()
