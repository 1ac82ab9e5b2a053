"""The Kizen codec: payload dicts ⇄ neutral objects. Pure: no HTTP, no state.

Public and stable: :func:`decode_record`, :func:`decode_field`, :func:`decode_object`,
:func:`decode_error`, :func:`encode_fields`. Per-type rules come from the one table in
:mod:`crmbridge_kizen.types`; value decoders live in :mod:`~crmbridge_kizen.reads`, encoders in
:mod:`~crmbridge_kizen.writes`, error mapping in :mod:`~crmbridge_kizen.errors` and the noop check in
:mod:`~crmbridge_kizen.noop`; this module reads schemas and records and re-exports the rest.

Reads (docs/reference/kizen.md §4 "Response record shape", recording ``get_tax_lot.json``): a record's
``fields`` is a map keyed by field UUID whose entries carry ``name`` (the api_name), ``field_type``
and ``value``; the neutral record is keyed by api_name. Blank fields are omitted by the API
(docs/reference/kizen.md §1.1 custom-fields page); given the schema, :func:`decode_record` fills them in as
``None`` or ``[]``.

Writes (docs/reference/kizen.md §5 ``FieldRequest``): ``{"fields": [{"name"|"id": ..., "value"|"add_values"|
"remove_values": ...}]}``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from crmbridge import FieldSpec, FieldType, ObjectSpec, Option, ProviderError, Record
from crmbridge.paging import next_link

from .errors import PROVIDER, decode_error
from .errors import bad_payload as _bad_payload
from .noop import would_change
from .options import is_stage_payload
from .reads import decode_user, decode_value
from .types import (
    DEFAULT_MATCH_KEY,
    MATCH_KEYS,
    READ_ONLY_FIELD_NAMES,
    SERVER_DEFAULTED_FIELD_NAMES,
    TO_MANY_RELATIONS,
    Write,
    field_type_of,
    kizen_type,
)
from .writes import FieldKey, archive_policy, encode_fields, encode_value

__all__ = [
    "PROVIDER",
    "FieldKey",
    "archive_policy",
    "decode_error",
    "decode_field",
    "decode_object",
    "decode_page",
    "decode_record",
    "decode_user",
    "decode_value",
    "encode_fields",
    "encode_value",
    "field_type_of",
    "hidden_slugs",
    "match_key_for",
    "merge_field_values",
    "page_count",
    "summarised_fields",
    "would_change",
]


def match_key_for(object: str) -> str:
    """The field Kizen matches upserts on: ``email`` for contacts, ``name`` otherwise
    (docs/reference/kizen.md §6, not configurable)."""
    return MATCH_KEYS.get(object, DEFAULT_MATCH_KEY)


# --- schema -----------------------------------------------------------------------------------


def decode_object(payload: Mapping[str, Any]) -> ObjectSpec:
    """An object from ``GET /api/custom-objects`` (or ``/api/client/custom-object`` for contacts).

    The api_name is ``name`` in the API (docs/reference/kizen.md §3) and ``api_name`` in tool-level
    captures (recording ``patients.excerpt.json``); the label is ``object_name``/``display_name``.
    """
    slug = payload.get("name") or payload.get("api_name")
    if not isinstance(slug, str) or not slug:
        raise _bad_payload("an object without an api_name", payload)
    label = (
        payload.get("object_name")
        or payload.get("display_name")
        or payload.get("entity_name")
        or slug
    )
    oid = payload.get("id")
    return ObjectSpec(slug=slug, label=str(label), provider_id=str(oid) if oid else None,
                      raw=dict(payload))  # fmt: skip


def _is_to_many(payload: Mapping[str, Any]) -> bool:
    relation = payload.get("relation") or {}
    if not isinstance(relation, Mapping):
        return False
    kinds = {relation.get("relation_type"), relation.get("cardinality")}
    cardinality = payload.get("relation_cardinality")
    if cardinality:
        kinds.add(cardinality)
    return bool(kinds & TO_MANY_RELATIONS)


def decode_field(payload: Mapping[str, Any], object: str | None = None) -> FieldSpec:
    """A field from ``GET /api/custom-objects/{id}/fields`` (docs/reference/kizen.md §3: ``name`` is the
    api_name; ``api_name`` in the tool-level recording ``patients.excerpt.json``).

    ``multi`` comes from the type table, and for relationships from ``relation.relation_type`` /
    ``cardinality`` (§5). The match key (``name``, or ``email`` on contacts) is ``unique`` (§6).
    ``required`` leaves out what Kizen fills in itself (``owner``, see
    :data:`~crmbridge_kizen.types.SERVER_DEFAULTED_FIELD_NAMES`). ``writable`` is false for
    read-only fields, the stage (moved, not written) and the system fields of
    :data:`~crmbridge_kizen.types.READ_ONLY_FIELD_NAMES`.
    """
    slug = payload.get("name") or payload.get("api_name")
    if not isinstance(slug, str) or not slug:
        raise _bad_payload("a field without an api_name", payload)
    row = kizen_type(payload.get("field_type"))
    # The pipeline stage: a status, written by moving the record (the provider sends
    # PATCH …/move).
    stage = is_stage_payload(slug, payload)
    multi = _is_to_many(payload) if row.multi is None else row.multi
    options: list[Option] = [
        Option(label=str(o.get("name") or o.get("code") or o.get("id")), id=o.get("id"))
        for o in payload.get("options") or ()
        if isinstance(o, Mapping)
    ]
    relation = payload.get("relation")
    targets: list[str] = []
    if isinstance(relation, Mapping) and relation.get("related_object_object_name"):
        targets.append(str(relation["related_object_object_name"]))
    writable = stage or not (
        payload.get("is_read_only") or row.write is Write.READ_ONLY or slug in READ_ONLY_FIELD_NAMES
    )
    return FieldSpec(
        slug=slug,
        label=str(payload.get("display_name") or slug),
        type=FieldType.status if stage else row.neutral,
        multi=multi,
        unique=slug == match_key_for(object or ""),
        required=bool(payload.get("is_required")) and slug not in SERVER_DEFAULTED_FIELD_NAMES,
        writable=writable,
        options=options,
        target_objects=targets,
        provider_id=str(payload["id"]) if payload.get("id") else None,
        currency=_money_currency(payload),
        raw=dict(payload),
    )


def _money_currency(payload: Mapping[str, Any]) -> str | None:
    """A money field's currency, ``money_options.currency`` (docs/reference/kizen.md §5)."""
    opts = payload.get("money_options")
    if isinstance(opts, Mapping) and isinstance(opts.get("currency"), str):
        return str(opts["currency"])
    return None


