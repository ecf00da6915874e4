"""The web dashboard in a real Chromium over a real uvicorn server: chat to a video with an approval,
regenerate one scene from the run page, the status indicator following a model server, and a phone's width.

Screenshots go to each test's tmp folder, and to test-artifacts/ at the repository's root when
REELFORGE_TEST_ARTIFACTS is set (CI keeps that folder).
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright

from graph.api import create_app
from graph.services import open_services
from graph.settings import load_settings
from tests.browser.chromium import CHROMIUM_ARGS, ensure_chromium
from tests.servers.comfyui import ComfyUIServer
from tests.servers.coqui import CoquiServer
from tests.servers.ollama import OllamaServer

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
# Read at import: the suite's autouse fixture clears REELFORGE_* variables before each test.
KEEP_ARTIFACTS = bool(os.environ.get("REELFORGE_TEST_ARTIFACTS"))
FAST = {"duration_s": 10, "voice": "espeak", "preview": True}
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # a thread cannot take signals
        pass


@contextmanager
def serving(home: Path) -> Iterator[str]:
    """`reelforge serve`'s app over `home` in a real uvicorn server on a free loopback port."""
    app = create_app(open_services(load_settings(home=home)))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=2
    )
    server = _Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(15)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, driven by Playwright (which downloads nothing)."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=ensure_chromium(), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page_of(browser: Browser) -> Iterator[Any]:
    """Open pages at a viewport; each is closed (with its streams) before the server stops."""
    opened: list[Page] = []

    def open_page(viewport: dict[str, int], **options: Any) -> Page:
        context = browser.new_context(viewport=viewport, **options)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        opened.append(page)
        return page

    errors: list[str] = []
    yield open_page
    for page in opened:
        page.context.close()
    assert not errors, f"the page's scripts failed: {errors}"


def shot(page: Page, folder: Path, name: str) -> None:
    """A full-page screenshot in the test's folder, copied to test-artifacts/ when asked."""
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if KEEP_ARTIFACTS:
        keep = ROOT / "test-artifacts"
        keep.mkdir(exist_ok=True)
        shutil.copy(path, keep / path.name)


def settle(base: str, run_id: str, statuses: tuple[str, ...], timeout_s: float = 180) -> dict[str, Any]:
    """Poll GET /runs/{id} until the run's status is one of `statuses`."""
    deadline = time.monotonic() + timeout_s
    while True:
        view: dict[str, Any] = httpx.get(f"{base}/runs/{run_id}", timeout=30).json()
        if view["status"] in statuses:
            return view
        assert view["status"] in ("queued", "running", "waiting"), view.get("error")
        assert time.monotonic() < deadline, f"run {run_id} is still {view['status']}"
        time.sleep(0.3)


def test_chat_makes_a_video_after_an_approval_and_it_plays(page_of, home, tmp_path):
    with serving(home) as base:
        page = page_of(DESKTOP)
        page.goto(f"{base}/")
        page.fill("#chat-input", "make a 20 second video about tea")
        page.press("#chat-input", "Enter")
        approve = page.wait_for_selector(
            '#chat-log .approval button[data-decision="approve"]', timeout=120_000
        )
        card = page.locator("#chat-log .run-card").first
        run_id = card.get_attribute("data-run-id")
        assert run_id and page.locator("#chat-log .approval li").count() >= 3  # the script's scenes
        shot(page, tmp_path, "chat-approval")
        approve.click()
        # Progress streams into the panel while the video is made.
        page.wait_for_selector("#chat-log .run-card .stages li.done", timeout=120_000)
        page.wait_for_selector("#chat-log video", timeout=600_000)
        assert settle(base, run_id, ("done",))["job"]["duration_s"] == 20
        page.evaluate(
            "async () => { const v = document.querySelector('#chat-log video');"
            " v.muted = true; await v.play(); }"
        )
        page.wait_for_function("document.querySelector('#chat-log video').currentTime > 0", timeout=30_000)
        shot(page, tmp_path, "chat-video")
        # A reload shows where the conversation was (kept in local storage): its lines and its video.
        page.reload()
        page.wait_for_selector("#chat-log .msg.user:has-text('make a 20 second video about tea')")
        page.wait_for_selector(f'#chat-log .done-video[data-run-id="{run_id}"] video', timeout=30_000)
        assert not page.locator("#chat-log .approval button:enabled").count()  # answered: nothing to ask


