"""The ASGI app under a real uvicorn on 127.0.0.1: signed deliveries reach the callback or the
queue once; unsigned and tampered ones get 401 and reach nothing; a failing callback gets 500 and
the retry is taken."""

from __future__ import annotations

import json
import queue
import time
from collections.abc import Iterator

import httpx
import pytest

import crmbridge as cb
from crmbridge.webhooks import WebhookApp, WebhookReceiver, WebhookServer, sign

SECRET = "whsec-app"
OBJECTS = {"obj-uuid": "companies"}


def _body(record: str, kind: str = "record.created") -> bytes:
    event = {"event_type": kind, "id": {"workspace_id": "w", "object_id": "obj-uuid",
                                        "record_id": record}}  # fmt: skip
    return json.dumps({"webhook_id": "h", "events": [event]}).encode()


def _post(url: str, body: bytes, key: str | None, signed: bool = True) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if signed:
        headers["Attio-Signature"] = sign(SECRET, body)
    if key:
        headers["Idempotency-Key"] = key
    return httpx.post(url, content=body, headers=headers, timeout=5)


@pytest.fixture
def taken() -> list[cb.Change]:
    return []


@pytest.fixture
def server(taken: list[cb.Change]) -> Iterator[WebhookServer]:
    failures = {"left": 0}

    def callback(change: cb.Change) -> None:
        if change.id == "flaky" and failures["left"] == 0:
            failures["left"] = 1
            raise RuntimeError("first attempt fails")
        taken.append(change)

    app = WebhookApp(WebhookReceiver("attio", SECRET, objects=OBJECTS), callback=callback)
    with WebhookServer(app) as running:
        yield running


def test_signed_delivery_reaches_the_callback_once(
    server: WebhookServer, taken: list[cb.Change]
) -> None:
    body = _body("r1")
    first = _post(server.url, body, "k1")
    again = _post(server.url, body, "k1")
    assert (first.status_code, first.json()) == (200, {"accepted": 1})
    assert (again.status_code, again.json()) == (200, {"accepted": 0})
    assert taken == [cb.Change("created", "r1", None, None, "companies")]


def test_unsigned_and_tampered_deliveries_get_401(
    server: WebhookServer, taken: list[cb.Change]
) -> None:
    body = _body("r2")
    assert _post(server.url, body, "k2", signed=False).status_code == 401
    tampered = httpx.post(
        server.url,
        content=body.replace(b"r2", b"r3"),
        headers={"Attio-Signature": sign(SECRET, body)},
    )
    assert tampered.status_code == 401
    assert httpx.get(server.url).status_code == 405
    assert taken == []


def test_a_failing_callback_gets_500_and_the_retry_is_applied_once(
    server: WebhookServer, taken: list[cb.Change]
) -> None:
    body = _body("flaky")
    assert _post(server.url, body, "k3").status_code == 500
    assert _post(server.url, body, "k3").json() == {"accepted": 1}
    assert _post(server.url, body, "k3").json() == {"accepted": 0}
    assert [c.id for c in taken] == ["flaky"]


def test_deliveries_can_go_to_a_queue() -> None:
    q: queue.Queue[cb.Change] = queue.Queue()
    app = WebhookApp(WebhookReceiver("attio", SECRET, objects=OBJECTS), queue=q)
    with WebhookServer(app) as running:
        assert _post(running.url, _body("q1"), "kq").status_code == 200
    assert q.get_nowait().id == "q1"


def test_a_change_folded_within_the_window_reaches_the_callback_when_it_closes() -> None:
    """Issue 20: a second real change of a record within the dedupe window is not lost — the app
    hands it on once more when the window closes, without another delivery to wake it."""
    taken: list[cb.Change] = []
    receiver = WebhookReceiver(
        "attio", SECRET, objects=OBJECTS, deduper=cb.webhooks.Deduper(window=0.3)
    )
    with WebhookServer(WebhookApp(receiver, callback=taken.append)) as running:
        body = _body("r7", "record.updated")
        assert _post(running.url, body, "u1").json() == {"accepted": 1}
        assert _post(running.url, body, "u2").json() == {"accepted": 0}  # folded
        assert len(taken) == 1
        deadline = time.monotonic() + 10
        while len(taken) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
    assert [(c.kind, c.id) for c in taken] == [("updated", "r7")] * 2


def test_folded_changes_still_waiting_are_handed_on_at_shutdown() -> None:
    taken: list[cb.Change] = []
    receiver = WebhookReceiver(
        "attio", SECRET, objects=OBJECTS, deduper=cb.webhooks.Deduper(window=3600)
    )
    with WebhookServer(WebhookApp(receiver, callback=taken.append)) as running:
        body = _body("r8", "record.updated")
        _post(running.url, body, "v1")
        _post(running.url, body, "v2")
        assert len(taken) == 1
    assert [(c.kind, c.id) for c in taken] == [("updated", "r8")] * 2
