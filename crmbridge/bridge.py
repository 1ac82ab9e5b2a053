"""The facade: :func:`connect` → :class:`Bridge`, :func:`connect_async` → :class:`AsyncBridge`.

Both classes offer the verbs of docs/design.md §4 under the same names. Each verb is written once, in
:class:`_Verbs`, as a plan that fetches (and caches) the schema, validates the input against it —
before any request — and delegates to the provider's plan. :class:`Bridge` drives the plans with a
:class:`~crmbridge.http.SyncDriver`, :class:`AsyncBridge` with an :class:`~crmbridge.http.AsyncDriver`.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Literal, TypeVar

import attrs
import httpx

from . import idle_check, schema_writes, socket_deadline
from .changes.drive import AsyncChangeFeed, ChangeFeed, StoreArg
from .emulation import Emulator
from .errors import ConfigError, CRMError, Unsupported, ValidationError
from .filters import Filter, Sort, parse_sort, walk
from .hostile import check_filter, check_match, check_values
from .http import AsyncDriver, RateLimiter, RetryPolicy, SyncDriver, pool_limits
from .model import FieldSpec, ObjectSpec, Option, Record, UpsertResult, ValueVersion
from .notes.facade import AsyncNotes, SyncNotes
from .paging import PageGuard
from .plugins import get_provider
from .provider import ObjectSchema, Page, Plan, Provider, Query, find_object
from .raw_rows import RawRows
from .shared_limits import RedisLimits, shared_limiter
from .upsert import (
    DEFAULT_ON_ARCHIVED,
    Lookups,
    OnArchived,
    check_on_archived,
    lookup,
    match_field,
    prepare,
    run_found,
)
from .validation import normalize_filter, normalize_values

__all__ = ["AsyncBridge", "Bridge", "connect", "connect_async"]

T = TypeVar("T")

#: Characters a record id may not hold: it goes into a URL path, and "../x" or "a?b" must never
#: address anything but the record.
_ID_FORBIDDEN = frozenset("/?#\\%")


def _check_id(id: Any) -> str:
    if not isinstance(id, str) or not id.strip():
        raise ValidationError(f"a record id must be a non-empty string, got {id!r}")
    if id in (".", "..") or any(
        c in _ID_FORBIDDEN or not c.isprintable() or c.isspace() for c in id
    ):
        raise ValidationError(f"{id!r} is not a record id (ids hold no spaces, /, ?, #, % or \\)")
    return id


def _trim(record: Record, fields: tuple[str, ...] | None) -> Record:
    """Only the fields asked for (providers that cannot narrow their reads return them all)."""
    if fields is None or set(record.fields) <= set(fields):
        return record
    return attrs.evolve(record, fields={k: v for k, v in record.fields.items() if k in fields})


def _retrieved(task: asyncio.Task[Any]) -> None:
    """A page read ahead and then not wanted (the scan stopped): its error is nobody's."""
    if not task.cancelled():
        task.exception()


def _cancel(inflight: list[tuple[Any, asyncio.Task[Page]]]) -> None:
    for _, task in inflight:
        task.cancel()
    inflight.clear()


def _first(page: Page) -> str | None:
    """The id of a page's first record, without decoding an undecoded page (:class:`RawRows`)."""
    if not page.records:
        return None
    if isinstance(page.records, RawRows):
        return page.records.id(0)
    return page.records[0].id


def _trim_page(page: Page, fields: tuple[str, ...] | None) -> Page:
    if fields is None:
        return page
    return Page([_trim(r, fields) for r in page.records], page.next)


def _records(pages: Iterator[Page], limit: int | None) -> Iterator[Record]:
    """The records of ``pages``, at most ``limit``, holding one page at a time."""
    seen = 0
    for page in pages:
        records = page.records
        del page  # hold one page, not two, while the next one is fetched and decoded
        for record in records:
            if limit is not None and seen >= limit:
                return
            seen += 1
            yield record
        if limit is not None and seen >= limit:
            return
        del records


async def _arecords(pages: AsyncIterator[Page], limit: int | None) -> AsyncIterator[Record]:
    """The async twin of :func:`_records`."""
    seen = 0
    async for page in pages:
        records = page.records
        del page
        for record in records:
            if limit is not None and seen >= limit:
                return
            seen += 1
            yield record
        if limit is not None and seen >= limit:
            return
        del records


def _in_row(index: int, check: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """``check(*args)``; a :class:`ValidationError` it raises names row ``index`` of an
    ``upsert_many``."""
    try:
        check(*args, **kwargs)
    except ValidationError as exc:
        exc.message = f"upsert_many row {index}: {exc.message}"
        exc.args = (exc.message,)
        raise


def _many_failed(exc: CRMError, done: int, total: int) -> None:
    """Tell, on the error that stopped an ``upsert_many``, which rows were written."""
    exc.add_note(
        f"upsert_many: rows 0-{done - 1} of {total} were written, row {done} failed, "
        "the rest were not sent"
        if done
        else f"upsert_many: row 0 of {total} failed, nothing was written"
    )


def _check_limit(limit: Any) -> None:
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 0):
        raise ValidationError(f"limit must be a non-negative integer, got {limit!r}")


