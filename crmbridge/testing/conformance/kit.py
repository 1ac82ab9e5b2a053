"""The helpers every conformance test uses: one :class:`Kit` per test, bound to a connected bridge.

A kit learns the exercised object's schema from the provider (never from a hard-coded list), picks
the fields the tests need — the upsert match key, a text field to write and filter on, a number
field for comparisons, a multi field for add/remove — and builds valid values for any object from
the :mod:`~crmbridge.testing.conformance.samples` table: required fields, match keys and references
(by creating the referenced record first). Every value carries a token unique to the test, so
records of other tests or seed data never confuse an assertion: results are always intersected
with the ids this test created.
"""

from __future__ import annotations

import contextlib
import itertools
import uuid
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from ...model import FieldSpec, FieldType, Record, Ref
from ...provider import Capabilities, ObjectSchema
from .samples import sample

if TYPE_CHECKING:
    from ...bridge import Bridge
    from .base import ConformanceBase
    from .blocking import BlockingBridge

    BridgeLike = Bridge | BlockingBridge

__all__ = ["Kit", "require", "require_op"]

TEXTS = (FieldType.text, FieldType.long_text)
COMPARABLE = (FieldType.integer, FieldType.number, FieldType.rating)


def require(crm: BridgeLike, capability: str, why: str = "") -> None:
    """Skip the test unless ``crm.capabilities.<capability>`` is truthy (SQLAlchemy's
    ``@requires``, as a call so the reason names the provider)."""
    caps: Capabilities = crm.capabilities
    if not getattr(caps, capability):
        pytest.skip(f"{crm.name}: Capabilities.{capability} is false{why}")


def require_op(crm: BridgeLike, op: str) -> None:
    """Skip unless the provider can translate the filter operator ``op``."""
    if op not in crm.capabilities.filter_ops:
        pytest.skip(f"{crm.name}: {op!r} is not in Capabilities.filter_ops")


