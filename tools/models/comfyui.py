"""ComfyUI as a self-hosted image provider: fill a per-family workflow, queue it, poll, fetch the PNG."""

from __future__ import annotations

import copy
import functools
import json
import math
import time
import uuid
from importlib import resources
from typing import Any

import httpx

from tools.models.base import Capability, HealthResult, ImageRequest, MediaAnswer, Tier
from tools.models.failures import ProviderError
from tools.models.http_failures import failure_for_exception, failure_for_status

FAMILIES = ("flux", "sdxl", "sd35")
DEFAULT_STEPS: dict[str, int] = {"sdxl": 30, "sd35": 28, "flux": 20}

# SDXL and SD3.5 are trained at about one megapixel (768x1344 for 9:16); FLUX renders well from 1024 to
# 1536 on the long side. Both sides are multiples of 64, which every latent size accepts.
_MEGAPIXEL = 1024 * 1024
_LONG_MAX = 1536
_FLUX_LONG_MIN = 1024
_SIDE_MIN = 256
_SEED_SPACE = 2**64  # KSampler's seed is an unsigned 64-bit integer

_LATENTS = frozenset({"EmptyLatentImage", "EmptySD3LatentImage"})
_CHECK_TIMEOUT_S = 10.0
_DETAIL_MAX = 200


