"""Attio webhooks: the record and list-entry events of a delivery, and subscription management.

Deliveries (https://docs.attio.com/rest-api/webhook-reference/record-events/recordupdated and
…/recordmerged): ``{"webhook_id", "events": [{"event_type", "id": {"workspace_id", "object_id",
"record_id", ...}, "actor", ...}]}`` — ids only, ``object_id`` a UUID. ``record.merged`` adds
``duplicate_object_id`` / ``duplicate_record_id``: the duplicate is gone, merged into
``id.record_id`` (newer docs: both originals are merged into a new record, one event each), so it is
reported as the duplicate's deletion with ``merged_into`` plus an update of the survivor.

Subscriptions: ``POST/GET /v2/webhooks``, ``GET/PATCH/DELETE /v2/webhooks/{webhook_id}`` (Attio's
OpenAPI document, https://api.attio.com/openapi/api: ``target_url`` matching ``^https://``,
``subscriptions: [{event_type, filter}]``, the ``secret`` shown only in the create answer). A
``http://`` target is accepted for loopback hosts only, for the emulator (docs/sync.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from crmbridge import ProviderError, ValidationError
from crmbridge.changes import ChangeKind
from crmbridge.plugin import Plan, Provider
from crmbridge.provider import Secret
from crmbridge.webhooks import WebhookEvent

__all__ = [
    "ENTRY_EVENTS",
    "RECORD_EVENTS",
    "SIGNATURE_HEADERS",
    "Webhook",
    "create_webhook",
    "delete_webhook",
    "get_webhook",
    "list_webhooks",
    "parse_events",
    "update_webhook",
]

#: https://docs.attio.com/rest-api/guides/webhooks "Authenticating".
SIGNATURE_HEADERS = ("Attio-Signature", "X-Attio-Signature")
IDEMPOTENCY_HEADER = "Idempotency-Key"
#: The record events and their neutral kinds (the spec's ``event_type`` enum).
RECORD_EVENTS = {
    "record.created": "created",
    "record.updated": "updated",
    "record.deleted": "deleted",
    "record.merged": "deleted",
}
#: List entries are records of their list for crmbridge (an ObjectSpec of kind ``list`` whose
#: provider id is the list id): ``id`` holds ``list_id`` and ``entry_id``
#: (https://docs.attio.com/rest-api/webhook-reference/list-entry-events/list-entryupdated).
ENTRY_EVENTS: dict[str, ChangeKind] = {
    "list-entry.created": "created",
    "list-entry.updated": "updated",
    "list-entry.deleted": "deleted",
}


def parse_events(payload: Any) -> list[WebhookEvent]:
    """The record and list-entry events of a delivery body; other events (notes, tasks,
    attributes, workspace members, …) change no record and are left out."""
    if not isinstance(payload, Mapping) or not isinstance(payload.get("events"), list):
        raise ValidationError("not an Attio webhook delivery: no 'events' list")
    out: list[WebhookEvent] = []
    for event in payload["events"]:
        name = event.get("event_type") if isinstance(event, Mapping) else None
        if isinstance(name, str) and name in ENTRY_EVENTS:
            out.append(_entry_event(name, event))
            continue
        kind = RECORD_EVENTS.get(name) if isinstance(name, str) else None
        if kind is None:
            continue
        ids = event.get("id")
        if not isinstance(ids, Mapping) or not all(
            isinstance(ids.get(k), str) for k in ("object_id", "record_id")
        ):
            raise ValidationError(f"Attio {name} event without object/record ids")
        if name == "record.merged":
            duplicate = event.get("duplicate_record_id")
            if not isinstance(duplicate, str):
                raise ValidationError("Attio record.merged event without duplicate_record_id")
            object_id = event.get("duplicate_object_id") or ids["object_id"]
            out.append(WebhookEvent("deleted", object_id, duplicate, name, ids["record_id"]))
            out.append(WebhookEvent("updated", ids["object_id"], ids["record_id"], name))
            continue
        out.append(WebhookEvent(kind, ids["object_id"], ids["record_id"], name))  # type: ignore[arg-type]
    return out


def _entry_event(name: str, event: Mapping[str, Any]) -> WebhookEvent:
    ids = event.get("id")
    if not isinstance(ids, Mapping) or not all(
        isinstance(ids.get(k), str) for k in ("list_id", "entry_id")
    ):
        raise ValidationError(f"Attio {name} event without list/entry ids")
    return WebhookEvent(ENTRY_EVENTS[name], ids["list_id"], ids["entry_id"], name)


@attrs.frozen(repr=False)
class Webhook:
    """A webhook subscription as Attio answers it (``secret`` only from :func:`create_webhook`)."""

    id: str
    target_url: str
    subscriptions: tuple[Mapping[str, Any], ...]
    status: str = "active"
    created_at: dt.datetime | None = None
    secret: Secret | None = None

    def __repr__(self) -> str:
        return f"Webhook({self.id!r}, {self.target_url!r}, {self.status!r})"


def _decode(data: Any) -> Webhook:
    if not isinstance(data, Mapping) or not isinstance(data.get("id"), Mapping):
        raise ProviderError("Attio answered a webhook without an id", provider="attio")
    secret = data.get("secret")
    created = data.get("created_at")
    return Webhook(
        id=str(data["id"].get("webhook_id")),
        target_url=str(data.get("target_url")),
        subscriptions=tuple(data.get("subscriptions") or ()),
        status=str(data.get("status", "active")),
        created_at=dt.datetime.fromisoformat(created[:26] + "+00:00") if created else None,
        secret=Secret(secret) if isinstance(secret, str) and secret else None,
    )


def subscriptions(events: Iterable[str], object_id: str | None = None) -> list[dict[str, Any]]:
    """``[{event_type, filter}]`` for ``events``, each limited to one object when
    ``object_id`` is given (the spec's filter example: ``object_id equals``)."""
    out = []
    for name in events:
        if not isinstance(name, str) or "." not in name:
            raise ValidationError(f"not an Attio event type: {name!r} (e.g. 'record.updated')")
        flt = (
            {"$and": [{"field": "object_id", "operator": "equals", "value": object_id}]}
            if object_id
            else None
        )
        out.append({"event_type": name, "filter": flt})
    return out


_LOOPBACK = ("http://127.0.0.1:", "http://127.0.0.1/", "http://localhost:", "http://localhost/")


def _check_target(url: Any) -> str:
    if not isinstance(url, str) or not (url.startswith("https://") or url.startswith(_LOOPBACK)):
        raise ValidationError(
            f"an Attio webhook target_url must be an https:// URL (the spec's pattern), got {url!r}"
        )
    return url


def create_webhook(
    provider: Provider, target_url: str, subscriptions: Sequence[Mapping[str, Any]]
) -> Plan[Webhook]:
    """``POST /v2/webhooks``: the new webhook, with its signing ``secret`` (shown only here)."""
    _check_target(target_url)
    body = {"data": {"target_url": target_url, "subscriptions": list(subscriptions)}}
    response = yield provider.build_request("POST", "/v2/webhooks", json=body)
    return _decode(response.json().get("data"))


def list_webhooks(provider: Provider) -> Plan[list[Webhook]]:
    """``GET /v2/webhooks``."""
    response = yield provider.build_request("GET", "/v2/webhooks")
    return [_decode(d) for d in response.json().get("data") or []]


def get_webhook(provider: Provider, webhook_id: str) -> Plan[Webhook]:
    """``GET /v2/webhooks/{webhook_id}`` (404 ⇒ NotFound)."""
    response = yield provider.build_request("GET", f"/v2/webhooks/{webhook_id}")
    return _decode(response.json().get("data"))


def update_webhook(
    provider: Provider,
    webhook_id: str,
    *,
    target_url: str | None = None,
    subscriptions: Sequence[Mapping[str, Any]] | None = None,
) -> Plan[Webhook]:
    """``PATCH /v2/webhooks/{webhook_id}`` with what is given."""
    data: dict[str, Any] = {}
    if target_url is not None:
        data["target_url"] = _check_target(target_url)
    if subscriptions is not None:
        data["subscriptions"] = list(subscriptions)
    if not data:
        raise ValidationError("update_webhook needs target_url= or subscriptions=")
    response = yield provider.build_request(
        "PATCH", f"/v2/webhooks/{webhook_id}", json={"data": data}
    )
    return _decode(response.json().get("data"))


def delete_webhook(provider: Provider, webhook_id: str) -> Plan[None]:
    """``DELETE /v2/webhooks/{webhook_id}`` (200 ``{}``)."""
    yield provider.build_request("DELETE", f"/v2/webhooks/{webhook_id}")
    return None