class Kit:
    """Schema-aware helpers for one test against one bridge."""

    def __init__(self, crm: BridgeLike, settings: ConformanceBase) -> None:
        self.crm = crm
        self.settings = settings
        self.object = settings.object_slug
        self.token = "cf" + uuid.uuid4().hex[:10]
        self.created: list[str] = []
        self._n = itertools.count(1000)
        self.schema: ObjectSchema = crm.schema(self.object)

    # --- field choice ------------------------------------------------------------------------

    def writable(self, schema: ObjectSchema | None = None) -> list[FieldSpec]:
        return [f for f in (schema or self.schema).fields.values() if f.writable]

    def match_key(self, schema: ObjectSchema | None = None) -> FieldSpec | None:
        """The upsert match key: the class's ``match_field``, else the provider's default, else
        the first unique writable field."""
        schema = schema or self.schema
        slug = self.settings.match_field if schema.slug == self.schema.slug else None
        slug = slug or self.crm.provider.match_key(schema)
        if slug is not None:
            return schema.field(slug)
        return next((f for f in self.writable(schema) if f.unique), None)

    @property
    def match(self) -> FieldSpec:
        found = self.match_key()
        if found is None:
            pytest.skip(f"{self.object!r} has no unique writable field to match on")
        return found

    @property
    def text(self) -> FieldSpec:
        """A single, writable, non-unique text field (``text_field`` or the first one)."""
        if self.settings.text_field:
            return self.schema.field(self.settings.text_field)
        candidates = [
            f for f in self.writable() if f.type in TEXTS and not f.multi and not f.unique
        ]
        # An optional field first: the tests also create records without it.
        found = next((f for f in candidates if not f.required), None)
        found = found or next(iter(candidates), None)
        if found is None:
            pytest.skip(f"{self.object!r} has no writable single text field")
        return found

    @property
    def number(self) -> FieldSpec:
        found = self.first(lambda f: f.type in COMPARABLE and not f.multi and not f.required)
        if found is None:
            pytest.skip(f"{self.object!r} has no writable number field to compare")
        return found

    @property
    def multi(self) -> FieldSpec:
        """A writable multi field that is not the match key and has samples (for add/remove)."""
        match = self.match_key()
        found = self.first(
            lambda f: (
                f.multi
                and f is not match
                and not f.required
                and self.sample_of(f, 0) is not None
                and self.sample_of(f, 1) != self.sample_of(f, 0)
            )
        )
        if found is None:
            pytest.skip(f"{self.object!r} has no writable multi field with distinct samples")
        return found

    def first(self, predicate: Callable[[FieldSpec], bool]) -> FieldSpec | None:
        return next((f for f in self.writable() if predicate(f)), None)

    # --- values ------------------------------------------------------------------------------

    def can_sample(self, spec: FieldSpec) -> bool:
        """Whether :meth:`value` can build a value for ``spec`` (without building one: a
        reference would create its target record)."""
        if spec.slug in self.settings.sample_values or spec.type in self.settings.sample_values:
            return True
        if spec.type is FieldType.reference:
            return bool(spec.target_objects)
        return self.sample_of(spec, 0) is not None

    def sample_of(self, spec: FieldSpec, n: int) -> Any:
        return sample(spec, self.token, n, self.settings.sample_values)

    def value(self, spec: FieldSpec, n: int, depth: int = 0) -> Any:
        """A value for ``spec``; a reference points to a record created for it."""
        if spec.type is FieldType.reference and spec.slug not in self.settings.sample_values:
            if not spec.target_objects or depth > 2:
                return None
            target = spec.target_objects[0]
            record = self.create_in(target, next(self._n), depth=depth + 1)
            assert record.id is not None
            ref = Ref(target, record.id)
            return [ref] if spec.multi else ref
        return self.sample_of(spec, n)

    def values_for(
        self, schema: ObjectSchema, n: int, *, depth: int = 0, with_text: bool = True
    ) -> dict[str, Any]:
        """Values that create a valid record of ``schema``: required fields, the match key and
        (for the exercised object) the text field; ``pytest.skip`` if a required field has no
        sample."""
        wanted: list[FieldSpec] = [f for f in self.writable(schema) if f.required]
        match = self.match_key(schema)
        if match is not None and match.writable:
            wanted.append(match)
        if with_text and schema.slug == self.schema.slug:
            wanted.append(self.text)
        out: dict[str, Any] = {}
        for spec in wanted:
            if spec.slug in out:
                continue
            value = self.value(spec, n, depth)
            if value is None:
                pytest.skip(
                    f"no sample value for {schema.slug}.{spec.slug} ({spec.type.value}); "
                    "give one in the class's sample_values"
                )
            out[spec.slug] = value
        return out

    def values(self, n: int | None = None, /, **extra: Any) -> dict[str, Any]:
        """Valid values for a new record of the exercised object, plus ``extra``."""
        return {**self.values_for(self.schema, self.n(n)), **extra}

    def n(self, n: int | None = None) -> int:
        return next(self._n) if n is None else n

    # --- records -----------------------------------------------------------------------------

    def create(self, n: int | None = None, /, **extra: Any) -> Record:
        """Create a record of the exercised object and remember its id."""
        record = self.crm.create(self.object, self.values(n, **extra))
        assert record.id, f"create returned a record without an id: {record!r}"
        self.created.append(record.id)
        return record

    def create_in(self, object: str, n: int, depth: int = 0) -> Record:
        schema = self.crm.schema(object)
        values = self.values_for(schema, n, depth=depth, with_text=False)
        return self.crm.create(object, values)

    def ours(self, records: Iterator[Record] | list[Record]) -> list[str]:
        """The ids among ``records`` that this test created, in the order given."""
        mine = set(self.created)
        return [r.id for r in records if r.id in mine]

    # --- observing requests ------------------------------------------------------------------

    @contextlib.contextmanager
    def requests(self) -> Iterator[list[httpx.Request]]:
        """Collect every request the bridge sends inside the block."""
        sent: list[httpx.Request] = []
        driver = self.crm.driver
        previous = driver.on_request

        def hook(request: httpx.Request) -> None:
            sent.append(request)
            if previous is not None:
                previous(request)

        driver.on_request = hook
        try:
            yield sent
        finally:
            driver.on_request = previous
