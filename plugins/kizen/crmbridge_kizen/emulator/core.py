"""``KizenEmulator``: the stateful Kizen records API (DESIGN §6), in-process or over loopback HTTP.

Faults, latency, rate limiting and both transports come from :class:`crmbridge.emulation.Emulator`;
this class wires the Kizen pieces together and adds direct state access for tests (:meth:`records`,
:meth:`add_object`, :meth:`add_field`, :meth:`seed_record`, ...). Kizen publishes no rate limits
(reference kizen.md §10), so ``real_rate_limits`` is unlimited and ``rate_limits=`` is opt-in.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

import httpx

from crmbridge.emulation import Emulator, Faults, RateLimits

from .catalog import make_field, new_object, relate
from .demo import build_demo
from .errors import HTML_SERVER_ERROR, ApiError
from .handlers import Handlers
from .ids import stable_id, utc_now
from .routes import Credentials, Router
from .schema import Employee, FieldDef, ObjectDef
from .search import Searcher
from .serialize import Serializer
from .standard import build_standard
from .store import ObjectState, Store
from .writes import Writer

__all__ = ["DEFAULT_API_KEY", "DEFAULT_BUSINESS_ID", "DEFAULT_USER_ID", "KizenEmulator"]

DEFAULT_API_KEY = "kizen-emulator-api-key"
DEFAULT_USER_ID = stable_id("employee", "api-user")
DEFAULT_BUSINESS_ID = stable_id("business", "emulated")
SEEDS = (None, "demo")


class KizenEmulator(Emulator):
    """A stateful emulator of Kizen's records API (see docs/emulators/kizen.md)."""

    name: ClassVar[str] = "kizen"
    base_url: ClassVar[str] = "https://app.go.kizen.com"
    real_rate_limits: ClassVar[RateLimits] = RateLimits()  # unpublished (reference §10)

    def __init__(
        self,
        *,
        seed: str | None = None,
        random_seed: int = 0,
        demo_size: int | None = None,
        api_key: str | None = None,
        user_id: str | None = None,
        business_id: str | None = None,
        latency_ms: float | tuple[float, float] = 0.0,
        rate_limits: RateLimits | bool | None = None,
        fail_rate: float = 0.0,
        faults: Faults | None = None,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        if seed not in SEEDS:
            raise ValueError(f"unknown Kizen emulator seed {seed!r}; known: None, 'demo'")
        super().__init__(
            latency_ms=latency_ms,
            rate_limits=rate_limits,
            fail_rate=fail_rate,
            faults=faults,
            random_seed=random_seed,
        )
        self.api_key = api_key or DEFAULT_API_KEY
        self.user_id = user_id or DEFAULT_USER_ID
        self.business_id = business_id or DEFAULT_BUSINESS_ID
        self._clock = clock or utc_now
        self._ids = random.Random(f"kizen-ids:{random_seed}")
        self.store = Store()
        build_standard(self.store, self.user_id)
        if seed == "demo":
            build_demo(self.store, size=demo_size, random_seed=random_seed)
        self.writer = Writer(self.store, self._now, lambda: self.user_id, self._new_id)
        self.serializer = Serializer(self.store)
        handlers = Handlers(self.store, self.writer, Searcher(self.store))
        self.router = Router(handlers, Credentials(self.api_key, self.user_id, self.business_id))

    def _now(self) -> dt.datetime:
        return self._clock()

    def _new_id(self) -> str:
        return str(uuid.UUID(int=self._ids.getrandbits(128), version=4))

    # --- the Emulator contract --------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        return self.router.route(request)

    def credentials(self) -> dict[str, str]:
        return {"api_key": self.api_key, "user_id": self.user_id, "business_id": self.business_id}

    def rate_limited_response(self, retry_after: float) -> httpx.Response:
        """DRF's throttled answer: 429, ``Retry-After`` in whole seconds (reference §10, §13.12)."""
        seconds = max(1, math.ceil(retry_after))
        return self.json_response(
            429,
            {"detail": f"Request was throttled. Expected available in {seconds} seconds.",
             "code": "throttled"},
            headers={"Retry-After": str(seconds), "x-request-id": self.router.request_id()},
        )  # fmt: skip

    def server_error_response(self) -> httpx.Response:
        """Django's HTML 500 page, what an unhandled server error looks like (reference §9)."""
        return httpx.Response(
            500,
            content=HTML_SERVER_ERROR.encode(),
            headers={"content-type": "text/html; charset=utf-8",
                     "x-request-id": self.router.request_id()},
        )  # fmt: skip

    def is_write(self, request: httpx.Request) -> bool:
        """``POST …/search`` reads (reference §8)."""
        if request.method == "POST" and request.url.path.endswith("/search"):
            return False
        return super().is_write(request)

    # --- state inspection (tests) -----------------------------------------------------------

    def _state(self, obj: str) -> ObjectState:
        state = self.store.object(obj)
        if state is None:
            raise KeyError(f"no object {obj!r}")
        return state

    def objects(self) -> list[str]:
        """Api names of the objects."""
        with self.lock:
            return list(self.store.objects)

    def object_def(self, obj: str) -> ObjectDef:
        with self.lock:
            return self._state(obj).obj

    def field(self, obj: str, name: str) -> FieldDef:
        """A field by api name or id (e.g. to learn a seeded field's UUID)."""
        with self.lock:
            field = self._state(obj).obj.field(name)
        if field is None:
            raise KeyError(f"no field {name!r} on {obj!r}")
        return field

    def records(self, obj: str, *, archived: bool | None = None) -> list[dict[str, Any]]:
        """Every record of ``obj`` (live and archived; ``archived=`` to pick), oldest first, each in
        the GET shape plus ``"archived"`` and ``"values"`` (``{api_name: read value}``)."""
        with self.lock:
            state = self._state(obj)
            rows = sorted(state.records.values(), key=lambda r: r.seq)
            return [self._inspect(state, r) for r in rows if archived in (None, r.archived)]

    def record(self, obj: str, record_id: str) -> dict[str, Any]:
        with self.lock:
            state = self._state(obj)
            return self._inspect(state, state.records[record_id])

    def _inspect(self, state: ObjectState, record: Any) -> dict[str, Any]:
        body = self.serializer.record(state, record)
        body["archived"] = record.archived
        body["values"] = {
            e["name"]: e.get("value", e.get("value_summary")) for e in body["fields"].values()
        }
        return body

    # --- programmatic seeding ---------------------------------------------------------------

    def add_employee(self, id: str, first_name: str, last_name: str, email: str) -> None:
        """A team member (``team_selector`` values)."""
        with self.lock:
            self.store.employees[id] = Employee(id, first_name, last_name, email)

    def add_object(
        self,
        name: str,
        object_name: str | None = None,
        entity_name: str | None = None,
        *,
        id: str | None = None,
        object_type: str = "standard",
        stages: Sequence[tuple[str, str]] = (),
        name_label: str | None = None,
        default_field_ids: Mapping[str, str] | None = None,
        default_field_labels: Mapping[str, str] | None = None,
    ) -> ObjectDef:
        """A custom object with its default fields; ``default_field_ids``/``_labels`` re-id and
        relabel them (to mirror a recorded object such as ``tax_lot``)."""
        with self.lock:
            if name in self.store.objects:
                raise ValueError(f"object {name!r} exists")
            label = object_name or name.replace("_", " ").title()
            obj = new_object(
                name, label, entity_name or label.rstrip("s"), id=id, object_type=object_type,
                stages=stages, name_label=name_label,
            )  # fmt: skip
            for field_name, new_id in (default_field_ids or {}).items():
                field = obj.field_by_name(field_name)
                if field is None:
                    raise KeyError(field_name)
                self._reid(obj, field, new_id)
            for field_name, new_label in (default_field_labels or {}).items():
                field = obj.field_by_name(field_name)
                if field is None:
                    raise KeyError(field_name)
                field.display_name = new_label
            self.store.add_object(obj)
            return obj

    @staticmethod
    def _reid(obj: ObjectDef, field: FieldDef, new_id: str) -> None:
        obj.add(FieldDef(
            id=new_id, name=field.name, display_name=field.display_name,
            field_type=field.field_type, is_default=field.is_default,
            is_required=field.is_required, is_read_only=field.is_read_only,
            options=field.options, relation=field.relation, money_currency=field.money_currency,
            rating_scale=field.rating_scale, meta=field.meta, computed=field.computed,
        ))  # fmt: skip

    def add_field(
        self,
        obj: str,
        name: str,
        field_type: str,
        *,
        id: str | None = None,
        display_name: str | None = None,
        options: Sequence[str | Mapping[str, Any]] | None = None,
        is_required: bool = False,
        currency: str = "USD",
        rating_scale: int = 5,
        meta: Mapping[str, Any] | None = None,
        related_object: str | None = None,
        relation_type: str = "primary",
        related_field_name: str | None = None,
        related_field_id: str | None = None,
        related_display_name: str | None = None,
    ) -> FieldDef:
        """Add a field (a relationship also adds its inverse on ``related_object``)."""
        with self.lock:
            state = self._state(obj)
            if field_type == "relationship":
                if related_object is None:
                    raise ValueError("a relationship needs related_object")
                other = self._state(related_object).obj
                fa, _ = relate(
                    state.obj, name, other, related_field_name or f"{obj}_{name}", relation_type,
                    a_label=display_name, b_label=related_display_name, a_id=id,
                    b_id=related_field_id,
                )  # fmt: skip
                return fa
            return make_field(
                state.obj, name, field_type, display_name=display_name, id=id, options=options,
                is_required=is_required, currency=currency, rating_scale=rating_scale, meta=meta,
            )  # fmt: skip

    def seed_record(
        self,
        obj: str,
        values: Mapping[str, Any],
        *,
        id: str | None = None,
        created: dt.datetime | str | None = None,
        updated: dt.datetime | str | None = None,
        archived: bool = False,
    ) -> str:
        """Create a record from ``{api_name or field id: value}`` in Kizen's *write* format
        (validated like an ``add``; no uniqueness checks), returning its id."""
        with self.lock:
            state = self._state(obj)
            entries = [{"id": k} if state.obj.field_by_id(k) else {"name": k} for k in values]
            for entry, value in zip(entries, values.values(), strict=True):
                entry["value"] = value
            try:
                plan = self.writer.plan(state, entries)
            except ApiError as exc:
                raise ValueError(f"invalid seed values for {obj}: {exc.body}") from None
            record = self.writer.create(state, plan, record_id=id)
            if created is not None:
                record.created = _moment(created)
            if updated is not None:
                record.updated = _moment(updated)
            elif created is not None:
                record.updated = record.created
            if archived:
                state.set_archived(record, True)
            return record.id


def _moment(value: dt.datetime | str) -> dt.datetime:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value
