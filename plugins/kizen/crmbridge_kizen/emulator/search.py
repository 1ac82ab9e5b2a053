"""``POST /api/records/{object}/search``: which records, in which order, which page.

Reference kizen.md §8 [SEED][KZ][DOC]: ``ordering`` and ``search`` are query-string parameters (as
are ``page``/``page_size``: :mod:`.pagination`); the body carries the filter groups and
``field_names``/``field_ids``.

Decisions where Kizen is silent (docs/reference/kizen.md §13.16): without ``ordering`` records come oldest first
(creation order, stable across pages); ``ordering`` takes comma-separated api names or field ids, each
optionally ``-``-prefixed, and ignores unknown names as DRF's ``OrderingFilter`` does; ``search`` is a
case-insensitive substring match on the default columns (``name``; for contacts ``email``,
``first_name``, ``last_name`` and the three phones) or on ``search_within_field_names|ids``.

Cost: an unfiltered, unsorted page is a slice of the object's cached live-id list (O(page)); a sorted
order is cached per object version; a filtered result is cached for the last few distinct searches, so
paging through one filtered search scans the records once.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import httpx

from .errors import ApiError, search_error
from .filters import FilterError, compile_query, field_getter
from .pagination import PageRequest
from .schema import FieldDef
from .store import ObjectState, Record, Store

__all__ = ["Page", "Searcher"]

_CONTACT_SEARCH = (
    "email",
    "first_name",
    "last_name",
    "home_phone",
    "mobile_phone",
    "business_phone",
)
_CACHE_SIZE = 8


class Page:
    """One page of search results."""

    def __init__(self, records: list[Record], count: int) -> None:
        self.records = records
        self.count = count


def _sort_key(field: FieldDef, store: Store, desc: bool) -> Callable[[Record], Any]:
    """Blank values sort last in both directions (an emulator decision)."""
    get = field_getter(store, field)
    kind = field.field_type
    blank, present = (0, 1) if desc else (1, 0)

    def key(record: Record) -> Any:
        return (blank, "") if get(record) is None else (present, value_key(record))

    def value_key(record: Record) -> Any:
        value = get(record)
        if kind in ("integer", "decimal", "money", "rating"):
            return (0, float(value))
        if field.options is not None and isinstance(value, str):
            option = field.option(value)
            return (
                0,
                option.order
                if option and option.status
                else (option.name if option else value).casefold(),
            )
        if kind == "team_selector":
            employee = store.employees.get(value)
            return (0, f"{employee.first_name} {employee.last_name}".casefold() if employee else "")
        if isinstance(value, list | dict):
            return (0, len(value))
        if isinstance(value, bool):
            return (0, int(value))
        return (0, str(value).casefold())

    return key


def _identity_candidates(
    state: ObjectState, body: dict[str, Any], ordered: list[str]
) -> list[str] | None:
    """The live records that can match a lone ``<identity field> = "<text>"`` filter (``email``
    of contacts, ``name`` otherwise: what an upsert's match search sends), or one group of such
    filters joined by "or" (``and: false``: what a batched search for many upserts sends, issue
    24), from the case-folded identity index, in ``ordered``'s order: O(1) per value instead of a
    scan of every record. ``None`` for any other query. The caller still applies the predicate,
    so the answer is the scan's."""
    groups = body.get("query")
    if not isinstance(groups, list) or len(groups) != 1 or not isinstance(groups[0], dict):
        return None
    filters = groups[0].get("filters")
    if not isinstance(filters, list) or not filters:
        return None
    if len(filters) > 1 and groups[0].get("and") is not False:  # an "and" of them: scan
        return None
    field = state.identity_field()
    if field is None:
        return None
    found: dict[str, None] = {}
    for spec in filters:
        if not isinstance(spec, dict):
            return None
        value = spec.get("value")
        if spec.get("field") != field.name or spec.get("condition") != "=":
            return None
        if not isinstance(value, str):
            return None
        found.update((r.id, None) for r in state.matches(value, exact=False, archived=False))
    if len(found) <= 1:
        return list(found)
    if len(found) * 8 < len(ordered):
        return sorted(found, key=ordered.index)
    return [i for i in ordered if i in found]


class Searcher:
    """Runs searches over one :class:`Store`."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._results: OrderedDict[tuple[Any, ...], tuple[int, list[str]]] = OrderedDict()

    def ordered_ids(self, state: ObjectState, ordering: str | None) -> list[str]:
        """Live ids in ``ordering`` (creation order without one)."""
        live = state.live_ids()
        terms = [t.strip() for t in (ordering or "").split(",") if t.strip()]
        keys = []
        for term in terms:
            field = state.obj.field(term.lstrip("-"))
            if field is not None:
                keys.append((field, term.startswith("-")))
        if not keys:
            return live
        cache_key = ",".join(f"{'-' if desc else ''}{f.id}" for f, desc in keys)
        cached = state.sort_cache.get(cache_key)
        if cached is not None and cached[0] == state.version:
            return cached[1]
        records = [state.records[i] for i in live]
        for field, desc in reversed(keys):  # stable multi-key sort, last key first
            key = _sort_key(field, self.store, desc)
            records.sort(key=key, reverse=desc)
        ids = [r.id for r in records]
        state.sort_cache[cache_key] = (state.version, ids)
        return ids

    def _text_fields(self, state: ObjectState, body: dict[str, Any]) -> list[FieldDef]:
        names, ids = body.get("search_within_field_names"), body.get("search_within_field_ids")
        if names is not None and ids is not None:
            raise ApiError(400, {"non_field_errors": [
                "Only one of 'search_within_field_names' or 'search_within_field_ids' is allowed."
            ]})  # fmt: skip
        if names is not None or ids is not None:
            keys = names if names is not None else ids
            if not isinstance(keys, list):
                raise ApiError(400, {"search_within_field_names": ["Expected a list of items."]})
            found = [state.obj.field(str(k)) for k in keys]
            return [f for f in found if f is not None]
        defaults = _CONTACT_SEARCH if state.obj.is_contacts else ("name",)
        return [f for n in defaults if (f := state.obj.field_by_name(n)) is not None]

    def search(
        self,
        state: ObjectState,
        params: httpx.QueryParams,
        body: dict[str, Any],
        user_id: str,
        page: PageRequest,
    ) -> Page:
        """The page of matching records (a too-high page is DRF's 404 "Invalid page.")."""
        for key in ("group_id", "in_group_ids", "not_in_group_ids"):
            if params.get(key):
                raise search_error(
                    f"Saved filter groups ({key}) are not supported by the emulator."
                )
        ordering = params.get("ordering")
        text = params.get("search") or ""
        try:
            predicate = compile_query(state, body, self.store, user_id)
        except FilterError as exc:
            raise search_error(str(exc)) from None
        ordered = self.ordered_ids(state, ordering)
        if predicate is None and not text:
            ids = ordered
        else:
            cache_key = (
                state.obj.name,
                ordering,
                text,
                json.dumps({k: body.get(k) for k in ("query", "and", "search_within_field_names",
                                                     "search_within_field_ids")},
                           sort_keys=True, default=str),
            )  # fmt: skip
            cached = self._results.get(cache_key)
            if cached is not None and cached[0] == state.version:
                ids = cached[1]
                self._results.move_to_end(cache_key)
            else:
                indexed = None if text else _identity_candidates(state, body, ordered)
                ids = self._scan(state, ordered if indexed is None else indexed, predicate, text,
                                 body)  # fmt: skip
                self._results[cache_key] = (state.version, ids)
                if len(self._results) > _CACHE_SIZE:
                    self._results.popitem(last=False)
        records = state.records
        return Page([records[i] for i in ids[page.window(len(ids))]], len(ids))

    def _scan(
        self,
        state: ObjectState,
        ordered: list[str],
        predicate: Callable[[Record], bool] | None,
        text: str,
        body: dict[str, Any],
    ) -> list[str]:
        getters = []
        if text:
            getters = [field_getter(self.store, f) for f in self._text_fields(state, body)]
        needle = text.casefold()
        out = []
        records = state.records
        for record_id in ordered:
            record = records[record_id]
            if predicate is not None and not predicate(record):
                continue
            if needle and not any(
                (v := get(record)) is not None and needle in str(v).casefold() for get in getters
            ):
                continue
            out.append(record_id)
        return out
