"""Pexels and Pixabay: photographs and clips with their credits, the documented parameters, broken files
passed over, a 429 and a hang named, only with a key, and the key never in an error, a log or the ledger."""

from __future__ import annotations

import io
import logging

import av
import pytest
from PIL import Image

from graph.router_config import load_router_settings
from state.model_calls import ImageRequest
from tests.servers.harness import refused_url
from tests.servers.stock_media import BROKEN_MP4, PexelsServer, PixabayServer, clip_mp4
from tools.files import claim_once
from tools.models.failures import AllProvidersFailed, ProviderError
from tools.models.media_checks import check_clip
from tools.models.registry import providers_for
from tools.models.service import ModelRouter
from tools.models.stock_media import PEXELS_LICENCE, PIXABAY_LICENCE, pexels_image, pixabay_image
from tools.storage.sqlite_ledger import UsageLedger

KEY = "test-key-0123456789"
W, H = 360, 640


def _request(claim=None, clips: bool = False, visuals: str = "auto") -> ImageRequest:
    return ImageRequest(
        "a glacier", W, H, lambda: b"", query="glaciers", claim=claim, visuals="clips" if clips else visuals
    )


SOURCES = {
    "pexels": (PexelsServer, pexels_image, PEXELS_LICENCE),
    "pixabay": (PixabayServer, pixabay_image, PIXABAY_LICENCE),
}


@pytest.fixture(params=sorted(SOURCES), scope="module")
def served(request):
    server_class, _, _ = SOURCES[request.param]
    with server_class(KEY) as server:
        yield request.param, server


@pytest.fixture
def source(served):
    name, server = served
    server.requests.clear()
    server.heal()
    _, factory, licence = SOURCES[name]
    return factory(server.url, KEY, timeout_s=5.0), server, licence


def _seconds(data: bytes) -> tuple[float, int, int]:
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        return float(stream.duration * stream.time_base), stream.width, stream.height


# --- photographs -----------------------------------------------------------------------------------


def test_a_photograph_with_its_credit(source):
    provider, server, licence = source
    answer = provider.call(_request())
    with Image.open(io.BytesIO(answer.data)) as image:
        image.load()
        assert min(image.size) >= 300
    assert answer.content_type == ""  # a still: the router normalises it to PNG
    credit = answer.credit
    assert credit["provider"] == provider.name
    assert (credit["license"], credit["license_url"]) == licence
    assert credit["author"] and credit["author"] != "unknown"
    assert credit["source"].startswith(server.url) and "broken" not in credit["source"]
    assert credit["title"] and "Broken" not in credit["title"]


def test_the_search_uses_the_documented_parameters(source):
    provider, server, _ = source
    provider.call(_request())
    search = server.requests[0]
    if provider.name == "pexels":
        assert search.path == "/v1/search" and search.headers["Authorization"] == KEY
        assert search.query["query"] == ["glaciers"] and search.query["orientation"] == ["portrait"]
        assert int(search.query["per_page"][0]) <= 80
        assert "key" not in search.query
    else:
        assert search.path == "/api/" and search.query["key"] == [KEY]
        assert search.query["q"] == ["glaciers"] and search.query["image_type"] == ["photo"]
        assert search.query["orientation"] == ["vertical"] and search.query["safesearch"] == ["true"]
        assert 3 <= int(search.query["per_page"][0]) <= 200
        assert "Authorization" not in search.headers
    # Media files go to the file's host without the key.
    downloads = [r for r in server.requests if r.path.startswith("/files/")]
    assert downloads and all("key" not in r.query and "Authorization" not in r.headers for r in downloads)


def test_two_scenes_never_get_the_same_photograph(source, tmp_path):
    provider, _, _ = source
    sources = {
        provider.call(_request(lambda key, s=scene: claim_once(tmp_path, key, f"scene-{s}"))).credit["source"]
        for scene in range(4)
    }
    assert len(sources) == 4


def test_no_results_is_empty(source):
    provider, server, _ = source
    server.fail("empty", times=None)
    with pytest.raises(ProviderError) as error:
        provider.call(_request())
    assert error.value.kind == "empty"


