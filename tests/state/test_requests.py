"""A job's `providers` (the provider to try first per capability): what it accepts, how it words a bad
name, and how it flows into the JobSpec, old jobs without it included."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from state.daily_plan import DailyPlan
from state.model_settings import DEFAULT_ORDER
from state.requests import JobRequest, first_problem


def problem(**fields: object) -> tuple[str, str]:
    with pytest.raises(ValidationError) as caught:
        JobRequest(topic="coffee", **fields)  # type: ignore[arg-type]
    return first_problem(caught.value)


def test_no_preference_by_default():
    job = JobRequest(topic="coffee").to_job()
    assert job["providers"] == {}


@pytest.mark.parametrize("capability", list(DEFAULT_ORDER))
def test_every_provider_of_a_capability_can_be_preferred(capability):
    for name in DEFAULT_ORDER[capability]:
        job = JobRequest(topic="coffee", providers={capability: name}).to_job()
        assert job["providers"] == {capability: name}


def test_one_preference_per_capability_flows_into_the_job():
    chosen = {"text": "ollama", "image": "comfyui", "speech": "coqui"}
    job = JobRequest(topic="coffee", providers=chosen).to_job()
    assert job["providers"] == chosen
    # A door's job is checked again by plan_request: it must survive the round trip unchanged.
    assert JobRequest.from_job(job).to_job() == job


@pytest.mark.parametrize(
    ("providers", "message"),
    [
        (
            {"text": "nonsense"},
            "unknown text provider 'nonsense'; choose one of ollama, openai_compatible, huggingface, "
            "openai, groq, pollinations_text, offline",
        ),
        (
            {"image": "ollama"},
            "'ollama' does not serve image; choose one of comfyui, huggingface, openai, openverse, commons, "
            "pexels, pixabay, pollinations_image, offline",
        ),
        (
            {"speech": "comfyui"},
            "'comfyui' does not serve speech; choose one of coqui, huggingface, openai, pollinations_speech, "
            "offline",
        ),
        ({"video": "comfyui"}, "unknown capability 'video'; choose one of text, image, speech"),
        ({"text": ""}, "unknown text provider ''; choose one of"),
    ],
)
def test_bad_preferences_name_the_problem_and_the_choices(providers, message):
    field, words = problem(providers=providers)
    assert field == "providers"
    assert words.startswith(message), words
    # Neutral: no flag and no key, each door names the field its own way.
    assert "--" not in words


def test_a_provider_name_must_be_text():
    field, _ = problem(providers={"text": 3})
    assert field == "providers.text"


def test_jobs_made_before_the_picker_still_load():
    job = dict(JobRequest(topic="coffee").to_job())
    del job["providers"]
    assert JobRequest.from_job(job).to_job()["providers"] == {}


def test_a_daily_plan_item_takes_providers_like_make():
    plan = DailyPlan.model_validate({"items": [{"topic": "coffee", "providers": {"image": "comfyui"}}]})
    assert plan.items[0].to_job()["providers"] == {"image": "comfyui"}
    with pytest.raises(ValidationError) as caught:
        DailyPlan.model_validate({"items": [{"topic": "coffee", "providers": {"image": "groq"}}]})
    assert "'groq' does not serve image" in first_problem(caught.value)[1]
