"""Filters and sorts of the records/entries query endpoints, compiled to Python predicates.

Grammar from docs/reference/attio.md §4 ("How to apply filters and sorts"): shorthand
``{"name": "John Smith"}`` (implicit ``$and``, implicit ``$eq`` on the type's default property),
verbose ``{"name": {"full_name": {"$eq": …}}}``, operators ``$eq $in $not_empty $contains
$starts_with $ends_with $lt $lte $gt $gte``, logical ``$and $or $not`` (no ``$ne``), path filters
``{"path": [[object, attribute], …], "constraints": {…}}`` through record references (and a list's
``parent_record``). Properties per type from the filter-properties paragraph of §3. A value of a
multiselect attribute matches if any of its values does. Anything else is 400 ``filter_error``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from . import errors
from .ids import parse_date, parse_timestamp
from .schema import LIST_PARENT_RECORD, AttributeDef, ListDef, Parent
from .store import Entry, Row, Workspace
from .stored import Stored
from .values import LOCATION_KEYS

__all__ = ["compile_filter", "sort_rows"]

Predicate = Callable[[Row], bool]

#: Filterable properties per attribute type; the first one is the default (shorthand) property.
PROPERTIES: dict[str, tuple[str, ...]] = {
    "text": ("value",),
    "number": ("value",),
    "checkbox": ("value",),
    "date": ("value",),
    "timestamp": ("value",),
    "rating": ("value",),
    "currency": ("currency_value",),
    "select": ("option",),
    "status": ("status",),
    "record-reference": ("target_record_id", "target_object"),
    "actor-reference": ("referenced_actor_id", "referenced_actor_type"),
    "location": LOCATION_KEYS[:8],
    "domain": ("domain", "root_domain"),
    "email-address": (
        "email_address",
        "email_domain",
        "email_root_domain",
        "email_local_specifier",
    ),
    "phone-number": ("phone_number", "country_code"),
    "personal-name": ("full_name", "first_name", "last_name"),
    "interaction": ("interacted_at", "interaction_type", "owner_member_id"),
}
_ORDERED = {"$lt", "$lte", "$gt", "$gte"}
_TEXTUAL = {"$contains", "$starts_with", "$ends_with"}
_OPERATORS = {"$eq", "$in", "$not_empty"} | _ORDERED | _TEXTUAL
_EQ = frozenset({"$eq"})
_ORDER = frozenset({"$eq"} | _ORDERED)
_SUBSTRING = frozenset({"$eq"} | _TEXTUAL)
_SUBSTRING_PRESENT = _SUBSTRING | {"$not_empty"}
_CHANGED = frozenset(_ORDERED)
#: The operators each property accepts, exactly as each attribute-type page of docs.attio.com
#: lists them under "Filtering" (https://docs.attio.com/docs/attribute-types/attribute-types-
#: <type>); anything else is 400 ``filter_error``. ``active_from`` (select, status): "supports
#: the $lt, $lte, $gt, $gte operators". Location: "It is not currently possible to filter by
#: latitude/longitude". Actor references: "only $eq", on both properties together.
OPERATORS: dict[str, dict[str, frozenset[str]]] = {
    "text": {"value": frozenset({"$eq", "$in"} | _TEXTUAL)},
    "number": {"value": _ORDER},
    "rating": {"value": _ORDER},
    "date": {"value": _ORDER},
    "timestamp": {"value": _ORDER},
    "currency": {"currency_value": _ORDER},
    "checkbox": {"value": _EQ},
    "select": {"option": _EQ, "active_from": _CHANGED},
    "status": {"status": _EQ, "active_from": _CHANGED},
    "record-reference": {"target_record_id": _EQ | {"$in"}, "target_object": _EQ},
    "actor-reference": {"referenced_actor_id": _EQ, "referenced_actor_type": _EQ},
    "location": {
        **dict.fromkeys(LOCATION_KEYS[:7], _SUBSTRING),
        "country_code": frozenset({"$eq", "$starts_with"}),
    },
    "domain": dict.fromkeys(("domain", "root_domain"), _SUBSTRING_PRESENT),
    "email-address": dict.fromkeys(PROPERTIES["email-address"], _SUBSTRING),
    "phone-number": {"phone_number": _SUBSTRING, "country_code": frozenset({"$eq", "$not_empty"})},
    "personal-name": dict.fromkeys(PROPERTIES["personal-name"], _SUBSTRING_PRESENT),
    "interaction": {
        "interacted_at": _ORDER,
        "interaction_type": frozenset({"$eq", "$not_empty"}),
        "owner_member_id": frozenset({"$eq", "$not_empty"}),
    },
}
#: Properties whose values are numbers or time-ordered strings (comparison operators allowed).
_COMPARABLE = {
    ("number", "value"),
    ("rating", "value"),
    ("date", "value"),
    ("timestamp", "value"),
    ("currency", "currency_value"),
    ("interaction", "interacted_at"),
}
_CASELESS = {"email-address", "domain"}


def _fail(message: str) -> errors.AttioError:
    return errors.filter_error(message)


def _prop_value(attribute: AttributeDef, value: Stored, prop: str) -> Any:
    if prop == "active_from":
        return value.active_from
    if attribute.type == "select":
        option = value.get("option")
        return (option["title"], option["id"]["option_id"])
    if attribute.type == "status":
        status = value.get("status")
        return (status["title"], status["id"]["status_id"])
    if prop == "owner_member_id":
        return (value.get("owner_actor") or {}).get("id")
    return value.get(prop)


def _operand(attribute: AttributeDef, prop: str, operand: Any) -> Any:
    """Bring a filter operand into the stored form (timestamps, dates, case)."""
    if isinstance(operand, str):
        if (attribute.type, prop) in (("timestamp", "value"), ("interaction", "interacted_at")) or (
            prop == "active_from"
        ):
            stamp = parse_timestamp(operand)
            if stamp is None:
                raise _fail(f'Invalid timestamp "{operand}" in filter for "{attribute.api_slug}".')
            return stamp
        if attribute.type == "date":
            day = parse_date(operand)
            if day is None:
                raise _fail(f'Invalid date "{operand}" in filter for "{attribute.api_slug}".')
            return day
        if attribute.type in _CASELESS:
            return operand.lower()
        if attribute.type == "currency":
            # "filtered by their value, using either JSON strings or numbers" (docs, currency)
            try:
                return float(operand)
            except ValueError:
                raise _fail(f'Invalid currency value "{operand}" in filter.') from None
    return operand


def _equals(stored: Any, operand: Any, caseless: bool) -> bool:
    if isinstance(stored, tuple):  # select/status: title or id
        return operand in stored
    if caseless and isinstance(stored, str):
        return bool(stored.lower() == operand)
    if isinstance(stored, bool) or isinstance(operand, bool):
        return stored is operand
    return bool(stored == operand)


def _condition(
    attribute: AttributeDef, prop: str, op: str, operand: Any
) -> Callable[[Stored], bool]:
    """A test on one stored value."""
    caseless = attribute.type in _CASELESS
    if op == "$eq":
        target = _operand(attribute, prop, operand)
        return lambda v: _equals(_prop_value(attribute, v, prop), target, caseless)
    if op == "$in":
        if not isinstance(operand, list):
            raise _fail(f'"$in" needs an array for "{attribute.api_slug}".')
        targets = [_operand(attribute, prop, o) for o in operand]
        return lambda v: any(_equals(_prop_value(attribute, v, prop), t, caseless) for t in targets)
    if op in _TEXTUAL:
        if not isinstance(operand, str):
            raise _fail(f'"{op}" needs a string for "{attribute.api_slug}".')
        if (attribute.type, prop) in _COMPARABLE or attribute.type in (
            "checkbox",
            "record-reference",
        ):
            raise _fail(
                f'The operator "{op}" is not supported for attribute "{attribute.api_slug}".'
            )
        needle = operand.lower()

        def textual(v: Stored) -> bool:
            stored = _prop_value(attribute, v, prop)
            candidates = stored if isinstance(stored, tuple) else (stored,)
            for candidate in candidates:
                if not isinstance(candidate, str):
                    continue
                hay = candidate.lower()
                if (
                    (op == "$contains" and needle in hay)
                    or (op == "$starts_with" and hay.startswith(needle))
                    or (op == "$ends_with" and hay.endswith(needle))
                ):
                    return True
            return False

        return textual
    if op in _ORDERED:
        if (attribute.type, prop) not in _COMPARABLE and prop != "active_from":
            raise _fail(
                f'The operator "{op}" is not supported for attribute "{attribute.api_slug}".'
            )
        target = _operand(attribute, prop, operand)
        if isinstance(target, bool) or not isinstance(target, int | float | str):
            raise _fail(f'Invalid operand for "{op}" on "{attribute.api_slug}".')

        def ordered(v: Stored) -> bool:
            stored = _prop_value(attribute, v, prop)
            if stored is None or isinstance(stored, str) != isinstance(target, str):
                return False
            if op == "$lt":
                return bool(stored < target)
            if op == "$lte":
                return bool(stored <= target)
            if op == "$gt":
                return bool(stored > target)
            return bool(stored >= target)

        return ordered
    raise _fail(f'Unknown operator "{op}" in filter.')


class _Compiler:
    def __init__(self, workspace: Workspace) -> None:
        self.ws = workspace

    def node(self, parent: Parent, spec: Any) -> Predicate:
        if not isinstance(spec, dict):
            raise _fail("Filter must be an object.")
        if "path" in spec:
            return self.path(parent, spec)
        parts: list[Predicate] = []
        for key, value in spec.items():
            if key == "$and" or key == "$or":
                if not isinstance(value, list):
                    raise _fail(f'"{key}" needs an array of filters.')
                subs = [self.node(parent, s) for s in value]
                parts.append(_all(subs) if key == "$and" else _any(subs))
            elif key == "$not":
                sub = self.node(parent, value)
                parts.append(_negate(sub))
            elif key.startswith("$"):
                raise _fail(f'Unknown operator "{key}" in filter.')
            else:
                attribute = parent.attribute(key)
                if attribute is None:
                    raise _fail(f'Unknown attribute slug or ID "{key}" in filter.')
                parts.append(self.attribute(attribute, value))
        return _all(parts)

    def attribute(self, attribute: AttributeDef, cond: Any) -> Predicate:
        """Conditions on one attribute: a value (``$eq`` on the default property), operators on
        the default property, or per-property conditions — each operator only where the type's
        docs page lists it for that property, and never an array where a value is due."""
        props = PROPERTIES[attribute.type]
        slug = attribute.api_slug
        allowed = OPERATORS[attribute.type]
        tests: list[Callable[[Stored], bool]] = []
        presence: bool | None = None

        def check(prop: str, op: str) -> None:
            if op not in allowed.get(prop, ()):
                target = f'property "{prop}" of ' if prop != props[0] or "." in prop else ""
                raise _fail(
                    f'The operator "{op}" is not supported for {target}attribute "{slug}" '
                    f'of type "{attribute.type}".'
                )

        def shorthand(prop: str, value: Any) -> None:
            if isinstance(value, list):
                raise _fail(
                    f'Invalid filter value for "{slug}": an array is not a value; use "$in" '
                    'where the attribute type supports it, or "$or".'
                )
            check(prop, "$eq")

        if attribute.type == "actor-reference":
            return self._actor(attribute, cond)
        if not isinstance(cond, dict):
            shorthand(props[0], cond)
            tests.append(self._default(attribute, props, "$eq", cond))
        else:
            for key, value in cond.items():
                if key == "$not_empty":
                    check(props[0], key)
                    presence = bool(value)
                elif key in _OPERATORS:
                    check(props[0], key)
                    tests.append(self._default(attribute, props, key, value))
                elif key in allowed:
                    if isinstance(value, dict):
                        for op, operand in value.items():
                            check(key, op)
                            if op == "$not_empty":
                                tests.append(_has_property(key, bool(operand)))
                            else:
                                tests.append(_condition(attribute, key, op, operand))
                    else:
                        shorthand(key, value)
                        tests.append(_condition(attribute, key, "$eq", value))
                elif key.startswith("$"):
                    raise _fail(f'Unknown operator "{key}" in filter.')
                else:
                    raise _fail(f'Unknown or unfilterable property "{key}" for attribute "{slug}".')

        def predicate(row: Row) -> bool:
            values = row.values(slug)
            if presence is not None and bool(values) != presence:
                return False
            if not tests:
                return True
            return any(all(t(v) for t in tests) for v in values)

        return predicate

    def _actor(self, attribute: AttributeDef, cond: Any) -> Predicate:
        """Actor references "can only be filtered using both the referenced_actor_type and
        referenced_actor_id properties", with ``$eq`` only (docs attribute-types-actor-reference)."""
        slug = attribute.api_slug
        keys = ("referenced_actor_type", "referenced_actor_id")
        if not isinstance(cond, dict) or set(cond) != set(keys):
            raise _fail(
                f'Actor reference attribute "{slug}" is filtered by both "referenced_actor_type" '
                'and "referenced_actor_id".'
            )
        wanted: dict[str, Any] = {}
        for key in keys:
            value = cond[key]
            if isinstance(value, dict):
                if set(value) != {"$eq"}:
                    raise _fail(f'Only "$eq" is supported for attribute "{slug}".')
                value = value["$eq"]
            if not isinstance(value, str) and not (key == "referenced_actor_id" and value is None):
                raise _fail(f'Invalid value for "{key}" of attribute "{slug}".')
            wanted[key] = value

        def predicate(row: Row) -> bool:
            return any(all(v.get(k) == wanted[k] for k in keys) for v in row.values(slug))

        return predicate

    @staticmethod
    def _default(
        attribute: AttributeDef, props: tuple[str, ...], op: str, operand: Any
    ) -> Callable[[Stored], bool]:
        if attribute.type == "location":
            raise _fail(f'Filter on location attribute "{attribute.api_slug}" needs a property.')
        return _condition(attribute, props[0], op, operand)

    def path(self, parent: Parent, spec: dict[str, Any]) -> Predicate:
        steps = spec.get("path")
        constraints = spec.get("constraints")
        if not isinstance(steps, list) or not steps or not isinstance(constraints, dict):
            raise _fail(
                'A path filter needs "path" (array of [object, attribute]) and "constraints".'
            )
        pairs: list[tuple[Parent, AttributeDef | None]] = []
        for index, step in enumerate(steps):
            if not (
                isinstance(step, list) and len(step) == 2 and all(isinstance(s, str) for s in step)
            ):
                raise _fail("Each path step must be [object, attribute].")
            owner: Parent | None = parent if index == 0 else self.ws.object(step[0])
            if index == 0 and step[0] not in (parent.api_slug, parent.id):
                raise _fail(f'Path must start at "{parent.api_slug}", not "{step[0]}".')
            if owner is None:
                raise _fail(f'Unknown object "{step[0]}" in path.')
            if isinstance(owner, ListDef) and step[1] == LIST_PARENT_RECORD:
                pairs.append((owner, None))
                continue
            attribute = owner.attribute(step[1])
            if attribute is None:
                raise _fail(f'Unknown attribute "{step[1]}" on "{step[0]}" in path.')
            if index < len(steps) - 1 and attribute.type != "record-reference":
                raise _fail(f'Path step "{step[1]}" is not a record reference.')
            pairs.append((owner, attribute))
        _final_owner, final_attribute = pairs[-1]
        if final_attribute is None:
            raise _fail("A path must end at an attribute.")
        test = self.attribute(final_attribute, constraints)
        hops = pairs[:-1]
        next_objects = [steps[i + 1][0] for i in range(len(hops))]

        def predicate(row: Row) -> bool:
            rows: Iterable[Row] = (row,)
            for (_owner, attribute), next_object in zip(hops, next_objects, strict=True):
                rows = list(self._follow(rows, attribute, next_object))
            return any(test(r) for r in rows)

        return predicate

    def _follow(
        self, rows: Iterable[Row], attribute: AttributeDef | None, target_slug: str
    ) -> Iterable[Row]:
        target = self.ws.object(target_slug)
        if target is None:
            return
        table = self.ws.table(target)
        for row in rows:
            if attribute is None:
                if isinstance(row, Entry):
                    found = table.rows.get(row.parent_record_id)
                    if found is not None:
                        yield found
                continue
            for value in row.values(attribute.api_slug):
                if value.get("target_object") == target.api_slug:
                    found = table.rows.get(value.get("target_record_id"))
                    if found is not None:
                        yield found


