"""The run report: report.json and a readable report.md in the run folder, and a rich summary for the CLI."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tools.errors import BadInput
from tools.files import write_text_atomic
from tools.lenient import as_number
from tools.models.pricing import savings_words

if TYPE_CHECKING:
    from rich.console import RenderableType

__all__ = [
    "OFFLINE_NO_FACTS_LINE",
    "OFFLINE_OUTLINE_LINE",
    "collapse_tiers",
    "OFFLINE_SOURCED_LINE",
    "render_report_console",
    "render_report_markdown",
    "write_report",
]

OFFLINE_SOURCED_LINE = "The script came from the offline writer: it uses only the facts from your sources."
OFFLINE_OUTLINE_LINE = (
    "The script came from the offline writer: no sources were given, "
    "so it is an outline, not a sourced script."
)
# Sources were given, but no sentence in them read as a fact to quote: say so, never "no sources".
OFFLINE_NO_FACTS_LINE = (
    "The script came from the offline writer: your sources gave no usable facts "
    "(no sentence in them reads as a statement to quote), so it is an outline, not a sourced script."
)

_ALL_OFFLINE_LINE = (
    "Everything in this video was made by the offline tier: no model server or API key was used."
)

# CommonMark lets any ASCII punctuation be backslash-escaped; these are the ones that change rendering.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")
_FAILED = {"failed", "error", "errored", "cancelled", "canceled", "interrupted"}


def write_report(run_dir: Path, data: dict[str, Any]) -> tuple[Path, Path]:
    """Write report.json and report.md into run_dir atomically; return (md_path, json_path)."""
    for key in ("run_id", "status"):
        if not data.get(key):
            raise BadInput(f"the run report needs '{key}'; pass it in the data given to write_report")
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    json_path = run_dir / "report.json"
    md_path = run_dir / "report.md"
    # default=str: a Path or datetime that slipped into the data should not cost the user the whole report.
    write_text_atomic(json_path, json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")
    write_text_atomic(md_path, render_report_markdown(data, run_dir=run_dir))
    return md_path, json_path


def render_report_markdown(data: Mapping[str, Any], run_dir: Path | None = None) -> str:
    """Render the report as Markdown: result, timings, who made what, warnings, sources, publications."""
    out: list[str] = []
    title = _plain(data.get("title")) or _plain(data.get("topic")) or _plain(data.get("run_id"))
    status = _plain(data.get("status")) or "unknown"
    out += [f"# {_md(title)} — {_md(status.upper())}", ""]

    facts = [f"- **Run:** `{_code(data.get('run_id'))}`"]
    if _plain(data.get("topic")):
        facts.append(f"- **Topic:** {_md(_plain(data.get('topic')))}")
    job_line = _job_summary(_dict(data.get("job")))
    if job_line:
        facts.append(f"- **Asked for:** {_md(job_line)}")
    out += facts + [""]

    if data.get("degraded"):
        reasons = [_plain(r) for r in _list(data.get("degraded_reasons")) if _plain(r)]
        because = "; ".join(_md(r) for r in reasons) if reasons else "a lower tier than asked made part of it"
        out += [f"> **Degraded:** {because}", ""]

    out += ["## Result", ""]
    out += [f"- {line}" for line in _result_lines(data, run_dir)] or ["- No video was produced."]
    out.append("")

    stages = _timings(data.get("stage_timings"))
    if stages:
        out += ["## Stage timings", ""] + _timing_table("Stage", stages) + [""]
    nodes = _timings(data.get("node_timings"))
    if nodes:
        out += ["## Node timings", ""] + _timing_table("Node", nodes) + [""]

    tiers = _tier_rows(data)
    writer_line = _writer_line(data)
    if tiers or writer_line:
        out += ["## Who made what", ""]
        if tiers:
            out += ["| Artifact | Tier | Provider |", "|---|---|---|"]
            out += [f"| {_cell(kind)} | {_cell(tier)} | {_cell(prov)} |" for kind, tier, prov in tiers]
            out.append("")
        if tiers and all(tier == "offline" for _, tier, _ in tiers):
            out += [_ALL_OFFLINE_LINE, ""]
        if writer_line:
            out += [writer_line, ""]

    out += _usage_lines(_dict(data.get("usage")))

    warnings = [_plain(w) for w in _list(data.get("warnings")) if _plain(w)]
    if warnings:
        out += ["## Warnings", ""] + [f"- {_md(w)}" for w in warnings] + [""]

    citations = [_dict(c) for c in _list(data.get("citations"))]
    citations = [c for c in citations if _plain(c.get("source")) or _plain(c.get("title"))]
    if citations:
        out += ["## Sources", ""]
        for number, citation in enumerate(citations, 1):
            name, source = _plain(citation.get("title")), _plain(citation.get("source"))
            if name and source and name != source:
                out.append(
                    f"{number}. {_md(name)} — <{_angle(source)}>"
                    if _is_url(source)
                    else f"{number}. {_md(name)} — `{_code(source)}`"
                )
            elif _is_url(source or name):
                out.append(f"{number}. <{_angle(source or name)}>")
            else:
                out.append(f"{number}. {_md(name or source)}")
        out.append("")

    publications = [_dict(p) for p in _list(data.get("publications"))]
    if publications:
        out += ["## Publications", ""]
        for pub in publications:
            target, url = _plain(pub.get("target")) or "?", _plain(pub.get("url"))
            status = _plain(pub.get("status")) or "published"
            if status in ("failed", "dry-run", "pending"):
                said = {"failed": "failed", "dry-run": "dry run, not posted", "pending": "not posted yet"}[
                    status
                ]
                problem = _plain(pub.get("error"))
                out.append(f"- **{_md(target)}:** {said}" + (f": {_md(problem)}" if problem else ""))
                continue
            extras = [f"id `{_code(pub.get('id'))}`"] if _plain(pub.get("id")) else []
            if status != "published":
                extras.append(_md(status))
            if _plain(pub.get("published_at")):
                extras.append(f"published {_md(_plain(pub.get('published_at')))}")
            where = f"<{_angle(url)}>" if _is_url(url) else _md(url)
            out.append(
                f"- **{_md(target)}:** {where} ({', '.join(extras)})"
                if extras
                else f"- **{_md(target)}:** {where}"
            )
        out.append("")

    return "\n".join(out).rstrip("\n") + "\n"


def render_report_console(data: dict[str, Any]) -> RenderableType:
    """Return a compact rich Panel summarising the run, for the CLI to print at the end."""
    # rich is only needed by the CLI; importing it lazily keeps report writing cheap inside workers.
    from rich import box
    from rich.console import Group
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    status = _plain(data.get("status")) or "unknown"
    title = _plain(data.get("title")) or _plain(data.get("topic")) or _plain(data.get("run_id"))
    colour = "red" if status.lower() in _FAILED else "yellow" if data.get("degraded") else "green"

    summary = Table.grid(padding=(0, 2))
    summary.add_column(style="bold")
    summary.add_column(overflow="fold")
    summary.add_row("run", Text(_plain(data.get("run_id"))))
    summary.add_row("status", Text(status, style=f"bold {colour}"))
    for line in _result_pairs(data, None):
        summary.add_row(line[0], Text(line[1]))
    if data.get("degraded"):
        reasons = "; ".join(_plain(r) for r in _list(data.get("degraded_reasons")) if _plain(r))
        summary.add_row("degraded", Text(reasons or "yes", style="yellow"))
    writer_line = _writer_line(data)
    if writer_line:
        summary.add_row("script", Text(writer_line.removeprefix("The script came from the ")))
    would: dict[str, Any] = {}
    for pub in (_dict(p) for p in _list(data.get("publications"))):
        posted = _plain(pub.get("status")) or "published"
        if posted == "failed":
            said = Text(f"failed: {_plain(pub.get('error'))}", style="red")
        elif posted == "dry-run":
            would = _dict(pub.get("would_post")) or would
            refused = f"; {_plain(pub.get('error'))}" if pub.get("error") else ""
            said = Text(f"dry run, not posted{refused}", style="yellow" if refused else "")
        else:
            said = Text(_plain(pub.get("url")) + ("" if posted == "published" else f" ({posted})"))
        summary.add_row(_plain(pub.get("target")) or "published", said)
    if would:
        # What a dry run would have posted, once: every platform gets the same words.
        summary.add_row("post title", Text(_plain(would.get("title"))))
        summary.add_row("post text", Text(_plain(would.get("description"))))
        tags = [_plain(tag) for tag in _list(would.get("tags"))]
        summary.add_row("post tags", Text(", ".join(tag for tag in tags if tag)))
    usage = _dict(data.get("usage"))
    if usage.get("calls"):
        calls, failed = as_number(usage.get("calls")) or 0, as_number(usage.get("failures")) or 0
        summary.add_row(
            "model calls",
            Text(
                f"{calls:.0f} ({failed:.0f} failed), ${as_number(usage.get('cost_usd')) or 0:.4f}; "
                + savings_words(as_number(usage.get("savings_usd")) or 0.0)
            ),
        )
    warnings = [_plain(w) for w in _list(data.get("warnings")) if _plain(w)]
    if warnings:
        summary.add_row("warnings", Text("\n".join(warnings), style="yellow"))

    parts: list[RenderableType] = [summary]
    stages = _timings(data.get("stage_timings"))
    if stages:
        total = sum(stages.values())
        timings = Table(box=box.SIMPLE_HEAD, title="Stage timings", title_justify="left", expand=False)
        timings.add_column("stage")
        timings.add_column("seconds", justify="right")
        timings.add_column("share", justify="right")
        for stage, seconds in stages.items():
            timings.add_row(Text(stage), _secs(seconds), _share(seconds, total))
        timings.add_row(Text("total", style="bold"), Text(_secs(total), style="bold"), "100%")
        parts += [Text(""), timings]
    tiers = _tier_rows(data)
    if tiers:
        made = Table(box=box.SIMPLE_HEAD, title="Who made what", title_justify="left", expand=False)
        made.add_column("artifact")
        made.add_column("tier")
        made.add_column("provider")
        for kind, tier, provider in tiers:
            made.add_row(Text(kind), Text(tier, style="cyan" if tier == "offline" else ""), Text(provider))
        parts += [Text(""), made]

    return Panel(
        Group(*parts),
        title=Text(f"{title} — {status}", style=f"bold {colour}"),
        border_style=colour,
        expand=False,
    )


def _plain(value: object) -> str:
    """A value as one line of text; None becomes empty."""
    if value is None:
        return ""
    return " ".join(str(value).split())


def _dict(value: object) -> dict[str, Any]:
    """The value if it is a dict, else an empty one, so a partial report still renders."""
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Any]:
    """The value if it is a list, else an empty one."""
    return value if isinstance(value, list) else []


def _md(text: str) -> str:
    """Escape text so Markdown shows it as written."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def _cell(text: str) -> str:
    """Escape text for a Markdown table cell."""
    return _md(_plain(text))


