"""The HTTP door: a FastAPI app over the run service, its SSE streams, and the web dashboard."""

from graph.api.app import create_app

__all__ = ["create_app"]
