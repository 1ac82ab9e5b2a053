"""Upsert in one place: the preconditions, the one "search, then write" path, the conflict
message and the ``on_archived`` default (docs/decisions.md "Upsert in one place").

Every provider's upsert runs :func:`run`. What differs between CRMs stays in the plugin, as hooks
on :class:`~crmbridge.plugin.Provider`:

* ``native_upsert(call, existing)`` — the CRM's own one-request upsert (Attio's assert, Kizen's
  ``/upsert``, SQLite's transaction), used when the match field is one the CRM upserts on;
* ``would_change(call, record)`` — whether writing the values would change the record found, so
  an unchanged record is a ``noop`` with no write at all;
* ``prepare_upsert``, ``find_matches``, ``insert`` — optional: resolve values that need a lookup
  first, find candidates where a query cannot (Attio's list entries), tell ``unarchived`` from
  ``created`` when a create brings an archived record back.

The path: check the match field (:func:`match_field`), let the provider prepare the values,
search for the records holding the match value, then

* several → :class:`~crmbridge.Conflict` (:func:`ambiguous`), unless the CRM upserts natively on a
  key it does not keep unique and picks a record itself (``Capabilities.upsert_match="fixed"``);
* one that ``would_change`` says is unchanged → ``noop``, nothing written;
* otherwise the native upsert, or (``emulate=True``, a match field the CRM cannot upsert on)
  ``update`` of the one found or a create — two requests, not atomic.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, Literal

import attrs

from .errors import Conflict, Unsupported, ValidationError
from .filters import Condition
from .model import FieldSpec, Record, UpsertResult

if TYPE_CHECKING:
    from .provider import ObjectSchema, Plan, Provider

__all__ = [
    "DEFAULT_ON_ARCHIVED",
    "ON_ARCHIVED",
    "Matches",
    "OnArchived",
    "Upsert",
    "ambiguous",
    "check_on_archived",
    "match_field",
    "run",
]

#: What a write does when its unique value belongs to an archived record: fail, bring that record
#: back, or write a new record beside it.
OnArchived = Literal["error", "unarchive", "replace"]
ON_ARCHIVED: Final[tuple[OnArchived, ...]] = ("error", "unarchive", "replace")
#: The upsert default: an archived match comes back (an upsert means "make this record exist").
#: On a CRM without archived records it is simply not sent.
DEFAULT_ON_ARCHIVED: Final[OnArchived] = "unarchive"


@attrs.frozen
class Upsert:
    """One upsert whose preconditions hold: what the provider hooks receive."""

    schema: ObjectSchema
    #: Validated, normalised values (:mod:`crmbridge.validation`), holding the match value.
    values: Mapping[str, Any]
    match: FieldSpec
    on_archived: OnArchived | None
    emulate: bool

    @property
    def value(self) -> Any:
        """The match value."""
        return self.values[self.match.slug]


@attrs.frozen
class Matches:
    """The records holding an upsert's match value; ``more``: the search had more pages."""

    records: Sequence[Record]
    more: bool = False


def check_on_archived(value: Any, provider: Provider, *, upsert: bool = False) -> OnArchived | None:
    """``value`` if it is an ``on_archived`` policy ``provider`` can apply; ``None`` stays
    ``None``. On upsert, :data:`DEFAULT_ON_ARCHIVED` asks nothing of a CRM without archived
    records (there is nothing to bring back), so it becomes ``None`` there."""
    if value is None:
        return None
    if value not in ON_ARCHIVED:
        raise ValidationError(
            f"on_archived must be one of {', '.join(ON_ARCHIVED)}, got {value!r}",
            code="invalid_option",
        )
    if not provider.capabilities.archive and value != "error":
        if upsert and value == DEFAULT_ON_ARCHIVED:
            return None
        raise Unsupported(
            f"{provider.name} has no archived records, so on_archived={value!r} cannot apply",
            provider=provider.name,
        )
    return value  # type: ignore[no-any-return]


def _native(provider: Provider, schema: ObjectSchema, spec: FieldSpec) -> bool:
    """Whether the CRM upserts on ``spec`` itself (else only ``emulate=True`` can)."""
    caps = provider.capabilities
    if not caps.native_upsert:
        return False
    if caps.upsert_match == "unique":
        return spec.unique
    if caps.upsert_match == "fixed":
        return spec.slug == provider.match_key(schema)
    return False


def _given(value: Any) -> bool:
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list | tuple):
        return any(_given(v) for v in value)
    return value is not None


