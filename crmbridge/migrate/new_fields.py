"""The target fields a mapping names that the target lacks, and what to create for each. Pure.

``crmbridge migrate --create-fields`` creates them before any record is written (issue 21). The
definition of each comes from its source field (crmbridge/migrate/plan.py's rules for what a
transform produces): the neutral type the mapped values have, the source field's label, its
options as the mapping renames them, the objects a reference points to (through the object map),
its currency. The target provider then says what it would create for that definition
(:meth:`~crmbridge.plugin.Provider.field_to_create`: a CRM fact, in its plugin); the mapping is
checked against those planned fields like against any other, so a dry run shows every problem
without creating anything.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import attrs

from ..errors import FieldError, ValidationError
from ..model import FieldSpec, FieldType, Option
from ..provider import ObjectSchema
from ..schema_writes import check_new_field
from .mapping import FieldMap, MappingFile, ObjectMap
from .plan import _PRODUCES, OPTIONS, mapped_label

__all__ = ["FLAG", "definition_for", "missing_fields", "plan_new_fields", "with_fields"]

#: The command line flag that creates them (named in the refusal).
FLAG = "--create-fields"

#: ``field_to_create`` of the target provider: (target schema, definition) → planned field.
Planner = Callable[[ObjectSchema, FieldSpec], FieldSpec]


def missing_fields(
    mapping: MappingFile, sources: Mapping[str, ObjectSchema], targets: Mapping[str, ObjectSchema]
) -> list[tuple[ObjectMap, FieldMap, str]]:
    """``(object map, field map, target slug)`` for every mapped target field the target lacks
    (a field mapped from a source field that exists: other problems are the plan's to report)."""
    out: list[tuple[ObjectMap, FieldMap, str]] = []
    seen: set[tuple[str, str]] = set()
    for om in mapping.objects:
        src, dst = sources[om.source], targets[om.target]
        for fm in om.fields:
            if fm.transform == "skip" or fm.source not in src.fields:
                continue
            for slug in fm.to:
                if slug not in dst.fields and (om.target, slug) not in seen:
                    seen.add((om.target, slug))
                    out.append((om, fm, slug))
    return out


def _labels(fm: FieldMap, sspec: FieldSpec) -> list[Option]:
    """The options the new field needs: every label the source field can produce, as the
    mapping renames them, in the source's order; labels equal but for case once (targets match
    labels case-insensitively: crmbridge.FieldSpec.option)."""
    labels = [mapped_label(fm, o.label) for o in sspec.options]
    if fm.transform == "map_options":
        labels += list(fm.options.values())
    first = {label.casefold(): label for label in reversed(labels)}
    return [Option(first[key]) for key in dict.fromkeys(label.casefold() for label in labels)]


def definition_for(
    om: ObjectMap, fm: FieldMap, slug: str, sspec: FieldSpec, object_map: Mapping[str, str]
) -> FieldSpec:
    """The neutral definition of the new target field ``slug`` fed by ``fm``; a
    :class:`~crmbridge.ValidationError` when the mapping does not say what it holds."""
    if fm.function is not None:
        raise ValidationError(
            f"{om.target}.{slug} is fed by the custom transform {fm.transform!r}, whose values "
            "crmbridge cannot type: create the field in the target first"
        )
    produced = _PRODUCES[fm.transform] or sspec.type
    if fm.transform == "split_name":
        return FieldSpec(slug, slug.replace("_", " ").capitalize(), FieldType.text)
    multi = fm.transform == "split" or (sspec.multi and fm.transform not in ("first", "join"))
    options = _labels(fm, sspec) if produced in OPTIONS else ()
    targets = [object_map[o] for o in sspec.target_objects if o in object_map]
    if produced is FieldType.reference and not targets:
        raise ValidationError(
            f"{om.target}.{slug} would reference {', '.join(sspec.target_objects) or 'nothing'}, "
            "which this mapping does not migrate; map that object or skip the field"
        )
    return FieldSpec(
        slug=slug,
        label=sspec.label if len(fm.to) == 1 else slug.replace("_", " ").capitalize(),
        type=produced,
        multi=multi,
        unique=slug == om.match,
        options=options,
        target_objects=targets if produced is FieldType.reference else (),
        currency=sspec.currency if produced is FieldType.money else None,
    )


def plan_new_fields(
    mapping: MappingFile,
    sources: Mapping[str, ObjectSchema],
    targets: Mapping[str, ObjectSchema],
    planner: Planner,
) -> dict[str, list[FieldSpec]]:
    """Target object → the fields to create there, as the target would make them
    (``planner``); a :class:`~crmbridge.ValidationError` naming every field that cannot be."""
    object_map = {o.source: o.target for o in mapping.objects}
    out: dict[str, list[FieldSpec]] = {}
    problems: list[FieldError] = []
    for om, fm, slug in missing_fields(mapping, sources, targets):
        where = f"{om.target}.{slug}"
        try:
            spec = definition_for(om, fm, slug, sources[om.source].fields[fm.source], object_map)
            schema = targets[om.target]
            planned = planner(schema, check_new_field(schema, spec))
        except ValidationError as exc:
            problems.append(FieldError(where, str(exc), code="cannot_create_field"))
            continue
        out.setdefault(om.target, []).append(planned)
    if problems:
        raise ValidationError(
            f"{len(problems)} target field(s) cannot be created ({FLAG}); nothing was written",
            field_errors=problems,
            code="cannot_create_field",
        )
    return out


def with_fields(schema: ObjectSchema, fields: list[FieldSpec]) -> ObjectSchema:
    """``schema`` with the planned ``fields`` added (what the mapping is checked against)."""
    return attrs.evolve(schema, fields={**schema.fields, **{f.slug: f for f in fields}})