class ComfyUIImage:
    """Render images on a ComfyUI server through its HTTP API (POST /prompt, GET /history, GET /view)."""

    def __init__(
        self,
        url: str,
        checkpoint: str,
        family: str = "sdxl",
        timeout_s: float = 300.0,
        poll_s: float = 0.25,
        steps: int | None = None,
        *,
        http: httpx.Client | None = None,
    ) -> None:
        if family not in FAMILIES:
            raise ValueError(f"unknown ComfyUI model family {family!r}; use one of: {', '.join(FAMILIES)}")
        self.name = "comfyui"
        self.tier: Tier = "self-hosted"
        self.capability: Capability = "image"
        self.endpoint = url.rstrip("/")
        self.model = checkpoint
        self.family = family
        self.timeout_s = timeout_s
        self.poll_s = poll_s
        self.steps = steps if steps is not None else DEFAULT_STEPS[family]
        self._http = http if http is not None else httpx.Client()
        # Fill once now so that a broken template fails at start-up, not on the first scene.
        fill_workflow(load_workflow(family), checkpoint=checkpoint, prompt="", width=1024, height=1024)

    def close(self) -> None:
        """Close the HTTP client."""
        self._http.close()

    def call(self, request: ImageRequest) -> MediaAnswer:
        """Queue one workflow, wait for it within `timeout_s`, and return the saved image's bytes.

        A truncated image is returned as sent (its Content-Length matched): the router decode-checks media.
        """
        deadline = time.monotonic() + self.timeout_s
        width, height = latent_size(self.family, request.width, request.height)
        workflow = fill_workflow(
            load_workflow(self.family),
            checkpoint=self.model,
            prompt=request.prompt,
            negative_prompt=request.negative_prompt,
            width=width,
            height=height,
            seed=request.seed,
            steps=self.steps,
        )
        prompt_id = self._queue(workflow, deadline)
        entry = self._wait_for(prompt_id, deadline)
        image = _first_image(entry, _only(workflow, "SaveImage"), prompt_id)
        return self._download(image, deadline)

    def check(self) -> HealthResult:
        """Probe /system_stats, then confirm the configured checkpoint is installed. Never raises."""
        started = time.monotonic()
        budget = min(self.timeout_s, _CHECK_TIMEOUT_S)
        latency_ms = 0.0
        try:
            stats = self._get("/system_stats", started + budget)
            latency_ms = (time.monotonic() - started) * 1000
            if not isinstance(_json(stats, "GET /system_stats"), dict):
                raise ProviderError("malformed", "GET /system_stats is not a JSON object")
            what = "GET /object_info/CheckpointLoaderSimple"
            info = self._get("/object_info/CheckpointLoaderSimple", time.monotonic() + budget)
            names = checkpoint_names(_json(info, what))
            if names is None:
                raise ProviderError("malformed", f"{what} does not list ckpt_name choices")
        except ProviderError as error:
            latency_ms = latency_ms or (time.monotonic() - started) * 1000
            return HealthResult(False, latency_ms, error=f"ComfyUI at {self.endpoint}: {error.detail}")
        except Exception as error:  # check() reports; it never raises
            latency_ms = latency_ms or (time.monotonic() - started) * 1000
            return HealthResult(False, latency_ms, error=f"ComfyUI at {self.endpoint}: {_one_line(error)}")
        if self.model not in names:
            return HealthResult(
                False,
                latency_ms,
                models=names,
                error=f"checkpoint '{self.model}' is not installed in ComfyUI (models/checkpoints) at "
                f"{self.endpoint}; installed: {_one_line(', '.join(names) or 'none')}",
            )
        return HealthResult(True, latency_ms, models=names)

    def _queue(self, workflow: dict[str, Any], deadline: float) -> str:
        """POST the workflow and return its prompt_id; a validation failure is a bad_request."""
        what = "POST /prompt"
        body = {"prompt": workflow, "client_id": uuid.uuid4().hex}
        response = self._send("POST", "/prompt", deadline, what, body=body, check_status=False)
        answer: Any = None
        try:
            answer = response.json()
        except ValueError:
            if response.is_success:
                raise ProviderError("malformed", f"{what} answered with something that is not JSON") from None
        if isinstance(answer, dict) and (answer.get("node_errors") or response.status_code == 400):
            rejection = _rejection(answer)
            if rejection:
                raise ProviderError("bad_request", f"ComfyUI rejected the workflow: {rejection}")
        if not response.is_success:
            raise failure_for_status(response.status_code, response.headers, what)
        prompt_id = answer.get("prompt_id") if isinstance(answer, dict) else None
        if not isinstance(prompt_id, str) or not prompt_id:
            raise ProviderError("malformed", f"{what} answered without a prompt_id")
        return prompt_id

    def _wait_for(self, prompt_id: str, deadline: float) -> dict[str, Any]:
        """Poll /history/{prompt_id} until ComfyUI has finished it, or raise timeout at the deadline."""
        what = f"GET /history/{prompt_id}"
        while True:
            history = _json(self._get(f"/history/{prompt_id}", deadline, what), what)
            if not isinstance(history, dict):
                raise ProviderError("malformed", f"{what} is not a JSON object")
            # ComfyUI adds a prompt to its history only once it has finished, whether it worked or not.
            entry = history.get(prompt_id)
            if entry is not None:
                if not isinstance(entry, dict):
                    raise ProviderError("malformed", f"{what} holds something other than an object")
                return entry
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ProviderError(
                    "timeout", f"ComfyUI did not finish prompt {prompt_id} within {self.timeout_s:g}s"
                )
            time.sleep(min(self.poll_s, remaining))

    def _download(self, image: dict[str, Any], deadline: float) -> MediaAnswer:
        """GET /view for one saved image and check that an image came back."""
        what = "GET /view"
        params = {
            "filename": image["filename"],
            "subfolder": str(image.get("subfolder") or ""),
            "type": str(image.get("type") or "output"),
        }
        response = self._get("/view", deadline, what, params=params)
        content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if not content_type.startswith("image/"):
            raise ProviderError(
                "bad_content", f"{what} answered {content_type or 'no content type'}, not an image"
            )
        if not response.content:
            raise ProviderError("empty", f"{what} answered an empty {content_type}")
        return MediaAnswer(response.content, self.model, content_type)

    def _get(
        self, path: str, deadline: float, what: str = "", params: dict[str, str] | None = None
    ) -> httpx.Response:
        return self._send("GET", path, deadline, what or f"GET {path}", params=params)

    def _send(
        self,
        method: str,
        path: str,
        deadline: float,
        what: str,
        *,
        body: Any = None,
        params: dict[str, str] | None = None,
        check_status: bool = True,
    ) -> httpx.Response:
        """One request that may take no longer than what is left before `deadline`."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ProviderError("timeout", f"{what} not sent: the {self.timeout_s:g}s deadline has passed")
        try:
            response = self._http.request(
                method, self.endpoint + path, json=body, params=params, timeout=remaining
            )
        except (httpx.HTTPError, ConnectionError) as error:
            failure = failure_for_exception(error, what)
            if failure is None:
                raise
            raise failure from error
        if check_status and not response.is_success:
            raise failure_for_status(response.status_code, response.headers, what)
        return response


def load_workflow(family: str) -> dict[str, Any]:
    """A fresh copy of the API-format workflow template for `family` (flux, sdxl or sd35)."""
    if family not in FAMILIES:
        raise ValueError(f"unknown ComfyUI model family {family!r}; use one of: {', '.join(FAMILIES)}")
    return copy.deepcopy(_template(family))


@functools.cache
def _template(family: str) -> dict[str, Any]:
    text = (resources.files("tools.models") / "comfyui_workflows" / f"{family}.json").read_text("utf-8")
    workflow: dict[str, Any] = json.loads(text)
    return workflow


def fill_workflow(
    workflow: dict[str, Any],
    *,
    checkpoint: str,
    prompt: str,
    width: int,
    height: int,
    negative_prompt: str = "",
    seed: int = 0,
    steps: int | None = None,
) -> dict[str, Any]:
    """Set checkpoint, prompts, latent size, seed and steps by walking the graph from its KSampler.

    User text only ever becomes a JSON string value, never part of the JSON text. An empty negative prompt
    keeps the template's default; FLUX's negative is a ConditioningZeroOut and takes no text.
    """
    filled = copy.deepcopy(workflow)
    sampler = filled[_only(filled, "KSampler")]["inputs"]
    for node_id in _all(filled, "CheckpointLoaderSimple"):
        filled[node_id]["inputs"]["ckpt_name"] = checkpoint
    positive = _encoder_behind(filled, sampler.get("positive"))
    if positive is None:
        raise ValueError("the workflow's KSampler positive input does not lead to a CLIPTextEncode")
    filled[positive]["inputs"]["text"] = prompt
    negative = _encoder_behind(filled, sampler.get("negative"))
    if negative == positive:
        raise ValueError("the workflow's negative prompt is the positive CLIPTextEncode")
    if negative is not None and negative_prompt:
        filled[negative]["inputs"]["text"] = negative_prompt
    latent_id = _link_source(filled, sampler.get("latent_image"))
    if latent_id is None or filled[latent_id].get("class_type") not in _LATENTS:
        raise ValueError("the workflow's KSampler latent_image is not an empty latent image")
    filled[latent_id]["inputs"].update(width=width, height=height, batch_size=1)
    sampler["seed"] = seed % _SEED_SPACE
    if steps is not None:
        sampler["steps"] = steps
    return filled


def latent_size(family: str, width: int, height: int) -> tuple[int, int]:
    """The render size for a requested size: the same aspect, sides multiples of 64, sized for the family."""
    if width <= 0 or height <= 0:
        raise ValueError(f"image size must be positive, not {width}x{height}")
    long_side = max(width, height)
    if family == "flux":
        scale = min(max(long_side, _FLUX_LONG_MIN), _LONG_MAX) / long_side
    else:
        scale = math.sqrt(_MEGAPIXEL / (width * height))
    scale = min(scale, _LONG_MAX / long_side)
    return _round64(width * scale), _round64(height * scale)


def _round64(side: float) -> int:
    return max(_SIDE_MIN, int(side / 64 + 0.5) * 64)


def checkpoint_names(object_info: Any) -> list[str] | None:
    """The ckpt_name choices in an /object_info answer for CheckpointLoaderSimple; None if absent."""
    try:
        spec = object_info["CheckpointLoaderSimple"]["input"]["required"]["ckpt_name"]
    except (KeyError, TypeError):
        return None
    if not isinstance(spec, list) or not spec:
        return None
    choices = spec[0]
    # Newer ComfyUI may describe a choice as ["COMBO", {"options": [...]}] instead of [[...], {...}].
    if choices == "COMBO" and len(spec) > 1 and isinstance(spec[1], dict):
        choices = spec[1].get("options")
    if not isinstance(choices, list):
        return None
    return [str(name) for name in choices]


def _all(workflow: dict[str, Any], class_type: str) -> list[str]:
    return [
        node_id
        for node_id, node in workflow.items()
        if isinstance(node, dict) and node.get("class_type") == class_type
    ]


def _only(workflow: dict[str, Any], class_type: str) -> str:
    found = _all(workflow, class_type)
    if len(found) != 1:
        raise ValueError(f"the workflow needs exactly one {class_type} node, not {len(found)}")
    return found[0]


def _link_source(workflow: dict[str, Any], link: Any) -> str | None:
    """The node id a link ([node_id, output_index]) comes from, if it names a node in `workflow`."""
    if isinstance(link, list) and len(link) == 2 and str(link[0]) in workflow:
        return str(link[0])
    return None


def _encoder_behind(workflow: dict[str, Any], link: Any) -> str | None:
    """Follow conditioning links back to the CLIPTextEncode whose text feeds them.

    None when the conditioning is zeroed on the way (its text would be ignored) or no encoder is found.
    """
    for _ in range(len(workflow)):
        node_id = _link_source(workflow, link)
        if node_id is None:
            return None
        node = workflow[node_id]
        class_type = node.get("class_type")
        if class_type == "CLIPTextEncode":
            return node_id
        if class_type == "ConditioningZeroOut":
            return None
        link = node.get("inputs", {}).get("conditioning")
    return None


def _first_image(entry: dict[str, Any], save_id: str, prompt_id: str) -> dict[str, Any]:
    """The first image ComfyUI saved for a finished history entry; an execution error is a server_error."""
    status = entry.get("status")
    if isinstance(status, dict) and status.get("status_str") == "error":
        raise ProviderError(
            "server_error", f"ComfyUI failed to render prompt {prompt_id}: {_execution_error(status)}"
        )
    outputs = entry.get("outputs")
    if not isinstance(outputs, dict):
        raise ProviderError("malformed", f"the history of prompt {prompt_id} has no outputs object")
    ordered = [outputs.get(save_id)] + [value for key, value in outputs.items() if key != save_id]
    for output in ordered:
        images = output.get("images") if isinstance(output, dict) else None
        if not isinstance(images, list) or not images:
            continue
        image = images[0]
        if not isinstance(image, dict) or not isinstance(image.get("filename"), str) or not image["filename"]:
            raise ProviderError(
                "malformed", f"the history of prompt {prompt_id} names an image without a filename"
            )
        return image
    raise ProviderError("empty", f"ComfyUI finished prompt {prompt_id} but saved no image")


def _execution_error(status: dict[str, Any]) -> str:
    """The node and exception message of ComfyUI's execution_error status message, in one line."""
    messages = status.get("messages")
    for message in messages if isinstance(messages, list) else []:
        if isinstance(message, list) and len(message) == 2 and message[0] == "execution_error":
            data = message[1] if isinstance(message[1], dict) else {}
            node = data.get("node_type") or data.get("node_id") or "a node"
            return _one_line(f"{node}: {data.get('exception_message') or 'execution error'}")
    return "execution error"


