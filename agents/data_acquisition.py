"""DataAcquisition: read the sources a job names, research the topic, and keep every fact with its source."""

from __future__ import annotations

from typing import Any

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import RetryPolicy

from agents.source_readers import open_readers
from agents.tracking import tracked
from state import Context, DataIn, DataOut, DataState, Fact
from state.sources import Product, as_source
from tools.errors import is_transient
from tools.research import ResearchUnavailable, WikiPage, language_note
from tools.sources.airtable import IN_PROGRESS, airtable_rows
from tools.sources.airtable_runs import remember_rows

# Facts kept from each source; the writer picks among them.
FACTS_PER_SOURCE = 40

# What a person can do when the script can only be an outline.
OUTLINE_FIX = "for a real one, start Ollama, set an API key, or pass --source FILE"


def _take_rows(runtime: Runtime[Context], ref: str, products: list[Product]) -> None:
    """Mark the Airtable rows this run took "in progress", after remembering them for the run's end."""
    records = [product["record"] for product in products if "record" in product]
    rows = airtable_rows(runtime.context.sources)
    if not records or rows is None:
        return
    remember_rows(runtime.context.run_dir, ref, records)
    rows.set_status(ref, records, IN_PROGRESS)


@tracked("data_acquisition")
def gather_facts(state: DataIn, runtime: Runtime[Context]) -> dict[str, Any]:
    """Read each source the job names, then research the topic on Wikipedia; every fact keeps its source.

    A source that cannot be read fails the run with one line naming it; nothing has been made yet, so
    nothing is lost, and a passing network fault is retried first.
    """
    job = state["job"]
    facts: list[Fact] = []
    products: list[Product] = []
    tiers: dict[str, str] = {}
    warnings: list[str] = []
    if job["sources"]:
        with open_readers(runtime.context) as readers:
            for given in job["sources"]:
                source = as_source(given)
                read = readers.read(source, limit=FACTS_PER_SOURCE, lang=job["lang"])
                facts.extend(read.facts)
                products.extend(read.products)
                tiers.setdefault("facts", read.tier)
                if source["kind"] == "airtable":
                    _take_rows(runtime, source["ref"], read.products)
    research = runtime.context.research
    if products:
        # A "Top N" video is about the products: what Wikipedia says about the topic is not needed.
        research = None
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
    if products:
        update["products"] = products
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
