"""DataAcquisition: read the sources a job names and keep every fact with its source."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import RetryPolicy

from agents.tracking import tracked
from state import Context, DataIn, DataOut, DataState, Fact
from tools.errors import is_transient
from tools.sources import extract_facts, read_source


@tracked("data_acquisition")
def gather_facts(state: DataIn, runtime: Runtime[Context]) -> dict[str, Any]:
    """Read each --source file and extract its facts; with no sources there is nothing to gather."""
    facts: list[Fact] = []
    for source in state["job"]["sources"]:
        path = Path(source)
        title, text = read_source(path)
        facts.extend(extract_facts(title, text, str(path)))
    update: dict[str, Any] = {"facts": facts}
    if facts:
        update["tiers"] = {"facts": "offline:local-files"}
    return update


def build_data_acquisition_graph() -> StateGraph[Any, Context, Any, Any]:
    """Return the uncompiled DataAcquisition subgraph."""
    graph = StateGraph(DataState, context_schema=Context, input_schema=DataIn, output_schema=DataOut)
    graph.add_node(
        "gather_facts", gather_facts, retry_policy=RetryPolicy(max_attempts=2, retry_on=is_transient)
    )
    graph.add_edge(START, "gather_facts")
    graph.add_edge("gather_facts", END)
    return graph
