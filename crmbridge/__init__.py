"""crmbridge: one Python API for Attio, Kizen and any CRM a plugin adds.

>>> import crmbridge as cb
>>> crm = cb.connect("attio", emulator=True)          # doctest: +SKIP
>>> crm.upsert("people", {...}, match="email_addresses")  # doctest: +SKIP
"""

from __future__ import annotations

from .bridge import AsyncBridge, Bridge, connect, connect_async
from .changes import Change
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
from .filters import F, Sort
from .hookspecs import hookimpl
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
    UpsertResult,
    User,
    ValueVersion,
    add,
    clear,
    from_dict,
    remove,
    to_dict,
)
from .provider import Capabilities, ObjectSchema, Page, Plan, Provider, Query
from .validation import normalize_values

__version__ = "0.1.0"

__all__ = [
    "Add",
    "AsyncBridge",
    "AuthError",
    "Bridge",
    "CRMError",
    "Capabilities",
    "Change",
    "Clear",
    "ConfigError",
    "Conflict",
    "F",
    "FieldError",
    "FieldSpec",
    "FieldType",
    "File",
    "Interaction",
    "Location",
    "Money",
    "NotFound",
    "ObjectSchema",
    "ObjectSpec",
    "Option",
    "Page",
    "PermissionDenied",
    "PersonName",
    "Phone",
    "Plan",
    "Provider",
    "ProviderError",
    "Query",
    "RateLimited",
    "Record",
    "Ref",
    "RefBy",
    "Remove",
    "RetryPolicy",
    "Sort",
    "TransportError",
    "Unsupported",
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
    "hookimpl",
    "normalize_values",
    "remove",
    "to_dict",
]
