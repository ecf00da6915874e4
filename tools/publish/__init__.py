"""Publishers: the local gallery (the default target) and the platforms a job names."""

from tools.publish.gallery import (
    list_gallery,
    publish_to_gallery,
    rebuild_gallery,
    srt_to_vtt,
)

__all__ = ["list_gallery", "publish_to_gallery", "rebuild_gallery", "srt_to_vtt"]
