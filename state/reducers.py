"""Reducers for keys that receive parallel or repeated updates."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, TypeVar

from state.artifacts import SceneAssets

if TYPE_CHECKING:
    from state.orchestrator import Publication

V = TypeVar("V")


def merge_dicts(left: Mapping[str, V] | None, right: Mapping[str, V] | None) -> dict[str, V]:
    """Merge two mappings; keys in `right` win."""
    return {**(left or {}), **(right or {})}


def merge_scenes(left: list[SceneAssets] | None, right: list[SceneAssets] | None) -> list[SceneAssets]:
    """Merge scene assets by index, newest wins, sorted, so parallel branches land in order."""
    by_index = {scene["index"]: scene for scene in (left or [])}
    by_index.update({scene["index"]: scene for scene in (right or [])})
    return [by_index[i] for i in sorted(by_index)]


def add_publications(left: list[Publication] | None, right: list[Publication] | None) -> list[Publication]:
    """Append publications not recorded yet; a record with the same idempotency key replaces the earlier one
    in place (an intent becomes its outcome). A sub-agent hands back the ones it was given, too."""
    merged = list(left or [])
    for publication in right or []:
        key = publication.get("key")
        same = [i for i, known in enumerate(merged) if key is not None and known.get("key") == key]
        if same:
            merged[same[0]] = publication
        elif publication not in merged:
            merged.append(publication)
    return merged


def add_new(left: list[V] | None, right: list[V] | None) -> list[V]:
    """Append the items not in the list yet: a step that runs again hands back what it handed before."""
    merged = list(left or [])
    merged += [item for item in right or [] if item not in merged]
    return merged
