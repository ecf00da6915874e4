"""Airtable: the rows marked ready become products, and their status is written back when the run ends."""

from __future__ import annotations

import pytest

from tests.servers.airtable import BASE, CREATED, TOKEN, AirtableServer, Table, attachment, default_products
from tests.servers.harness import refused_url
from tools.errors import BadInput, ServiceUnavailable, is_transient
from tools.sources import FAILED, IN_PROGRESS, PUBLISHED, AirtableRows, parse_ref

REF = f"airtable://{BASE}/Products"


@pytest.fixture
def rows(airtable) -> AirtableRows:
    return AirtableRows(TOKEN, airtable.url, retries=0)


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("airtable://appABC123/Products", ("appABC123", "Products")),
        (" airtable://appABC123/My%20Products/ ", ("appABC123", "My Products")),
        ("AIRTABLE://appABC123/tblXYZ", ("appABC123", "tblXYZ")),
    ],
)
def test_an_airtable_address_names_a_base_and_a_table(ref, expected):
    assert parse_ref(ref) == expected


@pytest.mark.parametrize(
    ("ref", "problem"),
    [
        ("https://airtable.com/appABC/Products", "is not an Airtable address"),
        ("airtable://appABC123", "does not name a base and a table"),
        ("airtable://appABC123/Products/Grid", "does not name a base and a table"),
        ("airtable://mybase/Products", "base ids start with app"),
    ],
)
def test_a_malformed_airtable_address(ref, problem):
    with pytest.raises(BadInput, match=problem):
        parse_ref(ref)


def test_ready_rows_become_products_with_their_record(airtable, rows):
    products = rows.ready_products(REF)
    assert [product["name"] for product in products] == ["Aeropress Go", "Stagg EKG Kettle", "Timemore Scale"]
    aeropress = products[0]
    assert aeropress == {
        "name": "Aeropress Go",
        "price": 39.95,
        "currency": "",
        "rating": 5.0,
        "features": ["Packs into its own mug", "Brews in a minute"],
        "image": attachment("aeropress.png")["url"],
        "link": "https://shop.example/aeropress?tag=rf-20",
        "source": f"https://airtable.com/{BASE}/Products/recAEROPRESS00001",
        "record": "recAEROPRESS00001",
    }
    assert [product["record"] for product in products[1:]] == ["recKETTLE00000002", "recSCALE000000004"]
    asked = airtable.requests[0]
    assert asked.query["filterByFormula"] == ["LOWER({Status})='ready'"]
    assert asked.headers["Authorization"] == f"Bearer {TOKEN}"


def test_rows_are_read_across_pages():
    with AirtableServer(page_size=2) as server:
        products = AirtableRows(TOKEN, server.url, retries=0).ready_products(REF)
        assert len(products) == 3
        offsets = [request.query.get("offset") for request in server.requests]
        assert offsets[0] is None and len(offsets) == 2 and offsets[1][0].startswith("itrFAKE2/")


def test_the_status_field_and_value_are_settings():
    table = Table("Queue", "tblQUEUE", ["Title", "Cost", "State"])
    table.records = [
        {"id": "recA", "createdTime": CREATED, "fields": {"Title": "Mug", "Cost": 3, "State": "GO"}},
        {"id": "recB", "createdTime": CREATED, "fields": {"Title": "Cup", "Cost": 2, "State": "ready"}},
    ]
    with AirtableServer(bases={BASE: [table]}) as server:
        reader = AirtableRows(TOKEN, server.url, status_field="State", ready="go", retries=0)
        assert [product["record"] for product in reader.ready_products(f"airtable://{BASE}/Queue")] == [
            "recA"
        ]
        assert server.requests[0].query["filterByFormula"] == ["LOWER({State})='go'"]


def test_statuses_are_written_back(airtable, rows):
    ids = [product["record"] for product in rows.ready_products(REF)]
    rows.set_status(REF, ids, IN_PROGRESS)
    assert [airtable.status(record) for record in ids] == [IN_PROGRESS] * 3
    assert rows.ready_products(REF) == [], "rows in progress are not ready again"
    rows.set_status(REF, ids[:2], PUBLISHED, video_url="https://youtu.be/abc123")
    rows.set_status(
        REF, ids[2:], FAILED, error="render failed: ffmpeg exited 1\nTraceback (most recent call last)"
    )
    assert [airtable.status(record) for record in ids] == [PUBLISHED, PUBLISHED, FAILED]
    assert airtable.status(ids[0], "Video URL") == "https://youtu.be/abc123"
    assert airtable.status(ids[2], "Error") == "render failed: ffmpeg exited 1"
    assert (
        airtable.status("recGRINDER0000003") == "published" and airtable.status("recDRAFT000000005") is None
    )
    patch = next(request for request in airtable.requests if request.method == "PATCH")
    assert patch.json()["typecast"] is True


