"""Webhooks (issue 20, docs/design.md §9): verify a delivery, parse it into neutral
:class:`~crmbridge.Change`\\ s with object slugs, deduplicate, and receive them in an ASGI app;
"virtual webhooks" poll :meth:`~crmbridge.Bridge.changes` for CRMs without them. docs/sync.md."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what type checkers see; at run time each name loads on first use
    from .app import WebhookApp
    from .dedupe import Deduper
    from .events import WebhookEvent
    from .receiver import Delivery, WebhookReceiver
    from .server import WebhookServer
    from .signature import SignatureRefused, sign, verify
    from .virtual import poll

#: Each name → its module, imported on first use (PEP 562): ``crmbridge --help`` loads
#: ``crmbridge.webhooks.cli`` (and so this package) without needing a receiver (issue 24: cold
#: start).
_LAZY: dict[str, str] = {
    "WebhookApp": ".app",
    "Deduper": ".dedupe",
    "WebhookEvent": ".events",
    "Delivery": ".receiver",
    "WebhookReceiver": ".receiver",
    "WebhookServer": ".server",
    "SignatureRefused": ".signature",
    "sign": ".signature",
    "verify": ".signature",
    "poll": ".virtual",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    "Deduper",
    "Delivery",
    "SignatureRefused",
    "WebhookApp",
    "WebhookEvent",
    "WebhookReceiver",
    "WebhookServer",
    "poll",
    "sign",
    "verify",
]
