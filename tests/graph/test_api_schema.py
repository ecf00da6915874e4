"""schemathesis against the API's OpenAPI schema: no request, valid or not, gets a 5xx, and answers match
the schema. Bounded: a few dozen examples per operation, no shrinking, the whole module in about a minute.

POST /runs (and the chat, which can start a run) would render a video per accepted example, so schemathesis
leaves them out; a targeted property sends POST /runs bodies that are wrong in one field each, and every one
must be refused with a one-line JSON 4xx before anything starts.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from graph.api import create_app
from graph.api.bodies import RunCreate
from graph.preflight import validate_job
from graph.runs import SyncRunService
from graph.services import Services, open_services
from graph.settings import load_settings
from state.job import ASPECTS, GATES, VISUALS, VOICES
from tests.conftest import NO_FREE_TIER, NO_RESEARCH, _outside_settings

# Operations that start work (a render) when they accept a request.
STARTS_WORK = {("POST", "/runs"), ("POST", "/chat")}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
BOUNDED = settings(
    max_examples=30,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def _services(home: Path) -> Services:
    """Services with none of the shell's settings, research and the free tier off (per module: conftest's
    own fixture is per test)."""
    with pytest.MonkeyPatch.context() as patch:
        for name in [name for name in os.environ if _outside_settings(name)]:
            patch.delenv(name)
        for name, value in {**NO_RESEARCH, **NO_FREE_TIER}.items():
            patch.setenv(name, value)
        patch.chdir(home)
        return open_services(load_settings(home=home))


# schemathesis's fixture-loaded schemas do not run under pytest 9 (they set Function._nodeid, which pytest
# 9 removed), so the app is made when the module is imported, in a home of its own.
FINISHED = "fuzz-bees"
# A valid body; each example of the property below breaks exactly one thing in it.
VALID = {"topic": "how bees dance", "duration_s": 10, "voice": "espeak", "preview": True}
HOME = Path(tempfile.mkdtemp(prefix="reelforge-schema-")) / "home"
HOME.mkdir()
SERVICES = _services(HOME)
APP = create_app(SERVICES)


def _starts_work(ctx: Any) -> bool:
    return (ctx.operation.method.upper(), ctx.operation.path) in STARTS_WORK


def _reads_a_run(ctx: Any) -> bool:
    return ctx.operation.method.upper() == "GET" and "{run_id}" in ctx.operation.path


# Every operation but those that start work, with valid and invalid inputs (run ids that do not exist).
api_schema = schemathesis.openapi.from_asgi("/openapi.json", APP).exclude(_starts_work)
# The reads of one run, on a run that went to the end: its record, events, video and files.
run_schema = schemathesis.openapi.from_asgi("/openapi.json", APP).include(_reads_a_run)
run_schema.config.update(parameters={"run_id": FINISHED})


# Session-scoped, not module-scoped: with xdist's worksteal a worker can finish this module's tests, tear its
# module fixtures down, and then take more of them; the home made at import must outlive that.
@pytest.fixture(scope="session", autouse=True)
def _remove_the_home() -> Iterator[None]:
    yield
    SERVICES.close()
    shutil.rmtree(HOME.parent, ignore_errors=True)


@pytest.fixture(scope="session")
def finished() -> str:
    """A real run (preview, 10 s, espeak) made to the end through the run service."""
    runs = SyncRunService(SERVICES, owner="test")
    runs.submit(validate_job(**VALID), run_id=FINISHED)
    assert runs.execute(FINISHED).status == "done"
    return FINISHED


def _no_new_runs() -> None:
    assert {record.run_id for record in SERVICES.runs.list(10)} <= {FINISHED}, (
        "a fuzzed request started a run"
    )


@api_schema.parametrize()
@BOUNDED
def test_no_request_gets_a_server_error_and_answers_match_the_schema(case: Any) -> None:
    case.call_and_validate(checks=CHECKS)
    _no_new_runs()


@run_schema.parametrize()
@BOUNDED
def test_reading_a_finished_run_never_gets_a_server_error(case: Any, finished: str) -> None:
    assert case.path_parameters["run_id"] == finished
    case.call_and_validate(checks=CHECKS)


FIELDS = set(RunCreate.model_fields)
words = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)
not_text = st.one_of(
    st.integers(),
    st.booleans(),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(words, st.integers(), max_size=2),
)
not_an_integer = st.one_of(
    words.filter(lambda text: not text.strip().lstrip("+-").isdigit()),
    st.floats(allow_nan=False, allow_infinity=False).filter(lambda x: x != int(x) if abs(x) < 1e15 else True),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(words, st.integers(), max_size=2),
)
broken = st.one_of(
    st.tuples(words.filter(lambda key: key not in FIELDS), st.integers()),  # unknown fields are refused
    st.tuples(st.sampled_from(["topic", "request", "aspect", "voice", "style", "visuals", "lang"]), not_text),
    st.tuples(st.just("duration_s"), not_an_integer),
    st.tuples(st.just("duration_s"), st.one_of(st.integers(max_value=9), st.integers(min_value=601))),
    st.tuples(st.just("aspect"), words.filter(lambda text: text not in ASPECTS)),
    st.tuples(st.just("voice"), words.filter(lambda text: text not in VOICES)),
    st.tuples(st.just("visuals"), words.filter(lambda text: text not in VISUALS)),
    st.tuples(
        st.just("gates"), st.lists(words.filter(lambda text: text not in GATES), min_size=1, max_size=2)
    ),
    st.tuples(
        st.just("targets"), st.lists(words.filter(lambda text: text != "gallery"), min_size=1, max_size=2)
    ),
    st.tuples(st.just("providers"), st.dictionaries(words, words, min_size=1, max_size=2)),
    st.tuples(st.just("topic"), st.text(min_size=2001, max_size=2100)),
    st.tuples(st.just("run_id"), st.text(min_size=81, max_size=90)),
)
not_an_object = st.one_of(
    st.lists(st.integers(), max_size=3).map(json.dumps),
    words.map(json.dumps),
    st.integers().map(json.dumps),
    st.just("null"),
    st.binary(max_size=40).filter(lambda raw: not raw.strip().startswith(b"{")),
)
CLIENT = TestClient(APP, raise_server_exceptions=False)


def _refused(response: Any) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    assert isinstance(response.json()["error"], str) and "\n" not in response.json()["error"]
    _no_new_runs()


@given(broken)
@BOUNDED
def test_a_run_body_wrong_in_one_field_is_refused_before_anything_starts(change: tuple[str, Any]) -> None:
    key, value = change
    _refused(CLIENT.post("/runs", json={**VALID, key: value}))


@given(not_an_object)
@BOUNDED
def test_a_run_body_that_is_not_a_json_object_is_refused(raw: str | bytes) -> None:
    _refused(CLIENT.post("/runs", content=raw, headers={"content-type": "application/json"}))


def test_a_run_body_without_a_topic_or_a_request_is_refused() -> None:
    _refused(CLIENT.post("/runs", json={"duration_s": 10}))


def test_every_operation_has_a_summary_a_description_and_json_errors() -> None:
    schema = APP.openapi()
    assert schema["info"]["description"]
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            where = f"{method.upper()} {path}"
            assert operation.get("summary"), f"{where} has no summary"
            assert operation.get("description"), f"{where} has no description"


def test_request_bodies_show_examples() -> None:
    schema = APP.openapi()
    components = schema["components"]["schemas"]
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            body = operation.get("requestBody")
            if body is None:
                continue
            for media in body["content"].values():
                ref = media["schema"].get("$ref", "")
                model = components[ref.rsplit("/", 1)[-1]] if ref else media["schema"]
                assert model.get("examples") or media.get("example"), f"{method.upper()} {path}: no example"
