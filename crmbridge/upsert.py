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

The path: check the match field (:func:`match_field`), let the provider prepare the values
(:func:`prepare`), search for the records holding the match value, then

* several → :class:`~crmbridge.Conflict` (:func:`ambiguous`), unless the CRM upserts natively on a
  key it does not keep unique and picks a record itself (``Capabilities.upsert_match="fixed"``);
* one that ``would_change`` says is unchanged → ``noop``, nothing written;
* otherwise the native upsert, or (``emulate=True``, a match field the CRM cannot upsert on)
  ``update`` of the one found or a create — two requests, not atomic.

Many upserts at once (``upsert_many``, the migration engine) search for a batch of match values
in one request (:func:`lookup`, the provider's ``find_matches_many``: by default one query with
``in`` on the match field, which Attio sends as an ``$or`` of ``$eq`` and Kizen as one filter group)
and keep the answers in :class:`Lookups`; each upsert then takes its own answer instead of
searching (issue 24: a page of upserts costs one read, not one per record). Only matches on a key
the CRM upserts on are batched: there the CRM itself matches again when it writes, so an answer
a little older than the write cannot create a duplicate (docs/decisions.md "perf: batched
lookups").
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from .errors import Conflict, Unsupported, ValidationError
from .filters import Condition
from .model import FieldSpec, Record, UpsertResult
from .upsert_options import DEFAULT_ON_ARCHIVED, ON_ARCHIVED, OnArchived

if TYPE_CHECKING:
    from .provider import ObjectSchema, Plan, Provider

__all__ = [
    "DEFAULT_ON_ARCHIVED",
    "ON_ARCHIVED",
    "Lookups",
    "Matches",
    "OnArchived",
    "Upsert",
    "ambiguous",
    "batchable",
    "check_on_archived",
    "lookup",
    "match_field",
    "prepare",
    "run",
    "run_found",
    "search_many",
]


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


def prepare(
    provider: Provider,
    schema: ObjectSchema,
    values: Mapping[str, Any],
    *,
    match: str,
    on_archived: OnArchived | None,
    emulate: bool,
) -> Plan[Upsert]:
    """The upsert of ``values`` once its preconditions hold, with the values the provider
    prepared (``prepare_upsert``): what the search and the write take."""
    spec = match_field(provider, schema, values, match, emulate)
    policy = check_on_archived(on_archived, provider, upsert=True)
    call = Upsert(schema, values, spec, policy, emulate)
    return (yield from provider.prepare_upsert(call))


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
    return run_found(provider, schema, values, match=match, on_archived=on_archived,
                     emulate=emulate, before_write=before_write, lookups=None)  # fmt: skip


def run_found(
    provider: Provider,
    schema: ObjectSchema,
    values: Mapping[str, Any],
    *,
    match: str,
    on_archived: OnArchived | None,
    emulate: bool,
    before_write: Callable[[Record | None], None] | None,
    lookups: Lookups | None,
) -> Plan[UpsertResult]:
    """:func:`run`, taking the search's answer from ``lookups`` (a batched search,
    :func:`lookup`) when it holds this upsert's, instead of searching."""
    call = yield from prepare(
        provider, schema, values, match=match, on_archived=on_archived, emulate=emulate
    )
    spec = call.match
    native = _native(provider, schema, spec)
    if native and not provider.detect_noop and before_write is None:
        return (yield from provider.native_upsert(call, None))
    found = lookups.take(provider, call) if lookups is not None else None
    if found is None:
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


# --- batched lookups (issue 24) ----------------------------------------------------------------


def batchable(provider: Provider, call: Upsert) -> bool:
    """Whether ``call``'s search may come from a batch: a match on a key the CRM upserts on
    (the CRM matches again when it writes, so a slightly older answer cannot make a duplicate)
    and a plain match value (text, or a list of texts)."""
    if not _native(provider, call.schema, call.match):
        return False
    value = call.value
    items = value if isinstance(value, list | tuple) else (value,)
    return bool(items) and all(isinstance(v, str) and v.strip() for v in items)


def _keys(provider: Provider, call: Upsert) -> frozenset[str]:
    return frozenset(provider.match_keys(call.match, call.value))


def search_many(provider: Provider, calls: Sequence[Upsert]) -> Plan[list[Matches] | None]:
    """The default ``find_matches_many``: one query for every match value of ``calls`` (all on
    one object and match field) — ``in`` on the match field, read to its last page — and each
    call's matches: the records whose match value the CRM takes for the call's
    (``match_keys``), as :func:`_same` tells them apart after a single search."""
    from .paging import PageGuard
    from .provider import Query

    if not calls:
        return []
    spec = calls[0].match
    values: dict[str, str] = {}
    for call in calls:
        items = call.value if isinstance(call.value, list | tuple) else (call.value,)
        for item in items:
            for key in provider.match_keys(spec, item):
                values.setdefault(key, item)
    condition = Condition(spec.slug, "in", tuple(values.values()))
    query = Query(where=condition, page_size=provider.capabilities.max_page_size or 100)
    by_key: dict[str, list[Record]] = {}
    guard = PageGuard(provider.name)
    cursor: Any = None
    while True:
        page = yield from provider.query(calls[0].schema, query, cursor)
        first = page.records[0].id if page.records else None
        guard.step(page.next, rows=len(page.records), total=page.total, first=first)
        for record in page.records:
            for key in set(provider.match_keys(spec, record.get(spec.slug))):
                by_key.setdefault(key, []).append(record)
        cursor = page.next
        if cursor is None or not page.records:
            break
    out = []
    for call in calls:
        found: dict[Any, Record] = {}
        for key in provider.match_keys(spec, call.value):
            for record in by_key.get(key, ()):
                found.setdefault(record.id, record)
        out.append(Matches(list(found.values())))
    return out


@attrs.define
class _Entry:
    keys: frozenset[str]
    matches: Matches
    generation: int
    at: float


class Lookups:
    """Answers of batched searches, each taken once by the upsert it was made for.

    Taking an answer drops every other answer that shares a match key with it: that upsert may
    write a record holding those keys, so a later upsert on them searches again rather than
    trust an answer from before that write. Answers older than ``max_age`` seconds, or from
    more than ``generations`` batches ago (:meth:`next_generation`), are dropped too: memory
    stays bounded and no answer outlives the page it was read for by much."""

    def __init__(self, *, max_age: float = 60.0, generations: int = 2) -> None:
        self.max_age = max_age
        self.generations = generations
        self._generation = 0
        #: (object slug, match slug) → match keys → answer.
        self._entries: dict[tuple[str, str], dict[frozenset[str], _Entry]] = {}

    def __len__(self) -> int:
        return sum(len(e) for e in self._entries.values())

    def next_generation(self) -> None:
        """Start a new batch; answers of batches older than ``generations`` are dropped."""
        self._generation += 1
        oldest = self._generation - self.generations + 1
        for entries in self._entries.values():
            for keys in [k for k, e in entries.items() if e.generation < oldest]:
                del entries[keys]

    def has(self, provider: Provider, call: Upsert) -> bool:
        entries = self._entries.get((call.schema.slug, call.match.slug), {})
        return _keys(provider, call) in entries

    def add(self, provider: Provider, call: Upsert, matches: Matches) -> None:
        keys = _keys(provider, call)
        entries = self._entries.setdefault((call.schema.slug, call.match.slug), {})
        entries[keys] = _Entry(keys, matches, self._generation, time.monotonic())

    def take(self, provider: Provider, call: Upsert) -> Matches | None:
        """``call``'s answer (``None``: none, or too old: search), dropping the answers it
        makes stale."""
        if not batchable(provider, call):
            return None
        entries = self._entries.get((call.schema.slug, call.match.slug))
        if not entries:
            return None
        keys = _keys(provider, call)
        entry = entries.pop(keys, None)
        for other in [k for k in entries if k & keys]:
            del entries[other]
        if entry is None or time.monotonic() - entry.at > self.max_age:
            return None
        return entry.matches


def lookup(provider: Provider, calls: Iterable[Upsert], lookups: Lookups) -> Plan[int]:
    """Search for the match values of ``calls`` (one object, one match field) in batches of
    ``provider.lookup_batch_size``, one request each (more only if an answer has several pages),
    and keep the answers in ``lookups``; calls that cannot be batched (:func:`batchable`) are
    left to search on their own, and so are later calls sharing a match value with an earlier
    one (:meth:`Lookups.take`). The number of batched searches sent."""
    todo = [call for call in calls if batchable(provider, call)]
    sent = 0
    size = max(1, provider.lookup_batch_size)
    for start in range(0, len(todo), size):
        batch = todo[start : start + size]
        answers = yield from provider.find_matches_many(batch)
        if answers is None:
            return sent
        sent += 1
        for call, matches in zip(batch, answers, strict=True):
            lookups.add(provider, call, matches)
    return sent