def test_an_error_written_back_has_no_secret(airtable, rows):
    rows.set_status(REF, ["recSCALE000000004"], FAILED, error="OpenAI refused sk-abcdef0123456789 (401)")
    written = airtable.status("recSCALE000000004", "Error")
    assert "sk-abcdef0123456789" not in written and "[redacted]" in written


def test_updates_go_ten_rows_at_a_time():
    table = default_products()
    table.records = [
        {
            "id": f"rec{n:014d}",
            "createdTime": CREATED,
            "fields": {"Name": f"P{n}", "Price": n, "Status": "ready"},
        }
        for n in range(23)
    ]
    with AirtableServer(bases={BASE: [table]}) as server:
        reader = AirtableRows(TOKEN, server.url, retries=0)
        ids = [product["record"] for product in reader.ready_products(REF)]
        reader.set_status(REF, ids, PUBLISHED, video_url="https://youtu.be/x")
        patches = [request.json() for request in server.requests if request.method == "PATCH"]
        assert [len(patch["records"]) for patch in patches] == [10, 10, 3]
        assert {record["fields"].get("Status") for record in table.records} == {PUBLISHED}


def test_nothing_to_write_is_no_request(airtable, rows):
    rows.set_status(REF, [], PUBLISHED)
    assert airtable.requests == []


@pytest.mark.parametrize("ref", [f"airtable://{BASE}/Nope", "airtable://appNOSUCHBASE0001/Products"])
def test_a_missing_base_or_table(rows, ref):
    base, table = parse_ref(ref)
    with pytest.raises(BadInput) as caught:
        rows.ready_products(ref)
    assert str(caught.value) == (
        f"Airtable has no table {table} in base {base} (or the key cannot see it); "
        "check the airtable:// address and the key's access"
    )


def test_a_wrong_key_is_named_but_never_shown(airtable):
    wrong = "patWRONGtoken.fedcba9876543210"
    with pytest.raises(BadInput) as caught:
        AirtableRows(wrong, airtable.url, retries=0).ready_products(REF)
    assert str(caught.value) == "Airtable refused the key (401); check AIRTABLE_API_KEY"
    with pytest.raises(BadInput, match="AIRTABLE_API_KEY is empty"):
        AirtableRows(" ", airtable.url)
    assert TOKEN not in repr(AirtableRows(TOKEN, airtable.url))


def test_a_missing_field_is_named(airtable, rows):
    table = airtable.table(BASE, "Products")
    table.fields.remove("Video URL")
    with pytest.raises(
        BadInput, match=r'UNKNOWN_FIELD_NAME: Unknown field name: "Video URL"\); check that the table'
    ):
        rows.set_status(REF, ["recSCALE000000004"], PUBLISHED, video_url="https://youtu.be/x")
    with pytest.raises(BadInput, match=r"INVALID_FILTER_BY_FORMULA.*check that the table has a State field"):
        AirtableRows(TOKEN, airtable.url, status_field="State", retries=0).ready_products(REF)


def test_a_deleted_row(airtable, rows):
    with pytest.raises(BadInput, match=r"ROW_DOES_NOT_EXIST: Record ID recGONE does not exist.*deleted"):
        rows.set_status(REF, ["recGONE"], PUBLISHED)


@pytest.mark.parametrize("fault", ["500", "429"])
def test_a_busy_airtable_is_transient(airtable, rows, fault):
    airtable.fail(fault)
    with pytest.raises(ServiceUnavailable, match=rf"^Airtable answered {fault}; try again later$") as caught:
        rows.ready_products(REF)
    assert is_transient(caught.value)


def test_one_busy_answer_is_retried_inside_the_call(airtable):
    airtable.fail("500")
    products = AirtableRows(TOKEN, airtable.url, retries=1).ready_products(REF)
    assert len(products) == 3 and len(airtable.requests) == 2


def test_an_unreachable_airtable(airtable):
    with pytest.raises(
        ServiceUnavailable, match=r"^cannot reach Airtable \(.*\); check AIRTABLE_URL"
    ) as caught:
        AirtableRows(TOKEN, refused_url(), retries=0).ready_products(REF)
    assert is_transient(caught.value) and TOKEN not in str(caught.value)


def test_a_silent_airtable_times_out(airtable):
    airtable.fail("hang")
    with pytest.raises(ServiceUnavailable, match="did not answer in time"):
        AirtableRows(TOKEN, airtable.url, timeout_s=1, retries=0).ready_products(REF)
