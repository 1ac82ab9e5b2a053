"""crmbridge/jsondecode.py: answer bodies decode to exactly what :func:`json.loads` gives (the
same value, of the same types, or the same error), by orjson where it can (issue 24)."""

from __future__ import annotations

import json
import math
import random
import struct
import sys
from typing import Any

import orjson
import pytest

from crmbridge import jsondecode


def same(a: Any, b: Any) -> bool:
    """Equal, and of the same types all the way down (``1 == 1.0 == True`` is not enough)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b) and (not isinstance(a, float) or math.copysign(1, a) == math.copysign(1, b))


BODIES = [
    b'{"data":[{"id":{"record_id":"r1"},"values":{"name":[{"full_name":"Ada"}]}}]}',
    b'{"a":1,"a":2,"b":3}',  # duplicate keys: the last value, in the first one's place
    b"[1, 1.0, -0, -0.0, 1e5, 1E-5, 0.1, 123456789012345678, true, false, null]",
    b'" \\u00e9 \\ud83d\\ude00 \\n \\" \\\\ \\/ "',
    '"caf\u00e9 \u2028 \U0001f600"'.encode(),
    b'  {"nested": {"deep": [[[{"x": []}]]]}}  \r\n\t',
    b"9223372036854775807",  # the largest 64-bit integer: 19 digits, decoded by json.loads
    b'{"n": 18446744073709551616}',  # beyond 64 bits: orjson would give a float
    b"-9223372036854775809",
    b'{"phone": "12345678901234567890"}',  # a long digit run inside a string
    b"[NaN, Infinity, -Infinity]",  # json.loads's extensions, refused by orjson
    b"1e400",  # overflows a double: inf for json.loads, refused by orjson
    b'"\\ud800"',  # an escaped lone surrogate
    b'\xef\xbb\xbf{"bom": 1}',  # a UTF-8 byte order mark
    '{"utf16": 1}'.encode("utf-16"),
]


@pytest.mark.parametrize("body", BODIES, ids=range(len(BODIES)))
def test_same_value_as_json_loads(body: bytes) -> None:
    expected = json.loads(body)
    assert same(jsondecode.loads(body), expected)


def test_deeper_than_orjson_reads() -> None:
    """orjson stops at 1,024 levels; json.loads goes as deep as the recursion limit allows."""
    body = b"[" * 1100 + b"]" * 1100
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(10_000)
    try:
        assert same(jsondecode.loads(body), json.loads(body))
    finally:
        sys.setrecursionlimit(limit)


def test_big_integers_keep_every_digit() -> None:
    """The one input orjson accepts and decodes differently: the reason for the digit-run check."""
    body = b'{"n": 18446744073709551616}'
    assert jsondecode.loads(body) == {"n": 18446744073709551616}


def test_floats_as_json_loads_decodes_them() -> None:
    """Doubles written the ways a server writes them decode to the same bits (orjson's parser
    is correctly rounded, as is :func:`float`): random bit patterns as ``repr`` and as ``%.17g``,
    and known hard cases."""
    rng = random.Random(24)
    numbers = []
    for _ in range(3000):
        (x,) = struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))
        if math.isfinite(x):
            numbers += [repr(x), f"{x:.17g}", f"{x:.15g}"]
    numbers += ["2.2250738585072011e-308", "2.2250738585072012e-308", "4.9e-324", "1e23",
                "8.98846567431158e307", "1.7976931348623157e308", "9007199254740993",
                "0.1e1", "1.00000000000000011102230246251565404236316680908203125",
                "7.1e-323", "5e-324", "1.5e-400", "0.30000000000000004"]  # fmt: skip
    body = ("[" + ",".join(numbers) + "]").encode()
    assert same(jsondecode.loads(body), json.loads(body))


BAD = [
    b"",
    b"   ",
    b'{"data": [1, 2',  # cut short
    b'{"a": 1} {"b": 2}',  # extra data
    b'{"a": 1,}',
    b'"\x01"',  # a raw control character
    b"\x0c{}",  # form feed is not JSON whitespace
    b'{"a": "\xff"}',  # not UTF-8
    b"[01]",
    b"{'a': 1}",
]


@pytest.mark.parametrize("body", BAD, ids=range(len(BAD)))
def test_same_error_as_json_loads(body: bytes) -> None:
    with pytest.raises(ValueError) as expected:
        json.loads(body)
    with pytest.raises(type(expected.value)):
        jsondecode.loads(body)


def test_nesting_deeper_than_python_reads_is_a_recursion_error() -> None:
    """The HTTP driver answers ``too_deep`` for it (crmbridge/http.py ``_parse``), as before."""
    body = b"[" * 200_000 + b"]" * 200_000
    with pytest.raises(RecursionError):
        json.loads(body)
    with pytest.raises(RecursionError):
        jsondecode.loads(body)


def test_ordinary_bodies_take_orjson(monkeypatch: pytest.MonkeyPatch) -> None:
    """The speed is measured in bench/ (docs/benchmarks.md); here, that the fast path is taken
    for an ordinary body and not for one with a long digit run."""
    calls: list[bytes] = []
    original = orjson.loads

    def counting(content: bytes) -> Any:
        calls.append(content)
        return original(content)

    monkeypatch.setattr(jsondecode.orjson, "loads", counting)
    jsondecode.loads(BODIES[0])
    assert calls == [BODIES[0]]
    jsondecode.loads(b'{"n": 18446744073709551616}')
    assert len(calls) == 1


@pytest.mark.parametrize("at", [0, 100, (1 << 16) - 10, (1 << 16) - 1, 1 << 16, (1 << 16) + 5])
def test_a_long_digit_run_is_found_wherever_it_lies(at: int) -> None:
    """The run is looked for a slice at a time: one across two slices counts too."""
    big = "18446744073709551616"
    body = ('["' + "x" * at + '", ' + big + "]").encode()
    assert jsondecode.loads(body)[1] == int(big)
    assert jsondecode._long_digit_run(body)
    assert not jsondecode._long_digit_run(body.replace(big.encode(), big[:18].encode()))