def _rejection(answer: dict[str, Any]) -> str:
    """Summarise ComfyUI's {"error": ..., "node_errors": ...} answer by its first node error, in one line."""
    node_errors = answer.get("node_errors")
    if isinstance(node_errors, dict):
        for node_id, info in node_errors.items():
            errors = info.get("errors") if isinstance(info, dict) else None
            if isinstance(errors, list) and errors and isinstance(errors[0], dict):
                first = errors[0]
                where = f"node {node_id} ({info.get('class_type') or 'unknown'})"
                parts = [str(first.get(key)) for key in ("message", "details") if first.get(key)]
                return _one_line(f"{where}: {': '.join(parts) or 'invalid'}")
    error = answer.get("error")
    if isinstance(error, dict):
        parts = [str(error.get(key)) for key in ("message", "details") if error.get(key)]
        return _one_line(": ".join(parts))
    return _one_line(error) if isinstance(error, str) else ""


def _json(response: httpx.Response, what: str) -> Any:
    try:
        return response.json()
    except ValueError:
        raise ProviderError("malformed", f"{what} answered with something that is not JSON") from None


def _one_line(reason: object) -> str:
    text = " ".join(str(reason).split())
    return text if len(text) <= _DETAIL_MAX else text[: _DETAIL_MAX - 3] + "..."
