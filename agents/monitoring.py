"""Monitoring: the run report — stage timings, which tier made each artifact, warnings and the result."""

from __future__ import annotations

from typing import Any

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime

from agents.tracking import tracked
from state import STAGES, Context, MonitorIn, MonitorOut, MonitorState
from tools.files import make_artifact
from tools.journal import summarize_journal
from tools.report import write_report


def report_data(state: MonitorState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Gather what the report says from the state and the execution journal."""
    journal = summarize_journal(runtime.context.run_dir)
    script = state.get("script")
    video = state.get("video")
    tiers = dict(state.get("tiers", {}))
    degraded = state.get("degraded", [])
    return {
        "run_id": runtime.context.run_id,
        "status": "done",
        "topic": state["job"]["topic"],
        "job": state["job"],
        "title": script["title"] if script else None,
        "writer": script["writer"] if script else None,
        "sources_given": bool(state["job"]["sources"]),
        "citations": script["citations"] if script else [],
        "video": (
            {
                "path": video["video"]["path"],
                "duration_s": video["duration_s"],
                "width": video["width"],
                "height": video["height"],
                "fps": video["fps"],
                "mean_volume_db": video["mean_volume_db"],
                "loudness_lufs": video["loudness_lufs"],
            }
            if video
            else None
        ),
        "thumbnail": video["thumbnail"]["path"] if video else None,
        "subtitles": video["subtitles"]["path"] if video else None,
        "publications": state.get("publications", []),
        "stage_timings": {
            stage: journal.stage_seconds[stage] for stage in STAGES if stage in journal.stage_seconds
        },
        "node_timings": journal.node_seconds,
        "node_executions": journal.starts,
        "tiers": tiers,
        "degraded": bool(degraded),
        "degraded_reasons": list(dict.fromkeys(item["reason"] for item in degraded)),
        "usage": runtime.context.models.usage_summary(),
        "warnings": state.get("warnings", []),
        "repairs": state.get("repairs", []),
        "result_path": video["video"]["path"] if video else None,
    }


@tracked("monitoring")
def write_run_report(state: MonitorState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Write report.md and report.json into the run folder."""
    markdown, _ = write_report(runtime.context.run_dir, report_data(state, runtime))
    return {"report": make_artifact(markdown, "offline", "report")}


def build_monitoring_graph() -> StateGraph[Any, Context, Any, Any]:
    """Return the uncompiled Monitoring subgraph."""
    graph = StateGraph(MonitorState, context_schema=Context, input_schema=MonitorIn, output_schema=MonitorOut)
    graph.add_node("write_run_report", write_run_report)
    graph.add_edge(START, "write_run_report")
    graph.add_edge("write_run_report", END)
    return graph
