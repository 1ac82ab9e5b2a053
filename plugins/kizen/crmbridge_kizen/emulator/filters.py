"""Search filters: the query-group wire format and the conditions per field type.

Wire format (docs/reference/kizen.md §8 [KZ] builder-cli's filter guide (https://github.com/kizen/builder-cli/blob/f8d1cd7bd6ef11e826345fe6f88edd91b59f3d0a/docs/filters.md), admin-cli filtering.py; documented examples
``search_request``, ``filter_wire_format_full``, ``filter_default_field_variants``, ``stage_filter``)::

    {"query": [{"and": true, "filters": [<filter>, ...]}, ...], "and": true}
    <filter> = {"type": "fields_v2"|"fields", "subtype": "custom"|"non_custom",
                "field": "\\"custom\\"::<uuid>" | "custom::<uuid>" | "<api_name>",
                "condition": "...", "value": ...}

Both custom-field spellings are accepted (the evidence has both). Conditions per type are the
UI-supported set of docs/reference/kizen.md §8; a condition a type does not support, a null ``value`` (use
``is_blank``) or a non-field filter type (tags, interactions, ...) is a search error (HTTP 400 with
``errors``). Text comparisons are case-insensitive (an emulator decision; Kizen does not say).

Strict where Kizen's own filter builder is (kizen/kizen-admin-cli ``src/kizen_builder/filtering.py``,
which translates every name to what the API takes): a default field is named by its api name
(``non_custom``) and a custom field by ``"custom"::<uuid>`` (the other spelling is refused); option
and dynamic-tag values are ids (a label or code where an id is due is refused); the contacts'
Email Status takes the snake_case slug of an option's label (``opted_in``,
``unsubscribed_from_all``) or its code, never an id or a label; the pipeline stage must carry
``"overwrite": {"type": "stage"}``, takes stage ids and only ``= != is_any_of is_none_of``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from .schema import MULTI_OPTION_TYPES, SINGLE_OPTION_TYPES, TEXT_TYPES, FieldDef, is_stage
from .store import ObjectState, Record, Store

__all__ = ["FilterError", "Predicate", "compile_query", "field_getter"]

Predicate = Callable[[Record], bool]


class FilterError(Exception):
    """A filter the search cannot run; its message goes into the response's ``errors``."""


