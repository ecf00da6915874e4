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
