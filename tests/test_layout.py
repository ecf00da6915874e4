"""The user's layout: packages resolve inside this repository and imports flow one way."""

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("agents", "graph", "tools", "prompts", "state")
# graph → agents → tools, prompts, state; tools imports only state; prompts and state import none of ours.
ALLOWED = {
    "graph": {"graph", "agents", "tools", "prompts", "state"},
    "agents": {"agents", "tools", "prompts", "state"},
    "tools": {"tools", "state"},
    "prompts": {"prompts"},
    "state": {"state"},
}


def test_design_card_folders_exist():
    for name in ("agents", "graph", "tools", "prompts", "state", "tests", "notebooks"):
        assert (ROOT / name).is_dir(), name
    assert (ROOT / "pyproject.toml").is_file()
    assert (ROOT / "README.md").is_file()


@pytest.mark.parametrize("package", PACKAGES)
def test_package_resolves_inside_repository(package):
    # PyPI has unrelated distributions called tools, state, agents and prompts.
    module = importlib.import_module(package)
    assert Path(module.__file__).resolve().parent == ROOT / package


def _imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found & set(PACKAGES)


@pytest.mark.parametrize("package", PACKAGES)
def test_imports_flow_one_way(package):
    offenders = []
    for path in sorted((ROOT / package).rglob("*.py")):
        bad = _imported_packages(path) - ALLOWED[package]
        if bad:
            offenders.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert not offenders, offenders


def test_every_package_declares_all():
    for package in PACKAGES:
        module = importlib.import_module(package)
        assert isinstance(getattr(module, "__all__", None), list), package


# Calls that run or read the compiled orchestrator. Only the run service may make them, so every door
# gets the same config, locks, statuses and events.
_APP_CALLS = {
    "stream",
    "astream",
    "invoke",
    "ainvoke",
    "batch",
    "abatch",
    "get_state",
    "aget_state",
    "get_state_history",
    "aget_state_history",
    "update_state",
    "aupdate_state",
}


def _calls(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            found.append((node.lineno, name))
    return found


def test_only_the_run_service_compiles_streams_or_invokes_the_orchestrator():
    runs = ROOT / "graph" / "runs.py"
    offenders = []
    for folder in ("graph", "agents", "notebooks"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path == runs:
                continue
            for line, name in _calls(path):
                # graph/studio.py compiles it for the LangGraph server (`langgraph dev`), which runs it.
                compilers = ("orchestrator.py", "studio.py")
                compiles = name == "compile_orchestrator" and path.name not in compilers
                # graph/chat/agent.py calls LangChain models and tools (ainvoke), not a graph: the chat
                # graph is compiled and streamed in graph/runs.py (ChatThreads).
                model_calls = path == ROOT / "graph" / "chat" / "agent.py" and name == "ainvoke"
                if compiles or (name in _APP_CALLS and not model_calls):
                    offenders.append(f"{path.relative_to(ROOT)}:{line} calls {name}()")
    assert not offenders, offenders
    # The run service really is where it happens.
    names = {name for _, name in _calls(runs)}
    assert {"compile_orchestrator", "astream", "aget_state", "aupdate_state"} <= names


def test_notebooks_go_through_the_run_service():
    import json

    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
        code = "\n".join("".join(cell["source"]) for cell in cells if cell["cell_type"] == "code")
        assert "compile_orchestrator" not in code and "build_orchestrator" not in code, notebook.name
        for call in ("app.stream(", "app.invoke(", ".update_state(", ".get_state("):
            assert call not in code, f"{notebook.name} calls {call} itself"


def _environment_uses(path: Path) -> list[str]:
    uses = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "putenv", "unsetenv"):
            uses.append(f"{path.relative_to(ROOT)}:{node.lineno} uses os.{node.attr}")
        if isinstance(node, ast.ImportFrom) and node.module == "os":
            names = {alias.name for alias in node.names} & {"environ", "getenv", "putenv"}
            uses += [f"{path.relative_to(ROOT)}:{node.lineno} imports os.{name}" for name in names]
    return uses


def test_no_module_under_tools_reads_or_writes_the_environment():
    offenders = [use for path in sorted((ROOT / "tools").rglob("*.py")) for use in _environment_uses(path)]
    assert not offenders, offenders


def test_settings_are_read_in_one_place():
    readers = {
        str(path.relative_to(ROOT))
        for folder in ("graph", "agents", "state", "prompts")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if _environment_uses(path)
    }
    # The settings model, the reelforge.toml finder (REELFORGE_CONFIG), and the router's reader, which
    # defaults to the environment the settings loader reads.
    assert readers <= {"graph/settings.py", "graph/config_file.py", "graph/router_config.py"}, readers