def _blank(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def field_getter(store: Store, field: FieldDef) -> Callable[[Record], Any]:
    """The stored (comparable) value of ``field`` on a record."""
    computed = field.computed
    if computed is not None:
        return computed
    field_id = field.id
    if field.field_type == "relationship":

        def linked(record: Record) -> Any:
            links = record.values.get(field_id)
            if not links:
                return None
            live = [i for i in links if (r := store.find(i)) is not None and not r.archived]
            return live or None

        return linked
    return lambda record: record.values.get(field_id)


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _number(value: Any, name: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: a JSON integer past 1e308
        raise FilterError(f'"{value}" is not a number (field "{name}").') from None


def _moment(value: Any, name: str) -> tuple[str, dt.datetime | None]:
    """A date filter value: ``("date", None)`` keyed by ``YYYY-MM-DD`` or a datetime."""
    if not isinstance(value, str):
        raise FilterError(f'"{value}" is not a date (field "{name}").')
    try:
        if len(value) == 10:
            dt.date.fromisoformat(value)
            return value, None
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise FilterError(f'"{value}" is not a date (field "{name}").') from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return value, moment


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}
_TEXT_CONDITIONS: dict[str, Callable[[str, str], bool]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "contains": lambda a, b: b in a,
    "!contains": lambda a, b: b not in a,
    "starts_with": lambda a, b: a.startswith(b),
    "ends_with": lambda a, b: a.endswith(b),
    "!starts_with": lambda a, b: not a.startswith(b),
    "!ends_with": lambda a, b: not a.endswith(b),
}


def _unsupported(field: FieldDef, condition: str) -> FilterError:
    return FilterError(
        f'Condition "{condition}" is not valid for {field.field_type} field "{field.name}".'
    )


def _option_ids(field: FieldDef, values: list[Any]) -> set[str]:
    """Filter values are option (or tag, or stage) ids: Kizen's filter builder sends ids, having
    resolved labels first (admin-cli ``filtering.py`` ``opt_id``/``tag_id``)."""
    out = set()
    for value in values:
        token = str(value.get("id") if isinstance(value, dict) else value)
        option = field.option(token)
        if option is None:
            raise FilterError(f'"{token}" is not an option id of field "{field.name}".')
        out.add(option.id)
    return out


def slug(label: str) -> str:
    """The Email Status filter token of an option label: ``"Opted In"`` → ``opted_in``
    (admin-cli ``filtering.py``: ``v.lower().replace(" ", "_")``)."""
    return label.lower().replace(" ", "_")


def _email_status_ids(field: FieldDef, values: list[Any]) -> set[str]:
    """Contacts' Email Status is filtered by slugs of its labels (or codes), not ids."""
    by_token = {slug(o.name): o.id for o in field.options or ()}
    by_token.update({o.code: o.id for o in field.options or () if o.code})
    out = set()
    for value in values:
        token = str(value)
        if token not in by_token:
            raise FilterError(
                f'"{token}" is not an Email Status; use one of {", ".join(sorted(by_token))}.'
            )
        out.add(by_token[token])
    return out


def _text_predicate(get: Callable[[Record], Any], condition: str, value: Any) -> Predicate:
    compare = _TEXT_CONDITIONS[condition]
    target = str(value).casefold()
    negative = condition.startswith("!")

    def predicate(record: Record) -> bool:
        stored = get(record)
        if stored is None:
            return negative
        return compare(str(stored).casefold(), target)

    return predicate


def _number_predicate(
    field: FieldDef, get: Callable[[Record], Any], condition: str, value: Any
) -> Predicate:
    name = field.name
    if condition == "between":
        lo, hi = (_number(v, name) for v in _pair(value, name))
        return lambda r: (v := get(r)) is not None and lo <= float(v) <= hi
    if condition in ("is_any_of", "is_none_of") and field.field_type == "rating":
        wanted = {_number(v, name) for v in _as_list(value)}
        if condition == "is_any_of":
            return lambda r: (v := get(r)) is not None and float(v) in wanted
        return lambda r: (v := get(r)) is None or float(v) not in wanted
    if condition not in _COMPARE:
        raise _unsupported(field, condition)
    compare, target = _COMPARE[condition], _number(value, name)
    if condition == "!=":
        return lambda r: (v := get(r)) is None or float(v) != target
    return lambda r: (v := get(r)) is not None and compare(float(v), target)


def _pair(value: Any, name: str) -> tuple[Any, Any]:
    if not isinstance(value, list) or len(value) != 2:
        raise FilterError(f'"between" takes a list of two values (field "{name}").')
    return value[0], value[1]


def _date_predicate(
    field: FieldDef, get: Callable[[Record], Any], condition: str, value: Any
) -> Predicate:
    name = field.name

    def key(stored: str, like: dt.datetime | None) -> Any:
        if like is None:
            return stored[:10]
        moment = dt.datetime.fromisoformat(stored.replace("Z", "+00:00"))
        return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)

    if condition == "month_equals":
        text = str(value)
        if len(text) == 7:  # YYYY-MM
            return lambda r: (v := get(r)) is not None and str(v)[:7] == text
        month = f"{int(_number(value, name)):02d}"
        return lambda r: (v := get(r)) is not None and str(v)[5:7] == month
    if condition == "between":
        (lo_text, lo), (hi_text, hi) = (_moment(v, name) for v in _pair(value, name))
        lo_key, hi_key = lo or lo_text, hi or hi_text

        def between(record: Record) -> bool:
            stored = get(record)
            if stored is None:
                return False
            return bool(key(stored, lo) >= lo_key and key(stored, hi) <= hi_key)

        return between
    if condition not in _COMPARE:
        raise _unsupported(field, condition)
    compare = _COMPARE[condition]
    text, moment = _moment(value, name)
    target = moment or text

    def predicate(record: Record) -> bool:
        stored = get(record)
        if stored is None:
            return condition == "!="
        return bool(compare(key(stored, moment), target))

    return predicate