class _Verbs:
    """The verbs as plans, with the schema cache; shared by the sync and async facades."""

    def __init__(self, provider: Provider, *, schema_ttl: float = 300.0) -> None:
        self.provider = provider
        #: The provider's reader of its CRM's own value forms, if it has one (none: no cost).
        self._parse = (
            provider.parse_value if type(provider).parse_value is not Provider.parse_value else None
        )
        self.schema_ttl = schema_ttl
        self._lock = threading.Lock()
        self._objects: tuple[float, list[ObjectSpec]] | None = None
        self._schemas: dict[str, tuple[float, ObjectSchema]] = {}

    # --- schema cache ------------------------------------------------------------------------

    def _fresh(self, stamp: float) -> bool:
        return time.monotonic() - stamp < self.schema_ttl

    def invalidate(self, object: str | None = None) -> None:
        """Forget cached schemas (all, or one object's)."""
        with self._lock:
            if object is None:
                self._objects = None
                self._schemas.clear()
            else:
                self._schemas = {
                    k: v for k, v in self._schemas.items() if object not in (k, v[1].slug)
                }

    def objects(self, refresh: bool = False) -> Plan[list[ObjectSpec]]:
        cached = self._objects
        if cached is not None and not refresh and self._fresh(cached[0]):
            return list(cached[1])
        found = yield from self.provider.list_objects()
        with self._lock:
            self._objects = (time.monotonic(), list(found))
        return list(found)

    def has_schema(self, object: Any) -> bool:
        """Whether ``object``'s schema is cached and fresh (no request needed to use it)."""
        cached = self._schemas.get(object) if isinstance(object, str) else None
        return cached is not None and self._fresh(cached[0])

    def schema(self, object: str, refresh: bool = False) -> Plan[ObjectSchema]:
        if not isinstance(object, str) or not object:
            raise ValidationError(f"an object name must be a non-empty string, got {object!r}")
        cached = self._schemas.get(object)
        if cached is not None and not refresh and self._fresh(cached[0]):
            return cached[1]
        objects = yield from self.objects(refresh=refresh)
        spec = find_object(objects, object, self.provider.name, self.provider.unknown_object_hint)
        fields = yield from self.provider.list_fields(spec)
        schema = ObjectSchema(spec, {f.slug: f for f in fields})
        now = time.monotonic()
        with self._lock:
            self._schemas[object] = (now, schema)
            self._schemas[spec.slug] = (now, schema)
        return schema

    def fields(self, object: str, refresh: bool = False) -> Plan[list[FieldSpec]]:
        schema = yield from self.schema(object, refresh)
        return list(schema.fields.values())

    def create_field(self, object: str, spec: FieldSpec) -> Plan[FieldSpec]:
        """A new field (:mod:`crmbridge.schema_writes`); the object's cached schema is dropped."""
        schema = yield from self.schema(object)
        created = yield from schema_writes.create_field(self.provider, schema, spec)
        self.invalidate(object)
        return created

    def create_option(self, object: str, field: str, label: str) -> Plan[Option]:
        """A new option of a field (:mod:`crmbridge.schema_writes`)."""
        schema = yield from self.schema(object)
        created = yield from schema_writes.create_option(self.provider, schema, field, label)
        self.invalidate(object)
        return created

    # --- verbs -------------------------------------------------------------------------------

    def get(self, object: str, id: str) -> Plan[Record]:
        _check_id(id)
        schema = yield from self.schema(object)
        return (yield from self.provider.get(schema, id))

    def prepare_query(
        self,
        schema: ObjectSchema,
        where: Filter | Mapping[str, Any] | None,
        order_by: Iterable[str | Sort] | str | None,
        page_size: int | None,
        fields: Iterable[str] | None = None,
    ) -> Query:
        """Validate a query against the schema and the provider's capabilities."""
        from . import filters

        caps = self.provider.capabilities
        if isinstance(where, Mapping):
            where = filters.from_dict(where)
        if where is not None:
            if not isinstance(where, filters.Condition | filters.And | filters.Or | filters.Not):
                raise ValidationError(
                    f"where must be a filter built with F(...) or its dict form, got {where!r}"
                )
            for cond in walk(where):
                # "primary_location.country_code": a sub-property of a field, for providers
                # that filter on one (Attio); the base field must exist.
                schema.field(cond.field.split(".", 1)[0])
                if cond.op not in caps.filter_ops:
                    raise Unsupported(
                        f"{self.provider.name} cannot filter with {cond.op!r} "
                        f"(field {cond.field!r})",
                        provider=self.provider.name,
                    )
            where = normalize_filter(schema, where)
        if isinstance(order_by, str):
            order_by = [order_by]
        sorts = tuple(parse_sort(s) for s in (order_by or ()))
        if sorts and not caps.sorts:
            raise Unsupported(f"{self.provider.name} cannot sort", provider=self.provider.name)
        for s in sorts:
            schema.field(s.field)
        if page_size is None:
            page_size = caps.max_page_size
        if not isinstance(page_size, int) or isinstance(page_size, bool) or page_size < 1:
            raise ValidationError(f"page_size must be a positive integer, got {page_size!r}")
        wanted: tuple[str, ...] | None = None
        if fields is not None:
            if isinstance(fields, str):
                fields = [fields]
            wanted = tuple(schema.field(f).slug for f in fields)
        return Query(
            where=where, order_by=sorts, page_size=min(page_size, caps.max_page_size), fields=wanted
        )

    def page(self, schema: ObjectSchema, query: Query, cursor: Any) -> Plan[Page]:
        return (yield from self.provider.query(schema, query, cursor))

    # create/update/upsert check the values' shape when called, before their plan starts: the
    # async facade loads the schema before running the plan (crmbridge.hostile).

    def create(
        self, object: str, values: Mapping[str, Any], on_archived: OnArchived | None
    ) -> Plan[Record]:
        check_values(values)
        return self._create(object, values, on_archived)

    def _create(
        self, object: str, values: Mapping[str, Any], on_archived: OnArchived | None
    ) -> Plan[Record]:
        policy = check_on_archived(on_archived, self.provider)
        schema = yield from self.schema(object)
        clean = normalize_values(schema, values, creating=True, parse=self._parse)
        return (yield from self.provider.create(schema, clean, on_archived=policy))

    def update(
        self, object: str, id: str, values: Mapping[str, Any], on_archived: OnArchived | None
    ) -> Plan[Record]:
        check_values(values)
        return self._update(object, id, values, on_archived)

    def _update(
        self, object: str, id: str, values: Mapping[str, Any], on_archived: OnArchived | None
    ) -> Plan[Record]:
        _check_id(id)
        policy = check_on_archived(on_archived, self.provider)
        schema = yield from self.schema(object)
        clean = normalize_values(schema, values, parse=self._parse)
        return (yield from self.provider.update(schema, id, clean, on_archived=policy))

    def upsert(
        self,
        object: str,
        values: Mapping[str, Any],
        match: str | None,
        on_archived: OnArchived | None,
        emulate: bool,
        before_write: Callable[[Record | None], None] | None = None,
    ) -> Plan[UpsertResult]:
        return self.upsert_found(object, values, match, on_archived, emulate, before_write, None)

    def upsert_found(
        self,
        object: str,
        values: Mapping[str, Any],
        match: str | None,
        on_archived: OnArchived | None,
        emulate: bool,
        before_write: Callable[[Record | None], None] | None,
        lookups: Lookups | None,
    ) -> Plan[UpsertResult]:
        """:meth:`upsert`, taking its search's answer from ``lookups`` when a batched lookup
        (:meth:`lookup`) left one there."""
        check_values(values)
        check_match(match)
        return self._upsert(object, values, match, on_archived, emulate, before_write, lookups)

    def _upsert(
        self,
        object: str,
        values: Mapping[str, Any],
        match: str | None,
        on_archived: OnArchived | None,
        emulate: bool,
        before_write: Callable[[Record | None], None] | None,
        lookups: Lookups | None = None,
    ) -> Plan[UpsertResult]:
        provider = self.provider
        policy = check_on_archived(on_archived, provider, upsert=True)
        schema = yield from self.schema(object)
        spec = match_field(provider, schema, values, match, emulate)
        clean = normalize_values(schema, values, parse=self._parse)
        # Only when asked, so a provider that overrides upsert() with the plain signature works.
        if lookups is not None:  # the one upsert path, with a batched search's answers
            return (
                yield from run_found(provider, schema, clean, match=spec.slug, on_archived=policy,
                                     emulate=emulate, before_write=before_write, lookups=lookups)
            )  # fmt: skip
        extra = {"before_write": before_write} if before_write is not None else {}
        return (
            yield from provider.upsert(
                schema, clean, match=spec.slug, on_archived=policy, emulate=emulate, **extra
            )
        )

    def lookup(
        self,
        object: str,
        rows: Iterable[Mapping[str, Any]],
        match: str | None,
        on_archived: OnArchived | None,
        emulate: bool,
        lookups: Lookups,
    ) -> Plan[int]:
        """Search for the match values of ``rows``' upserts in batches (crmbridge.upsert.lookup)
        and keep the answers in ``lookups`` for :meth:`upsert_found`. A row its checks refuse is
        left out: its own upsert reports it. Only the match value is prepared
        (``prepare_upsert`` of it alone), so values needing lookups of their own (tags, members,
        references) cost nothing here: a tag the first write creates would otherwise be looked
        up once per row of the batch. The number of searches sent."""
        provider = self.provider
        policy = check_on_archived(on_archived, provider, upsert=True)
        schema = yield from self.schema(object)
        calls = []
        for values in rows:
            try:
                check_values(values)
                spec = match_field(provider, schema, values, match, emulate)
                given = {k: v for k, v in values.items() if k in (spec.slug, match)}
                clean = normalize_values(schema, given, parse=self._parse)
                call = yield from prepare(provider, schema, clean, match=spec.slug,
                                          on_archived=policy, emulate=emulate)  # fmt: skip
            except CRMError:
                continue
            calls.append(call)
        return (yield from lookup(provider, calls, lookups))

    def upsert_rows(
        self,
        object: str,
        rows: Sequence[Mapping[str, Any]],
        match: str | None,
        on_archived: OnArchived | None,
        emulate: bool,
        done: list[UpsertResult],
    ) -> Plan[list[UpsertResult]]:
        """``upsert_many``: every row checked first (a bad one is a :class:`ValidationError`
        naming its index, before any write), then per batch of
        ``provider.lookup_batch_size`` rows one search (:meth:`lookup`) and the rows' writes,
        one after another, each result appended to ``done`` as it comes."""
        check_match(match)
        provider = self.provider
        policy = check_on_archived(on_archived, provider, upsert=True)
        for index, values in enumerate(rows):
            _in_row(index, check_values, values)
        schema = yield from self.schema(object)
        for index, values in enumerate(rows):
            _in_row(index, match_field, provider, schema, values, match, emulate)
            _in_row(index, normalize_values, schema, values, parse=self._parse)
        lookups = Lookups()
        size = max(1, provider.lookup_batch_size)
        for start in range(0, len(rows), size):
            batch = rows[start : start + size]
            lookups.next_generation()
            yield from self.lookup(object, batch, match, policy, emulate, lookups)
            for values in batch:
                result = yield from self._upsert(object, values, match, policy, emulate,
                                                 None, lookups)  # fmt: skip
                done.append(result)
        return done

    def delete(self, object: str, id: str) -> Plan[None]:
        _check_id(id)
        schema = yield from self.schema(object)
        return (yield from self.provider.delete(schema, id))

    def archive(self, object: str, id: str) -> Plan[None]:
        _check_id(id)
        schema = yield from self.schema(object)
        return (yield from self.provider.archive(schema, id))

    def restore(self, object: str, id: str) -> Plan[Record]:
        _check_id(id)
        schema = yield from self.schema(object)
        return (yield from self.provider.restore(schema, id))

    def history(self, object: str, id: str, field: str) -> Plan[list[ValueVersion]]:
        _check_id(id)
        if not self.provider.capabilities.history:
            raise Unsupported(
                f"{self.provider.name} keeps no value history", provider=self.provider.name
            )
        schema = yield from self.schema(object)
        return (yield from self.provider.history(schema, id, schema.field(field)))

    def passthrough(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        json: Any,
        read: bool | None,
    ) -> Plan[httpx.Response]:
        if not isinstance(path, str) or not path.startswith("/"):
            raise ValidationError(f"request() takes a path starting with '/', got {path!r}")
        kind: Literal["read", "write"] | None = (
            None if read is None else ("read" if read else "write")
        )
        request = self.provider.build_request(method, path, params=params, json=json, kind=kind)
        return (yield request)


