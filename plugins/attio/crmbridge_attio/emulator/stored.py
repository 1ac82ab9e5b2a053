"""How the emulator holds a value: compactly, rendered into the API's value dict on read.

A value read from Attio is a dict of the envelope keys ``active_from``, ``active_until`` and
``created_by_actor``, the type's own keys, then ``attribute_type`` — that order in every recording
(``responses/people_create_rbeene.json``, ``responses/people_query_rbeene.json``,
``cassettes/companies_query.yaml``; docs/reference/attio.md §3 "Historic values" for
``active_until``). Held as such a dict per value, the values were ~2.6 KB of the ~4.8 KB a seeded
record cost (issue 24, docs/benchmarks.md §11). Here a value is one tuple
``(shape, stamp, *the type's own values)``:

* :class:`Shape` — the attribute type and the names of its own keys, one object per distinct
  shape (a handful per workspace), shared by every value of that shape;
* :class:`Stamp` — ``active_from``, ``active_until`` and ``created_by_actor``, one per write,
  shared by every value that write stored (and by the inverse values it synced);
* the type's own values, in the order of the shape's keys.

:meth:`Stored.render` builds the API's dict, byte for byte what the stored dict was, with a
function compiled once per shape (a dict display with constant keys: the cheapest way CPython
builds a dict, so that a GET pays little for it; measured in docs/benchmarks.md §11).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["ENVELOPE_KEYS", "Shape", "Stamp", "Stored", "shape_of"]

#: The envelope keys, first in every value.
ENVELOPE_KEYS = ("active_from", "active_until", "created_by_actor")


class Stamp:
    """When and by whom values were written, and until when they were active (``None``: still)."""

    __slots__ = ("active_from", "active_until", "actor")

    def __init__(self, active_from: str, actor: dict[str, Any], active_until: str | None = None):
        self.active_from = active_from
        self.active_until = active_until
        self.actor = actor


class Shape:
    """An attribute type and the names of its own keys, in the order they are rendered."""

    __slots__ = ("attribute_type", "fields", "positions", "render")

    def __init__(self, attribute_type: str, fields: tuple[str, ...]) -> None:
        self.attribute_type = attribute_type
        self.fields = fields
        #: key → index in a :class:`Stored` tuple (after the shape and the stamp).
        self.positions = {key: i + 2 for i, key in enumerate(fields)}
        self.render: Callable[[tuple[Any, ...]], dict[str, Any]] = _compile(attribute_type, fields)


_SHAPES: dict[tuple[str, tuple[str, ...]], Shape] = {}


def shape_of(attribute_type: str, fields: tuple[str, ...]) -> Shape:
    """The one :class:`Shape` of ``attribute_type`` with these keys (few: one or two per type)."""
    key = (attribute_type, fields)
    found = _SHAPES.get(key)
    if found is None:
        found = _SHAPES[key] = Shape(attribute_type, fields)
    return found


def _compile(
    attribute_type: str, fields: tuple[str, ...]
) -> Callable[[tuple[Any, ...]], dict[str, Any]]:
    """``lambda v: {"active_from": …, <the type's keys>: v[2], …, "attribute_type": <type>}``.

    The source is built from the keys' ``repr`` only (never from stored data)."""
    own = "".join(f"{key!r}: v[{i + 2}], " for i, key in enumerate(fields))
    source = (
        "def render(v):\n"
        "    s = v[1]\n"
        "    return {'active_from': s.active_from, 'active_until': s.active_until, "
        f"'created_by_actor': s.actor, {own}'attribute_type': {attribute_type!r}}}\n"
    )
    namespace: dict[str, Any] = {}
    exec(source, namespace)  # only repr() literals of the keys go in: no data is executed
    render: Callable[[tuple[Any, ...]], dict[str, Any]] = namespace["render"]
    return render


class Stored(tuple[Any, ...]):
    """One stored value: ``(shape, stamp, *own values)`` (a tuple: no per-value dict or slots)."""

    __slots__ = ()

    @classmethod
    def of(cls, keys: dict[str, Any], attribute_type: str, stamp: Stamp) -> Stored:
        """A value with the type's own ``keys`` (in the order given), written at ``stamp``."""
        return cls((shape_of(attribute_type, tuple(keys)), stamp, *keys.values()))

    @property
    def shape(self) -> Shape:
        shape: Shape = self[0]
        return shape

    @property
    def stamp(self) -> Stamp:
        stamp: Stamp = self[1]
        return stamp

    @property
    def attribute_type(self) -> str:
        return self.shape.attribute_type

    @property
    def active_from(self) -> str:
        return self.stamp.active_from

    def get(self, key: str, default: Any = None) -> Any:
        """The value of one rendered key (the type's own, or an envelope key), like ``dict.get``."""
        position = self[0].positions.get(key)
        if position is not None:
            return self[position]
        stamp: Stamp = self[1]
        if key == "active_from":
            return stamp.active_from
        if key == "active_until":
            return stamp.active_until
        if key == "created_by_actor":
            return stamp.actor
        if key == "attribute_type":
            return self[0].attribute_type
        return default

    def items(self) -> Iterator[tuple[str, Any]]:
        """The type's own keys and values (what normalisation produced), without the envelope."""
        return zip(self[0].fields, self[2:], strict=True)

    def own(self) -> dict[str, Any]:
        """The type's own keys as a dict (as :func:`values.normalize` returned them)."""
        return dict(self.items())

    def render(self) -> dict[str, Any]:
        """The value as the API shows it: envelope, own keys, ``attribute_type``."""
        rendered: dict[str, Any] = self[0].render(self)
        return rendered

    def retired(self, until: str) -> Stored:
        """This value deactivated at ``until`` (the history keeps it, docs/reference/attio.md §3)."""
        stamp: Stamp = self[1]
        return Stored((self[0], Stamp(stamp.active_from, stamp.actor, until), *self[2:]))

    def replaced(self, key: str, new: Any) -> Stored:
        """The same value with one own key changed (an object renamed: its references follow)."""
        position = self[0].positions[key]
        return Stored((*self[:position], new, *self[position + 1 :]))
