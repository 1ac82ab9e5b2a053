"""The provider contract: what a CRM plugin implements, and the base class that carries the plumbing.

A provider is sans-IO (docs/design.md §2). Each verb is a **plan**: a generator that yields
:class:`httpx.Request` objects and receives the matching :class:`httpx.Response`, then returns the
neutral result::

    def get(self, schema: ObjectSchema, id: str) -> Plan[Record]:
        response = yield self.build_request("GET", f"/v2/objects/{schema.slug}/records/{id}")
        return codec.decode_record(response.json())

The facade drives plans with one sync and one async driver (:mod:`crmbridge.http`) that own auth,
retries, rate limiting and error mapping: a response with status ≥ 400 never reaches the plan unless
the request lists that status in ``expect``; instead the driver raises ``provider.decode_error(...)``.
So a provider writes each verb once, and request counting, dry runs and fault tests come for free.

Values reaching a provider's write verbs have been validated and normalised by the facade against the
:class:`~crmbridge.FieldSpec` (see :mod:`crmbridge.validation`): keys are known writable slugs; a multi
field holds a ``list`` or an :class:`~crmbridge.Add` / :class:`~crmbridge.Remove` /
:class:`~crmbridge.Clear`; options are :class:`~crmbridge.Option` with ``id`` filled in where the schema
knows it; references are :class:`~crmbridge.Ref`; money is :class:`~crmbridge.Money`.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Generator, Mapping, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeAlias, TypeVar

import attrs
import httpx

from .errors import (
    ConfigError,
    CRMError,
    NotFound,
    ProviderError,
    Unsupported,
    ValidationError,
    did_you_mean,
)
from .filters import OPERATORS, Filter, Sort
from .model import (
    FieldSpec,
    FieldType,
    ObjectSpec,
    Option,
    Record,
    UpsertResult,
    User,
    ValueVersion,
    unstructure_value,
)
from .notes.hooks import NoteHooks
from .upsert import Matches, OnArchived, Upsert, run, search, search_many

if TYPE_CHECKING:
    from .changes.feeds import Feed
    from .emulation import Emulator
    from .webhooks.events import WebhookEvent

__all__ = [
    "DECODE",
    "EXPECT",
    "IDEMPOTENT",
    "KIND",
    "Capabilities",
    "EmulatorOption",
    "ObjectSchema",
    "OnArchived",
    "Page",
    "Plan",
    "Provider",
    "Query",
    "Secret",
]

T = TypeVar("T")
#: A sans-IO verb: yields requests, receives responses, returns the result.
Plan: TypeAlias = Generator[httpx.Request, httpx.Response, T]

#: ``request.extensions`` keys the drivers read (set them with :meth:`Provider.build_request`).
KIND = "crmbridge_kind"  # "read" | "write": which rate-limit bucket
IDEMPOTENT = "crmbridge_idempotent"  # bool: may 5xx / network failures be retried?
EXPECT = "crmbridge_expect"  # tuple[int, ...]: error statuses the plan handles itself
#: Callable[[bytes], Any]: decodes the JSON success body in place of ``json.loads`` (what the
#: plan's ``response.json()`` then returns). It must give a body that is not whole JSON the
#: error ``json.loads`` gives (ValueError, RecursionError): the driver retries reads cut short.
DECODE = "crmbridge_decode"


@attrs.frozen
class Capabilities:
    """What a provider can do natively. The facade, the migration engine and the conformance suite
    read these instead of guessing; a verb a provider lacks raises :class:`~crmbridge.Unsupported`.

    * ``native_upsert``: one request upserts (Attio assert, Kizen ``/upsert``).
    * ``upsert_match``: ``"unique"`` — any unique field can be the match key (Attio);
      ``"fixed"`` — the CRM fixes the key per object (Kizen: email for contacts, name otherwise), see
      :meth:`Provider.match_key`; other keys need ``emulate=True``.
    * ``archive`` / ``restore``: soft delete and undo (Kizen); ``delete``: hard delete (Attio).
    * ``add_values`` / ``remove_values``: native add/remove on multi fields with no read first.
    * ``history``: ``history()`` returns past values; ``lists``: list entries as records.
    * ``create_options``: ``create_option()`` adds options to select/status fields (migrations'
      ``--create-options``).
    * ``create_fields``: ``create_field()`` adds fields to an object; which types it can create is
      the provider's :meth:`Provider.field_to_create` (migrations' ``--create-fields``).
    * ``filter_ops``: neutral operators the provider can translate; ``sorts``: ``order_by`` works.
    * ``max_page_size``: the largest page the API serves; ``read_rate`` / ``write_rate``: documented
      requests per second (``None``: unpublished); ``concurrency``: in-flight writes that make sense.
    * ``concurrency_ceiling``: for a CRM that publishes no write limit, the most writes a migration
      may keep in flight; the engine then adapts its writers between 1 and it, from ``concurrency``
      up while answers stay fast and clean (:mod:`crmbridge.aimd`). ``None``: a fixed pool.
    * Notes and tasks (:mod:`crmbridge.notes`): ``notes`` (list by record, get, create),
      ``notes_create`` (false: the notes can be read but not created, e.g. Kizen's logged
      activities, docs/reference/kizen-activities.md §3), ``notes_delete``, ``notes_by_object`` (every note of an object, in pages),
      ``notes_backdate`` (a new note may carry ``created_at``), ``notes_author``
      (… and ``author``), ``note_formats``; ``tasks`` (list, get, create), ``tasks_update``,
      ``tasks_delete``, ``task_max_length`` (characters of content; ``None``: no limit known).
    """

    native_upsert: bool = False
    upsert_match: Literal["unique", "fixed", "none"] = "none"
    archive: bool = False
    restore: bool = False
    delete: bool = False
    add_values: bool = False
    remove_values: bool = False
    history: bool = False
    lists: bool = False
    create_options: bool = False
    create_fields: bool = False
    sorts: bool = True
    filter_ops: frozenset[str] = frozenset(OPERATORS)
    max_page_size: int = 100
    read_rate: float | None = None
    write_rate: float | None = None
    concurrency: int = 8
    concurrency_ceiling: int | None = None
    notes: bool = False
    notes_create: bool = True
    notes_delete: bool = False
    notes_by_object: bool = False
    notes_backdate: bool = False
    notes_author: bool = False
    note_formats: frozenset[str] = frozenset({"plaintext"})
    tasks: bool = False
    tasks_update: bool = False
    tasks_delete: bool = False
    task_max_length: int | None = None


@attrs.frozen
class EmulatorOption:
    """One option of a provider's emulator, beyond those every emulator takes (``seed``,
    ``random_seed``, ``latency_ms``, ``rate_limits``, ``fail_rate``): the keyword
    :meth:`Provider.create_emulator` accepts, offered by ``crmbridge emulate`` as ``--name``
    (llm's models declare their ``Options`` the same way)."""

    name: str
    help: str
    type: type[str] | type[int] | type[float] = str


@attrs.frozen
class ObjectSchema:
    """An object and its fields by slug, as the facade caches them and hands them to plans."""

    object: ObjectSpec
    fields: Mapping[str, FieldSpec]

    @property
    def slug(self) -> str:
        return self.object.slug

    def field(self, slug: str) -> FieldSpec:
        """The field ``slug`` (or with that provider id); a clear error naming close matches."""
        spec = self.fields.get(slug)
        if spec is not None:
            return spec
        for f in self.fields.values():
            if f.provider_id == slug:
                return f

        raise ValidationError(
            f"{self.object.slug!r} has no field {slug!r}{did_you_mean(slug, self.fields)}",
            code="unknown_field",
        )


@attrs.frozen
class Query:
    """A validated query: filter, sorts, page size (capped at the provider's maximum) and the
    fields wanted."""

    where: Filter | None = None
    order_by: tuple[Sort, ...] = ()
    page_size: int = 100
    #: Only these fields in the records (``None``: all). Providers that cannot narrow the fields
    #: they read return all of them; the facade trims the records either way.
    fields: tuple[str, ...] | None = None
    #: Records may be answered undecoded, as :class:`~crmbridge.raw_rows.RawRows` (decoded when
    #: used; the migration engine's re-runs). Providers that cannot ignore it.
    lazy: bool = False


@attrs.frozen
class Page:
    """One page of records and the cursor for the next (``None``: this was the last page)."""

    records: Sequence[Record]
    next: Any = None
    #: How many records the whole read has, when the CRM says so (bounds pagination:
    #: :class:`crmbridge.paging.PageGuard`).
    total: int | None = None


@attrs.frozen(repr=False)
class Secret:
    """A credential. Its repr and str never show the value; use :meth:`reveal` to send it."""

    _value: str

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__


def _parsed_url(url: str, query: tuple[tuple[str, Any], ...]) -> httpx.URL:
    """``url`` with ``query``, parsed. httpx parses a URL string on every request (~10 µs, more
    than encoding a small write: bench/codec.py), and a client's requests repeat a few URLs (an
    object's records, query, search and upsert paths), so parsed URLs are cached — keyed with
    each value's type, as ``1 == True`` but ``?flag=1`` is not ``?flag=true``."""
    typed = tuple((k, type(v), v) for k, v in query)
    try:
        return _cached_url(url, typed)
    except TypeError:  # an unhashable query value (a list): parse it every time
        return _new_url(url, typed)


def _new_url(url: str, typed: tuple[tuple[str, type, Any], ...]) -> httpx.URL:
    if not typed:
        return httpx.URL(url)
    return httpx.URL(url, params={k: v for k, _, v in typed})


_cached_url = lru_cache(maxsize=512)(_new_url)


class Provider(NoteHooks):
    """Base class for providers. Subclass it, set the class attributes, implement the plans.

    Configuration: ``config_keys`` names the keyword arguments ``connect()`` accepts (``base_url``
    always), ``env`` maps config keys to environment variables used when an argument is missing,
    ``secret_keys`` marks the ones wrapped in :class:`Secret`, ``required_keys`` those without which
    the provider cannot work. ``from_config`` does the rest; subclasses read ``self.config``.
    """

    name: ClassVar[str]
    #: What the provider can do. Declared on the class; the facades and the engine read the
    #: instance's, which :attr:`option_capabilities` may extend.
    capabilities: Capabilities = Capabilities()
    #: Capabilities a configuration option turns on: option name → the capability fields it sets
    #: (Kizen's notes and tasks need an activity type named). ``__init__`` applies those whose
    #: option is set; the support matrix shows them as "with ``option``".
    option_capabilities: ClassVar[Mapping[str, Mapping[str, bool]]] = {}
    default_base_url: ClassVar[str] = ""
    config_keys: ClassVar[tuple[str, ...]] = ()
    required_keys: ClassVar[tuple[str, ...]] = ()
    secret_keys: ClassVar[frozenset[str]] = frozenset()
    env: ClassVar[Mapping[str, str]] = {}
    request_id_header: ClassVar[str | None] = None
    #: The config key a ``NAME:VALUE`` spec on the command line fills (``sqlite:backup.db``).
    location_key: ClassVar[str | None] = None
    #: One line shown by ``crmbridge plugins``.
    description: ClassVar[str] = ""
    #: Appended to the error for an object the provider does not have (how to create one).
    unknown_object_hint: ClassVar[str] = ""

    def __init__(self, *, base_url: str | None = None, **config: Any) -> None:
        self.base_url = (base_url or self.default_base_url).rstrip("/")
        self.config: dict[str, Any] = config
        changes: dict[str, Any] = {}
        for key, fields in self.option_capabilities.items():
            if config.get(key):
                changes.update(fields)
        if changes:
            self.capabilities = attrs.evolve(type(self).capabilities, **changes)

    # --- configuration -----------------------------------------------------------------------

    @classmethod
    def from_config(cls, **config: Any) -> Provider:
        """Build the provider from ``connect()`` arguments, filling gaps from the environment."""
        allowed = {"base_url", *cls.config_keys}
        unknown = sorted(set(config) - allowed)
        if unknown:
            raise ConfigError(
                f"{cls.name}: unknown option(s) {', '.join(unknown)}; "
                f"expected {', '.join(sorted(allowed))}"
            )
        values: dict[str, Any] = {}
        for key in sorted(allowed):
            value = config.get(key)
            if value is None and key in cls.env:
                value = os.environ.get(cls.env[key]) or None
            if value is not None:
                values[key] = value
        missing = [k for k in cls.required_keys if k not in values]
        if missing:
            hints = ", ".join(
                f"{k} (or the environment variable {cls.env[k]})" if k in cls.env else k
                for k in missing
            )
            raise ConfigError(f"{cls.name}: missing {hints}")
        for key in cls.secret_keys:
            if key in values and not isinstance(values[key], Secret):
                if not isinstance(values[key], str) or not values[key].strip():
                    raise ConfigError(f"{cls.name}: {key} must be a non-empty string")
                values[key] = Secret(values[key].strip())
        base_url = values.pop("base_url", None)
        if base_url is not None and not str(base_url).startswith(("http://", "https://")):
            raise ConfigError(f"{cls.name}: base_url must start with http:// or https://")
        return cls(base_url=base_url, **values)

    def __repr__(self) -> str:
        shown = {k: v for k, v in self.config.items() if k not in self.secret_keys}
        return f"<{type(self).__name__} {self.public_url} {shown}>"

    @property
    def public_url(self) -> str:
        """``base_url`` without a userinfo (``http://user:pass@proxy…``): what may be shown,
        logged or stored; the requests still carry it (issue 15)."""
        scheme, sep, rest = self.base_url.partition("://")
        host, slash, path = rest.partition("/")
        return f"{scheme}{sep}{host.rpartition('@')[2]}{slash}{path}"

    def auth_headers(self) -> dict[str, str]:
        """Headers that authenticate every request (added by the driver, never logged)."""
        return {}

    @classmethod
    def sensitive_headers(cls) -> frozenset[str]:
        """Header names (lower case) that carry this provider's credentials or name its account:
        redacted wherever headers are shown, logged or recorded (:func:`crmbridge.http.
        redact_headers`, the cassette filters of :mod:`crmbridge.testing.vcr`).

        Default: the names :meth:`auth_headers` sends, read from a probe holding a placeholder
        for every config key (``__init__`` is not run, so nothing is opened or sent). Override
        it to add headers ``auth_headers`` does not send, or when it needs more than config."""
        probe = cls.__new__(cls)
        probe.base_url = cls.default_base_url
        probe.config = {k: Secret("crmbridge-probe") for k in (*cls.config_keys, *cls.secret_keys)}
        try:
            names = probe.auth_headers()
        except Exception:  # an auth_headers that needs what __init__ sets: declare them instead
            return frozenset()
        return frozenset(name.lower() for name in names)

    #: The port ``crmbridge emulate`` serves this provider's emulator on unless told (0: any
    #: free port).
    emulator_port: ClassVar[int] = 0
    #: The emulator's own options (:class:`EmulatorOption`), e.g. the credentials it accepts.
    emulator_options: ClassVar[tuple[EmulatorOption, ...]] = ()

    @classmethod
    def ships_emulator(cls) -> bool:
        """Whether a class between ``cls`` and :class:`Provider` defines :meth:`create_emulator`."""
        return any("create_emulator" in vars(k) for k in cls.__mro__[: cls.__mro__.index(Provider)])

    @classmethod
    def create_emulator(cls, **options: Any) -> Emulator:
        """A fresh in-process emulator of this CRM, for ``connect(..., emulator=True)``."""
        raise Unsupported(f"the {cls.name} provider ships no emulator", provider=cls.name)

    # --- request helpers ---------------------------------------------------------------------

    def build_request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        kind: Literal["read", "write"] | None = None,
        idempotent: bool | None = None,
        expect: tuple[int, ...] = (),
        decode: Callable[[bytes], Any] | None = None,
    ) -> httpx.Request:
        """A request for ``path`` (relative to ``base_url``, or absolute). ``kind`` picks the
        rate-limit bucket (default: GET/HEAD read, else write); ``idempotent`` whether 5xx and
        network failures may be retried (default: by method, RFC 9110 §9.2.2); ``expect`` lists
        error statuses the plan wants to see instead of an exception; ``decode`` reads the
        success body in place of ``json.loads`` (:data:`DECODE`: Attio's undecoded pages)."""
        method = method.upper()
        url = path if path.startswith(("http://", "https://")) else self.base_url + path
        if kind is None:
            kind = "read" if method in ("GET", "HEAD") else "write"
        if idempotent is None:
            idempotent = method in ("GET", "HEAD", "PUT", "DELETE", "OPTIONS")
        query = tuple((k, v) for k, v in (params or {}).items() if v is not None)
        extensions: dict[str, Any] = {KIND: kind, IDEMPOTENT: idempotent, EXPECT: expect}
        if decode is not None:
            extensions[DECODE] = decode
        try:
            return httpx.Request(
                method,
                _parsed_url(url, query),
                json=json,
                extensions=extensions,
            )
        except (httpx.InvalidURL, UnicodeError) as exc:
            raise ValidationError(f"cannot build a request for {path!r}: {exc}") from None
        except (TypeError, ValueError) as exc:
            # A value the provider's codec passed through but JSON cannot hold (e.g. a filter
            # comparing a text field with a PersonName): the caller's input, refused unsent.
            raise ValidationError(
                f"cannot send this to {self.name}: {exc} (check the values and filters given)"
            ) from None

    def decode_error(self, response: httpx.Response) -> CRMError:
        """The exception for an error response. Providers override this with their codec's
        ``decode_error``; the base maps by status only."""
        from .http import error_for_status

        return error_for_status(self.name, response, message=response.reason_phrase)

    def is_retryable(self, error: CRMError, request: httpx.Request) -> bool:
        """Whether ``error`` for ``request`` may be retried (beyond 429, which always is).
        Default: 5xx and transport errors, for idempotent requests only."""
        from .errors import TransportError

        if not request.extensions.get(IDEMPOTENT, False):
            return False
        if isinstance(error, TransportError):
            return True
        return isinstance(error, ProviderError) and (error.status or 0) >= 500

    def parse_value(self, spec: FieldSpec, value: Any) -> Any:
        """The CRM's own form of a value, read before the validation pass's generic reading
        (Attio's ``"Last, First"`` names): the value in neutral form, or ``NotImplemented`` when
        ``value`` is not such a form (the default: none)."""
        return NotImplemented

    def match_key(self, schema: ObjectSchema) -> str | None:
        """The default upsert match key for ``schema`` (``None``: the caller must name one)."""
        return None

    #: Config keys that name the account (the workspace, the business) on a shared host: a
    #: migration's state file records a fingerprint of them, never the values.
    account_keys: ClassVar[tuple[str, ...]] = ()

    def endpoint(self) -> str:
        """Where this provider's data lives, for telling two CRMs apart without secrets:
        ``"kizen at https://app.kizen.com (account 3f2a…)"``; the account part is a fingerprint
        of :attr:`account_keys`."""
        text = f"{self.name} at {self.public_url}"
        values = [self.config.get(k) for k in self.account_keys]
        if any(v is not None for v in values):
            raw = "|".join(str(v.reveal() if isinstance(v, Secret) else v) for v in values)
            text += f" (account {hashlib.sha256(raw.encode()).hexdigest()[:12]})"
        return text

    def match_keys(self, spec: FieldSpec, value: Any) -> list[str]:
        """How this CRM compares upsert match values: one key per value (each of a list's), equal
        when the CRM would take two values for the same record. A migration uses it to find
        source records that would be written into one target record. Default: e-mail addresses
        and domains case-folded (domain names are case-insensitive: RFC 4343 §2), other text
        exactly, anything else by its tagged plain form. Providers that compare otherwise
        override it (Kizen: names case-insensitively; Attio: domains in the form it stores
        them, crmbridge_attio/settle.py)."""
        out = []
        for v in value if isinstance(value, list | tuple) else [value]:
            if v is None:
                continue
            if isinstance(v, str):
                text = v.strip()
                if spec.type in (FieldType.email, FieldType.domain):
                    text = text.casefold()
                out.append(text)
            else:
                out.append(json.dumps(unstructure_value(v), sort_keys=True, default=str))
        return out

    # --- the verbs (docs/design.md §4), as plans -----------------------------------------------------

    def _unsupported(self, verb: str) -> Unsupported:
        return Unsupported(f"{self.name} does not support {verb}()", provider=self.name)

    def list_objects(self) -> Plan[list[ObjectSpec]]:
        """Every object (and list) the credentials can see."""
        return _refuse(self._unsupported("objects"))

    def list_fields(self, object: ObjectSpec) -> Plan[list[FieldSpec]]:
        """Every field of ``object``, with options where the CRM serves them."""
        return _refuse(self._unsupported("fields"))

    def get(self, schema: ObjectSchema, id: str) -> Plan[Record]:
        """One record by id; :class:`~crmbridge.NotFound` if there is none."""
        return _refuse(self._unsupported("get"))

    def query(self, schema: ObjectSchema, query: Query, cursor: Any) -> Plan[Page]:
        """One page of records matching ``query``; ``cursor`` is ``None`` for the first page and
        the previous page's ``next`` afterwards."""
        return _refuse(self._unsupported("query"))

    def page_cursor(self, query: Query, cursor: Any, pages: int) -> Any:
        """The cursor of the page ``pages`` pages after the one at ``cursor`` (``None``: the
        first), where pages are addressed by position (offset pagination), so that several can
        be requested at once (the migration engine's re-runs, ``AsyncBridge._page_iter``); ``None`` (the default) where
        only a page's answer names the next one (links, opaque cursors)."""
        return None

    def create(
        self, schema: ObjectSchema, values: Mapping[str, Any], *, on_archived: OnArchived | None
    ) -> Plan[Record]:
        return _refuse(self._unsupported("create"))

    def update(
        self,
        schema: ObjectSchema,
        id: str,
        values: Mapping[str, Any],
        *,
        on_archived: OnArchived | None,
    ) -> Plan[Record]:
        return _refuse(self._unsupported("update"))

    #: Create or update the record whose ``match`` field holds the value given: the one path,
    #: :func:`crmbridge.upsert.run`, which calls the hooks below. Providers implement
    #: :meth:`native_upsert` and :meth:`would_change`, not this.
    upsert = run

    # --- upsert hooks (crmbridge/upsert.py runs them) ----------------------------------------

    #: Before a native upsert, search for the match: an unchanged record is then a ``noop`` with
    #: no write (a write can fire the CRM's automations and bump "last modified"), and the
    #: action is known even where the CRM's answer does not say it. ``False``: always write.
    detect_noop: ClassVar[bool] = True
    #: Records read when searching for an upsert's match: more than one is ambiguous.
    match_page_size: ClassVar[int] = 2

    def prepare_upsert(self, call: Upsert) -> Plan[Upsert]:
        """``call`` with values that needed a lookup resolved, before the search (default:
        unchanged)."""
        yield from ()
        return call

    def find_matches(self, call: Upsert) -> Plan[Matches]:
        """The records holding ``call``'s match value (default: a query for it)."""
        return search(self, call)

    #: Match values searched for in one request by a batched lookup (``upsert_many``, the
    #: migration engine: :func:`crmbridge.upsert.lookup`); 20 batches per 1,000 upserts at most
    #: is issue 24's target.
    lookup_batch_size: ClassVar[int] = 100

    def find_matches_many(self, calls: Sequence[Upsert]) -> Plan[list[Matches] | None]:
        """The records holding each call's match value (one object, one match field), in as few
        requests as the CRM allows (default: one query with ``in`` on the match field,
        :func:`crmbridge.upsert.search_many`). ``None``: this CRM cannot, each upsert searches
        on its own — the default for a provider that finds matches its own way
        (:meth:`find_matches` overridden), unless it overrides this too."""
        if type(self).find_matches is not Provider.find_matches:
            yield from ()
            return None
        return (yield from search_many(self, calls))

    def would_change(self, call: Upsert, record: Record) -> bool:
        """Whether writing ``call.values`` to ``record`` (found by the search) would change it;
        ``False`` makes the upsert a ``noop`` with no write. Default: ``True`` (always write)."""
        return True

    def native_upsert(self, call: Upsert, existing: Record | None) -> Plan[UpsertResult]:
        """The CRM's own upsert on ``call.match`` (a field it upserts on: see
        ``Capabilities.upsert_match``). ``existing``: the one record the search found, when it
        found exactly one (``None`` with ``detect_noop`` off)."""
        return _refuse(self._unsupported("upsert"))

    def insert(self, call: Upsert) -> Plan[UpsertResult]:
        """The write of an emulated upsert that matched no live record: a create, ``created``.
        Providers whose create can bring an archived record back say ``unarchived`` then."""
        record = yield from self.create(call.schema, call.values, on_archived=call.on_archived)
        return UpsertResult("created", record)

    def delete(self, schema: ObjectSchema, id: str) -> Plan[None]:
        return _refuse(self._unsupported("delete"))

    def archive(self, schema: ObjectSchema, id: str) -> Plan[None]:
        return _refuse(self._unsupported("archive"))

    def restore(self, schema: ObjectSchema, id: str) -> Plan[Record]:
        return _refuse(self._unsupported("restore"))

    def history(self, schema: ObjectSchema, id: str, field: FieldSpec) -> Plan[list[ValueVersion]]:
        return _refuse(self._unsupported("history"))

    def create_option(self, schema: ObjectSchema, field: FieldSpec, label: str) -> Plan[Option]:
        """Add an option to a select/status field (``crmbridge migrate --create-options``)."""
        return _refuse(self._unsupported("create_option"))

    def field_to_create(self, schema: ObjectSchema, spec: FieldSpec) -> FieldSpec:
        """The field this CRM would create for the neutral definition ``spec`` (already checked
        by :func:`crmbridge.schema_writes.check_new_field`): its type translated to one the CRM
        can create (Attio has no long text: ``text``), its slug as the CRM would store it.
        Pure, no request: ``crmbridge migrate --create-fields --dry-run`` shows it. Raise
        :class:`~crmbridge.ValidationError` naming what cannot be created."""
        raise self._unsupported("create_field")

    def create_field(self, schema: ObjectSchema, spec: FieldSpec) -> Plan[FieldSpec]:
        """Create ``spec`` (the answer of :meth:`field_to_create`) on ``schema``'s object, with
        its options; return the field as the CRM made it."""
        return _refuse(self._unsupported("create_field"))

    def change_feed(self, schema: ObjectSchema) -> Feed | None:
        """The native change feed for ``schema`` (:mod:`crmbridge.changes`), e.g. a
        :class:`~crmbridge.changes.WatermarkFeed` on a modification-time field the CRM filters;
        ``None`` (the default): the scan-and-compare feed every provider gets."""
        return None

    #: Headers carrying a webhook delivery's HMAC-SHA256 signature (:mod:`crmbridge.webhooks`);
    #: empty: the CRM sends no signed record webhooks (use virtual webhooks).
    webhook_signature_headers: ClassVar[tuple[str, ...]] = ()
    #: The header that stays the same when a delivery is retried.
    webhook_idempotency_header: ClassVar[str | None] = None

    @classmethod
    def webhook_events(cls, payload: Any) -> list[WebhookEvent]:
        """The record events of one delivery's parsed JSON body (other events: left out).
        Raise :class:`~crmbridge.ValidationError` for a body that is not a delivery."""
        raise Unsupported(f"{cls.name} sends no webhooks", provider=cls.name)

    def list_users(self) -> Plan[list[User]]:
        """The CRM's users (Attio workspace members, Kizen employees), with their e-mail
        addresses: migrations pair users across CRMs by e-mail (crmbridge/migrate/users.py)."""
        return _refuse(self._unsupported("list_users"))

    def close(self) -> None:
        """Release anything the provider holds (files, connections of its own)."""


def _refuse(error: CRMError) -> Plan[Any]:
    """A plan that fails with ``error`` when run (the default for verbs a provider lacks)."""
    yield from ()
    raise error


def find_object(
    objects: Sequence[ObjectSpec], ref: str, provider: str, hint: str = ""
) -> ObjectSpec:
    """The object named ``ref`` (slug or provider id), or :class:`~crmbridge.NotFound` listing
    the ones there are."""
    for o in objects:
        if ref in (o.slug, o.provider_id):
            return o
    folded = ref.casefold()
    for o in objects:
        if o.slug.casefold() == folded:
            return o
    known = ", ".join(sorted(o.slug for o in objects)) or "none"
    message = f"{provider} has no object {ref!r}; it has: {known}"
    raise NotFound(f"{message}. {hint}" if hint else message, provider=provider)