def _membership(
    get: Callable[[Record], Any], condition: str, wanted: set[str], single: bool
) -> Predicate | None:
    def values(record: Record) -> set[str]:
        stored = get(record)
        if stored is None:
            return set()
        return {stored} if single else set(stored)

    table: dict[str, Predicate] = {
        "is_any_of": lambda r: bool(values(r) & wanted),
        "is_none_of": lambda r: not values(r) & wanted,
        "has_any": lambda r: bool(values(r) & wanted),
        "!has_any": lambda r: not values(r) & wanted,
        "has": lambda r: wanted <= values(r),
        "!has": lambda r: not wanted <= values(r),
        "contains": lambda r: bool(values(r) & wanted),
        "!contains": lambda r: not values(r) & wanted,
    }
    if single:
        (one,) = wanted if len(wanted) == 1 else (None,)
        table["="] = lambda r: get(r) == one
        table["!="] = lambda r: get(r) != one
    return table.get(condition)


_SINGLE_CONDITIONS = frozenset({"=", "!=", "is_any_of", "is_none_of"})
_MULTI_CONDITIONS = frozenset({"has", "!has", "has_any", "!has_any"})
_RELATION_CONDITIONS = frozenset({"contains", "!contains", "is_any_of", "is_none_of"})


def _predicate(
    store: Store, field: FieldDef, condition: str, value: Any, user_id: str
) -> Predicate:
    get = field_getter(store, field)
    kind = field.field_type
    if condition == "is_blank":
        blank = value is True or str(value).lower() == "true"
        return lambda r: _blank(get(r)) is blank
    if value is None:
        raise FilterError(f'Filter value may not be null (field "{field.name}"); use is_blank.')
    if kind in TEXT_TYPES or (field.computed is not None and kind != "datetime"):
        if kind in ("longtext", "wysiwyg"):
            raise _unsupported(field, condition)
        allowed = ("=", "contains") if kind == "phonenumber" else tuple(_TEXT_CONDITIONS)
        if condition not in allowed:
            raise _unsupported(field, condition)
        return _text_predicate(get, condition, value)
    if kind == "checkbox":
        if condition != "=":
            raise _unsupported(field, condition)
        checked = value is True or str(value).lower() == "true"
        return lambda r: bool(get(r)) is checked
    if kind in ("integer", "decimal", "money", "rating"):
        return _number_predicate(field, get, condition, value)
    if kind in ("date", "datetime"):
        return _date_predicate(field, get, condition, value)
    if kind in SINGLE_OPTION_TYPES or kind in ("timezone", "team_selector"):
        if condition not in _SINGLE_CONDITIONS:
            raise _unsupported(field, condition)
        tokens = _as_list(value)
        if kind == "team_selector":
            wanted = {user_id if t == "is_me" else str(t) for t in tokens}
        elif kind == "timezone":
            wanted = {str(t) for t in tokens}
        elif field.name == "email_status" and field.is_default:
            wanted = _email_status_ids(field, tokens)
        else:
            wanted = _option_ids(field, tokens)
        found = _membership(get, condition, wanted, single=True)
        assert found is not None
        return found
    if kind in MULTI_OPTION_TYPES:
        if condition not in _MULTI_CONDITIONS:
            raise _unsupported(field, condition)
        found = _membership(get, condition, _option_ids(field, _as_list(value)), single=False)
        assert found is not None
        return found
    if kind == "relationship":
        if condition not in _RELATION_CONDITIONS:
            raise _unsupported(field, condition)
        ids = {str(v.get("id") if isinstance(v, dict) else v) for v in _as_list(value)}
        found = _membership(get, condition, ids, single=False)
        assert found is not None
        return found
    if kind == "files":
        if condition not in (">", ">=", "<"):
            raise _unsupported(field, condition)
        compare, target = _COMPARE[condition], _number(value, field.name)
        return lambda r: compare(len(get(r) or ()), target)
    raise _unsupported(field, condition)


