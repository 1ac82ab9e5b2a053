"""Creating fields and options in a CRM: the checks every provider shares, and the facades' plans.

A new field is described by a :class:`~crmbridge.FieldSpec` (slug, label, neutral type,
``multi``, ``options``, ``target_objects``, ``currency``): the same class ``fields()`` answers, so a
source CRM's field can be handed to a target as it is (``crmbridge migrate --create-fields``).
What is checked here holds for every CRM, before any request (docs/design.md §4, "every bad input:
a clear crmbridge error before any request"): the definition is well formed, the object does not
have the field yet, the provider can create fields at all (``Capabilities.create_fields``). What a
CRM can create (which types, which slugs) is the provider's own rule,
:meth:`~crmbridge.plugin.Provider.field_to_create`, which turns the neutral definition into the
field it would create, or refuses it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import FieldError, Unsupported, ValidationError
from .model import FieldSpec, FieldType, Option

if TYPE_CHECKING:
    from .provider import ObjectSchema, Plan, Provider

__all__ = [
    "OPTION_TYPES",
    "check_new_field",
    "check_new_option",
    "create_field",
    "create_option",
]

#: Neutral types whose fields hold options (a definition of another type lists none).
OPTION_TYPES = frozenset({FieldType.option, FieldType.status, FieldType.tags})
#: Types no CRM lets a user create: computed by the CRM (interactions) or not known.
_NEVER = frozenset({FieldType.interaction, FieldType.unknown})


def _problem(where: str, message: str, expected: str | None = None) -> FieldError:
    return FieldError(where, message, expected=expected, code="bad_field_definition")


def check_new_field(schema: ObjectSchema, spec: Any) -> FieldSpec:
    """``spec`` if it can be a new field of ``schema``; a :class:`~crmbridge.ValidationError`
    listing every problem otherwise (nothing is sent)."""
    if not isinstance(spec, FieldSpec):
        raise ValidationError(
            f"a new field is described by a crmbridge.FieldSpec, got {type(spec).__name__}",
            code="bad_field_definition",
        )
    where = f"{schema.slug}.{spec.slug}"
    problems: list[FieldError] = []
    if not isinstance(spec.slug, str) or not spec.slug.strip():
        problems.append(_problem(schema.slug, "a new field needs a slug (a non-empty string)"))
    elif spec.slug in schema.fields:
        problems.append(_problem(where, f"{schema.slug!r} already has a field {spec.slug!r}"))
    if not isinstance(spec.label, str) or not spec.label.strip():
        problems.append(_problem(where, "a new field needs a label (a non-empty string)"))
    if not isinstance(spec.type, FieldType) or spec.type in _NEVER:
        problems.append(
            _problem(
                where,
                f"a field of type {getattr(spec.type, 'value', spec.type)!r} cannot be created",
            )
        )
    if spec.options and spec.type not in OPTION_TYPES:
        problems.append(
            _problem(
                where,
                f"a {spec.type} field has no options",
                ", ".join(sorted(t.value for t in OPTION_TYPES)),
            )
        )
    seen: set[str] = set()
    options: tuple[Any, ...] = spec.options  # anything may have been passed in
    for option in options:
        if not isinstance(option, Option) or not isinstance(option.label, str):
            problems.append(_problem(where, f"options are crmbridge.Option, got {option!r}"))
            continue
        if not option.label.strip():
            problems.append(_problem(where, "an option needs a label (a non-empty string)"))
        elif option.label.casefold() in seen:
            problems.append(_problem(where, f"option {option.label!r} is listed twice"))
        seen.add(option.label.casefold())
    if spec.type is FieldType.reference and not spec.target_objects:
        problems.append(_problem(where, "a reference field names the objects it points to "
                                 "(target_objects)"))  # fmt: skip
    if problems:
        raise ValidationError(
            f"cannot create {where}: {'; '.join(p.message for p in problems)}",
            field_errors=problems,
            code="bad_field_definition",
        )
    return spec


def check_new_option(schema: ObjectSchema, field: FieldSpec, label: Any) -> str:
    """The label of a new option of ``field``, stripped; a :class:`~crmbridge.ValidationError`
    when it is not a non-empty string, ``field`` holds no options, or it has that label
    (compared case-insensitively, as :meth:`~crmbridge.FieldSpec.option` finds labels)."""
    where = f"{schema.slug}.{field.slug}"
    if not isinstance(label, str) or not label.strip():
        raise ValidationError(
            f"a new option of {where} needs a label (a non-empty string), got {label!r}",
            code="bad_option",
        )
    if field.type not in OPTION_TYPES:
        raise ValidationError(
            f"{where} is a {field.type} field: it has no options to add to", code="bad_option"
        )
    stripped: str = label.strip()
    if any(o.label.casefold() == stripped.casefold() for o in field.options):
        raise ValidationError(f"{where} already has the option {stripped!r}", code="bad_option")
    return stripped


def _require(provider: Provider, capability: str, verb: str) -> None:
    if not getattr(provider.capabilities, capability):
        raise Unsupported(
            f"{provider.name} cannot {verb} (Capabilities.{capability} is false)",
            provider=provider.name,
        )


def create_field(provider: Provider, schema: ObjectSchema, spec: Any) -> Plan[FieldSpec]:
    """Create the field ``spec`` describes on ``schema``'s object: checked here, translated by
    the provider (:meth:`~crmbridge.plugin.Provider.field_to_create`), then created. Returns the
    field as the CRM made it."""
    _require(provider, "create_fields", "create fields")
    planned = provider.field_to_create(schema, check_new_field(schema, spec))
    return (yield from provider.create_field(schema, planned))


def create_option(provider: Provider, schema: ObjectSchema, field: str, label: Any) -> Plan[Option]:
    """Add the option ``label`` to ``schema``'s field ``field`` (slug or provider id)."""
    _require(provider, "create_options", "create options")
    spec = schema.field(field)
    checked = check_new_option(schema, spec, label)
    return (yield from provider.create_option(schema, spec, checked))