def _code(value: object) -> str:
    """Text for inside single backticks, which cannot hold a backtick."""
    return _plain(value).replace("`", "'")


def _angle(url: str) -> str:
    """A URL for a Markdown autolink, which ends at the first space or '>'."""
    return url.replace(" ", "%20").replace(">", "%3E").replace("<", "%3C")


def _is_url(text: str) -> bool:
    """True for an absolute http(s) or file URL."""
    return text.startswith(("http://", "https://", "file://"))


def _secs(seconds: float) -> str:
    """Seconds with enough digits to tell a quick step from zero."""
    return f"{seconds:.2f}"


def _share(seconds: float, total: float) -> str:
    """A part of the total as a percentage."""
    return f"{seconds / total * 100:.1f}%" if total > 0 else "—"


def _timings(value: object) -> dict[str, float]:
    """Stage or node timings as name → seconds, in the order the run recorded them, numbers only."""
    result: dict[str, float] = {}
    for name, seconds in _dict(value).items():
        number = as_number(seconds)
        if number is not None and number >= 0:
            result[_plain(name)] = number
    return result


def _timing_table(label: str, timings: dict[str, float]) -> list[str]:
    """A Markdown table of timings with each one's share and a total row."""
    total = sum(timings.values())
    rows = [f"| {label} | Seconds | Share |", "|---|---:|---:|"]
    rows += [f"| {_cell(name)} | {_secs(s)} | {_share(s, total)} |" for name, s in timings.items()]
    rows.append(f"| **Total** | **{_secs(total)}** | **100%** |")
    return rows


