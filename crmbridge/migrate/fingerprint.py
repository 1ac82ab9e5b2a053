"""Hashes the state keeps: of an object's mapping, and of what a target record holds per field.

* :func:`mapping_digest` — a state is trusted only for the mapping it was made with (issue 15):
  the object's field maps, constants, target object and match key, normalised (field maps in
  source order, keys sorted), so reformatting a mapping file changes nothing.
* :func:`source_context` and :func:`source_digester` — what an unchanged source record is
  recognised by before it is decoded (issue 24, docs/decisions.md "rerun"): the digest of its
  raw read fields as its page answered them, bound to everything else its transform depends on.
* :func:`field_digests` — what the engine last wrote to a target record, per field, compared with
  what the target holds when the upsert reads it again (issue 18, edits made in the target).
  Values are compared as a user sees them: option labels (not ids, which differ between reads of
  some CRMs), list items in any order.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from ..model import Option, to_dict

if TYPE_CHECKING:
    from .plan import ObjectPlan

__all__ = [
    "changed_fields",
    "field_digests",
    "mapping_digest",
    "source_context",
    "source_digester",
]


def _sha(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def mapping_digest(plan: ObjectPlan) -> str:
    """The hash of one object's mapping as the engine runs it."""
    fields = sorted(
        (attrs.asdict(f) for f in plan.map.fields), key=lambda f: (f["source"], f["to"])
    )
    return _sha(
        {
            "source": plan.map.source,
            "target": plan.map.target,
            "match": plan.match,
            "fields": fields,
            "constants": {k: to_dict(v) for k, v in plan.constants.items()},
            "emulate": plan.map.emulate,
            "merge_duplicates": plan.map.merge_duplicates,
        }
    )


def source_context(plan: ObjectPlan, retargeted: Mapping[str, int]) -> str | None:
    """What a record's transform depends on besides its own source values, hashed: the object's
    mapping (:func:`mapping_digest`), the source fields it reads as the source schema describes
    them (their decoding depends on it: multi-ness, options), the target fields it writes, how
    each value converts (the users paired, crmbridge/migrate/users.py), the objects its
    references go to, and how many times a migrated record of each source object was written
    to another target record or forgotten (``retargeted``, :meth:`~crmbridge.migrate.state.
    StateStore.retargeted`: a reference resolved through the id map then resolves to another
    id). ``None`` when a field has a custom transform: a Python function can change between
    runs with nothing here changing, so its records are always transformed."""
    if any(fp.map.function is not None for fp in plan.fields):
        return None
    fields = []
    for fp in sorted(plan.fields, key=lambda fp: (fp.map.source, fp.map.to)):
        convert = fp.convert
        owner = getattr(convert, "__self__", None)  # a bound method: UserPairs.target_of
        fields.append(
            (
                repr(fp.source),
                [repr(t) for t in fp.targets],
                getattr(convert, "__qualname__", type(convert).__qualname__),
                repr(owner) if owner is not None else None,
            )
        )
    return _sha(
        {
            "mapping": mapping_digest(plan),
            "fields": fields,
            "objects": sorted(plan.object_map.items()),
            "retargeted": sorted(retargeted.items()),
        }
    )


def source_digester(context: str) -> Callable[[str], str]:
    """The digest kept beside a record's content hash, for the records of one ``context``
    (:func:`source_context`; a page's records share it): a function of a record's raw read
    fields' digest (:meth:`crmbridge.raw_rows.RawRows.digest`). The context's part of the hash
    is computed once and copied per record (~0.5 µs per record less than hashing it each time)."""
    prefix = hashlib.sha256(f"{context}:".encode())

    def digest(raw: str) -> str:
        hasher = prefix.copy()
        hasher.update(raw.encode())
        return hasher.hexdigest()[:32]

    return digest


def _plain(value: Any) -> Any:
    if isinstance(value, Option):
        return value.label
    if isinstance(value, list | tuple):
        items = [_plain(v) for v in value]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True, default=str))
    if isinstance(value, str):
        return value
    plain = to_dict(value)
    if isinstance(plain, dict) and "label" in plain:  # an option-like value: its label
        return {k: v for k, v in plain.items() if k != "id"}
    return plain


def field_digests(fields: Mapping[str, Any], slugs: Iterable[str]) -> dict[str, str]:
    """A short digest of each field of ``slugs`` in ``fields`` (a record's values)."""
    return {slug: _sha(_plain(fields.get(slug)))[:16] for slug in sorted(slugs)}


def changed_fields(before: Mapping[str, str], now: Mapping[str, str]) -> list[str]:
    """The fields whose digest differs (a field written before and not now counts too)."""
    return sorted(slug for slug in before if now.get(slug) != before[slug])
