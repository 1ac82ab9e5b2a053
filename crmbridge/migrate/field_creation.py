"""Creating the target fields a migration planned (``crmbridge migrate --create-fields``).

:func:`~crmbridge.migrate.new_fields.plan_new_fields` decided what to create, with the target
provider's rules, before any write; this runs it. A dry run only says what it would create (one
``create_field`` line per field, with the type and options the target would get); a run creates
each field with its options through the provider (:meth:`~crmbridge.plugin.Provider.create_field`)
and drops the target's cached schemas, so the mapping is then checked against what the target
really made.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..model import FieldSpec

if TYPE_CHECKING:
    from ..bridge import AsyncBridge
    from .prepare import Prepared

__all__ = ["create_fields", "describe"]

log = logging.getLogger("crmbridge.migrate")


def describe(obj: str, spec: FieldSpec) -> dict[str, Any]:
    """The plan line of one field to create (what ``--dry-run`` prints)."""
    line: dict[str, Any] = {
        "action": "create_field",
        "object": obj,
        "field": spec.slug,
        "label": spec.label,
        "type": spec.type.value,
        "multi": spec.multi,
    }
    if spec.options:
        line["options"] = [o.label for o in spec.options]
    if spec.target_objects:
        line["target_objects"] = list(spec.target_objects)
    if spec.currency:
        line["currency"] = spec.currency
    return line


async def create_fields(
    target: AsyncBridge,
    prepared: Prepared,
    dry_run: bool,
    emit: Callable[[dict[str, Any]], None],
) -> None:
    """Create (or, in a dry run, show) every field of ``prepared.new_fields``."""
    for obj, specs in prepared.new_fields.items():
        schema = prepared.targets[obj]
        for spec in specs:
            emit(describe(obj, spec))
            if dry_run:
                continue
            made = await target.run(target.provider.create_field(schema, spec))
            log.info("created %s.%s (%s)", obj, made.slug, made.type.value)
        if not dry_run:
            target.invalidate_schema(obj)
