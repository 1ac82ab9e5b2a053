"""Hashes the state keeps: of an object's mapping, and of what a target record holds per field.

* :func:`mapping_digest` — a state is trusted only for the mapping it was made with (issue 15):
  the object's field maps, constants, target object and match key, normalised (field maps in
  source order, keys sorted), so reformatting a mapping file changes nothing.
* :func:`field_digests` — what the engine last wrote to a target record, per field, compared with
  what the target holds when the upsert reads it again (issue 18, edits made in the target).
  Values are compared as a user sees them: option labels (not ids, which differ between reads of
  some CRMs), list items in any order.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from ..model import Option, to_dict

if TYPE_CHECKING:
    from .plan import ObjectPlan

__all__ = ["changed_fields", "field_digests", "mapping_digest"]


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
