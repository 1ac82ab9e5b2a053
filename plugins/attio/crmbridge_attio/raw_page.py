"""A records query's answer kept as JSON text per record and per value, for the migration
engine's undecoded pages (issue 24, crmbridge/raw_rows.py).

Why: a re-run over unchanged records must cost about what reading the source costs, and most of
the client's CPU per unchanged record was building Python objects for Attio's verbose record JSON
(~3.4 KB per record, ~30 attributes each a list of value dicts) that the engine then only
digests and drops (docs/benchmarks.md "Re-run, third pass"). msgspec (https://jcristharif.com/
msgspec/, ``msgspec.Raw``) checks the whole body and keeps each record's id and each value list
of a record as a slice of the body's bytes: an unchanged record is recognised by a digest of the
text of its read fields, with no object built for any value. A changed one is decoded from its
own text by :func:`crmbridge.jsondecode.loads`, exactly the dict ``json.loads`` of the whole body
holds for it (JSON has no context: a value's text decodes alone as it does inside its document);
the records' texts are found by a second pass over the body, made only for a page that has a
record to decode (finding them on every page cost 1.8 µs per record more: 4.8 vs 3.0 µs).

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
  __init__.py), ~1.3 µs per record.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

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
    data: list[_Row]


class _Texts(msgspec.Struct):
    """Each record's own text, for the records wanted decoded."""

    data: list[msgspec.Raw]


_PAGE = msgspec.json.Decoder(_Page)
_TEXTS = msgspec.json.Decoder(_Texts)


class RawPage:
    """A records page: each record's id and value texts (:attr:`rows`); the text of each record
    is found (a second, shallower pass over the body) the first time one of the page's records
    is wanted decoded (a re-run's changed records, a first run's every record)."""

    __slots__ = ("_texts", "content", "rows")

    def __init__(self, content: bytes, rows: list[_Row]) -> None:
        self.content = content
        self.rows = rows
        self._texts: list[msgspec.Raw] | None = None

    def item(self, index: int) -> Any:
        """Record ``index`` as ``json.loads`` of the whole answer holds it: its own text decoded
        (JSON has no context), not the whole body — a page decoded whole by orjson at once
        added ~3.5 MB to a first run's peak RSS (its parse tree and the padded copy of the
        body it parses from, bench/engine_memory.py at 10k: 44 vs 41 MB)."""
        if self._texts is None:
            self._texts = _TEXTS.decode(self.content).data
        return jsondecode.loads(bytes(self._texts[index]))

    def entries(self) -> list[tuple[RawPage, int, _Row]]:
        """The rows for :class:`~crmbridge.raw_rows.RawRows`: ``(page, position, row)``."""
        return [(self, i, row) for i, row in enumerate(self.rows)]


def decode(content: bytes) -> Any:
    """A records query's body: :class:`RawPage`, or what ``json.loads`` gives (module doc)."""
    try:
        content.decode("utf-8", "surrogatepass")
        return RawPage(content, _PAGE.decode(content).data)
    except (msgspec.MsgspecError, UnicodeDecodeError):
        return jsondecode.loads(content)


def row_id(entry: tuple[RawPage, int, _Row]) -> str | None:
    """The record's id (``id.record_id``, people_query_rbeene.json), without decoding it."""
    return entry[2].id.record_id


def row_digest(entry: tuple[RawPage, int, _Row], fields: Sequence[str]) -> str | None:
    """A digest of the text of the record's value lists of ``fields``, in order (each a whole
    JSON value, so joined by commas they cannot run into each other); ``None`` if one is not in
    the answer (it decodes as absent: docs/design.md §9). Text, not values: an answer that
    writes the same values differently (spacing, escapes, key order) only costs a decode."""
    values = entry[2].values
    try:
        text = b",".join([values[f] for f in fields])
    except KeyError:
        return None
    return hashlib.blake2b(text, digest_size=16).hexdigest()


def row_item(entry: tuple[RawPage, int, _Row]) -> Any:
    """The record as ``json.loads`` of the whole answer holds it."""
    return entry[0].item(entry[1])