def match_field(
    provider: Provider,
    schema: ObjectSchema,
    values: Mapping[str, Any],
    match: str | None,
    emulate: bool,
) -> FieldSpec:
    """The field an upsert matches on, once every precondition holds: a match field named (or
    the provider's default), one the CRM upserts on unless ``emulate``, and a value for it."""
    key = match or provider.match_key(schema)
    if key is None:
        uniques = [f.slug for f in schema.fields.values() if f.unique]
        raise ValidationError(
            f"upsert on {provider.name} needs match=<field>: the unique field to match on "
            f"(unique fields of {schema.slug!r}: {', '.join(uniques) or 'none'})"
        )
    spec = schema.field(key)
    if not emulate and not _native(provider, schema, spec):
        caps = provider.capabilities
        how = "matches on it with a search, then a write (not atomic)"
        if caps.upsert_match == "unique":
            uniques = [f.slug for f in schema.fields.values() if f.unique and f.writable]
            raise ValidationError(
                f"cannot upsert {schema.slug!r} on {spec.slug!r}: it is not a unique field "
                f"(unique: {', '.join(uniques) or 'none'}); emulate=True (CLI: --emulate) {how}",
                code="match_not_unique",
            )
        fixed = provider.match_key(schema) if caps.upsert_match == "fixed" else None
        only = (
            f"matching on {fixed!r} only (fixed by the CRM)" if fixed else "with no native upsert"
        )
        raise Unsupported(
            f"{provider.name} upserts {schema.slug!r} {only}; emulate=True (CLI: --emulate) {how}",
            provider=provider.name,
            code="match_not_native",
        )
    given = values.get(spec.slug, values.get(key))
    if not _given(given):
        raise ValidationError(
            f"upsert on {spec.slug!r} needs a value for {spec.slug!r} in values",
            code="missing_match_value",
        )
    return spec


def ambiguous(
    schema: ObjectSchema, match: str, value: Any, ids: Sequence[Any], *, more: bool = False
) -> Conflict:
    """The one error for a match value several records hold."""
    count = f"{len(ids)} or more" if more else str(len(ids))
    shown = ", ".join(str(i) for i in ids[:10])
    return Conflict(
        f"{match}={value!r} matches several {schema.slug} records ({count}: {shown}); "
        "an upsert needs at most one",
        code="ambiguous_match",
    )


def search(provider: Provider, call: Upsert) -> Plan[Matches]:
    """The default ``find_matches``: a query for the match value (any of a list's), one page of
    ``provider.match_page_size`` records."""
    from .provider import Query

    value = call.value
    if isinstance(value, list | tuple):
        condition = Condition(call.match.slug, "in", tuple(value))
    else:
        condition = Condition(call.match.slug, "eq", value)
    query = Query(where=condition, page_size=provider.match_page_size)
    page = yield from provider.query(call.schema, query, None)
    return Matches(list(page.records), page.next is not None)


def _same(provider: Provider, call: Upsert, records: Sequence[Record]) -> list[Record]:
    """The records whose match value the CRM takes for the one given (``match_keys``): a
    search may also return near matches (a ``contains`` search, another case)."""
    wanted = set(provider.match_keys(call.match, call.value))
    return [
        r for r in records if wanted & set(provider.match_keys(call.match, r.get(call.match.slug)))
    ]


def run(
    provider: Provider,
    schema: ObjectSchema,
    values: Mapping[str, Any],
    *,
    match: str,
    on_archived: OnArchived | None,
    emulate: bool,
    before_write: Callable[[Record | None], None] | None = None,
) -> Plan[UpsertResult]:
    """The upsert of ``values`` into ``schema`` matching on ``match`` (see the module).

    ``before_write``, if given, is called with the record found (``None``: none, or not one the
    search can name) right before the write — never for a ``noop`` — and may raise to stop it.
    The migration engine uses it to notice a target record edited since its last write and to
    keep the values a write overwrites, for undo (crmbridge/migrate/engine.py), at no extra
    request: it reads what this search already read (so a search is made even where
    ``detect_noop`` is off)."""
    spec = match_field(provider, schema, values, match, emulate)
    policy = check_on_archived(on_archived, provider, upsert=True)
    call = Upsert(schema, values, spec, policy, emulate)
    call = yield from provider.prepare_upsert(call)
    native = _native(provider, schema, spec)
    if native and not provider.detect_noop and before_write is None:
        return (yield from provider.native_upsert(call, None))
    found = yield from provider.find_matches(call)
    if found.more or len(found.records) > 1:
        if native and provider.capabilities.upsert_match == "fixed":
            # The CRM matches a key it does not keep unique and picks a record itself
            # (Kizen: the first match); which one is unknowable here, so write.
            if before_write is not None:
                before_write(None)
            return (yield from provider.native_upsert(call, None))
        raise ambiguous(schema, spec.slug, call.value, [r.id for r in found.records],
                        more=found.more)  # fmt: skip
    same = _same(provider, call, found.records) if native else list(found.records)
    existing = same[0] if same else None
    if existing is not None and not provider.would_change(call, existing):
        return UpsertResult("noop", existing)
    if before_write is not None:
        before_write(existing)
    if native:
        return (yield from provider.native_upsert(call, existing))
    if existing is None:
        return (yield from provider.insert(call))
    assert existing.id is not None
    record = yield from provider.update(schema, existing.id, call.values, on_archived=None)
    return UpsertResult("updated", record)
