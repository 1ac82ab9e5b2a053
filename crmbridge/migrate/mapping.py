"""Migration mapping files (TOML): which objects go where, matched on what, field by field.

```toml
[[objects]]
source = "companies"              # source object slug
target = "companies_company"      # target object slug
match = "name"                    # target field to upsert on (default: the target provider's key)

[objects.fields]
name = "name"                                        # source slug = "target slug"
domains = { to = "website", transform = "first" }    # first value of a list
categories = { to = "industry", transform = "map_options", options = { "B2B" = "Business" } }
team = { skip = true }

[objects.constants]
email_status = "Opted In"                            # the same value for every record
```

``emulate = true`` on an object lets it match on a field the target cannot upsert on natively (a
non-unique Attio attribute, a Kizen field other than name/email): a search, then a write — not
atomic, so two concurrent writers could both create.

Two source records with the same match value would be written into one target record, the second
overwriting the first: unless the object says ``merge_duplicates = true``, the second fails (in
the report and the failures file, naming the first) and nothing of the first is overwritten.

Transforms (:data:`TRANSFORMS`): ``first`` (first element of a list), ``join`` (``sep``, default
``", "``), ``split`` (a string into a list on ``sep``), ``split_name`` (a person name into two
target fields: ``to = ["first_name", "last_name"]``), ``map_options`` (rename option labels;
``default`` for unmapped ones), ``label`` (an option's label as text), ``full_name`` (a name as text),
``amount`` (money as a number), ``skip``; and custom ones: a plugin's, one passed as
``transforms=`` in Python, or the function itself (crmbridge/migrate/transforms.py).

:func:`load_mapping` parses and checks the file's shape; :mod:`crmbridge.migrate.plan` checks it
against the two schemas before any write.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs

from ..errors import FieldError, ValidationError, did_you_mean
from .transforms import Transform, lookup, registered_transforms
from .users import UsersTable

__all__ = ["TRANSFORMS", "FieldMap", "MappingFile", "ObjectMap", "load_mapping", "parse_mapping"]

#: Every transform a field mapping may name, with the keys it takes.
TRANSFORMS: dict[str, frozenset[str]] = {
    "copy": frozenset(),
    "first": frozenset(),
    "join": frozenset({"sep"}),
    "split": frozenset({"sep"}),
    "split_name": frozenset(),
    "map_options": frozenset({"options", "default"}),
    "label": frozenset(),
    "full_name": frozenset(),
    "amount": frozenset(),
    "skip": frozenset(),
}


@attrs.frozen
class FieldMap:
    """One source field's destination(s) and transform."""

    source: str
    to: tuple[str, ...]
    transform: str = "copy"
    options: Mapping[str, str] = attrs.field(factory=dict)
    sep: str = ", "
    default: str | None = None
    #: A custom transform's function (crmbridge/migrate/transforms.py); ``transform`` is its name.
    function: Callable[[Any], Any] | None = attrs.field(default=None, eq=False)


@attrs.frozen
class ObjectMap:
    """One source object copied into one target object."""

    source: str
    target: str
    match: str | None = None
    fields: tuple[FieldMap, ...] = ()
    constants: Mapping[str, Any] = attrs.field(factory=dict)
    #: Upsert on a key the target cannot match natively (a search, then a write: not atomic).
    emulate: bool = False
    #: Let source records that share a match value write into one target record (off: the
    #: second one fails, naming the first, instead of overwriting what the first wrote).
    merge_duplicates: bool = False

    @property
    def key(self) -> str:
        return f"{self.source}->{self.target}"


@attrs.frozen
class MappingFile:
    """A whole mapping: object pairs in the order written (the engine reorders by references)."""

    objects: tuple[ObjectMap, ...]
    source: str | None = None
    target: str | None = None
    #: The ``[users]`` table (crmbridge/migrate/users.py): pairs and a fallback user.
    users: UsersTable = attrs.field(factory=UsersTable)


def _where(obj: int, field: str | None = None) -> str:
    return f"objects[{obj}]" + (f".fields.{field}" if field else "")


