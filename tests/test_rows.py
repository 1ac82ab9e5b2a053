"""Records as flat, typed rows (crmbridge/rows.py, issue #19): names split, money as amount and
currency, options as labels, references as ids; CSV, JSON lines, Arrow, pandas and polars."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import sys
from decimal import Decimal

import pytest

import crmbridge as cb
from crmbridge import rows
from crmbridge.model import Location, Money, Option, PersonName, Record, Ref, User

AT = dt.datetime(2026, 3, 31, 12, 0, tzinfo=dt.UTC)
RECORD = Record(
    "people",
    "p1",
    {
        "name": PersonName("Ada", "Lovelace", "Ada Lovelace"),
        "deal_value": Money(Decimal("1250.50"), "EUR"),
        "stage": Option("Won", "opt-1"),
        "tags": [Option("vip"), Option("beta")],
        "company": Ref("companies", "c9"),
        "owner": User("u1", email="grace@example.com"),
        "primary_location": Location(locality="London", country_code="GB"),
        "seats": 12,
        "renewal": dt.date(2026, 12, 1),
        "active": True,
        "email_addresses": ["ada@example.com"],
        "notes": None,
    },
    created_at=AT,
)


def test_to_row_is_flat_and_typed() -> None:
    row = RECORD.to_row()
    assert row["id"] == "p1"
    assert row["object"] == "people"
    assert row["created_at"] == AT
    assert (row["name.first"], row["name.last"], row["name.full"]) == (
        "Ada",
        "Lovelace",
        "Ada Lovelace",
    )
    assert row["deal_value.amount"] == Decimal("1250.50")
    assert row["deal_value.currency"] == "EUR"
    assert row["stage"] == "Won"
    assert row["tags"] == ["vip", "beta"]
    assert row["company"] == "c9"
    assert (row["owner"], row["owner.email"]) == ("u1", "grace@example.com")
    assert row["primary_location.locality"] == "London"
    assert row["primary_location.country_code"] == "GB"
    assert row["seats"] == 12
    assert row["renewal"] == dt.date(2026, 12, 1)
    assert row["active"] is True
    assert row["email_addresses"] == ["ada@example.com"]
    assert row["notes"] is None
    flat = (str, int, bool, Decimal, dt.date, type(None))
    assert all(isinstance(v, (*flat, list)) for v in row.values()), row


def test_columns_are_the_union_in_first_seen_order() -> None:
    a = Record("people", "1", {"x": 1})
    b = Record("people", "2", {"y": Option("Y")})
    assert rows.columns([a.to_row(), b.to_row()]) == ["id", "object", "created_at", "x", "y"]


def test_csv() -> None:
    out = io.StringIO()
    assert rows.to_csv([RECORD, Record("people", "p2", {"seats": 3})], out) == 2
    read = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert read[0]["name.last"] == "Lovelace"
    assert read[0]["deal_value.amount"] == "1250.50"
    assert read[0]["tags"] == '["vip", "beta"]'
    assert read[0]["renewal"] == "2026-12-01"
    assert read[1]["seats"] == "3"
    assert read[1]["name.last"] == ""


def test_jsonl_keeps_decimals_exact() -> None:
    out = io.StringIO()
    assert rows.to_jsonl([RECORD], out) == 1
    line = json.loads(out.getvalue())
    assert line["deal_value.amount"] == "1250.50"
    assert line["created_at"] == AT.isoformat()
    assert line["tags"] == ["vip", "beta"]


def test_arrow_pandas_polars_in_one_call() -> None:
    pytest.importorskip("pyarrow")
    table = rows.to_arrow([RECORD])
    assert table.num_rows == 1
    assert table.column("seats").to_pylist() == [12]
    assert str(table.schema.field("renewal").type) == "date32[day]"
    frame = rows.to_pandas([RECORD, RECORD])
    assert list(frame["name.last"]) == ["Lovelace", "Lovelace"]
    polars = rows.to_polars([RECORD])
    assert polars["stage"].to_list() == ["Won"]


def test_a_missing_library_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "polars", None)
    with pytest.raises(cb.ConfigError, match=r"pip install 'crmbridge\[polars\]'"):
        rows.to_polars([RECORD])


def test_rows_from_an_emulator() -> None:
    with cb.connect("attio", emulator={"seed": "demo", "demo_size": 5}) as crm:
        people = [r.to_row() for r in crm.query("people")]
    assert len(people) == 5
    assert all(isinstance(p["name.last"], str) for p in people)
    assert all(isinstance(p["email_addresses"], list) for p in people)