def _entries(payload: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    fields = payload.get("fields")
    if fields is None:
        return []
    if type(fields) is dict or isinstance(fields, Mapping):
        items: Iterable[Any] = fields.values()
    elif isinstance(fields, list):  # app-engine: "may be an array or map in some surfaces"
        items = fields
    else:
        raise _bad_payload("a record's fields", fields)
    out = list(items)
    for entry in out:
        if type(entry) is not dict and not isinstance(entry, Mapping):  # dict: the fast path
            raise _bad_payload("a field entry", entry)
    return out


def summarised_fields(payload: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(field_id, api_name)`` of every relationship read as ``value_summary`` instead of
    ``value`` (more than 100 related records, docs/reference/kizen.md §1.1 custom-fields page, §4 field values):
    the provider fetches them from ``GET /api/records/{id}/field-values/{field_id}``."""
    fields = payload.get("fields")
    entries = fields.values() if type(fields) is dict else _entries(payload)
    return [
        (str(e.get("id")), str(e.get("name")))
        for e in entries
        if (type(e) is dict or isinstance(e, Mapping)) and "value_summary" in e and "value" not in e
    ]


def merge_field_values(
    payload: Mapping[str, Any], field_id: str, items: Sequence[Any]
) -> dict[str, Any]:
    """A copy of ``payload`` whose summarised field ``field_id`` carries ``value: items`` (the
    pages of ``GET /api/records/{id}/field-values/{field_id}``); ``value_summary`` is kept."""
    out = dict(payload)
    fields = payload.get("fields")
    if isinstance(fields, Mapping):
        new = dict(fields)
        for key, entry in fields.items():
            if isinstance(entry, Mapping) and str(entry.get("id")) == field_id:
                new[key] = {**entry, "value": list(items)}
        out["fields"] = new
    elif isinstance(fields, list):
        out["fields"] = [
            {**e, "value": list(items)}
            if isinstance(e, Mapping) and str(e.get("id")) == field_id
            else e
            for e in fields
        ]
    return out


_BLANKS: dict[
    int, tuple[Mapping[str, FieldSpec], dict[str, None], tuple[str, ...], frozenset[str]]
] = {}


def _blanks(
    fields: Mapping[str, FieldSpec],
) -> tuple[dict[str, None], tuple[str, ...], frozenset[str]]:
    """Every field of a schema as ``None`` (a template each row copies), the multi fields' slugs
    (which read ``[]`` when blank) and the hidden fields' slugs, computed once per schema mapping
    — every row of a search page shares it — for filling in the fields Kizen omits because they
    are blank."""
    cached = _BLANKS.get(id(fields))
    if cached is not None and cached[0] is fields:
        return cached[1], cached[2], cached[3]
    template = dict.fromkeys(fields)
    multi = tuple(slug for slug, spec in fields.items() if spec.multi)
    hidden = frozenset(
        slug
        for slug, spec in fields.items()
        if isinstance(spec.raw, Mapping) and spec.raw.get("is_hidden")
    )
    if len(_BLANKS) > 64:
        _BLANKS.clear()
    _BLANKS[id(fields)] = (fields, template, multi, hidden)
    return template, multi, hidden


def hidden_slugs(fields: Mapping[str, FieldSpec]) -> frozenset[str]:
    """The slugs of a schema's hidden fields: left out of a search row whatever their value."""
    return _blanks(fields)[2]


def decode_record(
    payload: Mapping[str, Any],
    object: str | None = None,
    *,
    fields: Mapping[str, FieldSpec] | None = None,
    hidden: bool = False,
    partial: bool = False,
) -> Record:
    """A record as Kizen returns it from GET, PATCH, add, upsert and each search row (docs/reference/kizen.md §4, recording ``get_tax_lot.json``), keyed by api_name.

    With ``fields`` (the object's schema by slug), fields the API omitted because they are blank
    become ``None`` or ``[]``, option ids resolve against the schema and references know their
    target object. Absent is not empty (``Record.absent``): an omitted hidden field is blank only
    when the request asked for hidden fields (``hidden``: ``include_hidden_fields=true`` on a
    GET; search has no such parameter), and in a ``partial`` answer (a PATCH without
    ``return_all_fields``, which answers only the fields written) every omitted field is absent
    (docs/reference/kizen.md §4). A summarised relationship that was not expanded
    (:func:`merge_field_values`) is absent rather than guessed. ``raw`` keeps the payload.

    This runs for every row of every page, so it is written for speed: blanks come from a
    per-schema template, and plain ``dict`` payloads skip the ABC checks.
    """
    if (type(payload) is not dict and not isinstance(payload, Mapping)) or type(
        payload.get("id")
    ) is not str:
        raise _bad_payload("a record without an id", payload)
    by_id: dict[str | None, FieldSpec] | None = None  # built only if a name is not in fields
    hidden_slugs: frozenset[str] = frozenset()
    if fields and not partial:
        template, multi, hidden_slugs = _blanks(fields)
        values: dict[str, Any] = template.copy()
    else:
        values, multi = {}, ()
    given: set[str] | None = set() if hidden_slugs and not hidden else None
    summarised: list[str] = []
    for entry in _entries(payload):
        name = entry.get("name")
        spec = None
        if fields is not None:
            spec = fields.get(name) if type(name) is str else None
            if spec is None:
                if by_id is None:
                    by_id = {f.provider_id: f for f in fields.values() if f.provider_id}
                spec = by_id.get(str(entry.get("id")))
        slug = name or (spec.slug if spec else None) or entry.get("id")
        if type(slug) is not str:
            raise _bad_payload("a field entry without a name", entry)
        if "value" not in entry and "value_summary" in entry:
            summarised.append(slug)
            continue
        field_type = entry.get("field_type") or (field_type_of(spec) if spec else None)
        if given is not None:
            given.add(slug)
        try:
            values[slug] = decode_value(field_type, entry.get("value"), spec)
        except ProviderError as e:
            raise ProviderError(f"field {slug!r}: {e.message}", provider=PROVIDER,
                                raw=dict(payload)) from None  # fmt: skip
    for slug in multi:
        if values[slug] is None:
            values[slug] = []
    absent: set[str] = set(summarised)
    if given is not None:
        absent.update(hidden_slugs - given)
    if partial and fields:
        absent.update(slug for slug in fields if slug not in values)
    for slug in absent:
        values.pop(slug, None)
    created = values.get("created")
    return Record(
        object=object or "",
        id=payload["id"],
        fields=values,
        created_at=created if type(created) is dt.datetime else None,
        raw=dict(payload),
        absent=frozenset(absent),
    )


def decode_page(payload: Any) -> tuple[list[Mapping[str, Any]], str | None]:
    """The rows and the ``next`` link of a paginated answer (``{count, next, previous, results,
    errors}``, docs/reference/kizen.md §8); a bare array (unpaginated lists such as fields, §3) is one page."""
    if isinstance(payload, list):
        return list(payload), None
    if not isinstance(payload, Mapping) or not isinstance(payload.get("results"), list):
        raise _bad_payload("a page", payload)
    return list(payload["results"]), next_link(payload.get("next"), provider="kizen")


def page_count(payload: Any) -> int | None:
    """The ``count`` of a paginated answer (every row of the read, docs/reference/kizen.md §8),
    if any: it bounds pagination (crmbridge.paging)."""
    count = payload.get("count") if isinstance(payload, Mapping) else None
    return count if type(count) is int else None