# --- construction ----------------------------------------------------------------------------


def _setup(
    provider: str | type[Provider],
    emulator: bool | Emulator | Mapping[str, Any],
    transport: Any,
    rate_limit: bool | float,
    config: dict[str, Any],
    shared: str | RedisLimits | None = None,
) -> tuple[Provider, Emulator | None, Any, RateLimiter]:
    cls = get_provider(provider) if isinstance(provider, str) else provider
    emu: Emulator | None = None
    if emulator is not False and emulator is not None:
        if isinstance(emulator, Emulator):
            emu = emulator
        elif emulator is True:
            emu = cls.create_emulator()
        elif isinstance(emulator, Mapping):
            emu = cls.create_emulator(**emulator)
        else:
            raise ConfigError(f"emulator must be True, an Emulator or a dict, got {emulator!r}")
        config = {**emu.credentials(), **config}
        config.setdefault("base_url", emu.base_url)
        if transport is None:
            transport = emu.transport()
    instance = cls.from_config(**config)
    read: float | None
    write: float | None
    if rate_limit is False:
        read = write = None
    elif emu is not None and rate_limit is True:
        # In-process, the client honours what the emulator enforces (nothing by default), so
        # demos and tests are not slowed to the real service's limits.
        limits = emu.rate_limits
        read, write = (limits.reads, limits.writes) if limits else (None, None)
    else:
        read, write = RateLimiter.rates(instance, 1.0 if rate_limit is True else float(rate_limit))
    if shared is None:
        return instance, emu, transport, RateLimiter(read, write)
    # The same numbers, counted in a store every process with this token shares (issue 22).

    return instance, emu, transport, shared_limiter(shared, instance, read, write)


