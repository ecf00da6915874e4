"""langgraph.json, as `langgraph dev` reads it: every graph it names imports from its "path:attr", is a
compiled graph without a saver, draws, and runs offline with the context Studio sends (`{}`)."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from langgraph.graph.state import CompiledStateGraph

from graph import studio
from graph.preflight import validate_job
from graph.runs import RECURSION_LIMIT
from state.events import SUB_AGENTS
from tests.conftest import ROOT

CONFIG = json.loads((ROOT / "langgraph.json").read_text())


def _specs() -> dict[str, str]:
    """graph name → "path:attr", whether the entry is a string or an object with a path."""
    return {
        name: entry if isinstance(entry, str) else entry["path"] for name, entry in CONFIG["graphs"].items()
    }


def _load(spec: str) -> Any:
    """Import `path:attr` the way the LangGraph server does: the file as a module of its own."""
    path, attr = spec.rsplit(":", 1)
    file = (ROOT / path).resolve()
    name = "langgraph_json__" + file.relative_to(ROOT).with_suffix("").as_posix().replace("/", "__")
    module = sys.modules.get(name)
    if module is None:
        found = importlib.util.spec_from_file_location(name, file)
        assert found is not None and found.loader is not None, spec
        module = importlib.util.module_from_spec(found)
        sys.modules[name] = module
        found.loader.exec_module(module)
    assert isinstance(module, ModuleType)
    return getattr(module, attr)


@pytest.fixture
def studio_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh home for the Studio process's settings and stores (opened once per process), in this
    package's module and in the copy the server's way of importing made."""
    home = tmp_path / "home"
    monkeypatch.setenv("REELFORGE_HOME", str(home))
    _load(_specs()["reelforge"])
    copies = [studio, *(mod for name, mod in sys.modules.items() if name.startswith("langgraph_json__"))]
    for module in copies:
        module.studio_process.cache_clear()
    yield home
    for module in copies:
        module.studio_process.cache_clear()


def test_it_names_the_orchestrator_and_every_sub_agent() -> None:
    assert set(_specs()) == {"reelforge", *SUB_AGENTS}
    assert CONFIG["dependencies"] == ["."]
    for name, entry in CONFIG["graphs"].items():
        assert isinstance(entry, dict) and entry["description"], name


@pytest.mark.parametrize("name", ["reelforge", *SUB_AGENTS])
def test_every_graph_imports_and_compiles_with_the_same_context_defaults(name: str) -> None:
    graph = _load(_specs()[name])
    assert isinstance(graph, CompiledStateGraph)
    # The LangGraph server supplies persistence; a saver of our own would be ignored or clash.
    assert graph.checkpointer is None
    assert graph.name == name
    assert graph.config is not None and graph.config["recursion_limit"] == RECURSION_LIMIT
    # The same context schema everywhere: Studio's context form, with every field defaulted.
    assert graph.context_schema.__name__ == "StudioContext"
    schema = graph.get_context_jsonschema()
    assert schema is not None and "required" not in schema
    assert {key: prop["default"] for key, prop in schema["properties"].items()} == {
        "run_id": "studio",
        "max_revisions": 2,
        "gallery_url": None,
    }
    drawn = graph.get_graph(xray=True).draw_mermaid()
    assert "__start__" in drawn and "__end__" in drawn
    assert graph.get_input_jsonschema()["type"] == "object"
    # Compiles again from the same builder, as `langgraph dev` does on reload.
    assert isinstance(graph.builder.compile(), CompiledStateGraph)


def test_the_context_studio_sends_opens_offline_clients(studio_home: Path) -> None:
    context = studio.StudioContext(**{})
    assert context.run_id == "studio" and context.run_dir == studio_home / "runs" / "studio"
    assert context.home == studio_home and Path(context.ffmpeg).exists()
    assert context.research is None  # research is off in tests; on by default
    assert context.voices is studio.StudioContext(run_id="other").voices
    # Made on the server's event loop: nothing is read or created until a node calls a model.
    assert isinstance(context.models, studio.RouterOnFirstUse)
    assert not studio.studio_process().services.settings.ledger.exists()
    named = studio.StudioContext(run_id="bees-1", max_revisions=0)
    assert named.run_dir == studio_home / "runs" / "bees-1" and named.max_revisions == 0


def test_a_sub_agent_runs_with_an_empty_context(studio_home: Path) -> None:
    job = validate_job(topic="honey bees", duration_s=10, voice="espeak", preview=True)
    graph = _load(_specs()["data_acquisition"])
    out = graph.invoke({"job": job}, context={})
    assert set(out) >= {"facts"}


@pytest.mark.slow
def test_the_orchestrator_makes_a_video_with_the_context_studio_sends(studio_home: Path) -> None:
    job = validate_job(topic="honey bees", duration_s=10, voice="espeak", preview=True)
    graph = _load(_specs()["reelforge"])
    out = graph.invoke({"job": job}, context={"run_id": "studio-bees"})
    video = Path(out["video"]["video"]["path"])
    assert video.is_file() and video.is_relative_to(studio_home / "runs" / "studio-bees")
    assert out["tiers"] and not out.get("rejected")
