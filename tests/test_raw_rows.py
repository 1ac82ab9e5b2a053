"""crmbridge/raw_rows.py: the digest of raw values tells every difference of value or type, and
depends on nothing but the values (issue 24, docs/decisions.md "rerun")."""

from __future__ import annotations

import json
import sys
from typing import Any

import orjson
import pytest

from crmbridge.model import Record
from crmbridge.raw_rows import RawRows, digest_values

DIFFERENT = [
    [1],
    [1.0],
    [True],
    [None],
    [float("nan")],
    ["1"],
    [0],
    [-0.0],
    [0.0],
    [18446744073709551616],
    [18446744073709551617],
    [0.1 + 0.2],
    [0.3],
    [[]],
    [{}],
    [[1, 2]],
    [[2, 1]],
    [{"a": 1, "b": 2}],
    [{"b": 2, "a": 1}],  # the same dict in another order: a CRM reordering keys costs a decode
    [{"a": [1]}],
    [{"a": 1}, None],
    [None, {"a": 1}],
    ["é"],
    ["e\u0301"],
    [[{"value": "x"}]],
    [[{"value": "x", "attribute_type": "text"}]],
]


def test_different_values_give_different_digests() -> None:
    digests = [digest_values(values) for values in DIFFERENT]
    assert len(set(digests)) == len(DIFFERENT)


def test_equal_values_give_equal_digests_whoever_made_them() -> None:
    """Decoded by either parser, with keys and strings shared or not (orjson shares short keys;
    sys.intern shares strings), the same values give the same digest: the digest of a record
    read in one run matches the one kept by the run before."""
    text = b'[[{"active_from":"2026-01-01","value":"Ada","n":1.5,"k":[1,true,null]}],[]]'
    a = json.loads(text)
    b = orjson.loads(text)
    c: Any = json.loads(text)
    c[0][0] = {sys.intern(k): (sys.intern(v) if isinstance(v, str) else v)
               for k, v in c[0][0].items()}  # fmt: skip
    shared = {"x": "y"}
    assert digest_values(a) == digest_values(b) == digest_values(c)
    assert digest_values([shared, shared]) == digest_values([{"x": "y"}, {"x": "y"}])


def test_the_digest_is_the_same_across_processes() -> None:
    """Kept in the state and compared by the next run: a fixed value (marshal format 2, blake2b
    of 16 bytes). A change of this value makes every state recognise nothing once."""
    assert digest_values([[{"value": "x"}], None]) == "0890d445e17ebc917d15f91c79efbc16"


def test_raw_rows_decode_on_first_access_only() -> None:
    decoded: list[str] = []

    def decode(row: dict[str, Any]) -> Record:
        decoded.append(row["id"])
        return Record("people", row["id"])

    rows = RawRows(
        [{"id": "a", "v": 1}, {"id": "b", "v": 2}],
        decode,
        lambda row: row["id"],
        lambda row, fields: digest_values(row[f] for f in fields),
    )
    assert rows.id(1) == "b"
    assert rows.digest(0, ["v"]) == digest_values([1])
    assert decoded == []
    assert rows[1].id == "b"
    assert rows[1] is rows[1]
    assert [r.id for r in rows] == ["a", "b"]
    assert decoded == ["b", "a"]


@pytest.mark.parametrize("values", [[1], [None], [{"a": "b"}]])
def test_digest_is_hex_of_16_bytes(values: list[Any]) -> None:
    digest = digest_values(values)
    assert len(digest) == 32
    int(digest, 16)
