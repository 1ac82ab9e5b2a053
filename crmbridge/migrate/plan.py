"""Check a mapping against the two schemas, order the objects, and transform records. Pure code.

:func:`build_plans` reports *every* problem with a mapping before anything is written: unknown
fields on either side, read-only targets, incompatible types, lists into single fields without
``first``/``join``, option labels the target lacks, references to objects that are not migrated,
a match key that is not written. :class:`ObjectPlan.transform` then turns a source record into target
values; references go through the id map (a reference whose record is not migrated yet is returned
as *deferred*, written in a second pass, so cycles such as people → people work).

``_CONVERT`` is the one table of which neutral type converts into which, and how.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs

from ..errors import FieldError, ValidationError, did_you_mean
from ..model import FieldSpec, FieldType, Location, Money, Option, PersonName, Record, Ref, to_dict
from ..provider import ObjectSchema
from .mapping import FieldMap, MappingFile, ObjectMap
from .transforms import apply_custom

__all__ = ["FieldPlan", "ObjectPlan", "build_plans", "content_hash", "order_plans"]

T = FieldType
TEXTS = frozenset({T.text, T.long_text, T.email, T.phone, T.domain, T.url, T.timezone})
NUMBERS = frozenset({T.number, T.integer, T.rating})
OPTIONS = frozenset({T.option, T.status, T.tags})


def _label(v: Any) -> Any:
    return v.label if isinstance(v, Option) else v


def _as_option(v: Any) -> Any:
    """An option by label only: option ids belong to one CRM (an Attio option id means nothing
    to Kizen, which answers ``Invalid pk``), so values cross CRMs by label (issue 23)."""
    return Option(v.label) if isinstance(v, Option) else Option(str(v))


def _location_text(v: Any) -> Any:
    if not isinstance(v, Location):
        return v
    parts = [
        v.line_1,
        v.line_2,
        v.line_3,
        v.line_4,
        v.locality,
        v.region,
        v.postcode,
        v.country_code,
    ]
    return ", ".join(p for p in parts if p)


def _date_of(v: Any) -> Any:
    return v.date() if isinstance(v, dt.datetime) else v


def _datetime_of(v: Any) -> Any:
    if isinstance(v, dt.datetime) or not isinstance(v, dt.date):
        return v
    return dt.datetime(v.year, v.month, v.day, tzinfo=dt.UTC)


def _same(v: Any) -> Any:
    return v


def _money_of(v: Any) -> Any:
    return v if isinstance(v, Money) else Money(v)


def _amount(v: Any) -> Any:
    return v.amount if isinstance(v, Money) else v


def _name_text(v: Any) -> Any:
    return v.display if isinstance(v, PersonName) else v


def _user_text(v: Any) -> Any:
    return getattr(v, "email", None) or getattr(v, "name", None) or getattr(v, "id", v)


def _build_convert() -> dict[tuple[FieldType, FieldType], Callable[[Any], Any]]:
    table: dict[tuple[FieldType, FieldType], Callable[[Any], Any]] = {}
    for t in FieldType:
        table[(t, t)] = _same
    for a in TEXTS:
        for b in TEXTS:
            table[(a, b)] = _same
        for b in OPTIONS:
            table[(a, b)] = _as_option
        # The target's validation parses "First Last" (crmbridge.validation._person_name).
        table[(a, T.person_name)] = _same
    for a in NUMBERS:
        for b in NUMBERS:
            table[(a, b)] = _same
        table[(a, T.money)] = _money_of
    for a in OPTIONS:
        for b in OPTIONS:
            table[(a, b)] = _as_option
        for b in TEXTS:
            table[(a, b)] = _label
    for b in NUMBERS:
        table[(T.money, b)] = _amount
    for b in TEXTS:
        table[(T.person_name, b)] = _name_text
        table[(T.location, b)] = _location_text
        table[(T.user, b)] = _user_text
    table[(T.datetime, T.date)] = _date_of
    table[(T.date, T.datetime)] = _datetime_of
    table[(T.bool, T.option)] = lambda v: Option("Yes" if v else "No")
    return table


#: Which neutral type converts into which, and how. One table, one place.
_CONVERT = _build_convert()

#: What a transform produces, given the source type (``None``: the source type itself).
_PRODUCES: dict[str, FieldType | None] = {
    "copy": None,
    "first": None,
    "join": T.text,
    "split": T.text,
    "label": T.text,
    "full_name": T.text,
    "amount": T.number,
    "map_options": T.option,
    "split_name": T.text,
}


@attrs.frozen
class FieldPlan:
    """How one source field becomes one or two target fields."""

    map: FieldMap
    source: FieldSpec
    targets: tuple[FieldSpec, ...]
    convert: Callable[[Any], Any]

    def apply(self, value: Any) -> dict[str, Any]:
        """Target values for this field from a source value (pure; references untouched)."""
        m, (target, *rest) = self.map, self.targets
        if m.function is not None:
            value = apply_custom(m.transform, m.function, m.source, value)
        if m.transform == "split_name":
            name = value if isinstance(value, PersonName) else PersonName(full=value)
            first, last = name.first, name.last
            if first is None and last is None and name.full:
                first, _, last = name.full.partition(" ")
            return {target.slug: first or None, rest[0].slug: last or None}
        items = value if isinstance(value, list) else ([] if value is None else [value])
        if m.transform == "first":
            items = items[:1]
        elif m.transform == "join":
            joined = m.sep.join(str(_label(_name_text(v))) for v in items)
            items = [joined] if joined else []
        elif m.transform == "split":
            items = [p.strip() for v in items for p in str(v).split(m.sep) if p.strip()]
        elif m.transform == "map_options":
            # Two labels mapped to one arrive once (a multi field holds each value once).
            labels = dict.fromkeys(mapped_label(m, str(_label(v))) for v in items)
            items = [Option(label) for label in labels]
        elif m.transform == "label":
            items = [_label(v) for v in items]
        elif m.transform == "full_name":
            items = [_name_text(v) for v in items]
        elif m.transform == "amount":
            items = [_amount(v) for v in items]
        out = [self.convert(v) for v in items]
        if target.multi:
            return {target.slug: out}
        return {target.slug: out[0] if out else None}


@attrs.frozen
class ObjectPlan:
    """One object pair, checked: what to read, how to transform, what to match on."""

    map: ObjectMap
    source: ObjectSchema
    target: ObjectSchema
    match: str
    fields: tuple[FieldPlan, ...]
    constants: Mapping[str, Any]
    #: Source objects this one references (they are copied first).
    depends_on: frozenset[str]
    #: source object slug → target object slug, for rewriting references.
    object_map: Mapping[str, str]
    #: The source fields this plan maps (a record lacking one of them is read whole first: Kizen
    #: leaves hidden fields out of search answers). Derived from ``fields`` once, when the plan is
    #: made (``attrs.evolve`` makes it again): the engine and ``--verify`` test it for every record.
    reads: frozenset[str] = attrs.field(init=False, eq=False)

    @reads.default
    def _reads(self) -> frozenset[str]:
        return frozenset(fp.map.source for fp in self.fields)

    def transform(
        self, record: Record, resolve: Callable[[str, str], str | None]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """``(values, deferred)`` for the target. ``resolve(source_object, source_id)`` gives a
        migrated record's target id or ``None``; references it cannot resolve yet go to
        ``deferred`` (with the source refs) for the second pass."""
        values: dict[str, Any] = dict(self.constants)
        deferred: dict[str, Any] = {}
        for fp in self.fields:
            if not record.given(fp.map.source):
                continue  # absent is not empty: what the source did not give is not written
            raw = record.fields[fp.map.source]
            for slug, value in fp.apply(raw).items():
                if fp.targets[0].type is T.reference or any(
                    t.slug == slug and t.type is T.reference for t in fp.targets
                ):
                    value, pending = self._rewrite(value, resolve)
                    if pending:
                        deferred[slug] = pending
                values[slug] = value
        return values, deferred

    def _rewrite(
        self, value: Any, resolve: Callable[[str, str], str | None]
    ) -> tuple[Any, list[Ref]]:
        refs = value if isinstance(value, list) else ([] if value is None else [value])
        done: list[Ref] = []
        pending: list[Ref] = []
        for ref in refs:
            target_object = self.object_map.get(ref.object)
            new_id = resolve(ref.object, ref.id) if target_object else None
            if target_object and new_id:
                done.append(Ref(target_object, new_id))
            else:
                pending.append(ref)
        if isinstance(value, list):
            return done, pending
        return (done[0] if done else None), pending

    def rewrite_deferred(
        self, deferred: Mapping[str, Any], resolve: Callable[[str, str], str | None]
    ) -> dict[str, Any]:
        """Second pass: the deferred references that now resolve (others are dropped)."""
        out: dict[str, Any] = {}
        for slug, refs in deferred.items():
            spec = self.target.fields[slug]
            value, _ = self._rewrite(list(refs) if spec.multi else refs[0], resolve)
            out[slug] = value
        return out


def mapped_label(m: FieldMap, label: str) -> str:
    """The target label of source option ``label``: the one ``options`` names, else ``default``,
    else the label itself (a label the target has arrives as itself; never ``None`` unasked)."""
    new = m.options.get(label)
    if new is None:
        folded = label.casefold()
        new = next((v for k, v in m.options.items() if k.casefold() == folded), None)
    if new is None:
        new = m.default if m.default is not None else label
    return new


def content_hash(values: Mapping[str, Any]) -> str:
    """A stable hash of target values: an unchanged record hashes the same on every run."""
    plain = {k: to_dict(v) for k, v in sorted(values.items())}
    text = json.dumps(plain, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _source_labels(spec: FieldSpec) -> set[str]:
    return {o.label for o in spec.options}


def build_plans(
    mapping: MappingFile,
    sources: Mapping[str, ObjectSchema],
    targets: Mapping[str, ObjectSchema],
    *,
    default_match: Callable[[ObjectSchema], str | None],
    create_options: bool = False,
    can_create_options: bool = True,
    upsert_match: str = "unique",
    missing_field_hint: str = "",
) -> tuple[list[ObjectPlan], dict[tuple[str, str], list[str]]]:
    """Check ``mapping`` against the schemas. Returns the plans (in dependency order) and the
    option labels to create on the target (only with ``create_options``, for a target that
    ``can_create_options``); raises a
    :class:`ValidationError` listing every problem otherwise. ``missing_field_hint`` ends the
    message of each target field the target lacks (how to create it)."""
    errors: list[FieldError] = []
    missing_options: dict[tuple[str, str], list[str]] = {}
    object_map = {o.source: o.target for o in mapping.objects}
    plans: list[ObjectPlan] = []

    def problem(where: str, message: str, expected: str | None = None) -> None:
        errors.append(FieldError(where, message, expected=expected, code="bad_mapping"))

    for om in mapping.objects:
        src, dst = sources[om.source], targets[om.target]
        fplans: list[FieldPlan] = []
        depends: set[str] = set()
        for fm in om.fields:
            where = f"{om.source}.{fm.source}"
            if fm.transform == "skip":
                if fm.source not in src.fields:
                    problem(
                        where,
                        f"{om.source!r} has no field {fm.source!r}{did_you_mean(fm.source, src.fields)}",
                    )
                continue
            sspec = src.fields.get(fm.source)
            if sspec is None:
                problem(
                    where,
                    f"source object {om.source!r} has no field {fm.source!r}{did_you_mean(fm.source, src.fields)}",
                    ", ".join(sorted(src.fields)[:30]),
                )
                continue
            tspecs: list[FieldSpec] = []
            for slug in fm.to:
                tspec = dst.fields.get(slug)
                if tspec is None:
                    problem(
                        where,
                        f"target object {om.target!r} has no field {slug!r}"
                        f"{did_you_mean(slug, dst.fields)}{missing_field_hint}",
                        ", ".join(sorted(dst.fields)[:30]),
                    )
                elif not tspec.writable:
                    problem(where, f"target field {om.target}.{slug} is read-only")
                else:
                    tspecs.append(tspec)
            if len(tspecs) != len(fm.to):
                continue
            convert = _check_field(fm, sspec, tspecs, problem, where)
            if convert is None:
                continue
            if sspec.type is T.reference and tspecs[0].type is T.reference:
                for obj in sspec.target_objects or ():
                    if obj in object_map:
                        depends.add(obj)
                        allowed = tspecs[0].target_objects
                        if allowed and object_map[obj] not in allowed:
                            problem(
                                where,
                                f"{om.target}.{tspecs[0].slug} cannot point to {object_map[obj]!r}",
                                " or ".join(allowed),
                            )
                if sspec.target_objects and not any(o in object_map for o in sspec.target_objects):
                    problem(
                        where,
                        f"references {', '.join(sspec.target_objects)}, which this "
                        "mapping does not migrate; map that object or skip the field",
                    )
            target = tspecs[0]
            if target.type in (T.option, T.status) and target.options and fm.function is None:
                labels = _expected_labels(fm, sspec)
                have = {o.label.casefold() for o in target.options}
                missing = sorted(lbl for lbl in labels if lbl.casefold() not in have)
                if missing and create_options and can_create_options:
                    missing_options[(om.target, target.slug)] = missing
                elif missing:
                    remedy = (
                        " or pass --create-options"
                        if can_create_options
                        else " (the target cannot create options)"
                    )
                    problem(
                        where,
                        f"option label(s) missing on {om.target}.{target.slug}: "
                        f"{', '.join(repr(m) for m in missing)}; map only these with "
                        f'transform = "map_options", options = {{ "<label>" = "<target label>" }}'
                        f" (labels the target has pass through as themselves){remedy}",
                        ", ".join(o.label for o in target.options),
                    )
            fplans.append(FieldPlan(fm, sspec, tuple(tspecs), convert))
        constants: dict[str, Any] = {}
        for slug, value in om.constants.items():
            tspec = dst.fields.get(slug)
            if tspec is None:
                problem(
                    f"{om.target}.{slug}",
                    f"target object {om.target!r} has no field {slug!r}{did_you_mean(slug, dst.fields)}",
                )
                continue
            from ..validation import normalize_value

            try:
                constants[slug] = normalize_value(tspec, value)
            except ValidationError as exc:
                errors.extend(exc.field_errors)
        match = om.match or default_match(dst)
        written = {t.slug for fp in fplans for t in fp.targets} | set(constants)
        # A required field nothing fills fails every record, with an error that may name only
        # the field's id (Attio: 'Required value for attribute with ID "f814…"'): say it now.
        unfilled = [
            f
            for f in dst.fields.values()
            if f.required and f.writable and f.slug not in written and f.slug not in om.constants
        ]
        if unfilled:
            names = ", ".join(f"{f.slug} ({f.label!r})" for f in unfilled)
            problem(
                om.key,
                f"required field(s) of {om.target} that the mapping does not fill: {names}; "
                "map a source field to each, or give a value under [objects.constants]",
            )
        if match is None:
            problem(om.key, f'name the target match key: match = "<field of {om.target}>"')
        elif match not in dst.fields:
            problem(
                om.key,
                f"match key {match!r} is not a field of {om.target!r}{did_you_mean(match, dst.fields)}",
            )
        elif match not in written:
            problem(
                om.key,
                f"match key {match!r} is not written by the mapping; map a source field to it",
            )
        elif not om.emulate and upsert_match == "unique" and not dst.fields[match].unique:
            problem(
                om.key,
                f"{om.target}.{match} is not unique, so the target cannot upsert on it; "
                "match on a unique field, or set emulate = true (search, then write)",
            )
        elif not om.emulate and upsert_match == "fixed" and match != default_match(dst):
            problem(
                om.key,
                f"the target upserts {om.target} on {default_match(dst)!r} only; "
                f"set emulate = true to match on {match!r} (search, then write)",
            )
        plans.append(
            ObjectPlan(
                om,
                src,
                dst,
                match or "",
                tuple(fplans),
                constants,
                frozenset(depends - {om.source}),
                object_map,
            )
        )
    if errors:
        raise ValidationError(
            f"the mapping does not fit the schemas ({len(errors)} problem(s)); nothing was written",
            field_errors=errors,
            code="bad_mapping",
        )
    return order_plans(plans), missing_options


def _expected_labels(fm: FieldMap, sspec: FieldSpec) -> set[str]:
    """The target labels a field can produce: every source label as :func:`mapped_label` maps it
    (plus the ``options`` values, for a source without a list of options, such as text)."""
    labels = {mapped_label(fm, lbl) for lbl in _source_labels(sspec)}
    if fm.transform == "map_options":
        labels |= set(fm.options.values())
    return labels


def _check_field(
    fm: FieldMap,
    sspec: FieldSpec,
    tspecs: list[FieldSpec],
    problem: Callable[[str, str, str | None], None],
    where: str,
) -> Callable[[Any], Any] | None:
    if fm.function is not None:
        # What a custom transform returns is checked by the target, record by record.
        return _as_option if tspecs[0].type in OPTIONS else _same
    produced = _PRODUCES[fm.transform] or sspec.type
    target = tspecs[0]
    if fm.transform == "split_name" and sspec.type not in (T.person_name, *TEXTS):
        problem(where, "split_name needs a person name or text source", None)
        return None
    if fm.transform == "map_options" and sspec.type not in OPTIONS | TEXTS:
        problem(where, "map_options needs an option, status, tags or text source", None)
        return None
    convert = _CONVERT.get((produced, target.type))
    if convert is None:
        problem(
            where,
            f"cannot convert {sspec.type.value} ({fm.transform}) into "
            f"{target.type.value} ({target.slug})",
            None,
        )
        return None
    many = (sspec.multi and fm.transform not in ("first", "join")) or fm.transform == "split"
    if many and not target.multi:
        problem(
            where,
            f"{fm.source} holds a list but {target.slug} holds one value; "
            'add transform = "first" (or "join" for text)',
            None,
        )
        return None
    return convert


def order_plans(plans: Iterable[ObjectPlan]) -> list[ObjectPlan]:
    """Referenced objects first (companies before the people who point to them); cycles keep the
    mapping file's order (their references are written in the second pass)."""
    pending = list(plans)
    done: set[str] = set()
    ordered: list[ObjectPlan] = []
    while pending:
        ready = [p for p in pending if p.depends_on <= done] or pending[:1]
        for p in ready:
            ordered.append(p)
            done.add(p.map.source)
            pending.remove(p)
    return ordered
