"""A ComfyUI protocol fake: validates API-format workflows like ComfyUI, renders solid-colour PNGs.

Routes: POST /prompt, GET /history/{id}, GET /view, GET /system_stats, GET /object_info[/{class}].
Test knobs: `checkpoints` (what CheckpointLoaderSimple offers), `colors` (cycled per prompt, so a test can
tell which image went where), `render_delay_s` (float("inf") never finishes), `render_error` (the next
renders fail with this execution error), `combo_format` ("list" or the newer "COMBO"). What the server saw
and sent: `workflows` (each accepted prompt) and `served_images` (the exact bytes /view sent, in order).
"""

from __future__ import annotations

import io
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from PIL import Image

from tests.servers.harness import ProtocolServer, Request, Response

# Each node class's inputs (name → type) and outputs, as ComfyUI's /object_info describes them.
NODE_TYPES: dict[str, tuple[dict[str, str], tuple[str, ...]]] = {
    "CheckpointLoaderSimple": ({"ckpt_name": "COMBO"}, ("MODEL", "CLIP", "VAE")),
    "CLIPTextEncode": ({"text": "STRING", "clip": "CLIP"}, ("CONDITIONING",)),
    "FluxGuidance": ({"conditioning": "CONDITIONING", "guidance": "FLOAT"}, ("CONDITIONING",)),
    "ConditioningZeroOut": ({"conditioning": "CONDITIONING"}, ("CONDITIONING",)),
    "EmptyLatentImage": ({"width": "INT", "height": "INT", "batch_size": "INT"}, ("LATENT",)),
    "EmptySD3LatentImage": ({"width": "INT", "height": "INT", "batch_size": "INT"}, ("LATENT",)),
    "KSampler": (
        {
            "model": "MODEL",
            "seed": "INT",
            "steps": "INT",
            "cfg": "FLOAT",
            "sampler_name": "COMBO",
            "scheduler": "COMBO",
            "positive": "CONDITIONING",
            "negative": "CONDITIONING",
            "latent_image": "LATENT",
            "denoise": "FLOAT",
        },
        ("LATENT",),
    ),
    "VAEDecode": ({"samples": "LATENT", "vae": "VAE"}, ("IMAGE",)),
    "SaveImage": ({"images": "IMAGE", "filename_prefix": "STRING"}, ()),
}
WIDGET_TYPES = frozenset({"INT", "FLOAT", "STRING", "COMBO"})  # every other input type is a link
SAMPLERS = ["euler", "euler_ancestral", "dpmpp_2m", "dpmpp_2m_sde", "dpmpp_3m_sde", "uni_pc"]
SCHEDULERS = ["normal", "karras", "exponential", "sgm_uniform", "simple", "ddim_uniform", "beta"]
DEFAULT_CHECKPOINTS = [
    "sd_xl_base_1.0.safetensors",
    "sd3.5_large_fp8_scaled.safetensors",
    "flux1-dev-fp8.safetensors",
]
DEFAULT_COLORS = [(200, 40, 40), (40, 160, 60), (40, 80, 200)]


@dataclass
class _Job:
    """One queued prompt and what its render will produce."""

    prompt_id: str
    number: int
    workflow: dict[str, Any]
    client_id: str
    save_id: str
    done_at: float
    png: bytes
    filename: str
    no_images: bool
    error: str | None


