"""Attio payloads ⇄ neutral crmbridge objects. Pure: no IO, no HTTP client, no clock.

Public and stable: :func:`decode_record`, :func:`decode_entry`, :func:`decode_attribute`,
:func:`decode_object`, :func:`decode_error` (defined in :mod:`.errors`). The per-type value work is
in :mod:`.values`, chosen by the one table :data:`crmbridge_attio.types.TYPES`.

Rules (docs/reference/attio.md §3 to §5):

* Every value is an array element; only elements with ``active_until: null`` are current. A multi
  field (``is_multiselect``) decodes to a list, a single one to its value or ``None``.
* Nothing is lost: ``Record.raw`` / ``FieldSpec.raw`` / ``ObjectSpec.raw`` keep the payload.
* Writes are ``{"data": {"values": {slug: element | [elements]}}}``; multi fields are always
  arrays (a bare value is a 400 ``validation_type``, withoneai/knowledge#27); ``[]`` clears.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs

from crmbridge import (
    Add,
    Clear,
    FieldError,
    FieldSpec,
    FieldType,
    ObjectSpec,
    Option,
    ProviderError,
    Record,
    Ref,
    Remove,
    User,
    ValidationError,
    ValueVersion,
)

from .errors import ERRORS_BY_CODE, decode_error
from .types import STANDARD_MULTISELECT, TYPES, AttioType, lookup
from .values import BadValue, MatchRef, decode_actor, parse_timestamp

__all__ = [
    "ERRORS_BY_CODE",
    "PARENT",
    "decode_attribute",
    "decode_entry",
    "decode_entry_refs",
    "decode_error",
    "decode_history",
    "decode_member_ids",
    "decode_object",
    "decode_options",
    "decode_record",
    "decode_values",
    "encode_entry",
    "encode_record",
    "encode_value",
    "encode_values",
    "parent_field",
    "unwrap",
    "with_options",
]

PROVIDER = "attio"
#: The neutral field that holds a list entry's parent record (docs/reference/attio.md §4, entries).
PARENT = "parent"

#: Records in standard objects can be referenced by this unique attribute instead of by id: a
#: ``Ref("companies", "acme.com")`` is written as a match on ``domains`` (docs/reference/attio.md §3,
#: record-reference string shorthand).
_REF_MATCH_ATTRIBUTE = {
    "companies": "domains",
    "people": "email_addresses",
    "users": "user_id",
    "workspaces": "workspace_id",
}
_UUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
#: What a non-UUID reference must look like to be a match on that attribute; anything else is
#: a mistyped id, refused here rather than sent as a domain Attio then calls invalid.
_REF_MATCH_SHAPE: Mapping[str, tuple[Callable[[str], bool], str]] = {
    "domains": (lambda v: "." in v and not any(c.isspace() for c in v), "a domain (acme.com)"),
    "email_addresses": (lambda v: "@" in v, "an e-mail address"),
}


def unwrap(payload: Any) -> Any:
    """The payload without Attio's ``{"data": …}`` envelope (single objects and lists alike)."""
    if (type(payload) is dict or isinstance(payload, Mapping)) and len(payload) == 1:
        return payload.get("data", payload)
    return payload


def _mapping(payload: Any, what: str) -> Mapping[str, Any]:
    data = unwrap(payload)
    if not isinstance(data, Mapping):
        raise ProviderError(
            f"Attio returned {type(data).__name__} where {what} was expected",
            provider=PROVIDER,
            raw=payload,
        )
    return data


