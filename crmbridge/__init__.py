"""crmbridge: one Python API for Attio, Kizen and any CRM a plugin adds.

>>> import crmbridge as cb
>>> crm = cb.connect("attio", emulator=True)          # doctest: +SKIP
>>> crm.upsert("people", {...}, match="email_addresses")  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import _httpx_cli
from .lazy_exports import lazy_exports

if TYPE_CHECKING:  # what type checkers and IDEs see; at run time each name loads on first use
    from .bridge import AsyncBridge, Bridge, connect, connect_async
    from .changes import AsyncChangeFeed, Change, ChangeFeed, FeedStore
    from .emulation import Emulator
    from .errors import (
        AuthError,
        ConfigError,
        Conflict,
        CRMError,
        FieldError,
        NotFound,
        PermissionDenied,
        ProviderError,
        RateLimited,
        TransportError,
        Unsupported,
        ValidationError,
    )
    from .filters import F, Filter, Sort
    from .hookspecs import (
        hookimpl as hookimpl,
    )  # not in __all__: crmbridge.plugin's; kept for old code
    from .http import RetryPolicy
    from .model import (
        Add,
        Clear,
        FieldSpec,
        FieldType,
        File,
        Interaction,
        Location,
        Money,
        ObjectSpec,
        Option,
        PersonName,
        Phone,
        Record,
        Ref,
        RefBy,
        Remove,
        UpsertAction,
        UpsertResult,
        User,
        ValueVersion,
        add,
        clear,
        from_dict,
        remove,
        to_dict,
    )
    from .notes import Note, Task
    from .provider import Capabilities, ObjectSchema, Page, Plan, Provider
    from .provider import Query as Query  # not in __all__: crmbridge.plugin's; kept for old code
    from .shared_limits import RedisLimits
    from .upsert import OnArchived
    from .validation import normalize_values as normalize_values  # likewise

#: Each public name → the module that defines it, imported on first use (PEP 562), so that
#: ``import crmbridge`` costs only this file and a user pays for httpx, cattrs and the rest when
#: the first name that needs them is used (issue 24: cold start). ``hookimpl``, ``Query`` and
#: ``normalize_values`` are not in ``__all__`` (crmbridge.plugin's), kept for old code.
_LAZY: dict[str, str] = {
    "AsyncBridge": ".bridge",
    "Bridge": ".bridge",
    "connect": ".bridge",
    "connect_async": ".bridge",
    "AsyncChangeFeed": ".changes",
    "Change": ".changes",
    "ChangeFeed": ".changes",
    "FeedStore": ".changes",
    "Emulator": ".emulation",
    "AuthError": ".errors",
    "ConfigError": ".errors",
    "Conflict": ".errors",
    "CRMError": ".errors",
    "FieldError": ".errors",
    "NotFound": ".errors",
    "PermissionDenied": ".errors",
    "ProviderError": ".errors",
    "RateLimited": ".errors",
    "TransportError": ".errors",
    "Unsupported": ".errors",
    "ValidationError": ".errors",
    "F": ".filters",
    "Filter": ".filters",
    "Sort": ".filters",
    "hookimpl": ".hookspecs",
    "RetryPolicy": ".http",
    "Add": ".model",
    "Clear": ".model",
    "FieldSpec": ".model",
    "FieldType": ".model",
    "File": ".model",
    "Interaction": ".model",
    "Location": ".model",
    "Money": ".model",
    "ObjectSpec": ".model",
    "Option": ".model",
    "PersonName": ".model",
    "Phone": ".model",
    "Record": ".model",
    "Ref": ".model",
    "RefBy": ".model",
    "Remove": ".model",
    "UpsertAction": ".model",
    "UpsertResult": ".model",
    "User": ".model",
    "ValueVersion": ".model",
    "add": ".model",
    "clear": ".model",
    "from_dict": ".model",
    "remove": ".model",
    "to_dict": ".model",
    "Note": ".notes",
    "Task": ".notes",
    "Capabilities": ".provider",
    "ObjectSchema": ".provider",
    "Page": ".provider",
    "Plan": ".provider",
    "Provider": ".provider",
    "Query": ".provider",
    "RedisLimits": ".shared_limits",
    "OnArchived": ".upsert",
    "normalize_values": ".validation",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, submodules=True)


_httpx_cli.install()  # httpx's own command line loads only if called (crmbridge/_httpx_cli.py)


__version__ = "0.1.0"

#: The users' API: connecting, the verbs' arguments and results, the errors. Provider authors
#: import the plugin kit from :mod:`crmbridge.plugin`. ``Provider``, ``Emulator`` and ``Plan``
#: are here because ``connect()`` and ``Bridge.run()`` name them.
__all__ = [
    "Add",
    "AsyncBridge",
    "AsyncChangeFeed",
    "AuthError",
    "Bridge",
    "CRMError",
    "Capabilities",
    "Change",
    "ChangeFeed",
    "Clear",
    "ConfigError",
    "Conflict",
    "Emulator",
    "F",
    "FeedStore",
    "FieldError",
    "FieldSpec",
    "FieldType",
    "File",
    "Filter",
    "Interaction",
    "Location",
    "Money",
    "NotFound",
    "Note",
    "ObjectSchema",
    "ObjectSpec",
    "OnArchived",
    "Option",
    "Page",
    "PermissionDenied",
    "PersonName",
    "Phone",
    "Plan",
    "Provider",
    "ProviderError",
    "RateLimited",
    "Record",
    "RedisLimits",
    "Ref",
    "RefBy",
    "Remove",
    "RetryPolicy",
    "Sort",
    "Task",
    "TransportError",
    "Unsupported",
    "UpsertAction",
    "UpsertResult",
    "User",
    "ValidationError",
    "ValueVersion",
    "__version__",
    "add",
    "clear",
    "connect",
    "connect_async",
    "from_dict",
    "remove",
    "to_dict",
]
