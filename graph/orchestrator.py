"""The OrchestratorAgent: plan_request, then the five sub-agents in order; a rejection at a gate ends it."""

from __future__ import annotations

from functools import cache
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from agents import (
    build_content_generation_graph,
    build_data_acquisition_graph,
    build_monitoring_graph,
    build_publishing_graph,
    build_video_production_graph,
    plan_request,
)
from state import Context, OrchestratorIn, OrchestratorOut, OrchestratorState
from state.events import SUB_AGENTS

# Sub-agents with a gate: after them the run ends if a person rejected it there.
_GATED = ("content_generation", "publishing")


def _continue_unless_rejected(after: str) -> Any:
    def route(state: OrchestratorState) -> str:
        return END if state.get("rejected") else after

    route.__name__ = f"route_after_{after}"
    return route


def route_after_publishing(state: OrchestratorState) -> str:
    """End at a rejection; go back to VideoProduction when Publishing found the video's files damaged."""
    if state.get("rejected"):
        return END
    return "video_production" if state.get("damaged") else "monitoring"


def build_orchestrator() -> StateGraph[Any, Context, Any, Any]:
    """Wire plan_request and the sub-agent subgraphs into the uncompiled orchestrator."""
    graph = StateGraph(
        OrchestratorState, context_schema=Context, input_schema=OrchestratorIn, output_schema=OrchestratorOut
    )
    graph.add_node("plan_request", plan_request)
    # Subgraphs compile without a saver: they inherit the parent's, so their steps are checkpointed too.
    graph.add_node("data_acquisition", build_data_acquisition_graph().compile())
    graph.add_node("content_generation", build_content_generation_graph().compile())
    graph.add_node("video_production", build_video_production_graph().compile())
    graph.add_node("publishing", build_publishing_graph().compile())
    graph.add_node("monitoring", build_monitoring_graph().compile())
    graph.add_edge(START, "plan_request")
    previous = "plan_request"
    for name in SUB_AGENTS:
        if previous == "publishing":
            graph.add_conditional_edges(previous, route_after_publishing, [name, "video_production", END])
        elif previous in _GATED:
            graph.add_conditional_edges(previous, _continue_unless_rejected(name), [name, END])
        else:
            graph.add_edge(previous, name)
        previous = name
    graph.add_edge(previous, END)
    return graph


@cache
def _compiled() -> CompiledStateGraph[Any, Context, Any, Any]:
    return build_orchestrator().compile(name="reelforge")


def compile_orchestrator(
    saver: BaseCheckpointSaver[Any] | None,
) -> CompiledStateGraph[Any, Context, Any, Any]:
    """Compile the orchestrator with the given saver; the one place the app is compiled.

    It compiles once per process and each call gets a copy bound to `saver`: compiling takes ~80 ms of
    CPU, and the API reads a run's state (through a new saver) on every GET /runs/{id}.
    """
    return _compiled().copy({"checkpointer": saver})
