"""A records query's answer kept as JSON text per record and per value, for the migration
engine's undecoded pages (issue 24, crmbridge/raw_rows.py).

Why: a re-run over unchanged records must cost about what reading the source costs, and most of
the client's CPU per unchanged record was building Python objects for Attio's verbose record JSON
(~3.4 KB per record, ~30 attributes each a list of value dicts) that the engine then only
digests and drops (docs/benchmarks.md "Re-run, third pass"). msgspec (https://jcristharif.com/
msgspec/, ``msgspec.Raw``) checks the whole body and keeps each record, and each value list of a
record, as a slice of the body's bytes: an unchanged record is recognised by a digest of the
text of its read fields, with no object built for any value, and a changed one is decoded from
its own text by :func:`crmbridge.jsondecode.loads` into exactly the dict ``json.loads`` of the
whole body holds for it (JSON has no context: a value's text decodes alone as it does inside
its document).

:func:`decode` is the request's body decoder (``Provider.build_request(decode=...)``, run by the
HTTP driver where a body cut short is still retried). It answers :class:`RawPage` only for bodies
``json.loads`` accepts; anything else is ``jsondecode.loads(content)`` — its value or its error,
as for every other answer:

* msgspec refuses what json.loads accepts (``NaN``, lone surrogates, a byte order mark, UTF-16)
  and bodies of another shape (no ``data`` list, a record without ``id.record_id`` as text or
  ``values`` as an object): those go to ``jsondecode.loads``, and the provider reads the result
  as it always did;
* msgspec does not check that the text kept as ``Raw`` is UTF-8 (msgspec 0.23: ``"\\xff"`` in
  a value is kept), where ``json.loads`` refuses the body: the body is checked first by
  decoding it as ``json.loads`` does (``bytes.decode("utf-8", "surrogatepass")``, json/
  __init__.py), ~0.5 µs per record.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import attrs
import msgspec

from crmbridge import jsondecode

__all__ = ["RawPage", "decode", "row_digest", "row_id", "row_item"]


class _Ident(msgspec.Struct):
    record_id: str


class _Row(msgspec.Struct):
    """What a re-run reads of a record: its id and the text of each attribute's value list."""

    id: _Ident
    values: dict[str, msgspec.Raw]


class _Page(msgspec.Struct):
    data: list[msgspec.Raw]


_PAGE = msgspec.json.Decoder(_Page)
_ROW = msgspec.json.Decoder(_Row)


@attrs.frozen
class RawPage:
    """A records page: each record as ``(its text, its id and value texts)``."""

    rows: list[tuple[msgspec.Raw, _Row]]


def decode(content: bytes) -> Any:
    """A records query's body: :class:`RawPage`, or what ``json.loads`` gives (module doc)."""
    try:
        content.decode("utf-8", "surrogatepass")
        page = _PAGE.decode(content)
        return RawPage([(raw, _ROW.decode(raw)) for raw in page.data])
    except (msgspec.MsgspecError, UnicodeDecodeError):
        return jsondecode.loads(content)


def row_id(row: tuple[msgspec.Raw, _Row]) -> str | None:
    """The record's id (``id.record_id``, people_query_rbeene.json), without decoding it."""
    return row[1].id.record_id


def row_digest(row: tuple[msgspec.Raw, _Row], fields: Sequence[str]) -> str | None:
    """A digest of the text of the record's value lists of ``fields``, in order (each a whole
    JSON value, so joined by commas they cannot run into each other); ``None`` if one is not in
    the answer (it decodes as absent: docs/design.md §9). Text, not values: an answer that
    writes the same values differently (spacing, escapes, key order) only costs a decode."""
    values = row[1].values
    try:
        text = b",".join([values[f] for f in fields])
    except KeyError:
        return None
    return hashlib.blake2b(text, digest_size=16).hexdigest()


def row_item(row: tuple[msgspec.Raw, _Row]) -> Any:
    """The record as ``json.loads`` of the whole answer holds it."""
    return jsondecode.loads(bytes(row[0]))