def test_regenerate_scene_2_from_the_run_page_changes_only_scene_2(page_of, home, tmp_path):
    with serving(home) as base:
        page = page_of(DESKTOP)
        page.goto(f"{base}/")
        # The new-video form posts the job to POST /runs.
        page.fill('textarea[name="request"]', "how tides work")
        page.fill('input[name="duration_s"]', "10")
        page.select_option('select[name="voice"]', "espeak")
        page.check('input[name="preview"]')
        page.click('#run-form button[type="submit"]')
        run_id = page.wait_for_selector("#run-form-result a[data-run-id]").get_attribute("data-run-id")
        assert run_id
        # The list follows the run live, then shows it done.
        page.wait_for_selector(f'#runs li[data-run-id="{run_id}"] .stages li.done', timeout=60_000)
        page.wait_for_selector(f'#runs li[data-run-id="{run_id}"][data-status="done"]', timeout=180_000)
        shot(page, tmp_path, "dashboard-run-done")
        before = settle(base, run_id, ("done",))
        assert before["job"]["voice"] == "espeak" and before["job"]["preview"] is True

        page.goto(f"{base}/ui/runs/{run_id}")
        page.wait_for_selector('#run .progress[data-kind="done"]')
        shot(page, tmp_path, "run-before-regen")
        old = before["scenes"][1]
        page.click('[data-regen="2"]')
        page.wait_for_function(
            "old => { const s = document.querySelector('.scene[data-scene=\"2\"]');"
            " return s && s.dataset.imageSha !== old"
            " && document.getElementById('run').dataset.status === 'done'; }",
            arg=old["image"]["sha256"],
            timeout=180_000,
        )
        shot(page, tmp_path, "run-after-regen")
        after = settle(base, run_id, ("done",))

    changed = [
        scene["index"]
        for scene, earlier in zip(after["scenes"], before["scenes"], strict=True)
        if (scene["image"]["sha256"], scene["audio"]["sha256"])
        != (earlier["image"]["sha256"], earlier["audio"]["sha256"])
    ]
    assert changed == [2]
    new = after["scenes"][1]
    assert new["image"]["sha256"] != old["image"]["sha256"]
    assert new["audio"]["sha256"] != old["audio"]["sha256"]
    assert new["variant"] == old["variant"] + 1
    assert after["video"]["sha256"] != before["video"]["sha256"]
    assert len(after["videos"]) == len(before["videos"]) + 1


def test_edit_the_script_at_the_gate_then_approve(page_of, home, tmp_path):
    with serving(home) as base:
        made = httpx.post(f"{base}/runs", json={"topic": "tea", "gates": ["script"], **FAST}).json()
        run_id = made["run_id"]
        settle(base, run_id, ("waiting",))
        page = page_of(DESKTOP)
        page.goto(f"{base}/ui/runs/{run_id}")
        page.wait_for_selector('#run .progress[data-kind="waiting"]')
        page.fill('textarea[data-scene="1"][data-field="narration"]', "Where tea first grew.")
        shot(page, tmp_path, "script-gate-edited")
        page.click('#script-form button[data-decision="approve"]')
        page.wait_for_selector('#run[data-status="done"] #player', timeout=120_000)
        shot(page, tmp_path, "script-gate-approved")
        done = settle(base, run_id, ("done",))
        subtitles = Path(done["video"]["subtitles"]["path"]).relative_to(done["run_dir"])
        spoken = httpx.get(f"{base}/runs/{run_id}/files/{subtitles.as_posix()}").text
    assert done["approvals"] == [{"gate": "script", "decision": "approve", "edited": True, "reason": ""}]
    assert "Where tea first grew." in spoken


def test_status_turns_from_self_hosted_to_offline_when_ollama_stops(page_of, home, tmp_path, monkeypatch):
    ollama, comfy, coqui = OllamaServer().start(), ComfyUIServer().start(), CoquiServer().start()
    try:
        monkeypatch.setenv("OLLAMA_HOST", ollama.url)
        monkeypatch.setenv("COMFYUI_URL", comfy.url)
        monkeypatch.setenv("COQUI_TTS_URL", coqui.url)
        with serving(home) as base:
            page = page_of(DESKTOP)
            page.goto(f"{base}/")
            mode = page.wait_for_selector('#status [data-mode="SELF-HOSTED"]', timeout=15_000)
            assert "mode-self-hosted" in (mode.get_attribute("class") or "")
            for server in ("ollama", "comfyui", "coqui"):
                assert page.get_attribute(f'#status li[data-server="{server}"]', "class") == "up"
            shot(page, tmp_path, "status-self-hosted")

            ollama.stop()
            # The status fragment polls every 3 s over a 5 s cache of the checks.
            mode = page.wait_for_selector('#status [data-mode="OFFLINE"]', timeout=30_000)
            assert "mode-offline" in (mode.get_attribute("class") or "")
            assert page.get_attribute('#status li[data-server="ollama"]', "class") == "down"
            assert page.get_attribute('#status li[data-server="comfyui"]', "class") == "up"
            shot(page, tmp_path, "status-offline")
    finally:
        for server in (ollama, comfy, coqui):
            server.stop()


def test_no_horizontal_scroll_at_a_phones_width(page_of, home, tmp_path):
    with serving(home) as base:
        done = httpx.post(f"{base}/runs", json={"topic": "how tides work", **FAST}).json()
        gate = httpx.post(f"{base}/runs", json={"topic": "tea", "gates": ["script"], **FAST}).json()
        settle(base, done["run_id"], ("done",))
        settle(base, gate["run_id"], ("waiting",))
        page = page_of(PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
        pages = {
            "dashboard": "/",
            "run": f"/ui/runs/{done['run_id']}",
            "script-gate": f"/ui/runs/{gate['run_id']}",
            "gallery": "/ui/gallery",
            "costs": "/ui/costs",
        }
        widths = {}
        for name, url in pages.items():
            page.goto(f"{base}{url}")
            page.wait_for_selector("#status .mode")
            if name in ("run", "script-gate"):
                page.wait_for_selector("#run .progress[data-kind]")
            # Every folded part open: the model picker's lists are the widest rows.
            page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
            widths[name] = page.evaluate(
                "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
            )
            shot(page, tmp_path, f"phone-{name}")
    for name, (scroll, client) in widths.items():
        assert client == PHONE["width"], name
        assert scroll <= client, f"{name} scrolls sideways: {scroll} px of content in {client} px"
