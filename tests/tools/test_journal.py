"""The execution journal's committed node results: kept by task id, JSON only, never a path trick."""

from __future__ import annotations

import pytest

from tools.journal import read_journal, record_replay, save_result, saved_result


def test_results_are_kept_by_task_id(tmp_path):
    assert saved_result(tmp_path, "1f0c-aa") is None
    assert save_result(tmp_path, "1f0c-aa", {"scenes": [{"index": 1}], "warnings": []})
    assert saved_result(tmp_path, "1f0c-aa") == {"scenes": [{"index": 1}], "warnings": []}


def test_a_result_that_is_not_json_is_not_kept(tmp_path):
    assert not save_result(tmp_path, "t1", {"when": object()})
    assert not save_result(tmp_path, "t2", {"x": float("nan")})
    assert saved_result(tmp_path, "t1") is None


@pytest.mark.parametrize("task", ["", "../escape", "a/b", "x.json"])
def test_a_task_id_never_names_another_path(tmp_path, task):
    with pytest.raises(ValueError):
        save_result(tmp_path, task, {})


def test_replays_are_journaled(tmp_path):
    record_replay(tmp_path, "publishing", "publish_gallery", "t1")
    (record,) = read_journal(tmp_path)
    assert (record["event"], record["node"], record["task"]) == ("replay", "publish_gallery", "t1")
