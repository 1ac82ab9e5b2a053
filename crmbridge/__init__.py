"""crmbridge: one Python API for Attio, Kizen and any CRM a plugin adds.

>>> import crmbridge as cb
>>> crm = cb.connect("attio", emulator=True)          # doctest: +SKIP
>>> crm.upsert("people", {...}, match="email_addresses")  # doctest: +SKIP
"""

from __future__ import annotations

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
from .hookspecs import hookimpl as hookimpl  # not in __all__: crmbridge.plugin's; kept for old code
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
from .provider import Capabilities, ObjectSchema, Page, Plan, Provider
from .provider import Query as Query  # not in __all__: crmbridge.plugin's; kept for old code
from .upsert import OnArchived
from .validation import normalize_values as normalize_values  # likewise

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
    "Ref",
    "RefBy",
    "Remove",
    "RetryPolicy",
    "Sort",
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
