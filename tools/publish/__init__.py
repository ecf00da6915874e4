"""Publishers: the local gallery (the default target) and the platforms a job names."""

from tools.publish.gallery import (
    GALLERY_URL_ENV,
    list_gallery,
    publish_to_gallery,
    rebuild_gallery,
    srt_to_vtt,
)

__all__ = ["GALLERY_URL_ENV", "list_gallery", "publish_to_gallery", "rebuild_gallery", "srt_to_vtt"]
