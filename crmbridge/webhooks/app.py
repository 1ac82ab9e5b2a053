"""An ASGI app that receives webhook deliveries and hands their changes to a callback or a queue.

Plain ASGI 3 (https://asgi.readthedocs.io/en/latest/specs/www.html), so any ASGI server runs it;
``crmbridge webhooks serve`` uses uvicorn. Answers, for the CRM's retry logic:

* 200 ``{"accepted": n}``: taken (``n`` new changes; 0 for a redelivery or a repeat);
* 401: no signature or a wrong one (never handed on); 400: not JSON or not a delivery;
* 405 for anything but POST, 413 for a body over ``max_body`` bytes;
* 500 when the callback raised: the delivery is not remembered, so the CRM's retry is taken.

A change folded into an earlier one within the dedupe window is handed on once more when the window
closes (:mod:`.dedupe`): the app runs a timer task for that while folded changes wait, and hands on
every waiting one at shutdown (lifespan) rather than drop it.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import queue as queue_module
from collections.abc import Awaitable, Callable
from typing import Any

from ..changes.model import Change
from ..errors import ValidationError
from .receiver import WebhookReceiver
from .signature import SignatureRefused

__all__ = ["WebhookApp"]

log = logging.getLogger("crmbridge.webhooks")

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


class WebhookApp:
    """``WebhookApp(receiver, callback=fn)`` or ``WebhookApp(receiver, queue=q)`` (an
    :class:`asyncio.Queue` or a :class:`queue.Queue`): an ASGI application."""

    def __init__(
        self,
        receiver: WebhookReceiver,
        *,
        callback: Callable[[Change], Any] | None = None,
        queue: asyncio.Queue[Change] | queue_module.Queue[Change] | None = None,
        max_body: int = 1 << 20,
    ) -> None:
        if (callback is None) == (queue is None):
            raise ValueError("give exactly one of callback= or queue=")
        self.receiver = receiver
        self.callback = callback
        self.queue = queue
        self.max_body = max_body
        self._lock: asyncio.Lock | None = None
        self._timer: asyncio.Task[None] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    if self._timer is not None:
                        self._timer.cancel()
                    await self._trailing(every=True)
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        if scope["method"] != "POST":
            await _reply(send, 405, {"error": "deliveries are POSTed"}, [(b"allow", b"POST")])
            return
        body = bytearray()
        while True:
            message = await receive()
            body += message.get("body", b"")
            if len(body) > self.max_body:
                await _reply(send, 413, {"error": "delivery too large"})
                return
            if not message.get("more_body"):
                break
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        status, answer = await self.take(bytes(body), headers)
        await _reply(send, status, answer)

    async def take(self, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """Handle one delivery; the status and JSON answer for the CRM."""
        receiver = self.receiver
        try:
            # Resolving object ids may ask the CRM (a sync connection): off the event loop.
            delivery = await asyncio.to_thread(receiver.open, body, headers)
        except SignatureRefused as exc:
            log.warning("%s", exc)
            return 401, {"error": str(exc)}
        except ValidationError as exc:
            return 400, {"error": str(exc)}
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            changes = receiver.fresh(delivery)
            done: list[Change] = []
            try:
                for change in changes:
                    await self._hand_on(change)
                    done.append(change)
            except Exception:
                log.exception("webhook callback failed; the CRM will retry the delivery")
                receiver.taken(_keyless(delivery), done)
                return 500, {"error": "the receiver's callback failed"}
            receiver.taken(delivery, done)
        if receiver.deduper.next_due() is not None and (self._timer is None or self._timer.done()):
            self._timer = asyncio.create_task(self._trailing_timer())
        return 200, {"accepted": len(done)}

    async def _trailing_timer(self) -> None:
        """Hand on folded changes as their windows close, while any wait."""
        while (wait := self.receiver.deduper.next_due()) is not None:
            await asyncio.sleep(wait)
            await self._trailing()

    async def _trailing(self, *, every: bool = False) -> None:
        if self._lock is None:
            self._lock = asyncio.Lock()
        deduper = self.receiver.deduper
        async with self._lock:
            due = deduper.due(every=every)
            for index, change in enumerate(due):
                try:
                    await self._hand_on(change)
                except Exception:
                    log.exception("webhook callback failed on a folded change; retried later")
                    for waiting in due[index:]:
                        deduper.add_change(waiting.object, waiting.id, waiting.kind)
                        deduper.fold(waiting)
                    return
                deduper.add_change(change.object, change.id, change.kind)

    async def _hand_on(self, change: Change) -> None:
        if self.queue is not None:
            if isinstance(self.queue, asyncio.Queue):
                await self.queue.put(change)
            else:
                self.queue.put(change)
            return
        assert self.callback is not None
        result = self.callback(change)
        if inspect.isawaitable(result):
            await result


def _keyless(delivery: Any) -> Any:
    import attrs

    return attrs.evolve(delivery, key=None)


async def _reply(
    send: Send,
    status: int,
    body: dict[str, Any],
    extra: list[tuple[bytes, bytes]] | None = None,
) -> None:
    data = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    await send(
        {"type": "http.response.start", "status": status, "headers": headers + (extra or [])}
    )
    await send({"type": "http.response.body", "body": data})
