"""The [sources] and [publish.*] tables of reelforge.toml, with the services' variables over them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from state.outlets import PublishSettings, SourceSettings
from tools.errors import BadInput
from tools.secrets import register_secrets

# table → field → the environment variable that sets it.
SOURCE_ENV: dict[str, str] = {
    "airtable_api_key": "AIRTABLE_API_KEY",
    "airtable_url": "AIRTABLE_URL",
    "product_api_url": "REELFORGE_PRODUCT_API_URL",
    "product_api_key": "REELFORGE_PRODUCT_API_KEY",
}
PUBLISH_ENV: dict[str, dict[str, str]] = {
    "youtube": {
        "client_secrets": "YOUTUBE_CLIENT_SECRETS",
        "token_file": "YOUTUBE_TOKEN_FILE",
        "api_url": "YOUTUBE_API_URL",
        "token_url": "YOUTUBE_TOKEN_URL",
        "privacy": "YOUTUBE_PRIVACY",
    },
    "wordpress": {
        "url": "WORDPRESS_URL",
        "user": "WORDPRESS_USER",
        "app_password": "WORDPRESS_APP_PASSWORD",
        "status": "WORDPRESS_STATUS",
    },
    "instagram": {
        "graph_url": "INSTAGRAM_GRAPH_URL",
        "user_id": "INSTAGRAM_USER_ID",
        "access_token": "INSTAGRAM_ACCESS_TOKEN",
    },
    "webhook": {"url": "REELFORGE_WEBHOOK_URL", "secret": "REELFORGE_WEBHOOK_SECRET"},
}


def _table(document: Mapping[str, Any], name: str, where: str) -> dict[str, Any]:
    table = document.get(name, {})
    if not isinstance(table, dict):
        raise BadInput(f"{where}: {name} must be a table such as [{name}], not {type(table).__name__}")
    return dict(table)


def _overlay(fields: dict[str, Any], names: Mapping[str, str], env: Mapping[str, str]) -> dict[str, str]:
    """Put the set variables over the file's fields; return field → variable for the ones used."""
    used = {}
    for field, variable in names.items():
        if value := env.get(variable, "").strip():
            fields[field] = value
            used[field] = variable
    return used


def _build(
    model: type[BaseModel], fields: dict[str, Any], used: Mapping[str, str], label: str, where: str
) -> Any:
    try:
        return model(**fields)
    except ValidationError as error:
        item = error.errors()[0]
        key = ".".join(str(part) for part in item["loc"])
        message = str(item["msg"]).removeprefix("Value error, ")
        if key in used:
            raise BadInput(f"{used[key]}: {message}; fix it or unset it") from None
        raise BadInput(f"{where}: [{label}] {key}: {message}; fix it in that file") from None


def source_settings(document: Mapping[str, Any], where: str, env: Mapping[str, str]) -> SourceSettings:
    """Defaults, overlaid by [sources], overlaid by the environment; BadInput names a bad value."""
    fields = _table(document, "sources", where)
    used = _overlay(fields, SOURCE_ENV, env)
    settings: SourceSettings = _build(SourceSettings, fields, used, "sources", where)
    for secret in (settings.airtable_api_key, settings.product_api_key):
        if secret is not None:
            register_secrets([secret.get_secret_value()])
    return settings


def publish_settings(document: Mapping[str, Any], where: str, env: Mapping[str, str]) -> PublishSettings:
    """Defaults, overlaid by [publish.youtube], [publish.wordpress], … and the environment."""
    publish = _table(document, "publish", where)
    unknown = sorted(set(publish) - set(PUBLISH_ENV))
    if unknown:
        raise BadInput(f"{where}: unknown table [publish.{unknown[0]}]; use {', '.join(PUBLISH_ENV)}")
    targets = {}
    for target, names in PUBLISH_ENV.items():
        fields = _table(publish, target, f"{where}: [publish]")
        used = _overlay(fields, names, env)
        targets[target] = _build(
            PublishSettings.model_fields[target].annotation,  # type: ignore[arg-type]
            fields,
            used,
            f"publish.{target}",
            where,
        )
    settings = PublishSettings(**targets)
    for secret in (
        settings.wordpress.app_password,
        settings.instagram.access_token,
        settings.webhook.secret,
    ):
        if secret is not None:
            register_secrets([secret.get_secret_value()])
    return settings
