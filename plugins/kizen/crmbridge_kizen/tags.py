"""Dynamic tags by label: their ids come from Kizen's tag endpoints, not from field metadata.

A ``dynamictags`` field lists no options in its metadata; Kizen's own tools resolve a tag name to
its id through ``GET /api/client/fields/{field_id}/tags`` (contacts) or
``GET /api/pipelines/{object_id}/fields/{field_id}/tags`` (every other object), searching by name
and comparing names case-insensitively (kizen/kizen-admin-cli ``src/kizen_builder/api/schema.py``
``get_field_tags``, ``filtering.py`` ``tag_id``; docs/reference/kizen.md §3). Filters must send ids;
writes send ids for the tags that exist and ``{"name": label}`` for new ones (Kizen creates them,
admin-cli's fallback; docs/reference/kizen.md §5 dynamictags).

:func:`labels_in_values` and :func:`labels_in_filter` say which labels a request needs (pure);
:func:`with_tags` looks them up and answers the schema with those tags as the fields' options, so
the codec, the filter builder and the noop check find them like any option.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import quote

import attrs
import httpx

from crmbridge import Add, FieldSpec, FieldType, Option, Record, Remove
from crmbridge.filters import Filter
from crmbridge.plugin import Plan, walk
from crmbridge.provider import ObjectSchema

from .codec import decode_page
from .options import looks_like_id
from .types import CONTACTS

__all__ = ["labels_in_filter", "labels_in_values", "learn", "tag_path", "with_tags"]

Wanted = dict[str, set[str]]  # field slug -> labels


def _labels(items: Iterable[Any]) -> set[str]:
    out = set()
    for v in items:
        if isinstance(v, Option) and not v.id:
            out.add(v.label)
        elif isinstance(v, str) and not looks_like_id(v):
            out.add(v)
    return out


def _is_tags(spec: FieldSpec | None) -> bool:
    return spec is not None and spec.type is FieldType.tags


def labels_in_values(schema: ObjectSchema, values: Mapping[str, Any]) -> Wanted:
    """The tag labels (not ids) a write gives, per dynamic tag field."""
    out: Wanted = {}
    for slug, value in values.items():
        spec = schema.fields.get(slug)
        if not _is_tags(spec):
            continue
        if isinstance(value, Add | Remove):
            items: Iterable[Any] = value.values
        elif isinstance(value, list | tuple):
            items = value
        else:
            items = [value]
        found = _labels(items)
        if found:
            out.setdefault(slug, set()).update(found)
    return out


def labels_in_filter(schema: ObjectSchema, where: Filter | None) -> Wanted:
    """The tag labels a filter compares with, per dynamic tag field (every condition of the tree,
    through the core's :func:`~crmbridge.plugin.walk`)."""
    out: Wanted = {}
    for f in walk(where) if where is not None else ():
        spec = schema.fields.get(f.field)
        if _is_tags(spec) and f.value is not None and not isinstance(f.value, bool):
            items = f.value if isinstance(f.value, list | tuple) else [f.value]
            found = _labels(items)
            if found:
                out.setdefault(f.field, set()).update(found)
    return out


def learn(schema: ObjectSchema, record: Record, known: dict[tuple[str, str], Option]) -> None:
    """Remember the tags a single record read back (``{id, name}``), so a later write or filter
    with those labels needs no lookup (one record at a time: search pages are not scanned)."""
    for slug, spec in schema.fields.items():
        if spec.type is FieldType.tags:
            key = spec.provider_id or slug
            for tag in record.fields.get(slug) or ():
                if isinstance(tag, Option) and tag.id:
                    known[(key, tag.label.casefold())] = tag


def tag_path(schema: ObjectSchema, spec: FieldSpec) -> str:
    """The tag list of ``spec``: ``/api/client/fields/{id}/tags`` on contacts, else
    ``/api/pipelines/{object_id}/fields/{id}/tags`` (admin-cli ``get_field_tags``)."""
    field = quote(spec.provider_id or spec.slug, safe="")
    if schema.slug == CONTACTS:
        return f"/api/client/fields/{field}/tags"
    obj = quote(schema.object.provider_id or schema.slug, safe="")
    return f"/api/pipelines/{obj}/fields/{field}/tags"


def with_tags(
    schema: ObjectSchema,
    wanted: Wanted,
    get: Callable[[str, Mapping[str, Any] | None], httpx.Request],
    follow: Callable[[str], str],
    known: dict[tuple[str, str], Option],
) -> Plan[ObjectSchema]:
    """``schema`` whose dynamic tag fields list, as options, the existing tags among ``wanted``.
    One search per label not in ``known`` (a cache of ``(field id, casefolded label)`` → tag the
    caller keeps; a tag's id never changes)."""
    fields = dict(schema.fields)
    for slug, labels in wanted.items():
        spec = fields[slug]
        key = spec.provider_id or slug
        for label in sorted(labels):
            if (key, label.casefold()) in known:
                continue
            request = get(tag_path(schema, spec),
                          {"search": label, "ordering": "name", "page_size": 100, "page": 1})  # fmt: skip
            while True:
                response = yield request
                rows, nxt = decode_page(response.json())
                for row in rows:
                    name, tid = row.get("name"), row.get("id")
                    if isinstance(name, str) and tid:
                        known[(key, name.casefold())] = Option(name, str(tid))
                if nxt is None or (key, label.casefold()) in known:
                    break
                request = get(follow(nxt), None)
        found = [known[(key, lab.casefold())] for lab in labels if (key, lab.casefold()) in known]
        have = {o.id for o in spec.options}
        extra = [o for o in dict.fromkeys(found) if o.id not in have]
        if extra:
            fields[slug] = attrs.evolve(spec, options=[*spec.options, *extra])
    if fields == dict(schema.fields):
        return schema
    return attrs.evolve(schema, fields=fields)