# --- clips ---------------------------------------------------------------------------------------------


def test_a_clip_of_the_frames_orientation_with_its_credit(source):
    provider, server, licence = source
    answer = provider.call(_request(clips=True))
    assert answer.content_type == "video/mp4"
    seconds, width, height = _seconds(answer.data)
    assert (width, height) == (W, H) and seconds >= 1.9
    # The rendition nearest the frame: not the 3x one, nor Pixabay's over 25 MB, nor the tiny one.
    clips = [r.path for r in server.requests if r.path.startswith("/files/videos/")]
    assert clips[-1].endswith("/coffee-pour.mp4"), clips
    assert check_clip(answer.data) >= 1.9
    credit = answer.credit
    assert (credit["license"], credit["license_url"]) == licence
    assert credit["author"] and credit["source"].startswith(server.url)
    assert "broken" not in credit["source"], "the clip that does not decode is passed over"
    videos = "/videos/search" if provider.name == "pexels" else "/api/videos/"
    assert server.requests[0].path == videos


def test_the_jobs_visuals_clips_asks_for_clips_too(source):
    provider, _, _ = source
    assert provider.call(_request(visuals="clips")).content_type == "video/mp4"


def test_with_no_clip_left_a_photograph_answers(source, tmp_path):
    provider, _, _ = source
    kinds = [
        provider.call(
            _request(lambda key, s=scene: claim_once(tmp_path, key, f"scene-{s}"), clips=True)
        ).content_type
        for scene in range(5)
    ]
    # Three clips are served (one more is broken); the scenes after them get photographs.
    assert kinds[:3] == ["video/mp4"] * 3 and kinds[3:] == ["", ""]