def _resolve(state: ObjectState, spec: dict[str, Any]) -> FieldDef:
    raw = spec.get("field")
    if not isinstance(raw, str) or not raw:
        raise FilterError("Each filter needs a field.")
    custom = "::" in raw
    key = raw.split("::", 1)[1].strip('"') if custom else raw
    field = state.obj.field_by_id(key) if custom else state.obj.field_by_name(key)
    if field is None:
        raise FilterError(f'Unknown field "{raw}".')
    if custom and field.is_default:
        raise FilterError(f'"{field.name}" is a default field: filter it by its api name.')
    if not custom and not field.is_default:
        raise FilterError(f'"{raw}" is a custom field: filter it as "custom"::<field id>.')
    return field


_STAGE_CONDITIONS = frozenset({"=", "!=", "is_any_of", "is_none_of"})


def _stage_predicate(state: ObjectState, field: FieldDef, spec: dict[str, Any]) -> Predicate:
    if spec.get("overwrite") != {"type": "stage"}:
        raise FilterError('A stage filter needs "overwrite": {"type": "stage"}.')
    condition = spec.get("condition")
    if condition not in _STAGE_CONDITIONS:  # time_in_stage & co.: not emulated
        raise _unsupported(field, str(condition))
    value = spec.get("value")
    if value is None:
        raise FilterError('Filter value may not be null (field "stage").')
    wanted = _option_ids(field, _as_list(value))
    found = _membership(field_getter_plain(field), condition, wanted, single=True)
    assert found is not None
    return found


def field_getter_plain(field: FieldDef) -> Callable[[Record], Any]:
    field_id = field.id
    return lambda record: record.values.get(field_id)


def _filter(state: ObjectState, spec: Any, store: Store, user_id: str) -> Predicate:
    if not isinstance(spec, dict):
        raise FilterError("Each filter must be an object.")
    kind = spec.get("type", "fields_v2")
    if kind not in ("fields", "fields_v2"):
        raise FilterError(f'Filter type "{kind}" is not supported by the emulator.')
    condition = spec.get("condition")
    if not isinstance(condition, str):
        raise FilterError("Each filter needs a condition.")
    field = _resolve(state, spec)
    if is_stage(state.obj, field):
        return _stage_predicate(state, field, spec)
    return _predicate(store, field, condition, spec.get("value"), user_id)


def _combine(predicates: list[Predicate], conjunction: bool) -> Predicate:
    if len(predicates) == 1:
        return predicates[0]
    if conjunction:
        return lambda r: all(p(r) for p in predicates)
    return lambda r: any(p(r) for p in predicates)


def compile_query(
    state: ObjectState, body: dict[str, Any], store: Store, user_id: str
) -> Predicate | None:
    """The body's filter groups as one predicate; ``None`` when there are none (all records)."""
    groups = body.get("query") or []
    if not isinstance(groups, list):
        raise FilterError("query must be a list of filter groups.")
    compiled = []
    for group in groups:
        if not isinstance(group, dict):
            raise FilterError("Each query group must be an object.")
        filters = group.get("filters") or []
        if not isinstance(filters, list):
            raise FilterError("filters must be a list.")
        predicates = [_filter(state, spec, store, user_id) for spec in filters]
        if predicates:
            compiled.append(_combine(predicates, group.get("and") is not False))
    if not compiled:
        return None
    return _combine(compiled, body.get("and") is not False)