def _negate(sub: Predicate) -> Predicate:
    return lambda row: not sub(row)


def _has_property(prop: str, want: bool) -> Callable[[Stored], bool]:
    return lambda v: (v.get(prop) is not None) == want


def _all(parts: list[Predicate]) -> Predicate:
    if len(parts) == 1:
        return parts[0]
    return lambda row: all(p(row) for p in parts)


def _any(parts: list[Predicate]) -> Predicate:
    return lambda row: any(p(row) for p in parts)


def compile_filter(workspace: Workspace, parent: Parent, spec: Any) -> Predicate | None:
    """A predicate over rows of ``parent``, or ``None`` for "everything" (no or empty filter)."""
    if spec is None or spec == {}:
        return None
    return _Compiler(workspace).node(parent, spec)


# --- sorts -------------------------------------------------------------------------------------


def _sort_value(attribute: AttributeDef, value: Stored, field: str | None) -> Any:
    prop = field or PROPERTIES[attribute.type][0]
    if attribute.type == "select":
        return value.get("option")["title"].lower()
    if attribute.type == "status":
        return value.get("status")["title"].lower()
    if attribute.type == "location" and field is None:
        prop = "locality"
    stored = value.get(prop)
    return stored.lower() if isinstance(stored, str) else stored


def sort_rows(workspace: Workspace, parent: Parent, rows: list[Row], sorts: Any) -> list[Row]:
    """Stable multi-key sort; rows without a value come last in both directions."""
    if sorts is None:
        return rows
    if not isinstance(sorts, list):
        raise _fail("Sorts must be an array.")
    keyed: list[tuple[bool, Callable[[Row], Any]]] = []
    compiler = _Compiler(workspace)
    for spec in sorts:
        if not isinstance(spec, dict) or spec.get("direction") not in ("asc", "desc"):
            raise _fail('Each sort needs "direction" ("asc" or "desc") and an attribute or path.')
        field = spec.get("field")
        if field is not None and not isinstance(field, str):
            raise _fail('Sort "field" must be a string.')
        if "path" in spec:
            getter = _path_getter(compiler, parent, spec["path"], field)
        else:
            key = spec.get("attribute")
            attribute = parent.attribute(key) if isinstance(key, str) else None
            if attribute is None:
                raise _fail(f'Unknown attribute "{key}" in sort.')
            getter = _attribute_getter(attribute, field)
        keyed.append((spec["direction"] == "desc", getter))
    result = list(rows)
    for descending, getter in reversed(keyed):
        pairs = [(getter(r), r) for r in result]
        present = [p for p in pairs if p[0] is not None]
        missing = [p[1] for p in pairs if p[0] is None]
        try:
            present.sort(key=lambda p: p[0], reverse=descending)
        except TypeError:
            present.sort(key=lambda p: str(p[0]), reverse=descending)
        result = [p[1] for p in present] + missing
    return result


