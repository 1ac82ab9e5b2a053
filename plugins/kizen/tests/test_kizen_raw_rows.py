"""crmbridge_kizen/raw_rows.py and the provider's undecoded pages (``Query(lazy=True)``, issue 24):
each row decodes to the record the eager path gives; the digest of its read fields changes with
any of their entries and is missing where the row would decode otherwise (a hidden field left
out, a summarised relationship); a re-run of a Kizen source over unchanged data decodes no row."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

import pytest
from crmbridge_kizen import codec
from crmbridge_kizen.raw_rows import row_digest, row_id

import crmbridge as cb
from crmbridge.migrate import migrate, parse_mapping
from crmbridge.plugins import get_provider
from crmbridge.provider import Query
from crmbridge.raw_rows import RawRows

MAPPING = parse_mapping(
    tomllib.loads("""
source = "kizen"
target = "attio"

[[objects]]
source = "companies_company"
target = "companies"
match = "domains"
[objects.fields]
name = "name"
domain = "domains"

[[objects]]
source = "client_client"
target = "people"
match = "email_addresses"
[objects.fields]
email = "email_addresses"
company_primary = "company"
""")
)


def _row(**entries: Any) -> dict[str, Any]:
    fields = [{"id": f"f-{name}", "name": name, "field_type": "text", "value": value}
              for name, value in entries.items()]  # fmt: skip
    return {"id": "r1", "fields": fields}


def test_the_digest_follows_every_entry_of_the_read_fields() -> None:
    row = _row(first_name="Ada", last_name="Lovelace", notes="x")
    digest = row_digest(row, ["first_name", "last_name"], frozenset())
    assert digest is not None
    assert row_id(row) == "r1"
    assert row_digest(copy.deepcopy(row), ["first_name", "last_name"], frozenset()) == digest
    other = _row(first_name="Ada", last_name="Byron", notes="x")
    assert row_digest(other, ["first_name", "last_name"], frozenset()) != digest
    retyped = copy.deepcopy(row)
    retyped["fields"][0]["field_type"] = "email"  # the type picks the decoder
    assert row_digest(retyped, ["first_name", "last_name"], frozenset()) != digest
    unread = _row(first_name="Ada", last_name="Lovelace", notes="y")
    assert row_digest(unread, ["first_name", "last_name"], frozenset()) == digest
    as_map = {"id": "r1", "fields": {e["id"]: e for e in row["fields"]}}  # "array or map"
    assert row_digest(as_map, ["first_name", "last_name"], frozenset()) == digest


def test_a_blank_field_left_out_digests_as_blank_but_a_hidden_one_has_none() -> None:
    blank = _row(first_name="Ada")
    filled = _row(first_name="Ada", last_name="")
    digest = row_digest(blank, ["first_name", "last_name"], frozenset())
    assert digest is not None
    assert digest != row_digest(filled, ["first_name", "last_name"], frozenset())
    assert row_digest(blank, ["first_name", "last_name"], frozenset({"last_name"})) is None


@pytest.mark.parametrize(
    "row",
    [
        {"id": "r1", "fields": [{"id": "f1", "name": "owners", "value_summary": {"count": 150}}]},
        {"id": "r1", "fields": [{"id": "f1", "value": "no name"}]},
        {"id": "r1", "fields": "not entries"},
        {"id": "r1"},
        ["not", "a", "row"],
    ],
)
def test_rows_that_decode_otherwise_have_no_digest(row: Any) -> None:
    assert row_digest(row, ["owners"], frozenset()) is None


def test_a_lazy_page_decodes_each_row_as_the_eager_page_does() -> None:
    emulator = get_provider("kizen").create_emulator(seed="demo", demo_size=40)
    with cb.connect("kizen", emulator=emulator) as kizen:
        schema = kizen.schema("client_client")
        eager = kizen.driver.run(kizen.provider.query(schema, Query(page_size=50), None))
        lazy = kizen.driver.run(kizen.provider.query(schema, Query(page_size=50, lazy=True), None))
    rows = lazy.records
    assert isinstance(rows, RawRows)
    assert len(rows) == len(eager.records) >= 40
    assert lazy.next == eager.next
    reads = sorted(schema.fields)
    hidden = codec.hidden_slugs(schema.fields)
    for i, record in enumerate(eager.records):
        assert rows.id(i) == record.id
        assert rows.digest(i, reads) == row_digest(rows.rows[i], reads, hidden)
        assert rows[i] == record


def test_an_unchanged_kizen_source_is_not_decoded_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Kizen -> Attio twice: the second run decodes no row of the source and writes nothing;
    a row changed since is decoded and written."""
    kizen = get_provider("kizen").create_emulator(seed="demo", demo_size=60)
    attio = get_provider("attio").create_emulator()
    decoded: list[str] = []
    decode = codec.decode_record

    def counting(payload: Any, *args: Any, **kw: Any) -> Any:
        record = decode(payload, *args, **kw)
        decoded.append(record.id or "")
        return record

    monkeypatch.setattr(codec, "decode_record", counting)

    def run() -> Any:
        report = migrate(
            cb.connect_async("kizen", emulator=kizen),
            cb.connect_async("attio", emulator=attio),
            MAPPING,
            state=tmp_path / "s.db",
            failures=None,
        )
        assert report.failed == 0
        return report

    first = run()
    assert len(decoded) >= 60
    decoded.clear()
    again = run()
    assert decoded == []
    assert {k: o.counts.get("noop", 0) for k, o in again.objects.items()} == {
        k: o.total for k, o in first.objects.items()
    }
    with cb.connect("kizen", emulator=kizen) as direct:
        contact = next(iter(direct.query("client_client", page_size=1)))
        assert contact.id is not None
        direct.update("client_client", contact.id, {"email": "changed@example.com"})
    decoded.clear()
    third = run()
    assert contact.id in decoded
    people = third.objects["client_client->people"].counts
    assert (people.get("created"), people.get("noop")) == (1, 59)  # a new email: a new person
