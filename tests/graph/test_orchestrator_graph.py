"""The orchestrator's shape: a mermaid snapshot, and each sub-agent's explicit schemas."""

import os
from pathlib import Path

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from agents import (
    build_content_generation_graph,
    build_data_acquisition_graph,
    build_monitoring_graph,
    build_publishing_graph,
    build_video_production_graph,
)
from graph import compile_orchestrator

SNAPSHOT = Path(__file__).parent / "snapshots" / "orchestrator.mmd"


def test_mermaid_snapshot():
    drawn = compile_orchestrator(InMemorySaver()).get_graph(xray=True).draw_mermaid()
    if os.environ.get("UPDATE_SNAPSHOTS") or not SNAPSHOT.exists():
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(drawn)
    assert drawn == SNAPSHOT.read_text(), "graph changed: rerun with UPDATE_SNAPSHOTS=1 and review the diff"


def test_orchestrator_runs_the_sub_agents_in_order():
    graph = compile_orchestrator(InMemorySaver()).get_graph()
    edges = {(e.source, e.target) for e in graph.edges}
    chain = [
        "__start__",
        "plan_request",
        "data_acquisition",
        "content_generation",
        "video_production",
        "publishing",
        "monitoring",
        "__end__",
    ]
    for source, target in zip(chain, chain[1:], strict=False):
        assert (source, target) in edges


@pytest.mark.parametrize(
    "builder",
    [
        build_data_acquisition_graph,
        build_content_generation_graph,
        build_video_production_graph,
        build_publishing_graph,
        build_monitoring_graph,
    ],
)
def test_sub_agents_have_explicit_input_and_output_schemas(builder):
    graph = builder()
    assert graph.input_schema is not graph.state_schema
    assert graph.output_schema is not graph.state_schema
    # Builders are uncompiled: compiling happens in graph/ only.
    assert type(graph).__name__ == "StateGraph"