def _usage_lines(usage: Mapping[str, Any]) -> list[str]:
    """The model calls section: per provider calls, failures and cost, then totals and savings."""
    providers = _dict(usage.get("by_provider"))
    if not providers:
        return []
    out = [
        "## Model calls",
        "",
        "| Provider | Tier | Calls | Failed | Cost (USD) |",
        "|---|---|---:|---:|---:|",
    ]
    for name, raw in providers.items():
        row = _dict(raw)
        out.append(
            f"| {_cell(name)} | {_cell(_plain(row.get('tier')))} | {as_number(row.get('calls')) or 0:.0f} "
            f"| {as_number(row.get('failures')) or 0:.0f} | {as_number(row.get('cost_usd')) or 0:.4f} |"
        )
    cost, saved = as_number(usage.get("cost_usd")) or 0.0, as_number(usage.get("savings_usd")) or 0.0
    share = as_number(usage.get("self_hosted_share")) or 0.0
    out += [
        "",
        f"Total ${cost:.4f}; self-hosted share {share:.0%}; {savings_words(saved)}.",
        "",
    ]
    return out


def collapse_tiers(tiers: Mapping[str, Any]) -> dict[str, str]:
    """Fold per-scene entries ('images.03') into one per kind, naming the scenes that differ.

    {"images.01": "self-hosted:comfyui", "images.02": "offline:cards"} becomes
    {"images": "self-hosted:comfyui", "images (scene 2)": "offline:cards"}.
    """
    grouped: dict[str, dict[str, list[str]]] = {}
    out: dict[str, str] = {}
    for key, value in tiers.items():
        kind, dot, scene = str(key).partition(".")
        if not dot:
            out[kind] = _plain(value)
            continue
        grouped.setdefault(kind, {}).setdefault(_plain(value), []).append(scene.lstrip("0") or "0")
    for kind, by_value in grouped.items():
        ranked = sorted(by_value.items(), key=lambda item: -len(item[1]))
        out[kind] = ranked[0][0]
        for value, scenes in ranked[1:]:
            label = "scene" if len(scenes) == 1 else "scenes"
            out[f"{kind} ({label} {', '.join(sorted(scenes, key=int))})"] = value
    return out