def _sub(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """``data[key]`` when it is an object (``id``, ``config``…), else an empty mapping."""
    value = data.get(key)
    return value if isinstance(value, Mapping) else {}


def _required_id(ident: Mapping[str, Any], key: str, payload: Any) -> str:
    """Every record and entry Attio returns has its id (``id.record_id`` / ``id.entry_id``); a body
    without one is not a record, and reading it as one would lose the record."""
    value = ident.get(key)
    if not isinstance(value, str) or not value:
        raise ProviderError(
            f"Attio returned a body without id.{key} where a record was expected",
            provider=PROVIDER,
            raw=payload,
        )
    return value


def items(payload: Any, what: str) -> list[Any]:
    """The list in a ``{"data": [...]}`` answer; a :class:`ProviderError` if there is none."""
    data = unwrap(payload)
    if not isinstance(data, list):
        raise ProviderError(
            f"Attio returned {type(data).__name__} where a list of {what} was expected",
            provider=PROVIDER,
            raw=payload,
        )
    return data


# --- schema ------------------------------------------------------------------------------------


def decode_object(payload: Any) -> ObjectSpec:
    """An object (``GET /v2/objects``, objects_list.yaml) or a list (``GET /v2/lists``,
    lists_list.yaml) as an :class:`ObjectSpec` of kind ``object`` / ``list``."""
    data = _mapping(payload, "an object or a list")
    ident = _sub(data, "id")
    slug = data.get("api_slug")
    if not isinstance(slug, str) or not slug:
        raise ProviderError(
            "Attio returned an object without api_slug", provider=PROVIDER, raw=data
        )
    if "list_id" in ident:
        return ObjectSpec(slug, str(data.get("name") or slug), ident["list_id"], "list", raw=data)
    label = data.get("plural_noun") or data.get("singular_noun") or slug
    return ObjectSpec(slug, str(label), ident.get("object_id"), "object", raw=data)


def attio_type(spec: FieldSpec) -> str | None:
    """The Attio type of a field, from the attribute payload it was decoded from."""
    raw = spec.raw
    if type(raw) is dict or isinstance(raw, Mapping):  # dict first: this runs for every value
        return raw.get("type")
    return None


def row_of(spec: FieldSpec) -> AttioType:
    """The :data:`~crmbridge_attio.types.TYPES` row of ``spec``."""
    return lookup(attio_type(spec))


def decode_attribute(payload: Any, *, object_slugs: Mapping[str, str] | None = None) -> FieldSpec:
    """An attribute definition (attributes_list_people.yaml) as a :class:`FieldSpec`.

    ``writable`` is false for system/enriched attributes (``is_writable: false``), archived ones and
    types Attio never accepts writes for (interaction, unknown). ``target_objects`` are slugs when
    ``object_slugs`` (object id → slug) is given; Attio's config holds object ids."""
    data = _mapping(payload, "an attribute")
    slug = data.get("api_slug")
    if not isinstance(slug, str) or not slug:
        raise ProviderError(
            "Attio returned an attribute without api_slug", provider=PROVIDER, raw=data
        )
    row = lookup(data.get("type"))
    ident = _sub(data, "id")
    config = _sub(data, "config")
    reference = config.get("record_reference") or {}
    targets = [(object_slugs or {}).get(t, t) for t in (reference.get("allowed_object_ids") or ())]
    return FieldSpec(
        slug=slug,
        label=str(data.get("title") or slug),
        type=row.neutral,
        multi=bool(data.get("is_multiselect")),
        unique=bool(data.get("is_unique")),
        required=bool(data.get("is_required")),
        writable=bool(data.get("is_writable", True))
        and row.writable
        and not data.get("is_archived"),
        target_objects=targets,
        provider_id=ident.get("attribute_id"),
        currency=(config.get("currency") or {}).get("default_currency_code") or None,
        raw=data,
    )


def decode_options(payload: Any) -> tuple[Option, ...]:
    """Select options (``…/options``) or statuses (``…/statuses``,
    statuses_list_deals_stage.yaml) as :class:`Option`\\ s; archived ones are left out."""
    out = []
    for item in items(payload, "options"):
        if not isinstance(item, Mapping) or item.get("is_archived"):
            continue
        ident = _sub(item, "id")
        option_id = ident.get("option_id") or ident.get("status_id")
        out.append(Option(label=str(item.get("title", "")), id=option_id))
    return tuple(out)


def with_options(spec: FieldSpec, options: Sequence[Option]) -> FieldSpec:
    """``spec`` with its select options / statuses filled in."""
    fields: dict[str, Any] = {a.name: getattr(spec, a.name) for a in attrs.fields(FieldSpec)}
    fields["options"] = tuple(options)
    return FieldSpec(**fields)


def parent_field(list_spec: ObjectSpec) -> FieldSpec:
    """The synthetic ``parent`` field of a list's entries: a reference to the parent record.

    It is ``unique`` because it is what Attio matches entries on when asserting (docs/reference/attio.md
    §4, "Entry assert by parent"), though a list may hold several entries per parent."""
    raw = list_spec.raw if isinstance(list_spec.raw, Mapping) else {}
    parents = raw.get("parent_object") or ()
    # Any: FieldSpec's bare `converter=tuple` types the argument as an unsolvable Iterable[_T_co].
    targets: Any = (parents,) if isinstance(parents, str) else tuple(str(p) for p in parents)
    return FieldSpec(
        slug=PARENT,
        label="Parent record",
        type=FieldType.reference,
        unique=True,  # the key Attio asserts entries by (PUT /v2/lists/{list}/entries)
        required=True,
        target_objects=targets,
        raw={"type": "record-reference", "api_slug": PARENT, "crmbridge_synthetic": True},
    )


# --- records -----------------------------------------------------------------------------------


def _type_row(spec: FieldSpec | None) -> AttioType | None:
    """The row of ``spec``'s own Attio type, if it has a known one. It wins over each element's
    ``attribute_type``: the status docs page shows status values labelled "select" (docs/reference/attio.md §1 gap 7); the element's label serves schema-less reads."""
    known = attio_type(spec) if spec is not None else None
    return TYPES.get(known) if type(known) is str else None


def _decode_elements(elements: Iterable[Any], spec: FieldSpec | None) -> list[Any]:
    row = _type_row(spec)
    out = []
    for element in elements:
        if type(element) is dict or isinstance(element, Mapping):
            value = (row or lookup(element.get("attribute_type"))).decode(element, spec)
            if value is not None:
                out.append(value)
    return out


_NO_FIELDS: Mapping[str, FieldSpec] = {}


def decode_values(values: Any, fields: Mapping[str, FieldSpec] | None = None) -> dict[str, Any]:
    """A ``values`` / ``entry_values`` map as neutral fields.

    Only active elements count (``active_until`` null). Multi-ness comes from ``fields`` when given;
    without a schema, the standard multiselect attributes and any attribute holding several active
    values are lists (so a decode never guesses a list into a scalar and loses values). This runs
    for every record of every page: plain ``dict``/``list`` payloads skip the ABC checks."""
    if type(values) is not dict and not isinstance(values, Mapping):
        return {}
    schema = fields or _NO_FIELDS
    out: dict[str, Any] = {}
    for slug, elements in values.items():
        if type(elements) is not list:
            elements = [] if elements is None else [elements]
        active = [
            e
            for e in elements
            if (type(e) is dict or isinstance(e, Mapping)) and e.get("active_until") is None
        ]
        spec = schema.get(slug)
        decoded = _decode_elements(active, spec) if active else []
        multi = (
            spec.multi if spec is not None else (slug in STANDARD_MULTISELECT or len(decoded) > 1)
        )
        out[slug] = decoded if multi else (decoded[0] if decoded else None)
    return out


def decode_record(
    payload: Any, *, object: str | None = None, fields: Mapping[str, FieldSpec] | None = None
) -> Record:
    """A record (people_query_rbeene.json, companies_query.yaml), with or without ``{"data"}``.

    ``object`` names the object's slug (the payload only has its id); ``fields`` the schema, for
    multi-ness and option lookups. An attribute of ``fields`` that ``values`` does not hold is
    ``absent`` (not empty: Attio answers an empty attribute as ``[]``), so it is never taken for a
    cleared value (docs/design.md §9)."""
    data = _mapping(payload, "a record")
    ident = _sub(data, "id")
    values = decode_values(data.get("values"), fields)
    return Record(
        object=object or str(ident.get("object_id") or ""),
        id=_required_id(ident, "record_id", payload),
        fields=values,
        created_at=parse_timestamp(data.get("created_at")),
        url=data.get("web_url"),
        raw=payload,
        absent=frozenset(k for k in fields if k not in values) if fields else frozenset(),
    )


def decode_entry(
    payload: Any, *, list: str | None = None, fields: Mapping[str, FieldSpec] | None = None
) -> Record:
    """A list entry as a record: ``entry_values`` as fields and the parent record as a
    :class:`Ref` in the ``parent`` field (docs/reference/attio.md §4, entry object)."""
    data = _mapping(payload, "a list entry")
    ident = _sub(data, "id")
    fields_out = decode_values(data.get("entry_values"), fields)
    parent_object, parent_id = data.get("parent_object"), data.get("parent_record_id")
    fields_out[PARENT] = Ref(str(parent_object), parent_id) if parent_object and parent_id else None
    return Record(
        object=list or str(ident.get("list_id") or ""),
        id=_required_id(ident, "entry_id", payload),
        fields=fields_out,
        created_at=parse_timestamp(data.get("created_at")),
        raw=payload,
    )


def decode_history(payload: Any, field: FieldSpec | None = None) -> list[ValueVersion]:
    """``…/attributes/{attribute}/values?show_historic=true``: every version, oldest first, with
    when it was active and who set it (documented_examples.json historic_value_actor_reference)."""
    out = []
    for element in items(payload, "attribute values"):
        if not isinstance(element, Mapping):
            continue
        decoded = _decode_elements([element], field)
        actor = element.get("created_by_actor")
        out.append(
            ValueVersion(
                value=decoded[0] if decoded else None,
                active_from=parse_timestamp(element.get("active_from")),
                active_until=parse_timestamp(element.get("active_until")),
                actor=decode_actor(actor),
            )
        )
    return out


def decode_entry_refs(payload: Any) -> list[Ref]:
    """``GET …/records/{id}/entries``: the record's list entries as ``Ref(list slug, entry id)``."""
    out = []
    for item in items(payload, "entries"):
        if isinstance(item, Mapping) and item.get("entry_id"):
            out.append(Ref(str(item.get("list_api_slug") or item.get("list_id")), item["entry_id"]))
    return out


def decode_member_ids(payload: Any) -> dict[str, str]:
    """``GET /v2/workspace_members`` (official OpenAPI spec, ``workspace-member``): each member's
    e-mail address, case-folded, → its ``workspace_member_id``."""
    out = {}
    for item in items(payload, "workspace members"):
        if isinstance(item, Mapping):
            email, member = item.get("email_address"), _sub(item, "id").get("workspace_member_id")
            if isinstance(email, str) and isinstance(member, str):
                out[email.casefold()] = member
    return out


def record_id(payload: Any) -> str | None:
    """A record's ``id.record_id`` (``None`` when the payload has none)."""
    if not isinstance(payload, Mapping):
        return None
    rid = _sub(payload, "id").get("record_id")
    return rid if isinstance(rid, str) else None


def decode_members(payload: Any) -> list[User]:
    """``GET /v2/workspace_members`` (official OpenAPI spec, ``workspace-member``) as users: the
    member id, e-mail address and name, kind ``workspace-member`` (the actor type records use)."""
    out = []
    for item in items(payload, "workspace members"):
        if isinstance(item, Mapping):
            member = _sub(item, "id").get("workspace_member_id")
            email = item.get("email_address")
            name = " ".join(
                str(item[k]) for k in ("first_name", "last_name") if isinstance(item.get(k), str)
            )
            out.append(
                User(
                    id=member if isinstance(member, str) else None,
                    email=email if isinstance(email, str) else None,
                    name=name or None,
                    kind="workspace-member",
                )
            )
    return out


# --- writes ------------------------------------------------------------------------------------


def encode_value(spec: FieldSpec, value: Any) -> Any:
    """One neutral value → one Attio write element for ``spec``; raises
    :class:`~crmbridge_attio.values.BadValue` naming what the type expects."""
    return _encode_element(row_of(spec), spec, value)


def _encode_element(row: AttioType, spec: FieldSpec, value: Any) -> Any:
    if row.encode is None:
        raise BadValue(f"nothing: Attio {row.name!r} attributes are not writable")
    if row.name == "record-reference" and isinstance(value, Ref) and not _UUID.match(value.id):
        attribute = _REF_MATCH_ATTRIBUTE.get(value.object)
        if attribute is None:
            raise BadValue(f"a record id (UUID) for {value.object!r}")
        shape = _REF_MATCH_SHAPE.get(attribute)
        if shape is not None and not shape[0](value.id):
            raise BadValue(f"a record id (UUID) or {shape[1]} for {value.object!r}")
        value = MatchRef(value.object, attribute, value.id)
    if row.name == "location" and isinstance(value, str):
        # Attio parses a one-line address (docs/reference/attio.md §3, location)
        return value.strip()
    return row.encode(value, spec)


#: Hoisted: ``isinstance(x, A | B)`` builds the union on every call (this runs per value).
_SEQUENCES = (list, tuple)


def encode_values(fields: Mapping[str, FieldSpec], values: Mapping[str, Any]) -> dict[str, Any]:
    """Neutral values → Attio's ``values`` map. Raises one :class:`ValidationError` listing every
    field that is unknown, not writable (system, enriched, interaction) or holds a value its type
    cannot take — before any request.

    Plain values and lists are written as given; ``add(...)`` as its values (the provider sends
    them with PATCH, which appends); ``clear()`` and ``None`` as ``[]``. ``remove(...)`` has no
    write form in Attio: the provider turns it into the remaining list first."""
    errors: list[FieldError] = []
    out: dict[str, Any] = {}
    for slug, value in values.items():
        spec = fields.get(slug)
        if spec is None:
            errors.append(FieldError(slug, "unknown attribute", value, code="unknown_field"))
            continue
        row = row_of(spec)
        if not spec.writable or not row.writable:
            errors.append(
                FieldError(
                    slug,
                    "attribute is not writable (system, enriched or interaction)",
                    value,
                    code="not_writable",
                )
            )
            continue
        if isinstance(value, Remove):
            errors.append(
                FieldError(
                    slug,
                    "remove() must be resolved to the remaining values",
                    value,
                    code="unresolved_remove",
                )
            )
            continue
        if value is None or isinstance(value, Clear):
            out[slug] = []
            continue
        items: Sequence[Any]
        if isinstance(value, _SEQUENCES):
            items = value
        elif isinstance(value, Add):
            items = value.values
        else:
            items = (value,)
        if not spec.multi and len(items) > 1:
            errors.append(
                FieldError(
                    slug, "a single-value attribute takes one value", value, expected="one value"
                )
            )
            continue
        encoded = []
        for item in items:
            try:
                encoded.append(_encode_element(row, spec, item))
            except BadValue as bad:
                errors.append(FieldError(slug, "invalid value", item, expected=bad.expected))
        if spec.multi:
            out[slug] = encoded
        elif encoded:
            out[slug] = encoded[0]
    if errors:
        raise ValidationError(
            "cannot write these values to Attio", field_errors=errors, provider=PROVIDER
        )
    return out


def encode_record(fields: Mapping[str, FieldSpec], values: Mapping[str, Any]) -> dict[str, Any]:
    """The body of record create/update/assert: ``{"data": {"values": {...}}}``."""
    return {"data": {"values": encode_values(fields, values)}}


def encode_entry(
    fields: Mapping[str, FieldSpec], values: Mapping[str, Any], *, with_parent: bool
) -> dict[str, Any]:
    """The body of entry writes: ``{"data": {"entry_values": {...}}}`` plus, on create and
    assert, ``parent_record_id`` / ``parent_object`` from the ``parent`` :class:`Ref`."""
    rest = {k: v for k, v in values.items() if k != PARENT}
    data: dict[str, Any] = {"entry_values": encode_values(fields, rest)}
    parent = values.get(PARENT)
    if with_parent:
        if not isinstance(parent, Ref):
            raise ValidationError(
                "a list entry needs its parent record",
                field_errors=[
                    FieldError(
                        PARENT, "missing or not a Ref", parent, expected="Ref(object, record id)"
                    )
                ],
                provider=PROVIDER,
            )
        data = {"parent_record_id": parent.id, "parent_object": parent.object, **data}
    elif PARENT in values:
        raise ValidationError(
            "the parent of a list entry cannot change once created (Attio immutable_value)",
            field_errors=[FieldError(PARENT, "immutable", parent)],
            provider=PROVIDER,
        )
    return {"data": data}