class ComfyUIServer(ProtocolServer):
    """ComfyUI's HTTP API, enough for a client that queues a workflow, polls history and fetches the image."""

    def __init__(self) -> None:
        self.checkpoints: list[str] = list(DEFAULT_CHECKPOINTS)
        self.colors: list[tuple[int, int, int]] = list(DEFAULT_COLORS)
        self.render_delay_s = 0.0
        self.render_error: str | None = None
        self.combo_format = "list"
        self.workflows: list[dict[str, Any]] = []
        self.served_images: list[bytes] = []
        self._jobs: dict[str, _Job] = {}
        self._queued = 0
        self._files: dict[tuple[str, str, str], bytes] = {}
        self._state = threading.Lock()
        super().__init__()

    def register(self) -> None:
        """ComfyUI's routes."""
        self.route("POST", "/prompt", self._post_prompt)
        self.route("GET", "/history", self._get_history)
        self.route("GET", "/view", self._get_view)
        self.route("GET", "/system_stats", self._get_system_stats)
        self.route("GET", "/object_info", self._get_object_info)

    def _post_prompt(self, request: Request, fault: str | None) -> Response:
        try:
            body = request.json()
        except ValueError:
            return _rejected("invalid_prompt", "Invalid JSON body", "")
        prompt = body.get("prompt") if isinstance(body, dict) else None
        if not isinstance(prompt, dict):
            return _rejected("no_prompt", "No prompt provided", "No prompt provided")
        problem = self._malformed_node(prompt)
        if problem is not None:
            return problem
        outputs = [node_id for node_id, node in prompt.items() if node["class_type"] == "SaveImage"]
        if not outputs:
            return _rejected("prompt_no_outputs", "Prompt has no outputs", "")
        node_errors = self._node_errors(prompt, outputs)
        if node_errors:
            errors = "\n".join(
                f"{error['message']}: {error['details']}"
                for info in node_errors.values()
                for error in info["errors"]
            )
            return _rejected(
                "prompt_outputs_failed_validation", "Prompt outputs failed validation", errors, node_errors
            )
        return Response.json(self._queue(prompt, body, outputs[0], no_images=fault == "empty"))

    def _malformed_node(self, prompt: dict[str, Any]) -> Response | None:
        """ComfyUI's checks before validation: every node has a known class_type and an inputs object."""
        for node_id, node in prompt.items():
            if not isinstance(node, dict) or "class_type" not in node:
                return _rejected(
                    "invalid_prompt",
                    "Cannot execute because a node is missing the class_type property.",
                    f"Node ID '#{node_id}'",
                )
            if node["class_type"] not in NODE_TYPES:
                return _rejected(
                    "invalid_prompt",
                    f"Cannot execute because node {node['class_type']} does not exist.",
                    f"Node ID '#{node_id}'",
                )
            if not isinstance(node.get("inputs"), dict):
                return _rejected("invalid_prompt", "Node inputs must be an object.", f"Node ID '#{node_id}'")
        return None

    def _node_errors(self, prompt: dict[str, Any], outputs: list[str]) -> dict[str, Any]:
        """Validate every node's inputs against NODE_TYPES, as ComfyUI's validate_inputs does."""
        node_errors: dict[str, Any] = {}
        for node_id, node in prompt.items():
            class_type = node["class_type"]
            expected, _ = NODE_TYPES[class_type]
            errors = [
                error
                for name, kind in expected.items()
                if (error := self._input_error(prompt, class_type, name, kind, node["inputs"].get(name)))
            ]
            if errors:
                node_errors[node_id] = {
                    "errors": errors,
                    "dependent_outputs": outputs,
                    "class_type": class_type,
                }
        return node_errors

    def _input_error(
        self, prompt: dict[str, Any], class_type: str, name: str, kind: str, value: Any
    ) -> dict[str, Any] | None:
        """One input's error in ComfyUI's shape, or None when it is valid."""

        def error(error_type: str, message: str, details: str) -> dict[str, Any]:
            return {
                "type": error_type,
                "message": message,
                "details": details,
                "extra_info": {"input_name": name, "received_value": value},
            }

        if value is None:
            return error("required_input_missing", "Required input is missing", name)
        if kind not in WIDGET_TYPES:
            if not (isinstance(value, list) and len(value) == 2 and isinstance(value[1], int)):
                return error(
                    "bad_linked_input", "Bad linked input, must be a length-2 list of [string, int]", name
                )
            source = prompt.get(str(value[0]))
            if source is None:
                return error("bad_linked_input", "Bad linked input: no such node", f"{name}: '{value[0]}'")
            produced = NODE_TYPES[source["class_type"]][1]
            if value[1] >= len(produced) or produced[value[1]] != kind:
                got = produced[value[1]] if value[1] < len(produced) else "nothing"
                return error(
                    "return_type_mismatch",
                    "Return type mismatch between linked nodes",
                    f"{name}, {got} != {kind}",
                )
            return None
        if kind == "INT" and (not isinstance(value, int) or isinstance(value, bool)):
            return error(
                "invalid_input_type", "Failed to convert an input value to a INT value", f"{name}, {value}"
            )
        if kind == "FLOAT" and (not isinstance(value, int | float) or isinstance(value, bool)):
            return error(
                "invalid_input_type", "Failed to convert an input value to a FLOAT value", f"{name}, {value}"
            )
        if kind in ("STRING", "COMBO") and not isinstance(value, str):
            return error(
                "invalid_input_type",
                f"Failed to convert an input value to a {kind} value",
                f"{name}, {value}",
            )
        if name in ("width", "height") and not (16 <= value <= 16384 and value % 8 == 0):
            return error(
                "value_not_valid", "Value must be a multiple of 8 from 16 to 16384", f"{name}: {value}"
            )
        if name in ("batch_size", "steps") and value < 1:
            return error("value_smaller_than_min", "Value 0 smaller than min of 1", f"{name}: {value}")
        if name == "seed" and not 0 <= value <= 0xFFFFFFFFFFFFFFFF:
            return error("value_not_valid", "Value outside the seed range", f"{name}: {value}")
        choices = {
            ("CheckpointLoaderSimple", "ckpt_name"): self.checkpoints,
            ("KSampler", "sampler_name"): SAMPLERS,
            ("KSampler", "scheduler"): SCHEDULERS,
        }.get((class_type, name))
        if choices is not None and value not in choices:
            return error("value_not_in_list", "Value not in list", f"{name}: '{value}' not in {choices}")
        return None

    def _queue(
        self, prompt: dict[str, Any], body: dict[str, Any], save_id: str, no_images: bool
    ) -> dict[str, Any]:
        """Accept a valid prompt and render it; history shows it `render_delay_s` after the answer."""
        with self._state:
            number = self._queued
            self._queued += 1
            color = self.colors[number % len(self.colors)]
        png = _png(_latent_of(prompt), color)
        prefix = str(prompt[save_id]["inputs"].get("filename_prefix") or "ComfyUI")
        job = _Job(
            prompt_id=str(uuid.uuid4()),
            number=number,
            workflow=prompt,
            client_id=str(body.get("client_id") or ""),
            save_id=save_id,
            done_at=time.monotonic() + self.render_delay_s,
            png=png,
            filename=f"{prefix}_{number + 1:05d}_.png",
            no_images=no_images,
            error=self.render_error,
        )
        with self._state:
            self._jobs[job.prompt_id] = job
            self.workflows.append(prompt)
            if not no_images and job.error is None:
                self._files[("", job.filename, "output")] = job.png
        return {"prompt_id": job.prompt_id, "number": number, "node_errors": {}}

    def _get_history(self, request: Request, fault: str | None) -> Response:
        prompt_id = request.path.removeprefix("/history").strip("/")
        with self._state:
            jobs = [self._jobs[prompt_id]] if prompt_id in self._jobs else []
            if not prompt_id:
                jobs = list(self._jobs.values())
        now = time.monotonic()
        return Response.json(
            {
                job.prompt_id: _history_entry(job, no_images=fault == "empty")
                for job in jobs
                if now >= job.done_at
            }
        )

    def _get_view(self, request: Request, fault: str | None) -> Response:
        key = tuple(request.query.get(name, [""])[0] for name in ("subfolder", "filename", "type"))
        with self._state:
            png = self._files.get((key[0], key[1], key[2] or "output"))
        if png is None:
            return Response(b"404: Not Found", "text/plain", 404)
        body = b"" if fault == "empty" else png
        # The harness cuts a truncated answer to its first half; record what actually went on the wire.
        sent = body[: max(1, len(body) // 2)] if fault == "truncated" else body
        with self._state:
            self.served_images.append(sent)
        return Response(body, "image/png")

    def _get_system_stats(self, request: Request, fault: str | None) -> Response:
        if fault == "empty":
            return Response.json({})
        return Response.json(
            {
                "system": {
                    "os": "posix",
                    "ram_total": 67_108_864_000,
                    "ram_free": 51_539_607_552,
                    "comfyui_version": "0.3.43",
                    "required_frontend_version": "1.23.4",
                    "python_version": "3.12.3 (main, Jun 18 2025, 17:59:45) [GCC 13.3.0]",
                    "pytorch_version": "2.7.1+cu128",
                    "embedded_python": False,
                    "argv": ["main.py", "--listen", "0.0.0.0", "--port", "8188"],
                },
                "devices": [
                    {
                        "name": "cuda:0 NVIDIA GeForce RTX 4090 : cudaMallocAsync",
                        "type": "cuda",
                        "index": 0,
                        "vram_total": 25_386_352_640,
                        "vram_free": 23_938_400_256,
                        "torch_vram_total": 0,
                        "torch_vram_free": 0,
                    }
                ],
            }
        )

    def _get_object_info(self, request: Request, fault: str | None) -> Response:
        wanted = request.path.removeprefix("/object_info").strip("/")
        names = [wanted] if wanted else list(NODE_TYPES)
        checkpoints = [] if fault == "empty" else list(self.checkpoints)
        return Response.json(
            {name: self._describe(name, checkpoints) for name in names if name in NODE_TYPES}
        )

    def _describe(self, class_type: str, checkpoints: list[str]) -> dict[str, Any]:
        """One node class as /object_info describes it."""
        inputs, outputs = NODE_TYPES[class_type]
        choices = {"ckpt_name": checkpoints, "sampler_name": SAMPLERS, "scheduler": SCHEDULERS}
        required: dict[str, Any] = {}
        for name, kind in inputs.items():
            if kind == "COMBO":
                options = choices.get(name, [])
                required[name] = (
                    ["COMBO", {"options": options}] if self.combo_format == "COMBO" else [options, {}]
                )
            else:
                required[name] = [kind, {}]
        return {
            "input": {"required": required},
            "input_order": {"required": list(inputs)},
            "output": list(outputs),
            "output_is_list": [False] * len(outputs),
            "output_name": list(outputs),
            "name": class_type,
            "display_name": class_type,
            "description": "",
            "python_module": "nodes",
            "category": "loaders" if class_type == "CheckpointLoaderSimple" else "sampling",
            "output_node": class_type == "SaveImage",
        }


def _latent_of(prompt: dict[str, Any]) -> tuple[int, int]:
    for node in prompt.values():
        if node["class_type"] in ("EmptyLatentImage", "EmptySD3LatentImage"):
            return int(node["inputs"]["width"]), int(node["inputs"]["height"])
    return 512, 512


def _png(size: tuple[int, int], color: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


def _history_entry(job: _Job, no_images: bool) -> dict[str, Any]:
    """A finished prompt as /history shows it: outputs per node and a status with its messages."""
    started = ["execution_start", {"prompt_id": job.prompt_id, "timestamp": 1_750_000_000_000}]
    entry: dict[str, Any] = {
        "prompt": [job.number, job.prompt_id, job.workflow, {"client_id": job.client_id}, [job.save_id]],
        "meta": {
            job.save_id: {"node_id": job.save_id, "display_node": job.save_id, "real_node_id": job.save_id}
        },
    }
    if job.error is not None:
        failure = {
            "prompt_id": job.prompt_id,
            "node_id": "3",
            "node_type": "KSampler",
            "executed": [],
            "exception_message": job.error,
            "exception_type": "torch.OutOfMemoryError",
            "traceback": [],
        }
        entry["outputs"] = {}
        entry["status"] = {
            "status_str": "error",
            "completed": False,
            "messages": [started, ["execution_error", failure]],
        }
        return entry
    images = (
        [] if no_images or job.no_images else [{"filename": job.filename, "subfolder": "", "type": "output"}]
    )
    entry["outputs"] = {job.save_id: {"images": images}}
    entry["status"] = {
        "status_str": "success",
        "completed": True,
        "messages": [
            started,
            ["execution_success", {"prompt_id": job.prompt_id, "timestamp": 1_750_000_001_000}],
        ],
    }
    return entry


def _rejected(
    error_type: str, message: str, details: str, node_errors: dict[str, Any] | None = None
) -> Response:
    """ComfyUI's 400 answer to a prompt it will not queue."""
    error = {"type": error_type, "message": message, "details": details, "extra_info": {}}
    return Response.json({"error": error, "node_errors": node_errors or {}}, status=400)