def _client_kwargs(
    transport: Any, timeout: float, verify: bool, concurrency: int | None = None
) -> dict[str, Any]:
    from . import __version__

    kwargs: dict[str, Any] = {
        "timeout": timeout,
        "limits": pool_limits(concurrency),
        "headers": {"user-agent": f"crmbridge/{__version__}"},
        "follow_redirects": False,
        "verify": verify,
    }
    if transport is not None:
        kwargs["transport"] = transport
    return kwargs


class _BridgeBase:
    """What the sync and async facades share: construction, capabilities, the schema cache."""

    _driver_class: type[SyncDriver] | type[AsyncDriver]

    def __init__(
        self,
        provider: Provider,
        client: httpx.Client | httpx.AsyncClient,
        *,
        emulator: Emulator | None = None,
        limiter: RateLimiter | None = None,
        retry: RetryPolicy | None = None,
        schema_ttl: float = 300.0,
        on_request: Callable[[httpx.Request], None] | None = None,
    ) -> None:
        self.provider = provider
        self.client = client
        self.emulator = emulator
        self.driver = self._driver_class(
            client,  # type: ignore[arg-type]
            provider,
            policy=retry,
            limiter=limiter,
            on_request=on_request,
        )
        self._verbs = _Verbs(provider, schema_ttl=schema_ttl)

    @property
    def capabilities(self) -> Any:
        """What this provider can do natively (:class:`~crmbridge.Capabilities`)."""
        return self.provider.capabilities

    @property
    def name(self) -> str:
        return self.provider.name

    def invalidate_schema(self, object: str | None = None) -> None:
        """Drop cached schemas so the next call fetches them again."""
        self._verbs.invalidate(object)

    def __repr__(self) -> str:
        where = "emulator" if self.emulator is not None else self.provider.public_url
        return f"<{type(self).__name__} {self.provider.name} {where}>"


