"""Attio's webhooks in the emulator: subscriptions stored and signed deliveries sent.

Sources: Attio's OpenAPI document (``/v2/webhooks`` paths, the spec shared with the team as
``attio-openapi.json``): create answers the webhook with its ``secret``, ``status`` is
``active|degraded|inactive``, 404 ``not_found`` "Webhook with ID … was not found.", DELETE answers
``{}``; filters are ``$and``/``$or`` of ``{field, operator: equals|not_equals, value}``. Delivery
shape: https://docs.attio.com/rest-api/webhook-reference/record-events/recordupdated (one event per
delivery, ids only, ``attribute_id`` per changed attribute). Signing: HMAC-SHA256 hex of the body
in ``Attio-Signature`` and ``X-Attio-Signature``; ``Idempotency-Key`` kept across retries; failed
deliveries retried up to 10 times (https://docs.attio.com/rest-api/guides/webhooks). A second
``record.updated`` about a second after a write (Attio recomputing attributes, issue 20 citing
Activepieces PR #15064) is sent too. docs/emulators/attio.md "Webhooks".

Emulator rules (strict where Attio is, safe for the machine): a ``target_url`` must be
``https://`` (the spec's pattern) or ``http://`` on a loopback host; deliveries are only ever sent
to loopback hosts (127.0.0.1, localhost, ::1), never elsewhere; retries are seconds apart, not days.
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
import json
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from . import errors
from .handlers import Call, Reply
from .store import Entry, Workspace

__all__ = ["WebhookHub"]

_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
#: Seconds between attempts (10 attempts in all, like Attio's, compressed).
RETRY_DELAYS = (0.2, 0.4, 0.8, 1.6, 3.2, 5.0, 5.0, 5.0, 5.0)
_FILTER_OPS = {"equals", "not_equals"}


@dataclass(order=True)
class _Delivery:
    due: float
    seq: int
    url: str = field(compare=False)
    secret: str = field(compare=False)
    body: bytes = field(compare=False)
    key: str = field(compare=False)
    event_type: str = field(compare=False)
    record_id: str = field(compare=False)
    attempt: int = field(default=1, compare=False)


def _loopback(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and (parts.hostname or "") in _LOOPBACK_HOSTS


class WebhookHub:
    """Stored webhooks, the events record writes produce, and a delivery thread."""

    def __init__(self, workspace: Workspace, *, duplicate_delay: float = 1.0) -> None:
        self.ws = workspace
        self.duplicate_delay = duplicate_delay
        self.webhooks: dict[str, dict[str, Any]] = {}
        #: Every attempt: (event_type, record_id, idempotency key, attempt, status or error).
        self.log: list[tuple[str, str, str, int, int | str]] = []
        self._queue: list[_Delivery] = []
        self._seq = 0
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False

    # --- the /v2/webhooks endpoints ----------------------------------------------------------

    def route(self, call: Call) -> Reply | None:
        """Answer a ``/v2/webhooks`` call; ``None`` for any other path."""
        parts = call.path.rstrip("/").split("/")
        if parts[:3] != ["", "v2", "webhooks"] or len(parts) > 4:
            return None
        if len(parts) == 3:
            if call.method == "GET":
                return Reply({"data": [self._render(w) for w in self.webhooks.values()]})
            if call.method == "POST":
                return Reply({"data": self._create(call)})
            return None
        hook = self.webhooks.get(parts[3])
        if call.method not in ("GET", "PATCH", "DELETE"):
            return None
        if hook is None:
            raise errors.not_found(f'Webhook with ID "{parts[3]}" was not found.')
        if call.method == "GET":
            return Reply({"data": self._render(hook)})
        if call.method == "DELETE":
            del self.webhooks[parts[3]]
            return Reply({})
        data = self._data(call)
        if "target_url" in data:
            hook["target_url"] = self._target(data["target_url"])
        if "subscriptions" in data:
            hook["subscriptions"] = self._subscriptions(data["subscriptions"])
        return Reply({"data": self._render(hook)})

    def _data(self, call: Call) -> dict[str, Any]:
        body = call.body
        if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
            raise errors.bad_request("validation_type", "Body payload validation error.")
        data: dict[str, Any] = body["data"]
        return data

    def _create(self, call: Call) -> dict[str, Any]:
        data = self._data(call)
        for key in ("target_url", "subscriptions"):
            if key not in data:
                raise errors.bad_request("validation_type", f"Body is missing data.{key}.")
        hook: dict[str, Any] = {
            "id": {"workspace_id": self.ws.id, "webhook_id": str(uuid.uuid4())},
            "target_url": self._target(data["target_url"]),
            "subscriptions": self._subscriptions(data["subscriptions"]),
            "status": "active",
            "created_at": call.now,
            "secret": secrets.token_hex(32),
        }
        self.webhooks[hook["id"]["webhook_id"]] = hook
        return {**self._render(hook), "secret": hook["secret"]}

    @staticmethod
    def _render(hook: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in hook.items() if k != "secret"}

    @staticmethod
    def _target(url: Any) -> str:
        if not isinstance(url, str) or not (url.startswith("https://") or _loopback(url)):
            raise errors.bad_request(
                "validation_type", "target_url must be an https:// URL (emulator: or loopback)."
            )
        return url

    @staticmethod
    def _subscriptions(subs: Any) -> list[dict[str, Any]]:
        if not isinstance(subs, list):
            raise errors.bad_request("validation_type", "subscriptions must be an array.")
        out = []
        for sub in subs:
            if not isinstance(sub, dict) or not isinstance(sub.get("event_type"), str):
                raise errors.bad_request("validation_type", "Each subscription needs event_type.")
            if "filter" not in sub:
                raise errors.bad_request("validation_type", "Each subscription needs filter.")
            flt = sub["filter"]
            if flt is not None:
                clauses = flt.get("$and", flt.get("$or")) if isinstance(flt, dict) else None
                if not isinstance(clauses, list) or not all(
                    isinstance(c, dict) and c.get("operator") in _FILTER_OPS for c in clauses
                ):
                    raise errors.bad_request("validation_type", "Invalid webhook filter.")
            out.append({"event_type": sub["event_type"], "filter": flt})
        return out

    # --- events from record writes -----------------------------------------------------------

    def before(self, call: Call) -> tuple[str, Entry] | None:
        """What a call is about to remove that its event must name: a list entry's parent
        (``list-entry.deleted`` carries ``parent_object_id``/``parent_record_id``, and the
        entry is gone once the call is done). ``(list id, entry)`` or ``None``."""
        if not self.webhooks or call.method != "DELETE":
            return None
        parts = call.path.rstrip("/").split("/")
        if len(parts) != 6 or parts[:3] != ["", "v2", "lists"] or parts[4] != "entries":
            return None
        lst = self.ws.list(parts[3])
        row = self.ws.table(lst).rows.get(parts[5]) if lst is not None else None
        return (lst.id, row) if lst is not None and isinstance(row, Entry) else None

    def observe(self, call: Call, reply: Reply, prior: tuple[str, Entry] | None = None) -> None:
        """After a successful call: the record and list-entry events it caused, delivered to
        subscribers (``prior``: what :meth:`before` saw of a deleted entry)."""
        if reply.status >= 300 or not self.webhooks:
            return
        parts = call.path.rstrip("/").split("/")
        if parts[:3] == ["", "v2", "lists"] and len(parts) >= 5 and parts[4] == "entries":
            self._observe_entry(call, reply, parts, prior)
            return
        if parts[:3] != ["", "v2", "objects"] or len(parts) < 5 or parts[4] != "records":
            return
        obj = self.ws.object(parts[3])
        if obj is None:
            return
        data = reply.body.get("data") if isinstance(reply.body, dict) else None
        ids = data.get("id") if isinstance(data, dict) else None
        record_id = ids.get("record_id") if isinstance(ids, dict) else None
        if len(parts) == 5 and call.method in ("POST", "PUT") and record_id:
            created = call.method == "POST" or data.get("created_at") == call.now  # type: ignore[union-attr]
            self._updated(obj.id, record_id, call) if not created else self._emit(
                "record.created", obj.id, record_id
            )
        elif len(parts) == 6 and call.method in ("PATCH", "PUT") and record_id:
            self._updated(obj.id, record_id, call)
        elif len(parts) == 6 and call.method == "DELETE":
            self._emit("record.deleted", obj.id, parts[5])

    def _updated(self, object_id: str, record_id: str, call: Call) -> None:
        values = call.body.get("data", {}).get("values") if isinstance(call.body, dict) else None
        obj = self.ws.object(object_id)
        for key in values if isinstance(values, dict) else [None]:
            attribute = obj.attribute(key) if obj is not None and key else None
            self._emit("record.updated", object_id, record_id, attribute.id if attribute else key)
        # Attio recomputes attributes about a second later: one more record.updated.
        self._emit("record.updated", object_id, record_id, None, delay=self.duplicate_delay)

    def _observe_entry(
        self, call: Call, reply: Reply, parts: list[str], prior: tuple[str, Entry] | None
    ) -> None:
        """``list-entry.created|updated|deleted``
        (https://docs.attio.com/rest-api/webhook-reference/list-entry-events/list-entryupdated
        and …/list-entrydeleted): ids ``{workspace_id, list_id, entry_id}`` (``attribute_id``
        per changed attribute on an update) and the parent's ``parent_object_id`` and
        ``parent_record_id``."""
        if len(parts) == 6 and call.method == "DELETE":
            if prior is not None:
                list_id, entry = prior
                self._emit_entry("list-entry.deleted", list_id, entry.id, entry)
            return
        data = reply.body.get("data") if isinstance(reply.body, dict) else None
        ids = data.get("id") if isinstance(data, dict) else None
        if not isinstance(data, dict) or not isinstance(ids, dict):
            return
        lst = self.ws.list(parts[3])
        row = self.ws.table(lst).rows.get(str(ids.get("entry_id"))) if lst is not None else None
        if lst is None or not isinstance(row, Entry):
            return
        if len(parts) == 5 and call.method in ("POST", "PUT"):
            created = call.method == "POST" or data.get("created_at") == call.now
            if created:
                self._emit_entry("list-entry.created", lst.id, row.id, row)
                return
        elif not (len(parts) == 6 and call.method in ("PATCH", "PUT")):
            return
        body = call.body.get("data") if isinstance(call.body, dict) else None
        values = body.get("entry_values") if isinstance(body, dict) else None
        for key in values if isinstance(values, dict) else [None]:
            attribute = lst.attribute(key) if key else None
            self._emit_entry("list-entry.updated", lst.id, row.id, row,
                             attribute.id if attribute else key)  # fmt: skip

    def _emit_entry(
        self, event_type: str, list_id: str, entry_id: str, entry: Entry,
        attribute_id: str | None = None,
    ) -> None:  # fmt: skip
        ids: dict[str, Any] = {"workspace_id": self.ws.id, "list_id": list_id,
                               "entry_id": entry_id}  # fmt: skip
        if attribute_id:
            ids["attribute_id"] = attribute_id
        parent = self.ws.object(entry.parent_object)
        self._publish({
            "event_type": event_type,
            "id": ids,
            "parent_object_id": parent.id if parent is not None else entry.parent_object,
            "parent_record_id": entry.parent_record_id,
            "actor": {"type": "api-token", "id": self.ws.id},
        }, entry_id, 0.0)  # fmt: skip

    def _emit(
        self,
        event_type: str,
        object_id: str,
        record_id: str,
        attribute_id: str | None = None,
        *,
        delay: float = 0.0,
    ) -> None:
        ids: dict[str, Any] = {
            "workspace_id": self.ws.id,
            "object_id": object_id,
            "record_id": record_id,
        }
        if attribute_id:
            ids["attribute_id"] = attribute_id
        event = {
            "event_type": event_type,
            "id": ids,
            "actor": {"type": "api-token", "id": self.ws.id},
        }
        self._publish(event, record_id, delay)

    def _publish(self, event: dict[str, Any], record_id: str, delay: float) -> None:
        """Deliver ``event`` to every active webhook subscribed to it."""
        event_type = event["event_type"]
        for hook in list(self.webhooks.values()):
            if hook["status"] == "inactive" or not _subscribed(hook, event):
                continue
            body = json.dumps(
                {"webhook_id": hook["id"]["webhook_id"], "events": [event]},
                separators=(",", ":"),
            ).encode()
            self._schedule(hook["target_url"], hook["secret"], body, event_type, record_id, delay)

    # --- delivery ----------------------------------------------------------------------------

    def _schedule(
        self, url: str, secret: str, body: bytes, event_type: str, record_id: str, delay: float
    ) -> None:
        if not _loopback(url):
            self.log.append((event_type, record_id, "", 0, "not sent: not a loopback host"))
            return
        with self._cond:
            self._seq += 1
            heapq.heappush(
                self._queue,
                _Delivery(
                    time.monotonic() + delay,
                    self._seq,
                    url,
                    secret,
                    body,
                    str(uuid.uuid4()),
                    event_type,
                    record_id,
                ),
            )
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="attio-emulator-webhooks", daemon=True
                )
                self._thread.start()
            self._cond.notify()

    def _run(self) -> None:
        with httpx.Client(timeout=5.0) as client:
            while True:
                with self._cond:
                    while not self._closed and (
                        not self._queue or self._queue[0].due > time.monotonic()
                    ):
                        wait = self._queue[0].due - time.monotonic() if self._queue else None
                        self._cond.wait(wait)
                    if self._closed:
                        return
                    item = heapq.heappop(self._queue)
                self._send(client, item)

    def _send(self, client: httpx.Client, item: _Delivery) -> None:
        signature = hmac.new(item.secret.encode(), item.body, hashlib.sha256).hexdigest()
        headers = {
            "Content-Type": "application/json",
            "Attio-Signature": signature,
            "X-Attio-Signature": signature,
            "Idempotency-Key": item.key,
        }
        outcome: int | str
        try:
            outcome = client.post(item.url, content=item.body, headers=headers).status_code
        except httpx.HTTPError as exc:
            outcome = type(exc).__name__
        self.log.append((item.event_type, item.record_id, item.key, item.attempt, outcome))
        if isinstance(outcome, int) and 200 <= outcome < 300:
            return
        if item.attempt <= len(RETRY_DELAYS):
            with self._cond:
                item.due = time.monotonic() + RETRY_DELAYS[item.attempt - 1]
                item.attempt += 1
                heapq.heappush(self._queue, item)
                self._cond.notify()

    def pending(self) -> int:
        """Deliveries not yet sent (or waiting for a retry)."""
        with self._cond:
            return len(self._queue)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify()


def _subscribed(hook: dict[str, Any], event: dict[str, Any]) -> bool:
    for sub in hook["subscriptions"]:
        if sub["event_type"] != event["event_type"]:
            continue
        flt = sub["filter"]
        if flt is None:
            return True
        combine = all if "$and" in flt else any
        clauses = flt.get("$and", flt.get("$or", []))
        fields = {**event["id"], **{k: v for k, v in event.items() if isinstance(v, str)}}
        if combine(_holds(c, fields) for c in clauses):
            return True
    return False


def _holds(clause: dict[str, Any], fields: dict[str, Any]) -> bool:
    equal = fields.get(clause["field"]) == clause["value"]
    return equal if clause["operator"] == "equals" else not equal
