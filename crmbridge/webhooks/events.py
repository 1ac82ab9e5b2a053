"""What a provider makes of one webhook delivery: events with the CRM's ids, before the core
resolves object ids to slugs (deliveries carry ids only: Attio's ``object_id`` is a UUID,
https://docs.attio.com/rest-api/webhook-reference/record-events/recordupdated)."""

from __future__ import annotations

import datetime as dt

import attrs

from ..changes.model import ChangeKind

__all__ = ["WebhookEvent"]


@attrs.frozen
class WebhookEvent:
    """One record event of a delivery. ``object_id`` is the CRM's object id (or slug);
    ``merged_into`` names the surviving record of a merge (``kind`` is then ``deleted``);
    ``event_type`` is the CRM's own name, kept for logs."""

    kind: ChangeKind
    object_id: str
    record_id: str
    event_type: str = ""
    merged_into: str | None = None
    at: dt.datetime | None = None
