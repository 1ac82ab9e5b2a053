"""Finding a field's option from what a user gives, and the special option fields. Pure.

Kizen's own tools match an option by label, case-insensitively, or by its ``code``
(kizen/kizen-admin-cli ``tools/planners/records.py`` ``_resolve_option``; docs/reference/kizen.md
§11), so crmbridge does too. Two default fields are not plain options:

* contacts' **Email Status** is filtered by the snake_case slug of an option's label
  (``"Opted In"`` → ``opted_in``), not by its id (kizen-admin-cli ``src/kizen_builder/filtering.py``,
  docs/reference/kizen.md §8);
* the pipeline **stage** is a ``dropdown`` named ``stage`` on pipeline objects, moved with
  ``PATCH …/move {"stage_id"}`` and filtered with ``"overwrite": {"type": "stage"}``
  (docs/reference/kizen.md §5, §8).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from crmbridge import FieldSpec, Option

from .types import DEFAULT_FIELD_NAMES

__all__ = ["email_status_token", "find_option", "is_default", "is_email_status", "is_stage",
           "is_stage_payload", "looks_like_id"]  # fmt: skip


def _raw(spec: FieldSpec) -> Mapping[str, Any]:
    return spec.raw if isinstance(spec.raw, Mapping) else {}


def _is_default(slug: str, raw: Mapping[str, Any]) -> bool:
    flag = raw.get("is_default")
    if isinstance(flag, bool):
        return flag
    return slug in DEFAULT_FIELD_NAMES


def is_default(spec: FieldSpec) -> bool:
    """A default (non-custom) field: ``is_default`` from ``…/fields/settings-search`` when the
    schema carries it, else :data:`~crmbridge_kizen.types.DEFAULT_FIELD_NAMES`."""
    return _is_default(spec.slug, _raw(spec))


def is_stage_payload(slug: str, raw: Mapping[str, Any]) -> bool:
    """Whether the field ``slug`` with Kizen's metadata ``raw`` is the pipeline stage: the
    default ``dropdown`` (or ``stage``) field named ``stage`` (kizen/builder-cli deals fixture;
    docs/reference/kizen.md §5). A field without its metadata (built by hand) and named
    ``stage`` is taken for it."""
    return (
        slug == "stage"
        and raw.get("field_type") in ("dropdown", "stage", None)
        and _is_default(slug, raw)
    )


def is_stage(spec: FieldSpec) -> bool:
    """The pipeline stage (:func:`is_stage_payload`)."""
    return is_stage_payload(spec.slug, _raw(spec))


def is_email_status(spec: FieldSpec) -> bool:
    """Contacts' default Email Status dropdown."""
    return spec.slug == "email_status" and is_default(spec)


def _codes(spec: FieldSpec) -> dict[str, str]:
    """Option code (casefolded) → option id, from the field's metadata."""
    raw = _raw(spec)
    out: dict[str, str] = {}
    for o in raw.get("options") or ():
        if isinstance(o, Mapping) and isinstance(o.get("code"), str) and o.get("id"):
            out[o["code"].casefold()] = str(o["id"])
    return out


def find_option(spec: FieldSpec, value: Any) -> Option | None:
    """The option of ``spec`` that ``value`` (a label, an id, an :class:`~crmbridge.Option` or a
    code) names, or ``None``."""
    if not isinstance(value, str | Option):
        return None
    found = spec.option(value)
    if found is not None:
        return found
    label = value.label if isinstance(value, Option) else value
    oid = _codes(spec).get(label.casefold())
    if oid is not None:
        return next((o for o in spec.options if o.id == oid), None)
    return None


def email_status_token(spec: FieldSpec, value: Any) -> str | None:
    """The Email Status filter token (slug of the label) for ``value``, or ``None``."""
    found = find_option(spec, value)
    if found is not None:
        return found.label.lower().replace(" ", "_")
    if isinstance(value, str):
        slugs = {o.label.lower().replace(" ", "_") for o in spec.options}
        if value in slugs:
            return value
    return None


def looks_like_id(value: str) -> bool:
    """Whether ``value`` is a UUID (Kizen's tools pass those through as ids)."""
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
