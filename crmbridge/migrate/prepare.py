"""The reading half of planning a migration: both schemas, the mapping checked against them
(:func:`~crmbridge.migrate.plan.build_plans`, pure), and the users paired
(:func:`~crmbridge.migrate.users.resolve_users`). A run (:class:`~crmbridge.migrate.engine.
MigrationEngine`) and ``--verify`` (:mod:`crmbridge.migrate.verify`) both start here, so what
``--verify`` compares is what a run writes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from ..errors import Unsupported
from ..model import FieldSpec
from ..provider import ObjectSchema
from .mapping import MappingFile
from .new_fields import FLAG, missing_fields, plan_new_fields, with_fields
from .plan import ObjectPlan, build_plans
from .users import resolve_users

if TYPE_CHECKING:
    from ..bridge import AsyncBridge

__all__ = ["Prepared", "prepare_plans"]


@attrs.frozen
class Prepared:
    """The checked plans (dependency order), the option labels to create on the target, the
    target schemas they were checked against (to create those options with), and the target
    fields to create first (``--create-fields``: crmbridge/migrate/new_fields.py)."""

    plans: list[ObjectPlan]
    missing_options: dict[tuple[str, str], list[str]]
    targets: dict[str, ObjectSchema]
    new_fields: dict[str, list[FieldSpec]] = attrs.field(factory=dict)


async def prepare_plans(
    source: AsyncBridge,
    target: AsyncBridge,
    mapping: MappingFile,
    *,
    create_options: bool,
    can_create_options: bool,
    create_fields: bool = False,
) -> Prepared:
    """Fetch both schemas and check ``mapping``: every problem, before any write (see
    :func:`~crmbridge.migrate.plan.build_plans` for ``create_options``). With
    ``create_fields``, the target fields the mapping names and the target lacks are planned
    (:func:`~crmbridge.migrate.new_fields.plan_new_fields`) and the mapping is checked against
    them; without, each is refused naming the flag (when the target can create fields)."""
    sources: dict[str, ObjectSchema] = {}
    targets: dict[str, ObjectSchema] = {}
    for om in mapping.objects:
        sources[om.source] = await source.schema(om.source)
        targets[om.target] = await target.schema(om.target)
    new: dict[str, list[FieldSpec]] = {}
    if create_fields and missing_fields(mapping, sources, targets):
        _require_create_fields(target)
        new = plan_new_fields(mapping, sources, targets, target.provider.field_to_create)
    checked = {k: with_fields(v, new[k]) if k in new else v for k, v in targets.items()}
    hint = f"; pass {FLAG} to create it" if target.capabilities.create_fields else ""
    plans, missing = build_plans(
        mapping,
        sources,
        checked,
        default_match=target.provider.match_key,
        create_options=create_options,
        can_create_options=can_create_options,
        upsert_match=target.capabilities.upsert_match,
        missing_field_hint="" if create_fields else hint,
    )
    plans = await resolve_users(source, target, mapping, plans)
    return Prepared(plans, missing, checked, new)


def _require_create_fields(target: AsyncBridge) -> None:
    if not target.capabilities.create_fields:
        raise Unsupported(
            f"{target.name} cannot create fields ({FLAG}): create them in {target.name} first",
            provider=target.name,
        )
