"""Webhooks (issue 20, docs/design.md §9): verify a delivery, parse it into neutral
:class:`~crmbridge.Change`\\ s with object slugs, deduplicate, and receive them in an ASGI app;
"virtual webhooks" poll :meth:`~crmbridge.Bridge.changes` for CRMs without them. docs/sync.md."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy_exports import lazy_exports

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


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)


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