def _field_map(
    index: int, source: str, spec: Any, transforms: Mapping[str, Transform] | None = None
) -> FieldMap:
    where = _where(index, source)
    if isinstance(spec, str):
        return FieldMap(source, (spec,))
    if not isinstance(spec, Mapping):
        raise ValidationError(f"{where}: expected a target slug or a table, got {spec!r}")
    unknown = set(spec) - {"to", "transform", "skip", "options", "sep", "default"}
    if unknown:
        raise ValidationError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    if spec.get("skip"):
        return FieldMap(source, (), "skip")
    transform = spec.get("transform", "copy")
    function: Transform | None = None
    if callable(transform):  # a mapping built in Python may hold the function itself
        function, transform = transform, getattr(transform, "__name__", "custom")
    elif not isinstance(transform, str):
        raise ValidationError(f"{where}: transform must be a name or a function")
    elif transform not in TRANSFORMS:
        function = lookup(transform, transforms)
        if function is None:
            known = [*TRANSFORMS, *(transforms or {}), *registered_transforms()]
            raise ValidationError(
                f"{where}: unknown transform {transform!r}{did_you_mean(transform, known)}; "
                f"expected one of {', '.join(dict.fromkeys(known))}"
            )
    to = spec.get("to")
    targets = (to,) if isinstance(to, str) else tuple(to) if isinstance(to, list) else ()
    if not targets or not all(isinstance(t, str) and t for t in targets):
        raise ValidationError(f"{where}: 'to' must name a target field (or a list of them)")
    if function is not None:
        if len(targets) != 1:
            raise ValidationError(f"{where}: a custom transform writes one field")
        return FieldMap(source, targets, transform, function=function)
    if transform == "split_name":
        if len(targets) != 2:
            raise ValidationError(f"{where}: split_name needs to = [first_field, last_field]")
    elif len(targets) != 1:
        raise ValidationError(f"{where}: only split_name writes several fields")
    options = spec.get("options", {})
    if not isinstance(options, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in options.items()
    ):
        raise ValidationError(f"{where}: options must map source labels to target labels")
    if transform == "map_options" and not options and spec.get("default") is None:
        raise ValidationError(f"{where}: map_options needs options (or a default)")
    sep = spec.get("sep", ", ")
    if not isinstance(sep, str):
        raise ValidationError(f"{where}: sep must be a string")
    default = spec.get("default")
    return FieldMap(source, targets, transform, dict(options), sep, default)


def parse_mapping(
    data: Mapping[str, Any], *, transforms: Mapping[str, Transform] | None = None
) -> MappingFile:
    """A :class:`MappingFile` from parsed TOML; errors name the exact place. ``transforms``:
    custom transforms by name, besides the built-in ones and the plugins'
    (crmbridge/migrate/transforms.py)."""
    objects = data.get("objects")
    if not isinstance(objects, list) or not objects:
        raise ValidationError("a mapping needs at least one [[objects]] table")
    unknown_top = set(data) - {"objects", "source", "target", "users"}
    if unknown_top:
        raise ValidationError(f"unknown top-level key(s) {', '.join(sorted(unknown_top))}")
    out: list[ObjectMap] = []
    seen: set[str] = set()
    problems: list[FieldError] = []
    for i, obj in enumerate(objects):
        try:
            out.append(_object_map(i, obj, seen, problems, transforms))
        except ValidationError as exc:
            problems.append(_problem(exc))
    users = UsersTable()
    try:
        users = _users_table(data.get("users", {}))
    except ValidationError as exc:
        problems.append(_problem(exc))
    if problems:
        raise ValidationError(
            f"the mapping file has {len(problems)} problem(s); nothing was read from it",
            field_errors=problems,
        )
    src, dst = data.get("source"), data.get("target")
    return MappingFile(
        tuple(out),
        src if isinstance(src, str) else None,
        dst if isinstance(dst, str) else None,
        users,
    )


