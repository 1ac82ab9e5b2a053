"""crmbridge_attio/raw_page.py: a records page kept as text per record and per value. Each
record decodes to exactly what ``json.loads`` of the whole answer holds for it; the digest of its
read fields' text tells a changed value; bodies ``json.loads`` would read otherwise or refuse
are answered as ``json.loads`` answers them (issue 24)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from crmbridge_attio import raw_page
from crmbridge_attio.emulator import AttioEmulator

import crmbridge
from crmbridge.provider import Query
from crmbridge.raw_rows import RawRows

FIELDS = ["company", "email_addresses", "job_title", "name", "phone_numbers"]


@pytest.fixture(scope="module")
def body() -> bytes:
    emulator = AttioEmulator(seed="demo", demo_size=60)
    with emulator.client() as http:
        answer = http.post("/v2/objects/people/records/query", json={"limit": 50})
    return answer.content


def test_records_decode_as_json_loads_holds_them(body: bytes) -> None:
    page = raw_page.decode(body)
    assert isinstance(page, raw_page.RawPage)
    whole = json.loads(body)["data"]
    assert len(page.rows) == len(whole) == 50
    for row, item in zip(page.entries(), whole, strict=True):
        assert raw_page.row_item(row) == item
        assert json.dumps(raw_page.row_item(row)) == json.dumps(item)  # key order too
        assert raw_page.row_id(row) == item["id"]["record_id"]


def _one(values: dict[str, Any], record_id: str = "r1") -> bytes:
    return json.dumps({"data": [{"id": {"record_id": record_id}, "values": values}]}).encode()


def _digest(content: bytes, fields: list[str]) -> str | None:
    page = raw_page.decode(content)
    assert isinstance(page, raw_page.RawPage)
    return raw_page.row_digest(page.entries()[0], fields)


def test_the_digest_tells_a_changed_value() -> None:
    values = {"name": [{"full_name": "Ada"}], "job_title": [], "n": [{"value": 1}]}
    same = _digest(_one(values), ["job_title", "n", "name"])
    assert same == _digest(_one(dict(values)), ["job_title", "n", "name"])
    assert same != _digest(_one({**values, "n": [{"value": 1.0}]}), ["job_title", "n", "name"])
    assert same != _digest(
        _one({**values, "name": [{"full_name": "Ada "}]}), ["job_title", "n", "name"]
    )
    assert same != _digest(_one(values), ["job_title", "name", "n"])  # order of the fields
    assert same != _digest(_one(values), ["job_title", "name"])
    assert _digest(_one(values), ["job_title", "missing"]) is None  # decodes as absent


def test_values_running_into_each_other_differ() -> None:
    """Two fields' texts joined cannot look like another split of them."""
    a = _digest(_one({"x": ["a", "b"], "y": []}), ["x", "y"])
    b = _digest(_one({"x": ["a"], "y": ["b"]}), ["x", "y"])
    assert a != b


ODD = [
    b'{"data": [{"id": {"record_id": "r"}, "values": {"n": [NaN]}}]}',  # json.loads's NaN
    b'{"data": [{"id": {"record_id": "r"}, "values": {"t": ["\\ud800"]}}]}',  # lone surrogate
    b'{"data": [{"id": {"record_id": 7}, "values": {}}]}',  # an id that is not text
    b'{"data": [{"values": {}}]}',  # no id
    b'{"data": [{"id": {"record_id": "r"}, "values": []}]}',  # values not an object
    b'{"data": {"not": "a list"}}',
    b'{"error": "x"}',
    b'\xef\xbb\xbf{"data": []}',
    '{"data": []}'.encode("utf-16"),
]


@pytest.mark.parametrize("content", ODD, ids=range(len(ODD)))
def test_other_bodies_are_what_json_loads_gives(content: bytes) -> None:
    answer = raw_page.decode(content)
    assert not isinstance(answer, raw_page.RawPage)
    expected = json.loads(content)
    assert json.dumps(answer) == json.dumps(expected)


BAD = [
    b'{"data": [{"id": {"record_id": "r"}, "values": {"t": ["\xff"]}}]}',  # not UTF-8
    b'{"data": [{"id": {"record_id": "r"}, "values": {"t": [',  # cut short
    b'{"data": []} x',
    b"",
]


@pytest.mark.parametrize("content", BAD, ids=range(len(BAD)))
def test_bodies_json_loads_refuses_are_refused_alike(content: bytes) -> None:
    with pytest.raises(ValueError) as expected:
        json.loads(content)
    with pytest.raises(type(expected.value)):
        raw_page.decode(content)


def test_lazy_pages_decode_to_the_records_of_eager_ones() -> None:
    """Through the provider: the engine's undecoded page and an ordinary one give equal records."""
    crm = crmbridge.connect("attio", emulator=AttioEmulator(seed="demo", demo_size=30))
    with crm:
        schema = crm.schema("people")
        lazy = crm.run(crm.provider.query(schema, Query(page_size=20, lazy=True), None))
        eager = crm.run(crm.provider.query(schema, Query(page_size=20), None))
    assert isinstance(lazy.records, RawRows)
    assert isinstance(lazy.records.rows[0][0], raw_page.RawPage)  # msgspec's, not the fallback
    assert lazy.next == eager.next == 20
    assert list(lazy.records) == list(eager.records)
    assert [lazy.records.id(i) for i in range(20)] == [r.id for r in eager.records]


def test_a_cut_answer_is_still_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    """The decoder runs in the HTTP driver (where a cut read is retried), not in the plan."""
    emulator = AttioEmulator(seed="demo", demo_size=10)
    cut = [True]
    handle = emulator.handle

    def cut_once(request: httpx.Request) -> httpx.Response:
        response = handle(request)
        if cut[0] and request.url.path.endswith("/records/query"):
            cut[0] = False
            content = response.content[: len(response.content) // 2]
            return httpx.Response(
                200, content=content, headers={"content-type": "application/json"}
            )
        return response

    monkeypatch.setattr(emulator, "handle", cut_once)
    crm = crmbridge.connect("attio", emulator=emulator)
    with crm:
        schema = crm.schema("people")
        page = crm.run(crm.provider.query(schema, Query(page_size=5, lazy=True), None))
    assert cut == [False]
    assert len(page.records) == 5
