"""How a backup learns its source's schema: copy it, before the first record.

A SQLite file starts empty, and crmbridge validates every value against the target's schema
before writing, so records cannot arrive before their objects and fields do. Rather than guess
types from the first values (which would type an empty field wrongly, and lose options, unique
keys and reference targets), :func:`copy_schema` copies the source's own ``ObjectSpec`` and
``FieldSpec`` objects into the file — ``crmbridge sqlite init backup.db --from attio`` on the
command line. The copy is adjusted for a backup:

* every field is writable (system fields such as ``record_id`` and ``created_at`` are data worth
  keeping) except ``interaction`` fields, which no CRM accepts as input, and not required (a
  backup takes records as they are);
* ``unique`` is kept, so the source's record id field (Attio ``record_id``) becomes the backup's
  default match key: ``crmbridge migrate --init`` then maps it, and re-running the backup
  updates records instead of duplicating them;
* options, reference targets, ``multi`` and types are kept as they are.

After that, ``crmbridge migrate SOURCE sqlite:backup.db --init`` pairs every object and field by
slug, and the reverse mapping restores them.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from crmbridge import AsyncBridge, Bridge, FieldSpec, FieldType, ObjectSpec

from .provider import SqliteProvider

__all__ = ["backup_field", "copy_schema", "copy_schema_async"]


def backup_field(spec: FieldSpec) -> FieldSpec:
    """``spec`` as the backup stores it (see the module docstring)."""
    return attrs.evolve(
        spec,
        writable=spec.type is not FieldType.interaction,
        required=False,
        raw=None,
    )


def _target(bridge: Bridge | AsyncBridge) -> SqliteProvider:
    if not isinstance(bridge.provider, SqliteProvider):
        raise TypeError(f"the target must be a sqlite bridge, not {bridge.provider.name}")
    return bridge.provider


def _wanted(objects: list[ObjectSpec], only: Iterable[str] | None) -> list[ObjectSpec]:
    if only is None:
        return [o for o in objects if o.kind == "object"]
    names = set(only)
    return [o for o in objects if o.slug in names]


def copy_schema(source: Bridge, target: Bridge, objects: Iterable[str] | None = None) -> list[str]:
    """Copy ``source``'s objects (all of kind ``object``, or those named) and their fields into
    the sqlite ``target``. Returns the slugs copied. Existing records are kept."""
    provider = _target(target)
    copied = []
    for spec in _wanted(source.objects(), objects):
        fields = [backup_field(f) for f in source.fields(spec.slug)]
        target.run(provider.define_object(attrs.evolve(spec, raw=None), fields))
        copied.append(spec.slug)
    target.invalidate_schema()
    return copied


async def copy_schema_async(
    source: AsyncBridge, target: AsyncBridge, objects: Iterable[str] | None = None
) -> list[str]:
    """:func:`copy_schema` for async bridges (what ``crmbridge migrate`` uses)."""
    provider = _target(target)
    copied = []
    for spec in _wanted(await source.objects(), objects):
        fields = [backup_field(f) for f in await source.fields(spec.slug)]
        await target.run(provider.define_object(attrs.evolve(spec, raw=None), fields))
        copied.append(spec.slug)
    target.invalidate_schema()
    return copied