def _tier_rows(data: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """Split 'offline:piper:joe' style tier strings into (artifact, tier, provider) rows."""
    rows = []
    for kind, value in collapse_tiers(_dict(data.get("tiers"))).items():
        tier, _, provider = _plain(value).partition(":")
        rows.append((_plain(kind), tier or "?", provider or "—"))
    return rows


def _writer_line(data: Mapping[str, Any]) -> str:
    """The explicit sentence a report carries when the offline writer made the script."""
    writer = _plain(data.get("writer")).lower()
    script_tier = _plain(_dict(data.get("tiers")).get("script")).lower()
    if not (writer.startswith("offline") or script_tier.startswith("offline")):
        return ""
    if _list(data.get("citations")):
        return OFFLINE_SOURCED_LINE
    return OFFLINE_NO_FACTS_LINE if _sources_given(data) else OFFLINE_OUTLINE_LINE


def _sources_given(data: Mapping[str, Any]) -> bool:
    """Whether the run was given sources: the report's own flag, else the job's list of sources."""
    if isinstance(data.get("sources_given"), bool):
        return bool(data["sources_given"])
    return bool(_list(_dict(data.get("job")).get("sources")))


def _file_size(data: Mapping[str, Any], run_dir: Path | None) -> int | None:
    """The result file's size in bytes, looked up as given and then relative to the run folder."""
    video = _dict(data.get("video"))
    for raw in (data.get("result_path"), video.get("path")):
        if not _plain(raw):
            continue
        candidates = [Path(str(raw))] + ([run_dir / str(raw)] if run_dir is not None else [])
        for path in candidates:
            try:
                if path.is_file():
                    return path.stat().st_size
            except OSError:
                continue
    return None


def _human_bytes(size: int) -> str:
    """Bytes as a short human string."""
    amount = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if amount < 1024 or unit == "GB":
            return f"{amount:.0f} {unit}" if unit == "B" else f"{amount:.1f} {unit}"
        amount /= 1024
    return f"{size} B"


def _result_pairs(data: Mapping[str, Any], run_dir: Path | None) -> list[tuple[str, str]]:
    """The result facts as (label, text) pairs: path, duration, picture, size, loudness."""
    video = _dict(data.get("video"))
    job = _dict(data.get("job"))
    pairs: list[tuple[str, str]] = []
    path = _plain(data.get("result_path")) or _plain(video.get("path"))
    if path:
        pairs.append(("video", path))
    duration = as_number(video.get("duration_s"))
    if duration is not None:
        asked = as_number(job.get("duration_s"))
        pairs.append(("duration", f"{duration:.1f} s" + (f" (asked for {asked:g} s)" if asked else "")))
    width, height, fps = (as_number(video.get(key)) for key in ("width", "height", "fps"))
    if width and height:
        pairs.append(("picture", f"{width:.0f}×{height:.0f}" + (f" at {fps:g} fps" if fps else "")))
    size = _file_size(data, run_dir)
    if size is not None:
        pairs.append(("size", _human_bytes(size)))
    lufs, mean = as_number(video.get("loudness_lufs")), as_number(video.get("mean_volume_db"))
    loud = [f"{lufs:.1f} LUFS integrated"] if lufs is not None else []
    loud += [f"mean volume {mean:.1f} dB"] if mean is not None else []
    if loud:
        pairs.append(("loudness", ", ".join(loud)))
    for label in ("thumbnail", "subtitles"):
        value = data.get(label)
        where = _plain(_dict(value).get("path")) if isinstance(value, dict) else _plain(value)
        if where:
            pairs.append((label, where))
    return pairs


def _result_lines(data: Mapping[str, Any], run_dir: Path | None) -> list[str]:
    """The Result section's bullet lines, paths in code spans."""
    lines = []
    for label, text in _result_pairs(data, run_dir):
        shown = f"`{_code(text)}`" if label in ("video", "thumbnail", "subtitles") else _md(text)
        lines.append(f"**{label.capitalize()}:** {shown}")
    return lines


def _job_summary(job: dict[str, Any]) -> str:
    """The job's knobs on one line: '45 s · 9:16 · en · voice joe · style bold · preview'."""
    parts = []
    duration = as_number(job.get("duration_s"))
    if duration is not None:
        parts.append(f"{duration:g} s")
    for key, prefix in (("aspect", ""), ("lang", ""), ("voice", "voice "), ("style", "style ")):
        if _plain(job.get(key)):
            parts.append(prefix + _plain(job.get(key)))
    if job.get("preview"):
        parts.append("preview")
    return " · ".join(parts)