def _attribute_getter(attribute: AttributeDef, field: str | None) -> Callable[[Row], Any]:
    slug = attribute.api_slug

    def getter(row: Row) -> Any:
        values = row.values(slug)
        return _sort_value(attribute, values[0], field) if values else None

    return getter


def _path_getter(
    compiler: _Compiler, parent: Parent, steps: Any, field: str | None
) -> Callable[[Row], Any]:
    if not isinstance(steps, list) or not steps:
        raise _fail("Sort path must be an array of [object, attribute].")
    probe = compiler.path(parent, {"path": steps, "constraints": {}})
    del probe  # validates the path
    last = steps[-1]
    owner = compiler.ws.object(last[0])
    final = owner.attribute(last[1]) if owner is not None else None
    if final is None:
        raise _fail("Unknown attribute at the end of the sort path.")
    final_getter = _attribute_getter(final, field)
    hops = []
    for i, step in enumerate(steps[:-1]):
        owner_i: Parent | None = parent if i == 0 else compiler.ws.object(step[0])
        attribute = None
        if owner_i is not None and not (
            isinstance(owner_i, ListDef) and step[1] == LIST_PARENT_RECORD
        ):
            attribute = owner_i.attribute(step[1])
        hops.append((attribute, steps[i + 1][0]))

    def getter(row: Row) -> Any:
        rows: Iterable[Row] = (row,)
        for attribute, target in hops:
            rows = list(compiler._follow(rows, attribute, target))
        for r in rows:
            return final_getter(r)
        return None

    return getter