def _users_table(data: Any) -> UsersTable:
    """``[users]``: ``fallback = "target user"`` and ``[users.pairs]`` of source = target users
    (e-mail addresses or ids)."""
    if not isinstance(data, Mapping):
        raise ValidationError("users: expected a table")
    unknown = set(data) - {"pairs", "fallback"}
    if unknown:
        raise ValidationError(
            f"users: unknown key(s) {', '.join(sorted(unknown))}; pairs go under [users.pairs]"
        )
    pairs = data.get("pairs", {})
    if not isinstance(pairs, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) and v for k, v in pairs.items()
    ):
        raise ValidationError("users: pairs must map source users to target users (e-mails or ids)")
    fallback = data.get("fallback")
    if fallback is not None and (not isinstance(fallback, str) or not fallback):
        raise ValidationError("users: fallback must name a target user (an e-mail or an id)")
    return UsersTable(dict(pairs), fallback)


def _problem(exc: ValidationError) -> FieldError:
    """``"objects[0] (people): message"`` as a problem at that place."""
    where, sep, message = exc.message.partition(": ")
    return FieldError(where if sep else None, message if sep else exc.message, code="bad_mapping")


def _object_map(
    i: int,
    obj: Any,
    seen: set[str],
    problems: list[FieldError],
    transforms: Mapping[str, Transform] | None = None,
) -> ObjectMap:
    """One ``[[objects]]`` table; a problem in a field is added to ``problems`` and the others
    are still read, so that one run lists every mistake."""
    if not isinstance(obj, Mapping):
        raise ValidationError(f"{_where(i)}: expected a table")
    unknown = set(obj) - {
        "source", "target", "match", "fields", "constants", "emulate", "merge_duplicates"
    }  # fmt: skip
    if unknown:
        problems.append(_problem(ValidationError(
            f"{_where(i)}: unknown key(s) {', '.join(sorted(unknown))}")))  # fmt: skip
    source, target = obj.get("source"), obj.get("target")
    if not isinstance(source, str) or not source or not isinstance(target, str) or not target:
        raise ValidationError(f"{_where(i)}: 'source' and 'target' object slugs are required")
    if source in seen:
        raise ValidationError(f"{_where(i)}: source object {source!r} is mapped twice")
    seen.add(source)
    match = obj.get("match")
    if match is not None and (not isinstance(match, str) or not match):
        problems.append(_problem(ValidationError(
            f"{_where(i)}: 'match' must be a target field slug")))  # fmt: skip
        match = None
    fields = obj.get("fields", {})
    constants = obj.get("constants", {})
    if not isinstance(fields, Mapping) or not isinstance(constants, Mapping):
        raise ValidationError(f"{_where(i)}: 'fields' and 'constants' must be tables")
    maps: list[FieldMap] = []
    for k, v in fields.items():
        try:
            maps.append(_field_map(i, str(k), v, transforms))
        except ValidationError as exc:
            problems.append(_problem(exc))
    written = [t for m in maps for t in m.to] + list(constants)
    dupes = sorted({t for t in written if written.count(t) > 1})
    if dupes:
        problems.append(_problem(ValidationError(
            f"{_where(i)}: target field(s) written twice: {', '.join(dupes)}")))  # fmt: skip
    flags = {k: obj.get(k, False) for k in ("emulate", "merge_duplicates")}
    for key, flag in flags.items():
        if not isinstance(flag, bool):
            problems.append(_problem(ValidationError(
                f"{_where(i)}: {key!r} must be true or false")))  # fmt: skip
            flags[key] = False
    return ObjectMap(source, target, match, tuple(maps), dict(constants), **flags)


def load_mapping(
    path: str | Path, *, transforms: Mapping[str, Transform] | None = None
) -> MappingFile:
    """Read and parse a TOML mapping file (``transforms``: see :func:`parse_mapping`)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValidationError(f"cannot read mapping file {str(p)!r}: {exc.strerror}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValidationError(f"mapping file {str(p)!r} is not valid TOML: {exc}") from None
    return parse_mapping(data, transforms=transforms)