class Bridge(_BridgeBase, SyncNotes):
    """A synchronous connection to one CRM. Use :func:`connect` to make one."""

    client: httpx.Client
    driver: SyncDriver
    _driver_class = SyncDriver

    def run(self, plan: Plan[Any]) -> Any:
        """Run any plan, e.g. a provider's own extra verb: ``crm.run(crm.provider.x(...))``."""
        return self.driver.run(plan)

    def objects(self, *, refresh: bool = False) -> list[ObjectSpec]:
        """Every object the credentials can see (cached for ``schema_ttl`` seconds)."""
        return self.driver.run(self._verbs.objects(refresh))

    def schema(self, object: str, *, refresh: bool = False) -> ObjectSchema:
        """An object and its fields (cached)."""
        return self.driver.run(self._verbs.schema(object, refresh))

    def fields(self, object: str, *, refresh: bool = False) -> list[FieldSpec]:
        """The fields of ``object`` (cached)."""
        return self.driver.run(self._verbs.fields(object, refresh))

    def create_field(self, object: str, spec: FieldSpec) -> FieldSpec:
        """Add the field ``spec`` describes to ``object`` (``Capabilities.create_fields``)."""
        return self.driver.run(self._verbs.create_field(object, spec))

    def create_option(self, object: str, field: str, label: str) -> Option:
        """Add the option ``label`` to a select/status field (``Capabilities.create_options``)."""
        return self.driver.run(self._verbs.create_option(object, field, label))

    def get(self, object: str, id: str) -> Record:
        """One record by id."""
        return self.driver.run(self._verbs.get(object, id))

    def query(
        self,
        object: str,
        where: Filter | Mapping[str, Any] | None = None,
        *,
        order_by: Iterable[str | Sort] | str | None = None,
        page_size: int | None = None,
        limit: int | None = None,
        fields: Iterable[str] | None = None,
    ) -> Iterator[Record]:
        """Records matching ``where``, lazily, through every page (one page in memory).

        The schema is checked and the filter validated when this is called, before any page is
        fetched; pages are fetched as the iterator is consumed.
        """
        _check_limit(limit)
        return _records(self.pages(object, where, order_by=order_by, page_size=page_size,
                                   fields=fields), limit)  # fmt: skip

    def pages(
        self,
        object: str,
        where: Filter | Mapping[str, Any] | None = None,
        *,
        order_by: Iterable[str | Sort] | str | None = None,
        page_size: int | None = None,
        fields: Iterable[str] | None = None,
        cursor: Any = None,
    ) -> Iterator[Page]:
        """Like :meth:`query`, page by page. Each :class:`~crmbridge.Page` carries ``next``, the
        cursor of the page after it: pass it as ``cursor`` to resume there (the migration engine
        checkpoints with it). Cursors are JSON-able."""
        check_filter(where)  # before the schema is read: whatever the cache holds
        schema = self.schema(object)
        query = self._verbs.prepare_query(schema, where, order_by, page_size, fields)
        return self._page_iter(schema, query, cursor)

    def _page_iter(self, schema: ObjectSchema, query: Query, cursor: Any) -> Iterator[Page]:
        guard = PageGuard(self.provider.name)
        while True:
            page = self.driver.run(self._verbs.page(schema, query, cursor))
            cursor, empty = page.next, not page.records
            first = page.records[0].id if page.records else None
            guard.step(cursor, rows=len(page.records), total=page.total, first=first)
            yield _trim_page(page, query.fields)
            del page
            if cursor is None or empty:
                return

    def create(
        self, object: str, values: Mapping[str, Any], *, on_archived: OnArchived | None = None
    ) -> Record:
        """Create a record."""
        return self.driver.run(self._verbs.create(object, values, on_archived))

    def update(
        self,
        object: str,
        id: str,
        values: Mapping[str, Any],
        *,
        on_archived: OnArchived | None = None,
    ) -> Record:
        """Change a record: plain values set, ``add()``/``remove()``/``clear()`` change."""
        return self.driver.run(self._verbs.update(object, id, values, on_archived))

    def upsert(
        self,
        object: str,
        values: Mapping[str, Any],
        *,
        match: str | None = None,
        on_archived: OnArchived | None = DEFAULT_ON_ARCHIVED,
        emulate: bool = False,
        before_write: Callable[[Record | None], None] | None = None,
    ) -> UpsertResult:
        """Create or update the record whose ``match`` field equals the value given
        (``before_write``: see :func:`crmbridge.upsert.run`)."""
        return self.driver.run(
            self._verbs.upsert(object, values, match, on_archived, emulate, before_write)
        )

    def upsert_many(
        self,
        object: str,
        rows: Iterable[Mapping[str, Any]],
        *,
        match: str | None = None,
        on_archived: OnArchived | None = DEFAULT_ON_ARCHIVED,
        emulate: bool = False,
    ) -> list[UpsertResult]:
        """:meth:`upsert` each row, in order, with one search per batch of rows instead of one
        per row (issue 24): results in the rows' order. Every row is checked before any write;
        a write that fails stops the rest, and its error says which rows were written."""
        rows = list(rows)
        done: list[UpsertResult] = []
        try:
            self.driver.run(
                self._verbs.upsert_rows(object, rows, match, on_archived, emulate, done)
            )
        except CRMError as exc:
            _many_failed(exc, len(done), len(rows))
            raise
        return done

    def delete(self, object: str, id: str) -> None:
        """Delete a record for good (where the CRM can)."""
        self.driver.run(self._verbs.delete(object, id))

    def archive(self, object: str, id: str) -> None:
        """Archive (soft-delete) a record."""
        self.driver.run(self._verbs.archive(object, id))

    def restore(self, object: str, id: str) -> Record:
        """Undo an archive."""
        return self.driver.run(self._verbs.restore(object, id))

    def history(self, object: str, id: str, field: str) -> list[ValueVersion]:
        """Every value ``field`` has had, oldest first (where the CRM keeps history)."""
        return self.driver.run(self._verbs.history(object, id, field))

    def changes(
        self,
        object: str,
        cursor: Any = None,
        *,
        store: StoreArg = None,
        page_size: int | None = None,
    ) -> ChangeFeed:
        """What changed in ``object`` since ``cursor`` (``None``: every record, as created): an
        iterator of :class:`~crmbridge.changes.Change` over one pass; each change's ``cursor``
        (and the feed's ``.cursor`` once it ends) resumes exactly after it. ``store`` keeps what
        the feed has seen: a SQLite path to resume in another process (docs/sync.md)."""
        return ChangeFeed(self, object, cursor, store, page_size)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        read: bool | None = None,
    ) -> httpx.Response:
        """Any API call, with the same auth, retries, rate limits and errors."""
        return self.driver.run(self._verbs.passthrough(method, path, params, json, read))

    def close(self) -> None:
        self.client.close()
        self.provider.close()

    def __enter__(self) -> Bridge:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncBridge(_BridgeBase, AsyncNotes):
    """An asynchronous connection to one CRM, with the same verbs as :class:`Bridge`."""

    client: httpx.AsyncClient
    driver: AsyncDriver
    _driver_class = AsyncDriver

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._schema_locks: dict[str, asyncio.Lock] = {}

    async def run(self, plan: Plan[Any]) -> Any:
        """Run any plan, e.g. a provider's own extra verb."""
        return await self.driver.run(plan)

    async def objects(self, *, refresh: bool = False) -> list[ObjectSpec]:
        return await self.driver.run(self._verbs.objects(refresh))

    async def _ensure(self, object: Any) -> None:
        """Load ``object``'s schema once, however many tasks need it at the same moment: the
        others wait for that one fetch instead of each sending their own (single flight)."""
        if not isinstance(object, str) or self._verbs.has_schema(object):
            return  # a bad name is reported by the verb itself, before any request
        lock = self._schema_locks.setdefault(object, asyncio.Lock())
        async with lock:
            if not self._verbs.has_schema(object):
                await self.driver.run(self._verbs.schema(object))

    async def _on(self, object: str, plan: Plan[T]) -> T:
        """Run a verb's plan once its object's schema is loaded (see :meth:`_ensure`)."""
        await self._ensure(object)
        return await self.driver.run(plan)

    async def schema(self, object: str, *, refresh: bool = False) -> ObjectSchema:
        if not refresh:
            await self._ensure(object)
        return await self.driver.run(self._verbs.schema(object, refresh))

    async def fields(self, object: str, *, refresh: bool = False) -> list[FieldSpec]:
        schema = await self.schema(object, refresh=refresh)
        return list(schema.fields.values())

    async def create_field(self, object: str, spec: FieldSpec) -> FieldSpec:
        return await self._on(object, self._verbs.create_field(object, spec))

    async def create_option(self, object: str, field: str, label: str) -> Option:
        return await self._on(object, self._verbs.create_option(object, field, label))

    async def get(self, object: str, id: str) -> Record:
        return await self._on(object, self._verbs.get(object, id))

    def query(
        self,
        object: str,
        where: Filter | Mapping[str, Any] | None = None,
        *,
        order_by: Iterable[str | Sort] | str | None = None,
        page_size: int | None = None,
        limit: int | None = None,
        fields: Iterable[str] | None = None,
    ) -> AsyncIterator[Record]:
        """Records matching ``where``, lazily, through every page: ``async for r in
        crm.query(...)``. The schema is fetched and the filter validated on the first iteration,
        before any page is requested."""
        _check_limit(limit)
        return _arecords(self.pages(object, where, order_by=order_by, page_size=page_size,
                                    fields=fields), limit)  # fmt: skip

    def pages(
        self,
        object: str,
        where: Filter | Mapping[str, Any] | None = None,
        *,
        order_by: Iterable[str | Sort] | str | None = None,
        page_size: int | None = None,
        fields: Iterable[str] | None = None,
        cursor: Any = None,
    ) -> AsyncIterator[Page]:
        """Like :meth:`query`, page by page, each with its ``next`` cursor (see
        :meth:`Bridge.pages`); validation happens on the first iteration."""
        return self._page_iter(object, where, order_by, page_size, fields, cursor)

    async def _page_iter(
        self,
        object: str,
        where: Filter | Mapping[str, Any] | None,
        order_by: Iterable[str | Sort] | str | None,
        page_size: int | None,
        fields: Iterable[str] | None,
        cursor: Any,
        ahead: int | Callable[[], int] = 1,
        lazy: bool = False,
    ) -> AsyncIterator[Page]:
        """:meth:`pages`; ``lazy`` (the migration engine's): the provider may answer records
        undecoded (:class:`~crmbridge.raw_rows.RawRows`); ``ahead`` (the engine's too): pages
        requested at once (or a
        function asked before each page), where the provider names a page's cursor before the
        page before it is read (:meth:`~crmbridge.provider.Provider.page_cursor`, offset
        pagination). Pages are still yielded in order, each as its answer arrives; the client's
        read limit paces the requests. ``1`` reads one page after the other."""
        check_filter(where)  # before the schema is read: whatever the cache holds
        schema = await self.schema(object)
        query = self._verbs.prepare_query(schema, where, order_by, page_size, fields)
        if lazy:
            query = attrs.evolve(query, lazy=True)
        guard = PageGuard(self.provider.name)
        depth = ahead if callable(ahead) else (lambda: ahead)
        #: Pages requested ahead of the one awaited: ``(cursor, answer)`` in page order.
        inflight: list[tuple[Any, asyncio.Task[Page]]] = []

        def request(at: Any) -> asyncio.Task[Page]:
            task = asyncio.ensure_future(self.driver.run(self._verbs.page(schema, query, at)))
            task.add_done_callback(_retrieved)
            return task

        try:
            while True:
                last = inflight[-1][0] if inflight else cursor
                while len(inflight) + 1 < depth():
                    at = self.provider.page_cursor(query, last, 1)
                    if at is None:
                        break
                    inflight.append((at, request(at)))
                    last = at
                if inflight and inflight[0][0] == cursor:
                    page = await inflight.pop(0)[1]
                else:
                    page = await self.driver.run(self._verbs.page(schema, query, cursor))
                cursor, empty = page.next, not page.records
                guard.step(cursor, rows=len(page.records), total=page.total, first=_first(page))
                yield _trim_page(page, query.fields)
                del page
                if cursor is None or empty:
                    return
                if inflight and inflight[0][0] != cursor:  # not the page the answer names
                    _cancel(inflight)
        finally:
            _cancel(inflight)

    async def create(
        self, object: str, values: Mapping[str, Any], *, on_archived: OnArchived | None = None
    ) -> Record:
        return await self._on(object, self._verbs.create(object, values, on_archived))

    async def update(
        self,
        object: str,
        id: str,
        values: Mapping[str, Any],
        *,
        on_archived: OnArchived | None = None,
    ) -> Record:
        return await self._on(object, self._verbs.update(object, id, values, on_archived))

    async def upsert(
        self,
        object: str,
        values: Mapping[str, Any],
        *,
        match: str | None = None,
        on_archived: OnArchived | None = DEFAULT_ON_ARCHIVED,
        emulate: bool = False,
        before_write: Callable[[Record | None], None] | None = None,
    ) -> UpsertResult:
        return await self._on(
            object, self._verbs.upsert(object, values, match, on_archived, emulate, before_write)
        )

    async def upsert_many(
        self,
        object: str,
        rows: Iterable[Mapping[str, Any]],
        *,
        match: str | None = None,
        on_archived: OnArchived | None = DEFAULT_ON_ARCHIVED,
        emulate: bool = False,
    ) -> list[UpsertResult]:
        """See :meth:`Bridge.upsert_many`."""
        rows = list(rows)
        done: list[UpsertResult] = []
        try:
            await self._on(
                object, self._verbs.upsert_rows(object, rows, match, on_archived, emulate, done)
            )
        except CRMError as exc:
            _many_failed(exc, len(done), len(rows))
            raise
        return done

    async def _lookup(
        self,
        object: str,
        rows: Iterable[Mapping[str, Any]],
        *,
        match: str | None,
        on_archived: OnArchived | None,
        emulate: bool,
        lookups: Lookups,
    ) -> int:
        """Batched searches for the upserts of ``rows`` into ``lookups`` (``_Verbs.lookup``),
        for :meth:`_upsert_found`; the migration engine's one read per batch (issue 24)."""
        plan = self._verbs.lookup(object, rows, match, on_archived, emulate, lookups)
        return await self._on(object, plan)

    async def _upsert_found(
        self,
        object: str,
        values: Mapping[str, Any],
        *,
        match: str | None,
        on_archived: OnArchived | None,
        emulate: bool,
        before_write: Callable[[Record | None], None] | None,
        lookups: Lookups | None,
    ) -> UpsertResult:
        """:meth:`upsert`, taking its search's answer from ``lookups`` when it is there."""
        plan = self._verbs.upsert_found(
            object, values, match, on_archived, emulate, before_write, lookups
        )
        return await self._on(object, plan)

    async def delete(self, object: str, id: str) -> None:
        await self._on(object, self._verbs.delete(object, id))

    async def archive(self, object: str, id: str) -> None:
        await self._on(object, self._verbs.archive(object, id))

    async def restore(self, object: str, id: str) -> Record:
        return await self._on(object, self._verbs.restore(object, id))

    async def history(self, object: str, id: str, field: str) -> list[ValueVersion]:
        return await self._on(object, self._verbs.history(object, id, field))

    def changes(
        self,
        object: str,
        cursor: Any = None,
        *,
        store: StoreArg = None,
        page_size: int | None = None,
    ) -> AsyncChangeFeed:
        """``async for change in crm.changes(...)``: see :meth:`Bridge.changes`."""
        return AsyncChangeFeed(self, object, cursor, store, page_size)

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        read: bool | None = None,
    ) -> httpx.Response:
        return await self.driver.run(self._verbs.passthrough(method, path, params, json, read))

    async def aclose(self) -> None:
        await self.client.aclose()
        self.provider.close()

    async def __aenter__(self) -> AsyncBridge:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def connect(
    provider: str | type[Provider],
    *,
    emulator: bool | Emulator | Mapping[str, Any] = False,
    transport: httpx.BaseTransport | None = None,
    timeout: float = 30.0,
    verify: bool = True,
    retry: RetryPolicy | None = None,
    rate_limit: bool | float = True,
    schema_ttl: float = 300.0,
    on_request: Callable[[httpx.Request], None] | None = None,
    limiter: str | RedisLimits | None = None,
    **config: Any,
) -> Bridge:
    """Connect to a CRM.

    ``provider`` is a registered provider name (``"attio"``, ``"kizen"``, ...); ``config`` its
    options (``token=...``, ``api_key=...``, ``base_url=...``), read from the provider's
    environment variables when missing. ``emulator=True`` (or a dict of emulator options, or an
    emulator instance) talks to the provider's in-process emulator instead of the network.
    ``transport`` takes any httpx transport (mocks, recorders). ``rate_limit``: ``True`` for the
    provider's documented limits, ``False`` for none, a number to scale them. ``limiter``: where
    they are counted — in this process (default), or shared by every process using the same token
    through Redis (``"redis://host:6379/0"`` or a :class:`~crmbridge.shared_limits.RedisLimits`;
    needs the ``redis`` extra). ``retry`` bounds retries; ``on_request`` sees every request sent
    (credentials are added after it is called).
    """
    instance, emu, transport, shared = _setup(
        provider, emulator, transport, rate_limit, config, limiter
    )
    client = httpx.Client(**_client_kwargs(transport, timeout, verify))
    socket_deadline.install(client)
    return Bridge(
        instance,
        client,
        emulator=emu,
        limiter=shared,
        retry=retry,
        schema_ttl=schema_ttl,
        on_request=on_request,
    )


def connect_async(
    provider: str | type[Provider],
    *,
    emulator: bool | Emulator | Mapping[str, Any] = False,
    transport: httpx.AsyncBaseTransport | None = None,
    timeout: float = 30.0,
    verify: bool = True,
    retry: RetryPolicy | None = None,
    rate_limit: bool | float = True,
    schema_ttl: float = 300.0,
    on_request: Callable[[httpx.Request], None] | None = None,
    concurrency: int | None = None,
    limiter: str | RedisLimits | None = None,
    **config: Any,
) -> AsyncBridge:
    """Like :func:`connect`, for ``async`` code: ``async with connect_async(...) as crm:``.
    ``concurrency``: how many requests will be in flight at once, to size the connection pool
    (default 100, all kept alive: :func:`crmbridge.http.pool_limits`)."""
    instance, emu, transport, shared = _setup(
        provider, emulator, transport, rate_limit, config, limiter
    )
    client = httpx.AsyncClient(**_client_kwargs(transport, timeout, verify, concurrency))
    idle_check.install(client)
    return AsyncBridge(
        instance,
        client,
        emulator=emu,
        limiter=shared,
        retry=retry,
        schema_ttl=schema_ttl,
        on_request=on_request,
    )
