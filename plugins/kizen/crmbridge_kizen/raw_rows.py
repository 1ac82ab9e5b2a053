"""A search page's rows, undecoded, for the migration engine's re-runs (issue 24,
crmbridge/raw_rows.py, docs/decisions.md "rerun").

The engine recognises a record whose source is unchanged from a digest of the raw values of the
fields its mapping reads, and decodes only the others. A Kizen search row
(``POST /api/records/{object}/search``, docs/reference/kizen.md §8; recording
``search_records.json``) is ``{"id", "fields": [{"id", "name", "field_type", "value"}, …]}``: a
field is found by its ``name`` (its api_name, the slug), and Kizen leaves a blank field out.

What decides the digest is what decides the decoded record (:func:`crmbridge_kizen.codec.
decode_record`): the whole entry of each read field as answered (its value, and its type, which
picks the value's decoder), or the fact that it was left out — a blank, except for a hidden
field, which a search row leaves out whatever its value (it *decodes as absent*: then there is no
digest and the row is decoded). A row whose read field is summarised (``value_summary``: more
than 100 related records, read from another endpoint), or whose entries do not all carry a
name, has no digest either: it is decoded, as before.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from crmbridge.plugin import digest_values

__all__ = ["row_digest", "row_id"]


def row_id(row: Any) -> str | None:
    """A search row's record id, undecoded."""
    found = row.get("id") if type(row) is dict else None
    return found if isinstance(found, str) else None


def row_digest(row: Any, fields: Sequence[str], hidden: frozenset[str]) -> str | None:
    """The digest of the entries of ``fields`` in a search row, ``None`` for a blank one;
    ``None`` when the row decodes otherwise than from those (see the module)."""
    entries = row.get("fields") if type(row) is dict else None
    if type(entries) is dict:
        entries = list(entries.values())
    if type(entries) is not list:
        return None
    named: dict[str, Mapping[str, Any]] = {}
    for entry in entries:
        name = entry.get("name") if type(entry) is dict else None
        if type(name) is not str:
            return None
        named[name] = entry
    wanted = []
    for slug in fields:
        entry = named.get(slug)
        if entry is None:
            if slug in hidden:
                return None
        elif "value" not in entry:
            return None  # summarised: read from the field-values endpoint when decoded
        wanted.append(entry)
    return digest_values(wanted)
