"""Attio webhooks end to end: subscriptions managed through the provider (the spec's
``/v2/webhooks``), and the emulator's signed deliveries — with their retries and the duplicate
``record.updated`` — received by crmbridge.webhooks under a real uvicorn on 127.0.0.1, each change
applied once."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from crmbridge_attio.webhooks import subscriptions

import crmbridge as cb
from crmbridge.webhooks import WebhookApp, WebhookReceiver, WebhookServer

EVENTS = ["record.created", "record.updated", "record.deleted"]


def _wait(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for webhook deliveries"
        time.sleep(0.02)


# the deleted subscription, read on purpose
@pytest.mark.crmbridge_emulator_refusals("404:not_found")
def test_subscriptions_are_created_listed_updated_and_deleted() -> None:
    crm = cb.connect("attio", emulator=True)
    p = crm.provider
    hook = crm.run(p.create_webhook("https://example.com/hook", subscriptions(EVENTS)))
    assert hook.secret is not None
    assert len(hook.secret.reveal()) == 64
    assert "secret" not in repr(hook)
    assert hook.secret.reveal() not in repr(hook)
    assert [h.id for h in crm.run(p.list_webhooks())] == [hook.id]
    assert crm.run(p.get_webhook(hook.id)).secret is None  # shown only on create
    moved = crm.run(p.update_webhook(hook.id, target_url="https://example.com/other"))
    assert moved.target_url == "https://example.com/other"
    crm.run(p.delete_webhook(hook.id))
    with pytest.raises(cb.NotFound):
        crm.run(p.get_webhook(hook.id))


def test_a_plain_http_target_is_refused_before_any_request() -> None:
    sent: list[object] = []
    crm = cb.connect("attio", emulator=True, on_request=sent.append)
    with pytest.raises(cb.ValidationError, match="https://"):
        crm.run(crm.provider.create_webhook("http://example.com/hook", subscriptions(EVENTS)))
    assert sent == []


def test_emulator_deliveries_reach_the_receiver_once_each() -> None:
    crm = cb.connect("attio", emulator=True)
    hub = crm.emulator.webhooks  # type: ignore[union-attr]
    hub.duplicate_delay = 0.3
    got: list[cb.Change] = []
    flaky = {"failed": False}

    def callback(change: cb.Change) -> None:
        if change.kind == "deleted" and not flaky["failed"]:
            flaky["failed"] = True  # the first delete delivery fails: the emulator retries
            raise RuntimeError("receiver down")
        got.append(change)

    receiver = WebhookReceiver("attio", "pending", objects=crm)
    with WebhookServer(WebhookApp(receiver, callback=callback)) as server:
        hook = crm.run(crm.provider.create_webhook(server.url, subscriptions(EVENTS, None)))
        assert hook.secret is not None
        receiver.use_secret(hook.secret)  # the secret exists once the webhook does
        record = crm.create("companies", {"name": "Hooked"})
        crm.update("companies", record.id or "", {"description": "x", "name": "Hooked 2"})
        crm.delete("companies", record.id or "")
        _wait(lambda: len(got) == 3 and hub.pending() == 0)

    assert [(c.kind, c.id, c.object) for c in got] == [
        ("created", record.id, "companies"),
        ("updated", record.id, "companies"),
        ("deleted", record.id, "companies"),
    ]
    updates = [entry for entry in hub.log if entry[0] == "record.updated"]
    assert len({key for _, _, key, _, _ in updates}) == 3  # two attributes + the recompute
    deletes = [entry for entry in hub.log if entry[0] == "record.deleted"]
    assert [(attempt, status) for *_, attempt, status in deletes] == [(1, 500), (2, 200)]


def test_the_emulator_never_delivers_off_this_machine() -> None:
    crm = cb.connect("attio", emulator=True)
    crm.run(crm.provider.create_webhook("https://example.com/hook", subscriptions(EVENTS)))
    crm.create("companies", {"name": "Nowhere"})
    hub = crm.emulator.webhooks  # type: ignore[union-attr]
    assert hub.pending() == 0
    assert hub.log[0][4] == "not sent: not a loopback host"
