"""ContentGeneration: write the script, gate it with rules, then fan out one branch per scene."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import RetryPolicy, Send, interrupt

from agents.scene_files import degradations, scene_task, scene_tasks, scene_update
from agents.tracking import tracked
from agents.video_files import MIN_GAP_S
from prompts import REVISE_SCRIPT, SCRIPT_SYSTEM, TOP_LIST_SCRIPT, WRITE_SCRIPT
from prompts.script import budget_lines
from state import (
    ContentIn,
    ContentOut,
    ContentState,
    Context,
    Fact,
    JobSpec,
    SceneSpec,
    SceneTask,
    Script,
)
from state.gates import GateAnswer
from state.model_calls import Routed, TextRequest
from state.script_draft import ScriptDraft
from state.sources import Product
from tools.errors import ReelforgeError, is_transient
from tools.speech import SENTENCE_PAUSE_WORDS, WORDS_PER_SECOND
from tools.text.offline_writer import revise_script as repair_script
from tools.text.offline_writer import write_script as write_offline_script
from tools.text.outline_phrases import MAX_SCENES, MIN_SCENES
from tools.text.quality import (
    SPEECH_FIT,
    Pace,
    count_words,
    planned_scene_count,
    problem_code,
    scene_budgets,
    word_limits,
)
from tools.text.quality import check_script as check_script_rules
from tools.text.script_fitting import fit_script, fitting_note
from tools.text.top_list import MAX_PRODUCTS as MAX_TOP_PRODUCTS
from tools.text.top_list import (
    products_block,
    products_that_fit,
    rank_products,
    with_links,
    write_top_list,
)

# Problems a video can still be made with become warnings; these cannot be voiced or shown.
UNRENDERABLE = frozenset({"empty_scene"})


class ScriptRejected(ReelforgeError):
    """The script still has a problem no video can be made with after every revision."""


# The voices' rates were measured on long prose. Short videos are mostly short sentences, whose
# pauses weigh more, so plan below the rate: 10 s plans at 80 %, 20 s and longer at 90 %.
PAUSE_ALLOWANCE_S = 2.0


def planning_rate(voice: str, duration_s: int) -> float:
    """Words per second to plan a `duration_s` script for `voice`, leaving room for pauses."""
    margin = min(0.9, max(0.75, 1 - PAUSE_ALLOWANCE_S / duration_s))
    return WORDS_PER_SECOND[voice] * margin


def voice_pace(voice: str) -> Pace:
    """How `voice` speaks and the timeline spaces its scenes, for estimating how long a script lasts."""
    return Pace(WORDS_PER_SECOND[voice], SENTENCE_PAUSE_WORDS[voice], MIN_GAP_S)


def _script_request(job: JobSpec, prompt: str, offline: Callable[[], Script]) -> TextRequest:
    system = SCRIPT_SYSTEM.render(aspect=job["aspect"], language=job["lang"])
    return TextRequest(
        system=system,
        prompt=prompt,
        schema=ScriptDraft,
        offline=lambda: dict(offline()),
        prefer=job.get("providers", {}).get("text"),
    )


def _routed_script(routed: Routed, facts: list[Fact]) -> Script:
    """The offline writer answers with a finished Script; a model answers with a ScriptDraft."""
    if routed.tier == "offline":
        script: Script = routed.answer.data
        return script
    return ScriptDraft.model_validate(routed.answer.data).to_script(
        facts, f"{routed.provider}:{routed.model}"
    )


def _script_tier(routed: Routed, script: Script) -> str:
    return f"offline:{script['writer']}" if routed.tier == "offline" else f"{routed.tier}:{routed.provider}"


def source_titles(facts: list[Fact]) -> dict[str, str]:
    """The title each researched source has (a page's), for citations that read as names, not URLs."""
    return {fact["source"]: fact["title"] for fact in facts if fact.get("title")}


def _facts_block(facts: list[Fact]) -> str:
    return "\n".join(f"- {fact['text']} (source: {fact['source']})" for fact in facts) or "(no facts given)"


def _top_list_request(job: JobSpec, products: list[Product], rate: float) -> TextRequest:
    """A "Top N" script over the products that fit the length, best first; the offline writer counts
    them down too."""
    shown = products_that_fit(products, job["duration_s"], rate, job["topic"])
    max_words = word_limits(job["duration_s"], rate)[1]
    prompt = TOP_LIST_SCRIPT.render(
        topic=job["topic"],
        duration_s=job["duration_s"],
        max_words=max_words,
        budgets=budget_lines(scene_budgets(max_words, len(shown))),
        products=products_block(shown),
    )
    return _script_request(
        job, prompt, lambda: write_top_list(job["topic"], products, job["duration_s"], rate)
    )


def _product_facts(products: list[Product]) -> list[Fact]:
    """A model's draft may cite a product by its source: these keep those citations."""
    return [{"text": product["name"], "source": product["source"]} for product in products]


def _top_list_script(routed: Routed, products: list[Product]) -> Script:
    """A model's "Top N" draft, with every shown product's link in its description."""
    script = _routed_script(routed, _product_facts(products))
    if routed.tier != "offline":
        script = {**script, "description": with_links(script["description"], products)}
    return script


def scene_limits(state: ContentState) -> tuple[int, int]:
    """How many scenes a script may have: one per product in a "Top N" video (1-10), else 5-8."""
    return (1, MAX_TOP_PRODUCTS) if state.get("products") else (MIN_SCENES, MAX_SCENES)


@tracked("content_generation")
def write_script(state: ContentState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Write the first draft with the best text model that answers; the offline writer always can."""
    job = state["job"]
    facts = state.get("facts", [])
    rate = planning_rate(job["voice"], job["duration_s"])
    if products := rank_products(state.get("products", [])):
        request = _top_list_request(job, products, rate)
    else:
        max_words = word_limits(job["duration_s"], rate)[1]
        count = planned_scene_count(job["duration_s"])
        prompt = WRITE_SCRIPT.render(
            topic=job["topic"],
            duration_s=job["duration_s"],
            max_words=max_words,
            scene_count=count,
            budgets=budget_lines(scene_budgets(max_words, count)),
            facts=_facts_block(facts),
        )
        request = _script_request(
            job,
            prompt,
            lambda: write_offline_script(
                job["topic"], facts, job["duration_s"], rate, source_titles=source_titles(facts)
            ),
        )
    routed = runtime.context.models.text(request, "write_script", job.get("model", "default"))
    script = _top_list_script(routed, products) if products else _routed_script(routed, facts)
    update: dict[str, Any] = {
        "script": script,
        "revisions": 0,
        "tiers": {"script": _script_tier(routed, script)},
        "degraded": degradations(routed, "script"),
    }
    if facts and not script["citations"]:
        update["warnings"] = [
            f"no fact from your sources fits a {job['duration_s']} s video, so the script is an outline; "
            "try a longer --duration"
        ]
    return update


def _too_long(problems: list[str]) -> bool:
    return any(problem_code(problem) == "too_many_words" for problem in problems)


@tracked("content_generation")
def check_script(state: ContentState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Run the rule quality gate; fit a script still too long; when revisions are spent, keep the script
    and say what is wrong.

    The length is a contract: a draft over its word budget is revised once with the exact budgets, and a
    script over budget after any revision (or with no revision left) is fitted deterministically, its
    least important sentences and scenes dropped and named in the warnings. Other problems still get
    every revision. A person's edit that fails goes back to them at the script gate
    (route_after_check_script) instead, never fitted.
    """
    job = state["job"]
    rate = planning_rate(job["voice"], job["duration_s"])
    limits = scene_limits(state)
    script = state["script"]
    pace = voice_pace(job["voice"])
    report = check_script_rules(script, job["duration_s"], rate, *limits, pace=pace, lang=job["lang"])
    update: dict[str, Any] = {"quality": report}
    review = state.get("review")
    edited = review is not None and review["edited"]
    revisions = state.get("revisions", 0)
    # Every revision prompt states the scene budgets, so after one a script too long is fitted, not sent
    # back again; so is a draft when no revision may be made.
    length_revised = revisions > 0 or revisions >= runtime.context.max_revisions
    if _too_long(report["problems"]) and not edited and length_revised:
        max_words = word_limits(job["duration_s"], rate)[1]
        fitted = fit_script(
            script,
            max_words,
            min_scenes=limits[0],
            lang=job["lang"],
            pace=pace,
            max_seconds=job["duration_s"] * SPEECH_FIT,
        )
        report = check_script_rules(
            fitted.script, job["duration_s"], rate, *limits, pace=pace, lang=job["lang"]
        )
        note = fitting_note(fitted, job["duration_s"])
        # A model that writes too much again after another revision is fitted the same way: say it once.
        said = note in state.get("warnings", [])
        update = {"script": fitted.script, "quality": report, "warnings": [] if said else [note]}
    if not report["passed"] and not edited and revisions >= runtime.context.max_revisions:
        summary = f"the script still fails the quality gate after {revisions} revisions: " + "; ".join(
            report["problems"]
        )
        if any(problem_code(problem) in UNRENDERABLE for problem in report["problems"]):
            raise ScriptRejected(f"{summary}; edit the script or the sources and run again")
        update["warnings"] = [*update.get("warnings", []), summary]
    return update


@tracked("content_generation")
def revise_script(state: ContentState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Repair the problems the gate found, keeping the scenes that passed."""
    job = state["job"]
    facts = state.get("facts", [])
    rate = planning_rate(job["voice"], job["duration_s"])
    problems = state["quality"]["problems"]
    max_words = word_limits(job["duration_s"], rate)[1]
    scenes = state["script"]["scenes"]
    # The budgets are for as many scenes as the script may have: a script short of scenes gets the
    # budgets of the fewest it may have, not of the ones it has.
    lowest, highest = scene_limits(state)
    prompt = REVISE_SCRIPT.render(
        duration_s=job["duration_s"],
        max_words=max_words,
        problems="\n".join(f"- {problem}" for problem in problems),
        budgets=budget_lines(
            scene_budgets(max_words, min(max(len(scenes), lowest), highest)),
            [count_words(scene["narration"]) for scene in scenes],
        ),
        script=json.dumps(state["script"], ensure_ascii=False),
    )
    products = rank_products(state.get("products", []))

    def offline() -> Script:
        if products:
            # The top-list writer fits its budget by construction: writing again is its revision.
            return write_top_list(job["topic"], products, job["duration_s"], rate)
        return repair_script(state["script"], problems, job["duration_s"], rate)

    request = _script_request(job, prompt, offline)
    routed = runtime.context.models.text(request, "revise_script", job.get("model", "default"))
    script = _top_list_script(routed, products) if products else _routed_script(routed, facts)
    return {
        "script": script,
        "revisions": state.get("revisions", 0) + 1,
        "tiers": {"script": _script_tier(routed, script)},
        "degraded": degradations(routed, "script"),
    }


def fan_out_scenes(state: ContentState) -> list[Send]:
    """Send one make_scene branch per scene."""
    tasks = scene_tasks(state["job"], state["script"], products=state.get("products"))
    return [Send("make_scene", task) for task in tasks]


def route_after_check_script(state: ContentState, runtime: Runtime[Context]) -> str | list[Send]:
    """Revise a failing draft while revisions remain, stop at the script gate if asked, then fan out."""
    review = state.get("review")
    edited = review is not None and review["edited"]
    if not state["quality"]["passed"]:
        if edited:
            # A person's edit is never rewritten by a model: it goes back to them with the problems.
            return "review_script"
        if state.get("revisions", 0) < runtime.context.max_revisions:
            return "revise_script"
    if "script" in state["job"]["gates"] and review is None:
        return "review_script"
    return fan_out_scenes(state)


@tracked("content_generation")
def review_script(state: ContentState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Wait at the script gate for a person: approve the draft, approve an edited script, or reject.

    Nothing before the interrupt has an effect, so answering re-runs this node at no cost; the scenes are
    made after it, in their own nodes.
    """
    problems = state["quality"]["problems"]
    answer: GateAnswer = interrupt(
        {"gate": "script", "script": state["script"], "problems": problems},
        response_schema=GateAnswer,
    )
    approval = answer.to_approval("script")
    update: dict[str, Any] = {"review": approval, "approvals": [approval]}
    if answer.decision == "reject":
        return {**update, "rejected": approval}
    if answer.script is not None:
        return {**update, "script": answer.script.to_script(state["script"]["writer"])}
    if problems:
        update["warnings"] = ["approved at the script gate despite: " + "; ".join(problems)]
    return update


def route_after_review_script(state: ContentState) -> str | list[Send]:
    """An edited script goes through the quality gate; an approved draft fans out; a rejection ends here."""
    review = state["review"]
    if review["decision"] == "reject":
        return END
    if review["edited"]:
        return "check_script"
    return fan_out_scenes(state)


def route_from_start(state: ContentState) -> str:
    """Remake one scene when a regeneration asks for it; otherwise write the script."""
    return "remake_scene" if state.get("regen") else "write_script"


@tracked("content_generation")
def make_scene(state: SceneTask, runtime: Runtime[Context]) -> dict[str, Any]:
    """Make one scene's image and narration with the best providers that answer, reusing finished files."""
    return scene_update(state, runtime)


@tracked("content_generation")
def remake_scene(state: ContentState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Make one scene again as a new take, with new words or a new picture description if given.

    Every other scene keeps its files; VideoProduction then recomposes the video from them.
    """
    regen = state["regen"]
    if regen is None:  # pragma: no cover - route_from_start only comes here with a request
        return {}
    script = state["script"]
    number = regen["scene"]
    original = next(scene for scene in script["scenes"] if scene["index"] == number)
    scene: SceneSpec = {
        **original,
        "narration": regen["narration"] or original["narration"],
        "visual": regen["visual"] or original["visual"],
    }
    edited: Script = {**script, "scenes": [scene if s["index"] == number else s for s in script["scenes"]]}
    task = scene_task(state["job"], edited, number, regen["variant"], state.get("products"))
    return {**scene_update(task, runtime), "script": edited, "regen": None}


def build_content_generation_graph() -> StateGraph[Any, Context, Any, Any]:
    """Return the uncompiled ContentGeneration subgraph."""
    retry = RetryPolicy(max_attempts=2, retry_on=is_transient)
    graph = StateGraph(ContentState, context_schema=Context, input_schema=ContentIn, output_schema=ContentOut)
    graph.add_node("write_script", write_script)
    graph.add_node("check_script", check_script)
    graph.add_node("revise_script", revise_script)
    graph.add_node("review_script", review_script)
    graph.add_node("make_scene", make_scene, retry_policy=retry)
    graph.add_node("remake_scene", remake_scene, retry_policy=retry)
    graph.add_conditional_edges(START, route_from_start, ["write_script", "remake_scene"])
    graph.add_edge("write_script", "check_script")
    graph.add_conditional_edges(
        "check_script", route_after_check_script, ["revise_script", "review_script", "make_scene"]
    )
    graph.add_edge("revise_script", "check_script")
    graph.add_conditional_edges(
        "review_script", route_after_review_script, ["check_script", "make_scene", END]
    )
    graph.add_edge("make_scene", END)
    graph.add_edge("remake_scene", END)
    return graph
