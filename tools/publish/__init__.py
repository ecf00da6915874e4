"""Publishers: the local gallery (the default target) and the platforms a job names, each posted once."""

from tools.publish.gallery import (
    GalleryPublisher,
    list_gallery,
    publish_to_gallery,
    rebuild_gallery,
    srt_to_vtt,
)
from tools.publish.once import PublicationIntents, idempotency_key, publish_once
from tools.publish.publisher import Publisher, PublishItem, PublishRefused

__all__ = [
    "GalleryPublisher",
    "PublicationIntents",
    "PublishItem",
    "PublishRefused",
    "Publisher",
    "idempotency_key",
    "list_gallery",
    "publish_once",
    "publish_to_gallery",
    "rebuild_gallery",
    "srt_to_vtt",
]
