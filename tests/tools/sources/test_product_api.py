"""A ScrapingDog-style product API: one product per id, its key never shown, one line per failure."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.servers.harness import refused_url
from tests.servers.web_pages import API_KEY
from tools.errors import BadInput, ServiceUnavailable, is_transient
from tools.sources import ProductApi

TEMPLATE = "/amazon/product?api_key={key}&asin={id}&domain=com"


@pytest.fixture
def api(site, http) -> ProductApi:
    return ProductApi(site.url + TEMPLATE, API_KEY, http=http)


def test_a_product_is_mapped_from_the_answer(site, http, api):
    product = api.product("B07YVL6XFM")
    assert product == {
        "name": "Fellow Stagg EKG Electric Kettle",
        "price": 165.0,
        "currency": "$",
        "rating": 4.6,
        "features": [
            "Variable temperature control from 135 to 212 degrees Fahrenheit",
            "Pour-over spout for a precise flow",
            "Hold mode keeps water at temperature for an hour",
        ],
        "image": f"{site.url}/images/kettle.jpg",
        "link": "https://www.amazon.com/dp/B07YVL6XFM",
        "source": "https://www.amazon.com/dp/B07YVL6XFM",
    }
    assert site.requests[0].query == {"api_key": [API_KEY], "asin": ["B07YVL6XFM"], "domain": ["com"]}
    assert Image.open(io.BytesIO(http.get(product["image"]).content)).format == "JPEG"


def test_other_field_names_and_a_main_image(site, api):
    product = api.product("B000LITTLE")
    assert product["name"] == "Plain Filter Papers" and product["price"] == 4.99 and product["rating"] == 4.1
    assert product["image"] == f"{site.url}/images/filters.png"
    # Without a product URL in the answer, the product is cited by its id.
    assert product["source"] == "api:B000LITTLE" and product["link"] is None


def test_the_id_is_quoted_into_the_url(site, api):
    with pytest.raises(BadInput):
        api.product("B07YVL6XFM&api_key=other")
    assert site.requests[-1].query["asin"] == ["B07YVL6XFM&api_key=other"]
    assert site.requests[-1].query["api_key"] == [API_KEY]


def test_an_unknown_product(api):
    with pytest.raises(BadInput, match=r"^the product API has no product NOPE; check the id$"):
        api.product("NOPE")


def test_a_wrong_key_names_the_setting_and_hides_the_key(site, http):
    wrong = "sd-wrong-key-0042"
    with pytest.raises(BadInput) as caught:
        ProductApi(site.url + TEMPLATE, wrong, http=http).product("B07YVL6XFM")
    host = site.url.removeprefix("http://")
    assert str(caught.value) == (
        f"the product API at {host} refused the key (401); check REELFORGE_PRODUCT_API_KEY"
    )


def test_an_error_that_echoes_the_key_is_redacted(api):
    with pytest.raises(BadInput) as caught:
        api.product("BAD")
    assert API_KEY not in str(caught.value)
    assert "api_key=[redacted]" in str(caught.value) and "(400: invalid asin" in str(caught.value)


@pytest.mark.parametrize("fault", ["500", "429"])
def test_a_busy_api_is_transient(site, api, fault):
    site.fail(fault, path="/amazon/product")
    with pytest.raises(ServiceUnavailable, match=rf"answered {fault}; try again later$") as caught:
        api.product("B07YVL6XFM")
    assert is_transient(caught.value) and API_KEY not in str(caught.value)


def test_a_silent_api_times_out(site, http):
    site.fail("hang", path="/amazon/product")
    with pytest.raises(ServiceUnavailable, match=r"did not answer within 0\.5 s"):
        ProductApi(site.url + TEMPLATE, API_KEY, http=http, timeout_s=0.5).product("B07YVL6XFM")


def test_an_unreachable_api_shows_its_host_only(http):
    base = refused_url()
    with pytest.raises(ServiceUnavailable) as caught:
        ProductApi(base + TEMPLATE, API_KEY, http=http).product("B07YVL6XFM")
    message = str(caught.value)
    assert message.startswith(f"cannot reach the product API at {base.removeprefix('http://')} (")
    assert API_KEY not in message and "asin" not in message


def test_an_answer_that_is_not_json(site, api):
    site.fail("wrong_type", path="/amazon/product")
    with pytest.raises(BadInput, match="did not answer with a JSON object; check REELFORGE_PRODUCT_API_URL"):
        api.product("B07YVL6XFM")


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        ("ftp://api.example/{id}", r"is not an http\(s\) URL"),
        ("https://api.example/product?asin=", r"has no \{id\} for the product id"),
    ],
)
def test_a_template_is_checked_when_configured(http, template, problem):
    with pytest.raises(BadInput, match=rf"^REELFORGE_PRODUCT_API_URL {problem}"):
        ProductApi(template, "k", http=http)


def test_a_template_with_a_key_needs_one(site, http):
    with pytest.raises(BadInput, match="needs a key; set REELFORGE_PRODUCT_API_KEY"):
        ProductApi(site.url + TEMPLATE, None, http=http).product("B07YVL6XFM")
    assert site.requests == []
    assert API_KEY not in repr(ProductApi(site.url + TEMPLATE, API_KEY, http=http))


def test_an_empty_id(api):
    with pytest.raises(BadInput, match="the product id is empty"):
        api.product("  ")
