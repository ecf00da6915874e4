"""DataAcquisition: research the topic, read the sources a job names, and keep every fact with its source."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import RetryPolicy

from agents.tracking import tracked
from state import Context, DataIn, DataOut, DataState, Fact
from tools.errors import is_transient
from tools.research import ResearchUnavailable, WikiPage, language_note
from tools.sources import extract_facts, read_source

# What a person can do when the script can only be an outline.
OUTLINE_FIX = "for a real one, start Ollama, set an API key, or pass --source FILE"


@tracked("data_acquisition")
def gather_facts(state: DataIn, runtime: Runtime[Context]) -> dict[str, Any]:
    """Read each --source file, then research the topic on Wikipedia; every fact keeps its source."""
    job = state["job"]
    facts: list[Fact] = []
    tiers: dict[str, str] = {}
    warnings: list[str] = []
    for source in job["sources"]:
        path = Path(source)
        title, text = read_source(path)
        facts.extend(extract_facts(title, text, str(path)))
    if facts:
        tiers["facts"] = "offline:local-files"
    research = runtime.context.research
    if job.get("research", True) and research is not None:
        try:
            page, found = research.research(job["topic"], job["lang"])
        except ResearchUnavailable as exc:
            if not facts:
                warnings.append(f"research skipped ({exc}), so the script is an outline; {OUTLINE_FIX}")
            else:
                warnings.append(f"research skipped ({exc}); the script uses your sources only")
        else:
            if page is None and not facts:
                warnings.append(
                    f"Wikipedia has no page for this topic, so the script is an outline: {OUTLINE_FIX}"
                )
            facts.extend(found)
            if found:
                tiers["research"] = "free:wikipedia"
            if found and isinstance(page, WikiPage) and (note := language_note(page, job["lang"])):
                warnings.append(note)
    update: dict[str, Any] = {"facts": facts}
    if tiers:
        update["tiers"] = tiers
    if warnings:
        update["warnings"] = warnings
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
