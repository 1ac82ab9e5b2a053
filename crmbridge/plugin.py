"""Everything a provider author needs, in one import point (users import :mod:`crmbridge`).

A provider plugin subclasses :class:`Provider`, writes each verb as a plan (a generator of
:class:`httpx.Request`\\ s, docs/plugins/tutorial.md) and registers the class with
:data:`hookimpl`::

    from crmbridge.plugin import Capabilities, Page, Plan, Provider, Query, hookimpl

    class HubSpotProvider(Provider):
        name = "hubspot"
        ...

    @hookimpl
    def crmbridge_register_providers(register):
        register(HubSpotProvider)

The neutral model (``Record``, ``FieldSpec``, ``Option``, the errors, ...) is the users' and comes
from :mod:`crmbridge`; what is here is the contract and the helpers providers share: the base
class and its types, the upsert hooks' arguments (:mod:`crmbridge.upsert`), the notes and tasks hooks
(:class:`NoteHooks`, which ``Provider`` already mixes in: override its plans and declare them in
``Capabilities``), the filter tree a
query carries, the HTTP helpers the drivers use, and the emulator base classes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .hookspecs import hookimpl
from .lazy_exports import lazy_exports

if TYPE_CHECKING:  # what type checkers see; at run time each name loads on first use
    from .directory import UserDirectory
    from .emulation import Emulator, Faults, RateLimits
    from .errors import did_you_mean
    from .filters import OPERATORS, And, Condition, Filter, Not, Op, Or, walk
    from .http import (
        check_same_origin,
        describe,
        error_class_for_status,
        error_for_status,
        parse_retry_after,
        response_body,
    )
    from .notes.hooks import NoteHooks
    from .paging import PageGuard, next_link
    from .provider import (
        EXPECT,
        IDEMPOTENT,
        KIND,
        Capabilities,
        EmulatorOption,
        ObjectSchema,
        Page,
        Plan,
        Provider,
        Query,
        Secret,
    )
    from .raw_rows import RawRows, digest_values
    from .upsert import DEFAULT_ON_ARCHIVED, Matches, OnArchived, Upsert, ambiguous, search_many
    from .validation import normalize_values

#: Each name → the module that defines it, imported on first use (PEP 562): a plugin's entry
#: module imports ``hookimpl`` from here when ``crmbridge --help`` loads every plugin, and must not
#: load httpx and the provider kit for it (issue 24: cold start). ``hookimpl`` is loaded at once.
_LAZY: dict[str, str] = {
    "UserDirectory": ".directory",
    "Emulator": ".emulation",
    "Faults": ".emulation",
    "RateLimits": ".emulation",
    "did_you_mean": ".errors",
    "OPERATORS": ".filters",
    "And": ".filters",
    "Condition": ".filters",
    "Filter": ".filters",
    "Not": ".filters",
    "Op": ".filters",
    "Or": ".filters",
    "walk": ".filters",
    "check_same_origin": ".http",
    "describe": ".http",
    "error_class_for_status": ".http",
    "error_for_status": ".http",
    "parse_retry_after": ".http",
    "response_body": ".http",
    "NoteHooks": ".notes.hooks",
    "PageGuard": ".paging",
    "RawRows": ".raw_rows",
    "digest_values": ".raw_rows",
    "next_link": ".paging",
    "EXPECT": ".provider",
    "IDEMPOTENT": ".provider",
    "KIND": ".provider",
    "Capabilities": ".provider",
    "EmulatorOption": ".provider",
    "ObjectSchema": ".provider",
    "Page": ".provider",
    "Plan": ".provider",
    "Provider": ".provider",
    "Query": ".provider",
    "Secret": ".provider",
    "DEFAULT_ON_ARCHIVED": ".upsert",
    "Matches": ".upsert",
    "OnArchived": ".upsert",
    "Upsert": ".upsert",
    "ambiguous": ".upsert",
    "search_many": ".upsert",
    "normalize_values": ".validation",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)


__all__ = [
    "DEFAULT_ON_ARCHIVED",
    "EXPECT",
    "IDEMPOTENT",
    "KIND",
    "OPERATORS",
    "And",
    "Capabilities",
    "Condition",
    "Emulator",
    "EmulatorOption",
    "Faults",
    "Filter",
    "Matches",
    "Not",
    "NoteHooks",
    "ObjectSchema",
    "OnArchived",
    "Op",
    "Or",
    "Page",
    "PageGuard",
    "Plan",
    "Provider",
    "Query",
    "RateLimits",
    "RawRows",
    "Secret",
    "Upsert",
    "UserDirectory",
    "ambiguous",
    "check_same_origin",
    "describe",
    "did_you_mean",
    "digest_values",
    "error_class_for_status",
    "error_for_status",
    "hookimpl",
    "lazy_exports",
    "next_link",
    "normalize_values",
    "parse_retry_after",
    "response_body",
    "search_many",
    "walk",
]
