"""Webhooks (issue 20, docs/design.md §9): verify a delivery, parse it into neutral
:class:`~crmbridge.Change`\\ s with object slugs, deduplicate, and receive them in an ASGI app;
"virtual webhooks" poll :meth:`~crmbridge.Bridge.changes` for CRMs without them. docs/sync.md."""

from __future__ import annotations

from .app import WebhookApp
from .dedupe import Deduper
from .events import WebhookEvent
from .receiver import Delivery, WebhookReceiver
from .server import WebhookServer
from .signature import SignatureRefused, sign, verify
from .virtual import poll

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