def test_a_clip_that_does_not_decode_is_refused_by_the_check():
    good = clip_mp4("coffee-pour")
    for bad in (BROKEN_MP4, good[: len(good) // 2], b""):
        with pytest.raises(ProviderError) as error:
            check_clip(bad)
        assert error.value.kind in ("bad_content", "empty")


# --- failures --------------------------------------------------------------------------------------------


def test_a_429_names_its_wait(source):
    provider, server, _ = source
    server.fail("429")
    with pytest.raises(ProviderError) as error:
        provider.call(_request())
    assert error.value.kind == "rate_limited" and error.value.retry_after_s == 1


def test_a_hang_is_a_timeout(source):
    _, server, _ = source
    _, factory, _ = SOURCES["pexels" if isinstance(server, PexelsServer) else "pixabay"]
    server.fail("hang")
    with pytest.raises(ProviderError) as error:
        factory(server.url, KEY, timeout_s=0.5).call(_request())
    assert error.value.kind == "timeout"
    assert KEY not in str(error.value)


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_the_key_is_in_no_error_when_nothing_listens(name):
    _, factory, _ = SOURCES[name]
    provider = factory(refused_url(), KEY, timeout_s=2.0)
    with pytest.raises(ProviderError) as error:
        provider.call(_request())
    assert error.value.kind == "refused"
    assert KEY not in str(error.value) and KEY not in error.value.detail
    check = provider.check()
    assert not check.healthy and KEY not in check.error


def test_a_wrong_key_is_refused_without_showing_it(source, caplog):
    _, server, _ = source
    _, factory, _ = SOURCES["pexels" if isinstance(server, PexelsServer) else "pixabay"]
    wrong = "wrong-key-9876543210"
    with caplog.at_level(logging.DEBUG):
        with pytest.raises(ProviderError) as error:
            factory(server.url, wrong, timeout_s=5.0).call(_request())
        check = factory(server.url, wrong, timeout_s=5.0).check()
    # Pexels answers 401; Pixabay 400 with a text body.
    assert error.value.kind in ("auth", "bad_request")
    assert wrong not in str(error.value) and wrong not in check.error and not check.healthy
    assert wrong not in caplog.text, "httpx's request log line must not carry the key"


def test_a_good_keys_request_log_line_is_masked(caplog):
    with PixabayServer(KEY) as server, caplog.at_level(logging.INFO, logger="httpx"):
        pixabay_image(server.url, KEY).call(_request())
    assert "HTTP Request: GET" in caplog.text and "key=[redacted]" in caplog.text
    assert KEY not in caplog.text


# --- settings and the router ------------------------------------------------------------------------


def _settings(tmp_path, **env: str):
    config = tmp_path / "reelforge.toml"
    config.touch()
    return load_router_settings(tmp_path, environ={"REELFORGE_CONFIG": str(config), **env})


def test_without_a_key_neither_is_used(tmp_path):
    settings = _settings(tmp_path)
    names = [provider.name for provider, _ in providers_for(settings, "image")]
    assert "pexels" not in names and "pixabay" not in names
    assert settings.providers["pexels"].enabled is False and settings.providers["pixabay"].enabled is False


def test_with_keys_both_come_after_commons_and_before_offline(tmp_path):
    settings = _settings(tmp_path, PEXELS_API_KEY=KEY, PIXABAY_API_KEY=KEY)
    names = [provider.name for provider, _ in providers_for(settings, "image")]
    assert names.index("commons") < names.index("pexels") < names.index("pixabay") < names.index("offline")
    pexels = settings.providers["pexels"]
    assert pexels.url == "https://api.pexels.com" and pexels.explicit
    assert settings.providers["pixabay"].url == "https://pixabay.com"
    assert KEY not in repr(settings) and KEY in settings.secrets()
    stock = [p for p, _ in providers_for(settings, "image") if p.name in ("pexels", "pixabay")]
    assert {p.tier for p in stock} == {"free"}


def test_routed_clips_stay_mp4_and_the_key_stays_out_of_failures_and_the_ledger(tmp_path):
    with PexelsServer(KEY) as pexels:
        settings = _settings(
            tmp_path,
            PEXELS_URL=pexels.url,
            PEXELS_API_KEY=KEY,
            PIXABAY_URL=refused_url(),
            PIXABAY_API_KEY=KEY,
        )
        settings.order["image"] = ["pixabay", "pexels", "offline"]
        ledger_path = tmp_path / "ledger.sqlite"
        models = ModelRouter(settings, UsageLedger(ledger_path), "run-stock")
        routed = models.image(_request(clips=True), "make_scene")
        assert (routed.provider, routed.tier, routed.answer.content_type) == ("pexels", "free", "video/mp4")
        assert routed.answer.data[4:8] == b"ftyp" and check_clip(routed.answer.data) > 1.9
        assert routed.failures and all(KEY not in line for line in routed.failures)
        still = models.image(_request(), "make_scene")
        assert still.answer.content_type == "image/png"
        pexels.fail("500", times=None)
        settings.order["image"] = ["pixabay", "pexels"]
        with pytest.raises(AllProvidersFailed) as error:
            ModelRouter(settings, UsageLedger(ledger_path), "run-stock-2").image(_request(), "make_scene")
    assert KEY not in str(error.value)
    assert KEY.encode() not in ledger_path.read_bytes()


def test_a_clip_is_not_taken_when_the_scene_did_not_ask_for_one(tmp_path):
    # A source that answers a video to a request for a still is wrong: the router passes it over.
    class VideoOnly:
        name, tier, capability, endpoint, model = "pexels", "free", "image", "local", "pexels"

        def call(self, request):
            from state.model_calls import MediaAnswer

            return MediaAnswer(clip_mp4("coffee-pour"), "pexels", "video/mp4")

        def check(self):
            raise AssertionError

    from state.model_settings import Price, ProviderSettings
    from tools.models.cooldown import Cooldowns
    from tools.models.router import Router, Slot

    router = Router(
        [Slot(VideoOnly(), ProviderSettings(explicit=True, retries=0), None)],
        ledger=UsageLedger(tmp_path / "ledger.sqlite"),
        cooldowns=Cooldowns(3, 60, 60),
        premium=Price(),
        gpu_usd_per_hour=0.0,
        run_id="run",
    )
    with pytest.raises(AllProvidersFailed, match="expected image"):
        router.call(_request(), "make_scene")
    assert router.call(_request(clips=True), "make_scene").answer.content_type == "video/mp4"
