"""ComfyUIImage against the ComfyUI protocol fake: workflows per family, polling, images, faults, health."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.servers.comfyui import ComfyUIServer
from tests.servers.harness import refused_url
from tools.models.base import ImageRequest, Provider
from tools.models.comfyui import (
    DEFAULT_STEPS,
    FAMILIES,
    ComfyUIImage,
    checkpoint_names,
    fill_workflow,
    latent_size,
    load_workflow,
)
from tools.models.failures import ProviderError

CHECKPOINTS = {
    "sdxl": "sd_xl_base_1.0.safetensors",
    "sd35": "sd3.5_large_fp8_scaled.safetensors",
    "flux": "flux1-dev-fp8.safetensors",
}


def image_request(**overrides: Any) -> ImageRequest:
    fields: dict[str, Any] = {
        "prompt": "a steaming cup of coffee on a wooden table, morning light",
        "width": 1080,
        "height": 1920,
        "offline": lambda: b"",
        "negative_prompt": "people",
        "seed": 42,
    }
    fields.update(overrides)
    return ImageRequest(**fields)


@pytest.fixture
def server() -> Iterator[ComfyUIServer]:
    fake = ComfyUIServer()
    fake.start()
    yield fake
    fake.stop()


def provider_for(server: ComfyUIServer | str, family: str = "sdxl", **options: Any) -> ComfyUIImage:
    url = server if isinstance(server, str) else server.url
    options.setdefault("poll_s", 0.01)
    options.setdefault("timeout_s", 5.0)
    return ComfyUIImage(url, CHECKPOINTS[family], family, **options)


def failure_of(provider: ComfyUIImage, request: ImageRequest | None = None) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        provider.call(request or image_request())
    return caught.value


def nodes_of(workflow: dict[str, Any], class_type: str) -> list[dict[str, Any]]:
    return [node for node in workflow.values() if node["class_type"] == class_type]


def test_is_a_self_hosted_image_provider(server: ComfyUIServer) -> None:
    provider: Provider = provider_for(server)
    assert (provider.name, provider.tier, provider.capability) == ("comfyui", "self-hosted", "image")
    assert (provider.model, provider.endpoint) == (CHECKPOINTS["sdxl"], server.url)


@pytest.mark.parametrize("family", FAMILIES)
def test_each_family_renders_through_http(server: ComfyUIServer, family: str) -> None:
    answer = provider_for(server, family).call(image_request())

    assert answer.data == server.served_images[-1]
    assert (answer.model, answer.content_type) == (CHECKPOINTS[family], "image/png")
    with Image.open(io.BytesIO(answer.data)) as image:
        width, height = image.size
        assert image.getpixel((0, 0)) == server.colors[0]
    assert width % 64 == 0 and height % 64 == 0
    assert width / height == pytest.approx(1080 / 1920, rel=0.06)
    [request] = [r for r in server.requests if r.method == "POST"]
    assert request.path == "/prompt" and request.json()["client_id"]


@pytest.mark.parametrize("family", FAMILIES)
def test_the_filled_workflow_carries_the_request(server: ComfyUIServer, family: str) -> None:
    provider_for(server, family).call(image_request(seed=-1))
    [workflow] = server.workflows

    [sampler] = nodes_of(workflow, "KSampler")
    inputs = sampler["inputs"]
    assert (inputs["seed"], inputs["steps"]) == (2**64 - 1, DEFAULT_STEPS[family])
    assert nodes_of(workflow, "CheckpointLoaderSimple")[0]["inputs"]["ckpt_name"] == CHECKPOINTS[family]
    texts = [node["inputs"]["text"] for node in nodes_of(workflow, "CLIPTextEncode")]
    if family == "flux":
        # FLUX dev runs at cfg 1.0 with a zeroed negative: there is no negative text to fill.
        assert texts == [image_request().prompt]
        assert inputs["cfg"] == 1.0
        assert workflow[inputs["negative"][0]]["class_type"] == "ConditioningZeroOut"
        assert workflow[inputs["positive"][0]]["class_type"] == "FluxGuidance"
    else:
        assert texts == [image_request().prompt, "people"]
    [latent] = [node for node in workflow.values() if node["class_type"].startswith("Empty")]
    expected = "EmptyLatentImage" if family == "sdxl" else "EmptySD3LatentImage"
    assert latent["class_type"] == expected
    assert (latent["inputs"]["width"], latent["inputs"]["height"]) == latent_size(family, 1080, 1920)


def test_hostile_text_stays_a_json_string_value(server: ComfyUIServer) -> None:
    hostile = 'a "quoted" }, {"class_type": "SaveImage"} \\ \n ${prompt} %s'
    provider_for(server).call(image_request(prompt=hostile, negative_prompt=hostile[::-1]))
    texts = [node["inputs"]["text"] for node in nodes_of(server.workflows[0], "CLIPTextEncode")]
    assert texts == [hostile, hostile[::-1]]
    assert len(server.workflows[0]) == len(load_workflow("sdxl"))


def test_an_empty_negative_prompt_keeps_the_template_default(server: ComfyUIServer) -> None:
    provider_for(server).call(image_request(negative_prompt=""))
    texts = [node["inputs"]["text"] for node in nodes_of(server.workflows[0], "CLIPTextEncode")]
    assert texts[1] == nodes_of(load_workflow("sdxl"), "CLIPTextEncode")[1]["inputs"]["text"]
    assert "watermark" in texts[1]


def test_steps_override_the_family_default(server: ComfyUIServer) -> None:
    provider_for(server, "flux", steps=4).call(image_request())
    assert nodes_of(server.workflows[0], "KSampler")[0]["inputs"]["steps"] == 4


def test_each_prompt_gets_its_own_image(server: ComfyUIServer) -> None:
    provider = provider_for(server)
    answers = [provider.call(image_request(seed=seed)) for seed in range(3)]
    assert [a.data for a in answers] == server.served_images
    for answer, color in zip(answers, server.colors, strict=True):
        with Image.open(io.BytesIO(answer.data)) as image:
            assert image.getpixel((5, 5)) == color


def test_polls_history_until_the_render_finishes(server: ComfyUIServer) -> None:
    server.render_delay_s = 0.3
    started = time.monotonic()
    answer = provider_for(server, poll_s=0.05).call(image_request())
    assert time.monotonic() - started >= 0.3
    assert answer.data == server.served_images[0]
    polls = [r for r in server.requests if r.path.startswith("/history/")]
    assert len(polls) >= 3


@pytest.mark.parametrize("family", FAMILIES)
def test_templates_load_fill_and_pass_validation(server: ComfyUIServer, family: str) -> None:
    template = load_workflow(family)
    assert all({"class_type", "inputs"} <= set(node) for node in template.values())
    assert [n["class_type"] for n in template.values()].count("SaveImage") == 1
    filled = fill_workflow(
        template, checkpoint=CHECKPOINTS[family], prompt="a lighthouse", width=768, height=1344, seed=7
    )
    assert template == load_workflow(family), "filling must not change the template"
    response = httpx.post(f"{server.url}/prompt", json={"prompt": filled})
    assert response.status_code == 200, response.text
    assert response.json()["node_errors"] == {}


def test_a_broken_workflow_is_rejected_by_the_fake_like_comfyui(server: ComfyUIServer) -> None:
    workflow = fill_workflow(
        load_workflow("sdxl"), checkpoint=CHECKPOINTS["sdxl"], prompt="x", width=1024, height=1024
    )
    workflow["8"]["inputs"]["vae"] = ["4", 1]  # CLIP where VAE belongs
    response = httpx.post(f"{server.url}/prompt", json={"prompt": workflow})
    assert response.status_code == 400
    assert response.json()["node_errors"]["8"]["errors"][0]["type"] == "return_type_mismatch"


@pytest.mark.parametrize(
    ("family", "size", "expected"),
    [
        ("sdxl", (1080, 1920), (768, 1344)),
        ("sdxl", (1920, 1080), (1344, 768)),
        ("sdxl", (1024, 1024), (1024, 1024)),
        ("sd35", (800, 600), (1152, 896)),
        ("flux", (1080, 1920), (896, 1536)),
        ("flux", (512, 512), (1024, 1024)),
        ("flux", (1280, 720), (1280, 704)),
    ],
)
def test_latent_size_keeps_the_aspect_in_multiples_of_64(
    family: str, size: tuple[int, int], expected: tuple[int, int]
) -> None:
    assert latent_size(family, *size) == expected


def test_an_unknown_family_fails_at_construction() -> None:
    with pytest.raises(ValueError, match="unknown ComfyUI model family 'sd15'"):
        ComfyUIImage("http://gpu:8188", "x.safetensors", "sd15")


def test_a_missing_checkpoint_is_a_bad_request_naming_it(server: ComfyUIServer) -> None:
    server.checkpoints = ["other.safetensors"]
    error = failure_of(provider_for(server))
    assert error.kind == "bad_request"
    assert "Value not in list" in error.detail and CHECKPOINTS["sdxl"] in error.detail
    assert "node 4 (CheckpointLoaderSimple)" in error.detail
    assert "\n" not in error.detail and len(error.detail) < 300


def test_an_execution_error_is_a_server_error(server: ComfyUIServer) -> None:
    server.render_error = "CUDA out of memory. Tried to allocate 2.00 GiB"
    error = failure_of(provider_for(server))
    assert error.kind == "server_error"
    assert "KSampler: CUDA out of memory" in error.detail


def test_a_render_that_never_finishes_times_out_at_the_deadline(server: ComfyUIServer) -> None:
    server.render_delay_s = float("inf")
    started = time.monotonic()
    error = failure_of(provider_for(server, timeout_s=0.5, poll_s=0.05))
    elapsed = time.monotonic() - started
    assert error.kind == "timeout"
    assert 0.45 <= elapsed < 1.5


@pytest.mark.parametrize("path", ["/prompt", "/history", "/view"])
def test_a_hung_route_is_abandoned_at_the_timeout(server: ComfyUIServer, path: str) -> None:
    server.fail("hang", path=path)
    started = time.monotonic()
    error = failure_of(provider_for(server, timeout_s=0.5))
    assert error.kind == "timeout"
    assert time.monotonic() - started < 1.5


def test_refused() -> None:
    error = failure_of(provider_for(refused_url()))
    assert error.kind == "refused"


# How each injected fault on each route surfaces. "truncated" on /view is not here: it is returned as sent.
FAULTS = [
    ("500", "/prompt", "server_error"),
    ("429", "/prompt", "rate_limited"),
    ("malformed", "/prompt", "malformed"),
    ("wrong_type", "/prompt", "malformed"),
    ("truncated", "/prompt", "malformed"),
    ("empty", "/prompt", "empty"),
    ("500", "/history", "server_error"),
    ("429", "/history", "rate_limited"),
    ("malformed", "/history", "malformed"),
    ("wrong_type", "/history", "malformed"),
    ("truncated", "/history", "malformed"),
    ("empty", "/history", "empty"),
    ("500", "/view", "server_error"),
    ("429", "/view", "rate_limited"),
    ("malformed", "/view", "bad_content"),
    ("wrong_type", "/view", "bad_content"),
    ("empty", "/view", "empty"),
]


@pytest.mark.parametrize(("fault", "path", "kind"), FAULTS, ids=[f"{f}-{p}" for f, p, _ in FAULTS])
def test_fault_maps_to_kind(server: ComfyUIServer, fault: str, path: str, kind: str) -> None:
    server.fail(fault, path=path)
    error = failure_of(provider_for(server))
    assert error.kind == kind, error.detail
    assert error.retry_after_s == (1.0 if fault == "429" else None)
    assert "\n" not in error.detail


def test_a_truncated_image_is_returned_as_sent_for_the_router_to_reject(server: ComfyUIServer) -> None:
    server.fail("truncated", path="/view")
    answer = provider_for(server).call(image_request())
    assert answer.data == server.served_images[0]
    assert answer.content_type == "image/png"
    with pytest.raises(OSError), Image.open(io.BytesIO(answer.data)) as image:
        image.load()


def test_a_fault_heals_for_the_next_call(server: ComfyUIServer) -> None:
    provider = provider_for(server)
    server.fail("500", path="/prompt")
    assert failure_of(provider).kind == "server_error"
    assert provider.call(image_request()).data == server.served_images[-1]


def test_check_is_healthy_and_lists_checkpoints(server: ComfyUIServer) -> None:
    health = provider_for(server).check()
    assert health.healthy, health.error
    assert health.models == server.checkpoints
    assert health.latency_ms > 0 and health.error == ""


def test_check_reads_the_newer_combo_format(server: ComfyUIServer) -> None:
    server.combo_format = "COMBO"
    health = provider_for(server, "flux").check()
    assert health.healthy and health.models == server.checkpoints


def test_check_reports_a_missing_checkpoint(server: ComfyUIServer) -> None:
    server.checkpoints = ["juggernautXL_v9.safetensors"]
    health = provider_for(server).check()
    assert not health.healthy
    assert health.models == ["juggernautXL_v9.safetensors"]
    assert health.error.startswith(
        f"checkpoint '{CHECKPOINTS['sdxl']}' is not installed in ComfyUI (models/checkpoints)"
    )
    assert "juggernautXL_v9.safetensors" in health.error


def test_check_reports_refused() -> None:
    url = refused_url()
    health = provider_for(url).check()
    assert not health.healthy
    assert health.error.startswith(f"ComfyUI at {url}: GET /system_stats could not connect")


@pytest.mark.parametrize(
    ("fault", "path", "expected"),
    [
        ("500", "/system_stats", "GET /system_stats answered 500"),
        ("wrong_type", "/system_stats", "not JSON"),
        ("hang", "/system_stats", "timed out"),
        ("malformed", "/object_info", "not JSON"),
        ("empty", "/object_info", "is not installed"),
    ],
)
def test_check_never_raises(server: ComfyUIServer, fault: str, path: str, expected: str) -> None:
    server.fail(fault, path=path)
    health = provider_for(server, timeout_s=0.5).check()
    assert not health.healthy
    assert expected in health.error


def test_checkpoint_names_reads_both_object_info_shapes() -> None:
    old = {"CheckpointLoaderSimple": {"input": {"required": {"ckpt_name": [["a", "b"], {"tooltip": "t"}]}}}}
    new = {"CheckpointLoaderSimple": {"input": {"required": {"ckpt_name": ["COMBO", {"options": ["c"]}]}}}}
    assert checkpoint_names(old) == ["a", "b"]
    assert checkpoint_names(new) == ["c"]
    assert checkpoint_names({}) is None
    assert checkpoint_names(json.loads("[1]")) is None


def test_uses_an_injected_http_client() -> None:
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return httpx.Response(503)

    client = httpx.Client(transport=httpx.MockTransport(answer))
    error = failure_of(ComfyUIImage("http://gpu:8188", CHECKPOINTS["sdxl"], http=client))
    assert (error.kind, seen) == ("server_error", ["/prompt"])
