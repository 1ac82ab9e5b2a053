"""The reading half of planning a migration: both schemas, the mapping checked against them
(:func:`~crmbridge.migrate.plan.build_plans`, pure), and the users paired
(:func:`~crmbridge.migrate.users.resolve_users`). A run (:class:`~crmbridge.migrate.engine.
MigrationEngine`) and ``--verify`` (:mod:`crmbridge.migrate.verify`) both start here, so what
``--verify`` compares is what a run writes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from ..provider import ObjectSchema
from .mapping import MappingFile
from .plan import ObjectPlan, build_plans
from .users import resolve_users

if TYPE_CHECKING:
    from ..bridge import AsyncBridge

__all__ = ["Prepared", "prepare_plans"]


@attrs.frozen
class Prepared:
    """The checked plans (dependency order), the option labels to create on the target, and the
    target schemas they were checked against (to create those options with)."""

    plans: list[ObjectPlan]
    missing_options: dict[tuple[str, str], list[str]]
    targets: dict[str, ObjectSchema]


async def prepare_plans(
    source: AsyncBridge,
    target: AsyncBridge,
    mapping: MappingFile,
    *,
    create_options: bool,
    can_create_options: bool,
) -> Prepared:
    """Fetch both schemas and check ``mapping``: every problem, before any write (see
    :func:`~crmbridge.migrate.plan.build_plans` for ``create_options``)."""
    sources: dict[str, ObjectSchema] = {}
    targets: dict[str, ObjectSchema] = {}
    for om in mapping.objects:
        sources[om.source] = await source.schema(om.source)
        targets[om.target] = await target.schema(om.target)
    plans, missing = build_plans(
        mapping,
        sources,
        targets,
        default_match=target.provider.match_key,
        create_options=create_options,
        can_create_options=can_create_options,
        upsert_match=target.capabilities.upsert_match,
    )
    plans = await resolve_users(source, target, mapping, plans)
    return Prepared(plans, missing, targets)
