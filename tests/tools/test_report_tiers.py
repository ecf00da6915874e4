"""Tests for collapse_tiers: per-scene tier entries fold into one line per kind."""

from __future__ import annotations

from tools.report import collapse_tiers


def test_scenes_that_agree_fold_into_one_key():
    tiers = {"images.01": "self-hosted:comfyui", "images.02": "self-hosted:comfyui"}
    assert collapse_tiers(tiers) == {"images": "self-hosted:comfyui"}


def test_one_scene_that_differs_gets_its_own_key():
    tiers = {
        "images.01": "self-hosted:comfyui",
        "images.02": "offline:cards",
        "images.03": "self-hosted:comfyui",
    }
    assert collapse_tiers(tiers) == {"images": "self-hosted:comfyui", "images (scene 2)": "offline:cards"}


def test_several_differing_scenes_are_listed_in_number_order():
    tiers = {f"images.{n:02d}": "self-hosted:comfyui" for n in range(1, 12)}
    tiers["images.10"] = "offline:cards"
    tiers["images.05"] = "offline:cards"
    tiers["images.02"] = "offline:cards"
    assert collapse_tiers(tiers) == {
        "images": "self-hosted:comfyui",
        "images (scenes 2, 5, 10)": "offline:cards",
    }


def test_the_majority_wins_even_when_it_comes_later():
    tiers = {"narration.01": "cloud:openai", "narration.02": "offline:piper", "narration.03": "offline:piper"}
    assert collapse_tiers(tiers) == {"narration": "offline:piper", "narration (scene 1)": "cloud:openai"}


def test_each_minority_value_gets_its_own_key():
    tiers = {
        "images.01": "self-hosted:comfyui",
        "images.02": "self-hosted:comfyui",
        "images.03": "self-hosted:comfyui",
        "images.04": "cloud:openai",
        "images.05": "offline:cards",
        "images.06": "offline:cards",
    }
    assert collapse_tiers(tiers) == {
        "images": "self-hosted:comfyui",
        "images (scenes 5, 6)": "offline:cards",
        "images (scene 4)": "cloud:openai",
    }


def test_kinds_fold_separately_and_keys_without_a_dot_pass_through():
    tiers = {
        "plan": "offline:rules",
        "script": "self-hosted:ollama",
        "images.01": "offline:cards",
        "narration.01": "offline:piper",
        "images.02": "offline:cards",
        "narration.02": "cloud:openai",
        "narration.03": "offline:piper",
        "video": "offline:pyav-libx264",
    }
    assert collapse_tiers(tiers) == {
        "plan": "offline:rules",
        "script": "self-hosted:ollama",
        "video": "offline:pyav-libx264",
        "images": "offline:cards",
        "narration": "offline:piper",
        "narration (scene 2)": "cloud:openai",
    }


def test_values_become_one_line_of_text():
    assert collapse_tiers({"script": None, "video": " offline:\n pyav "}) == {
        "script": "",
        "video": "offline: pyav",
    }


def test_no_tiers_give_nothing():
    assert collapse_tiers({}) == {}
