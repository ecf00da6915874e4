"""Sub-agents: nodes plus a build_<agent>_graph() that returns an uncompiled builder."""

from agents.content_generation import build_content_generation_graph
from agents.data_acquisition import build_data_acquisition_graph
from agents.monitoring import build_monitoring_graph
from agents.planning import parse_request, plan_request
from agents.publishing import build_publishing_graph
from agents.video_production import build_video_production_graph

__all__ = [
    "build_content_generation_graph",
    "build_data_acquisition_graph",
    "build_monitoring_graph",
    "build_publishing_graph",
    "build_video_production_graph",
    "parse_request",
    "plan_request",
]
