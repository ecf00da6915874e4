"""Open media: only reusable licences, a credit with every picture, a broken picture passed over, and
never one picture in two scenes."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from state.model_calls import ImageRequest
from tests.servers.harness import refused_url
from tests.servers.open_media import CommonsServer, OpenverseServer
from tools.files import claim_once
from tools.models.failures import ProviderError
from tools.models.open_media import commons_image, openverse_image


def _request(claim=None) -> ImageRequest:
    return ImageRequest("a glacier", 360, 640, lambda: b"", query="glaciers", claim=claim)


@pytest.fixture(params=["openverse", "commons"])
def source(request):
    server = OpenverseServer() if request.param == "openverse" else CommonsServer()
    provider = openverse_image if request.param == "openverse" else commons_image
    with server:
        yield provider(server.url), server


def test_a_reusable_picture_with_its_credit(source):
    provider, server = source
    answer = provider.call(_request())
    with Image.open(io.BytesIO(answer.data)) as image:
        assert image.size[0] >= 300
    credit = answer.credit
    assert credit["provider"] == provider.name
    assert credit["author"] and credit["source"].startswith(server.url)
    assert "NC" not in credit["license"] and "ND" not in credit["license"], "no licence that forbids reuse"
    assert credit["license"] in ("CC0", "CC BY 4.0", "CC BY-SA 4.0")


def test_the_broken_picture_is_passed_over():
    with OpenverseServer() as server:
        answer = openverse_image(server.url).call(_request())
    assert answer.credit["title"] not in ("Broken", "Forbidden")


def test_two_scenes_never_get_the_same_picture(source, tmp_path):
    provider, _ = source
    pictures = set()
    for scene in range(4):
        answer = provider.call(_request(lambda key, s=scene: claim_once(tmp_path, key, f"scene-{s}")))
        pictures.add(answer.credit["source"])
    assert len(pictures) == 4
    # The same scene asking again (a resume) gets its own picture back.
    again = provider.call(_request(lambda key: claim_once(tmp_path, key, "scene-0")))
    assert again.credit["source"] in pictures


def test_no_results_is_empty():
    with OpenverseServer() as server:
        server.fail("empty", times=None)
        with pytest.raises(ProviderError) as error:
            openverse_image(server.url).call(_request())
    assert error.value.kind == "empty"


def test_a_429_names_its_wait():
    with OpenverseServer() as server:
        server.fail("429")
        with pytest.raises(ProviderError) as error:
            openverse_image(server.url).call(_request())
    assert error.value.kind == "rate_limited" and error.value.retry_after_s == 1


def test_a_hang_is_a_timeout():
    with OpenverseServer() as server:
        server.fail("hang")
        with pytest.raises(ProviderError) as error:
            openverse_image(server.url, timeout_s=0.5).call(_request())
    assert error.value.kind == "timeout"


def test_nothing_listening_is_refused():
    with pytest.raises(ProviderError) as error:
        openverse_image(refused_url()).call(_request())
    assert error.value.kind == "refused"
