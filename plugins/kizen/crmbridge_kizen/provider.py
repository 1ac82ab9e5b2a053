"""The Kizen provider: the records API's verbs as sans-IO plans (docs/design.md §2).

Every verb yields :class:`httpx.Request` objects built with :meth:`Provider.build_request` and
translates with :mod:`crmbridge_kizen.codec` and :mod:`crmbridge_kizen.filters`; the drivers in
:mod:`crmbridge.http` add the three auth headers, retries, rate limiting and error mapping.

Paths and semantics are those of docs/reference/kizen.md §4 (record endpoints), §6 (upsert), §7
(archive) and §8 (search); ``docs/providers/kizen.md`` is the user-facing summary.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote

import attrs
import httpx

from crmbridge import (
    Conflict,
    CRMError,
    F,
    FieldError,
    FieldSpec,
    FieldType,
    ObjectSpec,
    Option,
    ProviderError,
    Record,
    RefBy,
    Unsupported,
    UpsertResult,
    User,
    ValidationError,
)
from crmbridge.changes import WatermarkFeed
from crmbridge.model import UpsertAction
from crmbridge.plugin import (
    IDEMPOTENT,
    Capabilities,
    EmulatorOption,
    ObjectSchema,
    OnArchived,
    Page,
    PageGuard,
    Plan,
    Provider,
    Query,
    RawRows,
    Secret,
    Upsert,
    UserDirectory,
    check_same_origin,
    parse_retry_after,
    response_body,
)

from . import codec, field_creation, filters, raw_rows, refs, tags
from .activities import KizenActivities
from .activities_notes import KizenNotes
from .options import find_option, is_email_status, is_stage
from .types import CONTACTS

if TYPE_CHECKING:
    from crmbridge.emulation import Emulator

__all__ = ["KizenProvider"]

#: Datetime filter values carry milliseconds (docs/reference/kizen.md §8; crmbridge_kizen.filters).
_FILTER_RESOLUTION = dt.timedelta(milliseconds=1)

#: Kizen's upsert ``action`` (seed ActionEnum) → the neutral action.
_UPSERT_ACTIONS: Mapping[Any, UpsertAction] = {
    "created": "created",
    "updated": "updated",
    "unarchived": "unarchived",
}


@lru_cache(maxsize=1024)
def _records_path(slug: str, *rest: str) -> str:
    """``/api/records/{slug}[/...]``, each part quoted; cached, as every write of an object
    repeats its path (``…/add``, ``…/upsert``, ``…/search``)."""
    return "/api/records/" + "/".join(quote(p, safe="") for p in (slug, *rest))


#: DRF's answer to a page past the last (``PageNumberPagination.invalid_page_message``,
#: https://github.com/encode/django-rest-framework/blob/master/rest_framework/pagination.py).
_INVALID_PAGE = "Invalid page."


def _page_number(url: str) -> int | None:
    """The ``page`` of a page link (none: page 1); ``None`` if it is not a number."""
    value = httpx.URL(url).params.get("page", "1")
    return int(value) if value.isdigit() else None


def _at_page(url: str, page: int) -> str:
    """``url`` at ``page``, written one way (httpx's encoding of its query), so that a link
    named ahead (:meth:`KizenProvider.page_cursor`) and the server's own compare equal."""
    return str(httpx.URL(url).copy_set_param("page", str(page)))


def _plain_row(row: Any) -> bool:
    """Whether a search row decodes without more requests (no summarised relationship)."""
    return type(row) is dict and not codec.summarised_fields(row)


class KizenProvider(KizenNotes, KizenActivities, Provider):
    """Kizen's records API (``https://app.go.kizen.com``; any tenant host via ``base_url``).

    Authenticates with three headers, ``X-API-KEY``, ``X-USER-ID`` and ``X-BUSINESS-ID`` (docs/reference/kizen.md §2); all three are secrets: never shown in a repr, a log or a cassette.
    """

    name = "kizen"
    description = "Kizen records API: contacts and custom objects"
    default_base_url = "https://app.go.kizen.com"
    #: ``task_activity`` / ``note_activity``: the activity types whose scheduled activities are
    #: tasks and whose logged activities are notes (crmbridge_kizen/activities.py,
    #: activities_notes.py; docs/providers/kizen.md "Notes and tasks").
    config_keys = ("api_key", "user_id", "business_id", "task_activity", "note_activity")
    required_keys = ("api_key", "user_id", "business_id")
    secret_keys = frozenset({"api_key", "user_id", "business_id"})
    account_keys = ("business_id",)
    env: ClassVar[Mapping[str, str]] = {
        "api_key": "KIZEN_API_KEY",
        "user_id": "KIZEN_USER_ID",
        "business_id": "KIZEN_BUSINESS_ID",
        "base_url": "KIZEN_BASE_URL",
        "task_activity": "KIZEN_TASK_ACTIVITY",
        "note_activity": "KIZEN_NOTE_ACTIVITY",
    }
    request_id_header = "X-Request-ID"
    #: ``crmbridge emulate kizen`` serves here by default; its own options (docs/emulators.md).
    emulator_port = 8702
    emulator_options = (
        EmulatorOption("api_key", "The X-API-KEY the emulator accepts."),
        EmulatorOption("user_id", "The X-USER-ID the emulator accepts."),
        EmulatorOption("business_id", "The X-BUSINESS-ID the emulator accepts."),
        EmulatorOption("demo_size", "With --seed demo: how many contacts.", int),
    )
    capabilities = Capabilities(
        native_upsert=True,
        upsert_match="fixed",
        archive=True,
        restore=True,
        delete=False,  # no hard delete in the public API (docs/reference/kizen.md §7)
        add_values=True,
        remove_values=True,
        history=False,
        lists=False,
        sorts=True,
        max_page_size=1000,  # docs/reference/kizen.md §8 (app-engine)
        read_rate=None,  # no published limits (docs/reference/kizen.md §10)
        write_rate=None,
        concurrency=4,  # record writes lock (409 on concurrent writes, docs/reference/kizen.md §9)
        # No published limit (§10): a migration adapts its writers from 4 up to this bound,
        # backing off on 409, 429 and rising latency (crmbridge/aimd.py). The bound is ours.
        concurrency_ceiling=32,
        create_options=True,  # one at a time, POST …/fields/{field}/options (create_option)
        create_fields=True,  # POST …/fields (crmbridge_kizen/field_creation.py)
    )
    #: Notes and tasks are activities of a type the user names (they depend on the
    #: configuration). Tasks: create, list, get, delete; no update, as completing one has no
    #: published source. Notes: listed (an object's at a time) and read, not created, deleted or
    #: dated (docs/reference/kizen-activities.md §3).
    option_capabilities: ClassVar[Mapping[str, Mapping[str, bool]]] = {
        "task_activity": {"tasks": True, "tasks_delete": True},
        "note_activity": {"notes": True, "notes_by_object": True, "notes_create": False},
    }
    #: Rows read when looking for an upsert match: Kizen matches case-insensitively, so a few
    #: case variants may hold one name (``detect_noop``: docs/providers/kizen.md "noop").
    match_page_size: ClassVar[int] = 10

    def __init__(self, *, base_url: str | None = None, **config: Any) -> None:
        super().__init__(base_url=base_url, **config)
        # Kizen's docs give the base URL with "/api" (docs/reference/kizen.md §2), Kizen's CLI without it; the
        # paths here include "/api", so both spellings work.
        if self.base_url.endswith("/api"):
            self.base_url = self.base_url[: -len("/api")]
        #: Field UUID → api_name, to name fields in positional errors of id-keyed writes.
        self._field_slugs: dict[str, str] = {}
        self._remembered: Mapping[str, FieldSpec] | None = None
        #: (field id, casefolded label) → tag: dynamic tags found so far (ids never change).
        self._tags: dict[tuple[str, str], Option] = {}
        #: Employees' e-mail (case-folded) → id, from ``GET /api/team`` (:meth:`_resolve`).
        self._employees = UserDirectory()
        #: References by value that found exactly one record → its id (:mod:`crmbridge_kizen.refs`).
        self._found: dict[refs.RefKey, list[str]] = {}
        #: Schemas of referenced objects, by slug, for looking records up by a value.
        self._referenced: dict[str, ObjectSchema] = {}

    # --- configuration ---------------------------------------------------------------------

    def auth_headers(self) -> dict[str, str]:
        """The three headers of docs/reference/kizen.md §2."""

        def reveal(key: str) -> str:
            value = self.config.get(key)
            if isinstance(value, Secret):
                return value.reveal()
            if isinstance(value, str) and value:
                return value
            raise ProviderError(f"kizen: {key} is not configured", provider=self.name)

        return {
            "X-API-KEY": reveal("api_key"),
            "X-USER-ID": reveal("user_id"),
            "X-BUSINESS-ID": reveal("business_id"),
        }

    @classmethod
    def create_emulator(cls, **options: Any) -> Emulator:
        """A fresh in-process Kizen emulator (``connect("kizen", emulator=True)``)."""
        from .emulator import KizenEmulator

        return KizenEmulator(**options)

    def parse_value(self, spec: FieldSpec, value: Any) -> Any:
        """An option given by its Kizen ``code`` (``"suppression_list"``) is that option, as
        Kizen's own tools match codes too (kizen-admin-cli ``tools/planners/records.py``;
        docs/reference/kizen.md §11); anything else is read by the core."""
        is_choice = spec.type in (FieldType.option, FieldType.status)
        if is_choice and isinstance(value, str) and spec.option(value) is None:
            found = find_option(spec, value)
            if found is not None:
                return found
        return NotImplemented

    def match_key(self, schema: ObjectSchema) -> str:
        """``email`` for contacts, ``name`` otherwise: fixed by Kizen (docs/reference/kizen.md §6)."""
        return codec.match_key_for(schema.slug)

    def match_keys(self, spec: FieldSpec, value: Any) -> list[str]:
        """Kizen compares its match keys case-insensitively (``iexact``, docs/reference/kizen.md §6)."""
        return [key.casefold() for key in super().match_keys(spec, value)]

    def change_feed(self, schema: ObjectSchema) -> WatermarkFeed | None:
        """Records carry a read-only ``updated`` datetime ("Last Modified") that search filters
        and sorts, and archived records leave search and answer 404 (docs/reference/kizen.md §4, §7):
        a modified-since feed plus an id comparison for archives (crmbridge.changes). Records
        also carry a read-only ``created`` ("Date Created") that search filters with ``>=`` and
        ``<`` (kizen-admin-cli ``filtering.py``: ``created`` takes the date conditions but
        ``is_blank``), its values in milliseconds (the UI's and the CLI's
        ``YYYY-MM-DDTHH:MM:SS.mmmZ``, docs/reference/kizen.md §8): a few archives are found by
        counting ranges of it (crmbridge/changes/archives.py)."""
        spec = schema.fields.get("updated")
        if spec is None or spec.type is not FieldType.datetime:
            return None
        created = schema.fields.get("created")
        if created is None or created.type is not FieldType.datetime:
            return WatermarkFeed("updated")
        return WatermarkFeed("updated", created="created", resolution=_FILTER_RESOLUTION)

    # --- errors ----------------------------------------------------------------------------

    def decode_error(self, response: httpx.Response) -> CRMError:
        """:func:`crmbridge_kizen.codec.decode_error` with what only the response knows: the
        request's ``fields`` (to zip positional errors back), ``X-Request-ID``, ``Retry-After``.
        HTML and truncated bodies reach the codec as text."""
        body = response_body(response)
        if not isinstance(body, Mapping | list | str):
            body = response.text
        sent: list[Mapping[str, Any]] = []
        try:
            request = response.request
            payload = json.loads(request.content) if request.content else None
        except (RuntimeError, ValueError):
            payload = None
        if isinstance(payload, Mapping) and isinstance(payload.get("fields"), list):
            sent = [f for f in payload["fields"] if isinstance(f, Mapping)]
        return codec.decode_error(
            response.status_code,
            body,
            request_fields=sent,
            field_slugs=self._field_slugs,
            retry_after=parse_retry_after(response.headers.get("retry-after")),
            request_id=response.headers.get(self.request_id_header or "X-Request-ID"),
        )

    def is_retryable(self, error: CRMError, request: httpx.Request) -> bool:
        """Also retry 409 ``conflict`` (a concurrent write holds the record's lock, docs/reference/kizen.md §9)
        — for idempotent requests only."""
        if super().is_retryable(error, request):
            return True
        return (
            isinstance(error, Conflict)
            and error.status == 409
            and error.code in (None, "conflict")
            and bool(request.extensions.get(IDEMPOTENT, False))
        )

    # --- paths -----------------------------------------------------------------------------

    @staticmethod
    def _records(schema: ObjectSchema, *rest: str) -> str:
        """``/api/records/{object}[/...]``; no trailing slash (docs/reference/kizen.md §11)."""
        return _records_path(schema.slug, *rest)

    def _follow(self, url: str) -> str:
        """A ``next`` link, only on the base URL's host: credentials go nowhere else."""
        return check_same_origin(self.base_url, url, provider=self.name)

    def _remember(self, fields: Mapping[str, FieldSpec] | list[FieldSpec]) -> None:
        specs = fields.values() if isinstance(fields, Mapping) else fields
        self._field_slugs.update({f.provider_id: f.slug for f in specs if f.provider_id})

    def _pages(self, path: str, params: Mapping[str, Any] | None = None) -> Plan[list[Any]]:
        """Every row of a GET list, following ``next`` (docs/reference/kizen.md §8 pagination)."""
        rows: list[Any] = []
        request = self.build_request("GET", path, params=params)
        guard = PageGuard(self.name)  # a cycle or a malformed link raises (crmbridge.paging)
        while True:
            response = yield request
            payload = response.json()
            page, nxt = codec.decode_page(payload)
            guard.step(nxt, rows=len(page), total=codec.page_count(payload))
            rows.extend(page)
            if nxt is None:
                return rows
            request = self.build_request("GET", self._follow(nxt))

    # --- schema ----------------------------------------------------------------------------

    def list_objects(self) -> Plan[list[ObjectSpec]]:
        """``GET /api/custom-objects?custom_only=false`` (standard objects too, docs/reference/kizen.md §3),
        plus ``GET /api/client/custom-object`` when contacts are not among them."""
        rows = yield from self._pages("/api/custom-objects", {"custom_only": "false"})
        objects = [codec.decode_object(r) for r in rows]
        if not any(o.slug == CONTACTS for o in objects):
            response = yield self.build_request("GET", "/api/client/custom-object")
            payload = response.json()
            if isinstance(payload, Mapping):
                objects.append(codec.decode_object({"name": CONTACTS, **payload}))
        return objects

    def list_fields(self, object: ObjectSpec) -> Plan[list[FieldSpec]]:
        """``GET /api/custom-objects/{id}/fields`` (a bare, unpaginated array, docs/reference/kizen.md
        §3), with ``is_default`` from ``GET …/fields/settings-search``: ``/fields`` does not carry
        it (kizen/kizen-admin-cli ``src/kizen_builder/api/schema.py``). When settings cannot be
        read (403/404), :data:`~crmbridge_kizen.types.DEFAULT_FIELD_NAMES` decides."""
        ref = quote(object.provider_id or object.slug, safe="")
        rows = yield from self._pages(f"/api/custom-objects/{ref}/fields")
        response = yield self.build_request(
            "GET", f"/api/custom-objects/{ref}/fields/settings-search", expect=(403, 404)
        )
        flags: dict[Any, bool] = {}
        if response.status_code < 400:
            settings, _ = codec.decode_page(response.json())
            flags = {s.get("id"): s["is_default"] for s in settings
                     if isinstance(s.get("is_default"), bool)}  # fmt: skip
        flagged = [{**r, "is_default": flags[r.get("id")]} if r.get("id") in flags else r
                   for r in rows if isinstance(r, Mapping)]  # fmt: skip
        fields = [codec.decode_field(r, object.slug) for r in flagged]
        self._remember(fields)
        return fields

    def create_option(self, schema: ObjectSchema, field: FieldSpec, label: str) -> Plan[Option]:
        """Add one option: ``POST /api/custom-objects/{object}/fields/{field}/options`` with
        ``{"name": label}`` (kizen/kizen-admin-cli ``api/custom_objects.py``; PATCHing the field's
        ``options`` would replace them all, docs/reference/kizen.md §11); used by ``crmbridge migrate
        --create-options``. A pipeline stage is added with ``POST /api/pipelines/{object}/stages``
        (status ``open``, last; admin-cli ``api/pipelines.py``); a dynamic tag is created by the
        first write that names it, so an unknown one is answered without an id."""
        if field.type not in (FieldType.option, FieldType.status, FieldType.tags):
            raise ValidationError(f"{schema.slug}.{field.slug} has no options to add to")
        if is_email_status(field):  # fixed by Kizen (emulator/admin.py, add_option's refusals)
            raise ValidationError(
                f"{schema.slug}.{field.slug}: Kizen fixes the Email Status options",
                code="bad_option",
            )
        obj = quote(schema.object.provider_id or schema.slug, safe="")
        if field.type is FieldType.tags:
            found = yield from self._with_tags(schema, {field.slug: {label}})
            return found.fields[field.slug].option(label) or Option(label)
        if is_stage(field):
            body = {"name": label, "status": "open", "order": len(field.options)}
            response = yield self.build_request("POST", f"/api/pipelines/{obj}/stages", json=body)
        else:
            ref = quote(field.provider_id or field.slug, safe="")
            response = yield self.build_request(
                "POST", f"/api/custom-objects/{obj}/fields/{ref}/options", json={"name": label}
            )
        payload = response.json()
        if not isinstance(payload, Mapping):
            return Option(label)
        return Option(str(payload.get("name") or label), payload.get("id"))

    def field_to_create(self, schema: ObjectSchema, spec: FieldSpec) -> FieldSpec:
        """The field Kizen would create for ``spec`` (:mod:`crmbridge_kizen.field_creation`)."""
        return field_creation.planned_field(spec)

    def create_field(self, schema: ObjectSchema, spec: FieldSpec) -> Plan[FieldSpec]:
        """``POST /api/custom-objects/{object}/fields`` with its options, in the category of the
        object's first field that names one, else the first of ``GET …/categories``
        (kizen/kizen-admin-cli ``api/custom_objects.py`` ``create_field``, ``list_categories``;
        a field must be created in a category, docs/reference/kizen.md §15)."""
        obj = quote(schema.object.provider_id or schema.slug, safe="")
        category = next(
            (f.raw["category"] for f in schema.fields.values()
             if isinstance(f.raw, Mapping) and isinstance(f.raw.get("category"), str)),
            None,
        )  # fmt: skip
        if category is None:
            category = yield from self._category(obj, schema.slug)
        relation = None
        if spec.type is FieldType.reference:
            relation = yield from self._relation_to(spec.target_objects[0], schema)
        body = field_creation.field_body(spec, category, relation)
        response = yield self.build_request("POST", f"/api/custom-objects/{obj}/fields", json=body)
        created = codec.decode_field(response.json(), schema.slug)
        self._remember([created])
        return created

    def _category(self, obj: str, slug: str) -> Plan[str]:
        """The first field category of the object (``GET …/categories``, admin-cli
        ``list_categories``)."""
        response = yield self.build_request("GET", f"/api/custom-objects/{obj}/categories")
        rows, _ = codec.decode_page(response.json())
        ordered = sorted((r for r in rows if isinstance(r, Mapping) and r.get("id")),
                         key=lambda r: r.get("order") or 0)  # fmt: skip
        if not ordered:
            raise ValidationError(f"kizen: {slug!r} has no field category to add to")
        return str(ordered[0]["id"])

    def _relation_to(self, target: str, schema: ObjectSchema) -> Plan[dict[str, Any]]:
        """A new relationship's ``relation``: the other object's UUID (``GET
        /api/custom-objects/{api_name}``, docs/reference/kizen.md §3) and category, and the
        inverse field's label, this object's singular name (admin-cli's default)."""
        response = yield self.build_request("GET", f"/api/custom-objects/{quote(target, safe='')}")
        other = codec.decode_object(response.json())
        other_id = quote(other.provider_id or other.slug, safe="")
        category = yield from self._category(other_id, other.slug)
        raw = schema.object.raw if isinstance(schema.object.raw, Mapping) else {}
        return {
            "related_object": other.provider_id,
            "related_category": category,
            "related_name": str(raw.get("entity_name") or schema.object.label),
        }

    # --- dynamic tags and the stage ---------------------------------------------------------

    def _with_tags(self, schema: ObjectSchema, wanted: tags.Wanted) -> Plan[ObjectSchema]:
        """``schema`` knowing the ids of the tag labels ``wanted`` (:mod:`crmbridge_kizen.tags`)."""
        if not wanted:
            return schema
        return (yield from tags.with_tags(
            schema, wanted, lambda path, params: self.build_request("GET", path, params=params),
            self._follow, self._tags,
        ))  # fmt: skip

    def _prepare(
        self, schema: ObjectSchema, values: Mapping[str, Any]
    ) -> Plan[tuple[ObjectSchema, dict[str, Any], str | None]]:
        """Before a write: tag labels resolved to ids, and the stage taken out of the values (it is
        moved, not written: ``(schema, values without the stage, stage id or None)``)."""
        schema = yield from self._with_tags(schema, tags.labels_in_values(schema, values))
        rest = yield from self._resolve(schema, values)
        stage_id = None
        for slug in [s for s in rest if (spec := schema.fields.get(s)) and is_stage(spec)]:
            spec, given = schema.fields[slug], rest.pop(slug)
            found = find_option(spec, given)
            if found is None or not found.id:
                labels = ", ".join(repr(o.label) for o in spec.options)
                raise ValidationError(
                    f"invalid value for {slug!r}", provider=self.name,
                    field_errors=[FieldError(slug, "unknown stage", value=given,
                                             expected=f"one of {labels}")],
                )  # fmt: skip
            stage_id = found.id
        return schema, rest, stage_id

    def _resolve(self, schema: ObjectSchema, values: Mapping[str, Any]) -> Plan[dict[str, Any]]:
        """``values`` with team members given by e-mail and references given by a match value
        (:class:`~crmbridge.RefBy`) as the ids Kizen takes (:mod:`crmbridge_kizen.refs`):
        employees from ``GET /api/team`` (docs/reference/kizen.md §8), read once per provider
        and again for an e-mail it does not know, at most once a minute
        (:class:`~crmbridge.directory.UserDirectory`); one search per referenced value. Anything
        that resolves to no id, or to several records, is a :class:`~crmbridge.ValidationError`
        naming each such value, before any write."""
        emails = refs.user_emails(schema, values)
        if emails and self._employees.stale(emails):
            yield from self._read_team()
        # Only one record found is remembered: a value that finds none may be created later
        # in the same run (a migration writes the referenced object first, or again).
        found = {}
        for key, ref in refs.refs_by_value(schema, values).items():
            if key not in self._found:
                ids = yield from self._find_by_value(ref)
                if len(ids) != 1:
                    found[key] = ids
                    continue
                self._found[key] = ids
            found[key] = self._found[key]
        employees = self._employees.ids or {}
        problem = refs.missing(schema, values, employees, found)
        if problem is not None:
            raise problem
        return refs.substituted(schema, values, employees, found)

    def _read_team(self) -> Plan[dict[str, str]]:
        """E-mail (case-folded) → employee id, read from ``GET /api/team`` into the directory."""
        users = yield from self.list_users()
        return self._employees.store({u.email.casefold(): u.id for u in users if u.email and u.id})

    def _find_by_value(self, ref: RefBy) -> Plan[list[str]]:
        """The ids (at most two: one is the answer, two are too many) of ``ref.object``'s
        records whose ``ref.field`` equals ``ref.value`` (a search, :meth:`query`)."""
        target = self._referenced.get(ref.object)
        if target is None:
            objects = yield from self.list_objects()
            spec = next((o for o in objects if o.slug == ref.object), None)
            if spec is None:
                names = ", ".join(sorted(o.slug for o in objects))
                raise ValidationError(
                    f"RefBy names no Kizen object {ref.object!r} (objects: {names})",
                    provider=self.name,
                )
            fields = yield from self.list_fields(spec)
            target = self._referenced[ref.object] = ObjectSchema(spec, {f.slug: f for f in fields})
        target.field(ref.field)  # an unknown field: a clear error naming close matches
        page = yield from self.query(target, Query(where=F(ref.field) == ref.value, page_size=2),
                                     None)  # fmt: skip
        return [r.id for r in page.records if r.id]

    def _move(self, schema: ObjectSchema, record: Record, stage_id: str | None) -> Plan[Record]:
        """``PATCH /api/records/{object}/{id}/move {"stage_id"}`` when the record is elsewhere,
        then the record read back (docs/reference/kizen.md §4 "Move stage"; admin-cli
        ``api/pipelines.py`` ``move_record``). Not atomic with the write before it."""
        current = next((v for s, v in record.fields.items()
                        if (spec := schema.fields.get(s)) and is_stage(spec)), None)  # fmt: skip
        if (
            stage_id is None
            or record.id is None
            or (isinstance(current, Option) and current.id == stage_id)
        ):
            return record
        yield self.build_request("PATCH", self._records(schema, record.id, "move"),
                                 json={"stage_id": stage_id}, idempotent=True)  # fmt: skip
        return (yield from self.get(schema, record.id))

    def list_users(self) -> Plan[list[User]]:
        """``GET /api/team``: the business's employees, an unpaginated array by default
        (docs/reference/kizen.md §8), read like ``team_selector`` values; for pairing users
        across CRMs (crmbridge/migrate/users.py)."""
        response = yield self.build_request("GET", "/api/team")
        rows, _ = codec.decode_page(response.json())
        return [codec.decode_user(r) for r in rows if isinstance(r, Mapping)]

    # --- reads -----------------------------------------------------------------------------

    def _expand(self, payload: Mapping[str, Any]) -> Plan[Mapping[str, Any]]:
        """Fill summarised relationships (``value_summary``, more than 100 values) from
        ``GET /api/records/{id}/field-values/{field_id}`` (docs/reference/kizen.md §4 "Field values")."""
        for field_id, _slug in codec.summarised_fields(payload):
            path = f"/api/records/{quote(str(payload['id']), safe='')}/field-values/"
            items = yield from self._pages(path + quote(field_id, safe=""))
            payload = codec.merge_field_values(payload, field_id, items)
        return payload

    def _record(self, schema: ObjectSchema, payload: Any, *, hidden: bool = False) -> Plan[Record]:
        """A record from an answer. ``hidden``: whether that answer holds hidden fields (a GET
        with ``include_hidden_fields``, a write with ``return_all_fields``; not a search row)."""
        if type(payload) is not dict and not isinstance(payload, Mapping):
            raise ProviderError(f"kizen answered with no record: {payload!r}", provider=self.name)
        if codec.summarised_fields(payload):  # the common case reads no more
            payload = yield from self._expand(payload)
        record = codec.decode_record(payload, schema.slug, fields=schema.fields, hidden=hidden)
        tags.learn(schema, record, self._tags)
        return record

    def _rows(self, schema: ObjectSchema, rows: list[Any]) -> Plan[list[Record]]:
        """The records of a page of rows. Rows with summarised relationships read their values
        first (:meth:`_record`); the others — nearly all — are decoded without a plan step each,
        as this runs for every row of every page (bench/codec.py)."""
        records = []
        for row in rows:
            if _plain_row(row):
                records.append(codec.decode_record(row, schema.slug, fields=schema.fields))
            else:
                records.append((yield from self._record(schema, row)))
        return records

    def get(self, schema: ObjectSchema, id: str) -> Plan[Record]:
        """``GET /api/records/{object}/{id}`` with hidden fields, as Kizen's CLI does (docs/reference/kizen.md §4);
        an archived record is a 404 (:class:`~crmbridge.NotFound`)."""
        request = self.build_request(
            "GET", self._records(schema, id), params={"include_hidden_fields": "true"}
        )
        response = yield request
        return (yield from self._record(schema, response.json(), hidden=True))

    def page_cursor(self, query: Query, cursor: Any, pages: int) -> Any:
        """Search pages are numbered (DRF's page-number pagination, docs/reference/kizen.md §8):
        the page ``pages`` after a ``next`` link is that link with ``page`` moved on, as
        :meth:`query` answers it — so the migration engine reads several at once. ``None``
        before the first page is answered (its link is the server's). A link past the last page
        is answered "Invalid page.", which :meth:`query` reads as the end."""
        if not isinstance(cursor, str):
            return None
        page = _page_number(cursor)
        return None if page is None else _at_page(cursor, page + pages)

    def query(self, schema: ObjectSchema, query: Query, cursor: Any) -> Plan[Page]:
        """``POST /api/records/{object}/search`` with ``page``/``page_size``/``ordering`` in the
        query string and filter groups in the body (docs/reference/kizen.md §8); the next page is the ``next``
        link, followed only on the base URL's host, and written as :meth:`page_cursor` writes
        the links it names ahead. A page past the last (a link named ahead, or records removed
        while reading) is DRF's 404 "Invalid page.": the end of the read."""
        filters.check(query.where, schema)  # before any tag lookup: a refused filter sends nothing
        schema = yield from self._with_tags(schema, tags.labels_in_filter(schema, query.where))
        body = filters.search_body(query.where, schema, field_names=query.fields)
        if cursor is None:
            params = {
                "page": 1,
                "page_size": min(query.page_size, self.capabilities.max_page_size),
                "ordering": filters.ordering(query.order_by, schema),
            }
            url = self._records(schema, "search")
        else:
            params, url = {}, self._follow(str(cursor))
        request = self.build_request("POST", url, params=params, json=body, kind="read",
                                     idempotent=True, expect=(404,) if cursor else ())  # fmt: skip
        response = yield request
        if response.status_code == 404:
            answer = response_body(response)
            if isinstance(answer, Mapping) and answer.get("detail") == _INVALID_PAGE:
                return Page([], next=None)
            error = self.decode_error(response)
            error.provider, error.status = self.name, 404
            raise error
        payload = response.json()
        rows, nxt = codec.decode_page(payload)
        if nxt:
            nxt = self._follow(nxt)
            page = _page_number(nxt)
            nxt = nxt if page is None else _at_page(nxt, page)
        if query.lazy:
            records: Sequence[Record] = yield from self._raw_rows(schema, rows)
        else:
            records = yield from self._rows(schema, rows)
        return Page(records, next=nxt or None, total=codec.page_count(payload))

    def _raw_rows(self, schema: ObjectSchema, rows: list[Any]) -> Plan[RawRows]:
        """The page's rows undecoded, for the migration engine (``Query.lazy``,
        :mod:`crmbridge_kizen.raw_rows`): each decoded when first used, as :meth:`_rows` would.
        The rows that need more requests to decode (summarised relationships) are decoded now."""
        ready: dict[int, Record] = {}
        for row in rows:
            if not _plain_row(row):
                ready[id(row)] = yield from self._record(schema, row)
        fields = schema.fields
        hidden = codec.hidden_slugs(fields)

        def decode(row: Any) -> Record:
            found = ready.get(id(row))
            return found if found is not None else codec.decode_record(
                row, schema.slug, fields=fields
            )  # fmt: skip

        # Those rows have no digest of their read fields anyway (raw_rows.row_digest).
        return RawRows(
            rows, decode, raw_rows.row_id, lambda row, read: raw_rows.row_digest(row, read, hidden)
        )

    # --- writes ----------------------------------------------------------------------------

    def _fields(self, schema: ObjectSchema, values: Mapping[str, Any], *, by_id: bool = False
                ) -> list[dict[str, Any]]:  # fmt: skip
        if schema.fields is not self._remembered:  # once per schema, not per write
            self._remember(schema.fields)
            self._remembered = schema.fields
        return codec.encode_fields(schema, values, key="id" if by_id else "name")

    @staticmethod
    def _only_sets(fields: list[dict[str, Any]]) -> bool:
        """A write that only sets values may be retried; add/remove ones are not (docs/reference/kizen.md §9)."""
        return all("add_values" not in f and "remove_values" not in f for f in fields)

    def create(
        self, schema: ObjectSchema, values: Mapping[str, Any], *, on_archived: OnArchived | None
    ) -> Plan[Record]:
        """``POST /api/records/{object}/add`` (any 2xx, docs/reference/kizen.md §4). Contacts are written with
        field ids (name-keyed contact creates can 403, docs/reference/kizen.md §11). ``on_archived`` → the
        ``unarchive`` key (``error`` → ``prompt``, Kizen's default and its proven contacts path)."""
        schema, values, stage_id = yield from self._prepare(schema, values)
        _, record = yield from self._add(
            schema, values, codec.archive_policy("create", on_archived)
        )
        return (yield from self._move(schema, record, stage_id))

    def _add(
        self, schema: ObjectSchema, values: Mapping[str, Any], policy: Mapping[str, str]
    ) -> Plan[tuple[Any, Record]]:
        """``POST …/add`` with ``policy``'s archive keys: the answer's body and its record."""
        body: dict[str, Any] = {
            "fields": self._fields(schema, values, by_id=schema.slug == CONTACTS),
            **policy,
        }
        response = yield self.build_request("POST", self._records(schema, "add"), json=body)
        payload = response.json()
        return payload, (yield from self._record(schema, payload))

    def update(
        self,
        schema: ObjectSchema,
        id: str,
        values: Mapping[str, Any],
        *,
        on_archived: OnArchived | None,
    ) -> Plan[Record]:
        """``PATCH /api/records/{object}/{id}?return_all_fields=true`` (PUT's treatment of
        omitted fields is unconfirmed, docs/reference/kizen.md §13.9). ``on_archived="replace"`` →
        ``archived_conflict: overwrite``. A stage is moved after (:meth:`_move`)."""
        schema, values, stage_id = yield from self._prepare(schema, values)
        if stage_id is not None and not values:
            record = yield from self.get(schema, id)
            return (yield from self._move(schema, record, stage_id))
        fields = self._fields(schema, values)
        body: dict[str, Any] = {"fields": fields, **codec.archive_policy("update", on_archived)}
        request = self.build_request(
            "PATCH",
            self._records(schema, id),
            params={"return_all_fields": "true"},
            json=body,
            idempotent=self._only_sets(fields),
        )
        response = yield request
        record = yield from self._record(schema, response.json(), hidden=True)
        return (yield from self._move(schema, record, stage_id))

    # --- upsert hooks (the path itself is crmbridge/upsert.py) ------------------------------

    def prepare_upsert(self, call: Upsert) -> Plan[Upsert]:
        """Tag labels resolved to ids before the search, so the noop check compares a tag given
        by label with the tag Kizen reads back (:mod:`crmbridge_kizen.tags`)."""
        schema = yield from self._with_tags(call.schema, tags.labels_in_values(call.schema,
                                                                               call.values))  # fmt: skip
        values = yield from self._resolve(schema, call.values)
        return attrs.evolve(call, schema=schema, values=values)

    def would_change(self, call: Upsert, record: Record) -> bool:
        """:func:`crmbridge_kizen.codec.would_change`: Kizen's values compared as Kizen holds them."""
        return codec.would_change(record, call.values, call.schema)

    def native_upsert(self, call: Upsert, existing: Record | None) -> Plan[UpsertResult]:
        """``POST /api/records/{object}/upsert`` with ``lookup_value`` **and** ``fields`` (the
        published schema omits ``fields``; Kizen's own client sends it,
        docs/reference/kizen.md §6, §13.1).
        Kizen matches on ``email`` (contacts) or ``name``, case-insensitively, and says what it
        did in ``action``. A stage is moved after (:meth:`_move`)."""
        schema, values, stage_id = yield from self._prepare(call.schema, call.values)
        fields = self._fields(schema, values, by_id=schema.slug == CONTACTS)
        body = {
            "lookup_value": call.value,
            "fields": fields,
            **codec.archive_policy("upsert", call.on_archived),
        }
        request = self.build_request(
            "POST",
            self._records(schema, "upsert"),
            params={"return_all_fields": "true"},
            json=body,
            idempotent=self._only_sets(fields),
        )
        response = yield request
        payload = response.json()
        if not isinstance(payload, Mapping) or not isinstance(payload.get("id"), str):
            raise ProviderError(f"kizen's upsert answered {payload!r}", provider=self.name)
        action = _UPSERT_ACTIONS.get(payload.get("action"))
        if action is None:
            if response.status_code != 200:  # 201 is created or unarchived: never guess
                raise ProviderError(
                    f"kizen's upsert answer has no action ({payload.get('action')!r})",
                    provider=self.name,
                )
            # 200 is only ever "updated" (docs/reference/kizen.md §6, app-engine)
            action = "updated"
        if "fields" not in payload:  # a minimal answer (documented_examples upsert_response_min)
            record = yield from self.get(schema, payload["id"])
        else:
            record = yield from self._record(schema, payload, hidden=True)
        return UpsertResult(action, (yield from self._move(schema, record, stage_id)))

    def insert(self, call: Upsert) -> Plan[UpsertResult]:
        """An emulated upsert's create: ``POST …/add``, where ``on_archived="unarchive"`` brings
        an archived record back and Kizen answers ``action: unarchived``."""
        schema, values, stage_id = yield from self._prepare(call.schema, call.values)
        payload, record = yield from self._add(
            schema, values, codec.archive_policy("create", call.on_archived)
        )
        record = yield from self._move(schema, record, stage_id)
        action = payload.get("action") if isinstance(payload, Mapping) else None
        return UpsertResult("unarchived" if action == "unarchived" else "created", record)

    def delete(self, schema: ObjectSchema, id: str) -> Plan[None]:
        """Kizen has no hard delete (docs/reference/kizen.md §7): :class:`~crmbridge.Unsupported`, naming
        ``archive()``."""
        raise Unsupported(
            "kizen has no hard delete; use archive() (a soft delete, undone with restore())",
            provider=self.name,
        )
        yield  # type: ignore[unreachable]  # pragma: no cover

    def archive(self, schema: ObjectSchema, id: str) -> Plan[None]:
        """``DELETE /api/records/{object}/{id}``: 204, data kept, restorable (docs/reference/kizen.md §7)."""
        yield self.build_request("DELETE", self._records(schema, id))
        return None

    def restore(self, schema: ObjectSchema, id: str) -> Plan[Record]:
        """``PATCH /api/records/{object}/{id}/unarchive`` (no body, docs/reference/kizen.md §4, [KZ-LIVE]);
        the record is read back when the answer does not carry it."""
        request = self.build_request("PATCH", self._records(schema, id, "unarchive"),
                                     idempotent=True)  # fmt: skip
        response = yield request
        payload = response_body(response) if response.content else None
        if isinstance(payload, Mapping) and "fields" in payload and "id" in payload:
            return (yield from self._record(schema, payload))
        return (yield from self.get(schema, id))
