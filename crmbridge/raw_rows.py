"""A page's records as the CRM answered them, each decoded when first used (issue 24).

Decoding a verbose answer into neutral values is most of what a migration's re-run costs over
unchanged data (docs/benchmarks.md, "Engine memory and re-run": ~154 µs of client CPU per
record, most of it decoding Attio's record JSON and transforming it). A provider that can name a
row's id and digest the raw values of some fields without decoding answers a query made with
``Query(lazy=True)`` with :class:`RawRows` instead of a list of records: the migration engine then
recognises an unchanged record from :meth:`RawRows.digest` (crmbridge/migrate/fingerprint.py) and
decodes only the others. Used as a sequence, :class:`RawRows` is the list of records it stands for.
"""

from __future__ import annotations

import hashlib
import marshal
from collections.abc import Callable, Iterable, Sequence
from typing import Any, overload

from .model import Record

__all__ = ["RawRows", "digest_values"]


def digest_values(values: Iterable[Any]) -> str:
    """A digest of raw (JSON-decoded) values, in order: their :mod:`marshal` serialisation, hashed
    (https://docs.python.org/3/library/hashlib.html#blake2).

    Why marshal, format version 2: it writes every ``dict``, ``list``, ``str``, ``int``,
    ``float``, ``bool`` and ``None`` exactly, each with its type (``1``, ``1.0`` and ``True``
    differ; a float is its 8 bytes, so ``NaN`` is not ``None`` and no digit is rounded away;
    integers of any size), dicts in their order, in C, in one pass. Version 2 writes no
    back-references (they came with version 3, Python/marshal.c ``w_ref``) and no "interned"
    flag (version 3 too), so the bytes depend only on the values, never on which objects happen
    to be shared, and a decodable format cannot give two different values the same bytes. It
    was ``repr``: the same exactness, ~2x the time (5 vs 11 µs per Attio record of the demo
    mapping's 5 read fields, docs/benchmarks.md "Re-run, third pass"). A state written with
    the ``repr`` digests recognises no record on its next run (each is compared by its content
    hash instead, and its new digest kept): one slower run."""
    return hashlib.blake2b(marshal.dumps(tuple(values), 2), digest_size=16).hexdigest()


class RawRows(Sequence[Record]):
    """Raw rows, decoded by ``decode`` on first access (each kept once decoded). ``ident`` names
    a row's record id; ``digest(row, fields)`` the digest of the raw values of ``fields``
    (sorted), or ``None`` when the row lacks one of them (it would decode as absent)."""

    def __init__(
        self,
        rows: Sequence[Any],
        decode: Callable[[Any], Record],
        ident: Callable[[Any], str | None],
        digest: Callable[[Any, Sequence[str]], str | None],
    ) -> None:
        self.rows = rows
        self._decode = decode
        self._ident = ident
        self._digest = digest
        self._decoded: list[Record | None] = [None] * len(rows)

    def __len__(self) -> int:
        return len(self.rows)

    @overload
    def __getitem__(self, index: int) -> Record: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Record]: ...

    def __getitem__(self, index: int | slice) -> Record | Sequence[Record]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self.rows)))]
        found = self._decoded[index]
        if found is None:
            found = self._decoded[index] = self._decode(self.rows[index])
        return found

    def id(self, index: int) -> str | None:
        """Row ``index``'s record id, without decoding it."""
        return self._ident(self.rows[index])

    def digest(self, index: int, fields: Sequence[str]) -> str | None:
        """The digest of row ``index``'s raw values of ``fields`` (in that order), without
        decoding it; ``None`` if it lacks one."""
        return self._digest(self.rows[index], fields)
