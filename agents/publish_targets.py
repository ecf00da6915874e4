"""The platform publishers a run posts to, built from its settings; each is one entry in PUBLISHERS."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from state import Context, JobSpec
from tools.errors import BadInput
from tools.publish.instagram import InstagramPublisher
from tools.publish.needs import TARGET_NEEDS
from tools.publish.once import PublicationIntents
from tools.publish.publisher import Publisher
from tools.publish.webhook import WebhookPublisher
from tools.publish.wordpress import WordPressPublisher
from tools.publish.youtube import YouTubePublisher


def _not_set_up(target: str) -> BadInput:
    return BadInput(f"{target} is not set up; {TARGET_NEEDS[target]}")


def _youtube(context: Context, job: JobSpec, intents: PublicationIntents) -> Publisher:
    settings = context.publish.youtube
    token = context.youtube_token or context.home / "youtube-token.json"
    if not token.is_file():
        raise _not_set_up("youtube")
    return YouTubePublisher(
        token,
        api_url=settings.api_url,
        token_url=settings.token_url,
        privacy=settings.privacy,
        category_id=settings.category_id,
        made_for_kids=settings.made_for_kids,
        synthetic_media=settings.synthetic_media,
        publish_at=job.get("publish_at"),
        session_store=lambda key, uri: intents.note(key, "upload_session", uri),
        saved_session=lambda key: intents.noted(key, "upload_session"),
    )


def _wordpress(context: Context, job: JobSpec, intents: PublicationIntents) -> Publisher:
    settings = context.publish.wordpress
    if not (settings.url and settings.user and settings.app_password):
        raise _not_set_up("wordpress")
    return WordPressPublisher(
        settings.url,
        settings.user,
        settings.app_password.get_secret_value(),
        status=settings.status,
        publish_at=job.get("publish_at"),
    )


def _instagram(context: Context, job: JobSpec, intents: PublicationIntents) -> Publisher:
    settings = context.publish.instagram
    if not (settings.user_id and settings.access_token):
        raise _not_set_up("instagram")
    return InstagramPublisher(
        settings.user_id,
        settings.access_token.get_secret_value(),
        graph_url=settings.graph_url,
        container_store=lambda key, container: intents.note(key, "container", container),
        saved_container=lambda key: intents.noted(key, "container"),
    )


def _webhook(context: Context, job: JobSpec, intents: PublicationIntents) -> Publisher:
    settings = context.publish.webhook
    if not settings.url:
        raise _not_set_up("webhook")
    secret = settings.secret.get_secret_value() if settings.secret else None
    return WebhookPublisher(settings.url, secret)


PUBLISHERS: dict[str, Callable[[Context, JobSpec, PublicationIntents], Publisher]] = {
    "youtube": _youtube,
    "wordpress": _wordpress,
    "instagram": _instagram,
    "webhook": _webhook,
}


def intents_folder(run_dir: Path) -> PublicationIntents:
    """The run's record of posts about to be made and made, one small file per idempotency key."""
    return PublicationIntents(run_dir / "publications")


def platform_publisher(target: str, context: Context, job: JobSpec) -> Publisher:
    """The publisher of a platform target; BadInput naming what to set when it is not set up."""
    return PUBLISHERS[target](context, job, intents_folder(context.run_dir))
