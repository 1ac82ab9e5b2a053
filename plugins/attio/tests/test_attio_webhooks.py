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


ENTRY_EVENTS = ["list-entry.created", "list-entry.updated", "list-entry.deleted"]


def test_list_entry_events_reach_the_receiver_as_changes_of_the_list() -> None:
    """A list entry is a record of its list for crmbridge: its events (ids ``list_id`` and
    ``entry_id``, with the parent's ids; docs.attio.com webhook reference "list-entry events")
    arrive as changes of the list's slug, one per entry event — ``list-entry.updated`` once per
    attribute changed, as Attio sends it, deduplicated into one change."""
    crm = cb.connect("attio", emulator=True)
    emulator = crm.emulator
    assert emulator is not None
    emulator.add_list("pipeline", "Pipeline", "companies")  # type: ignore[attr-defined]
    emulator.add_attribute("pipeline", "stage", "status", statuses=["New", "Won"])  # type: ignore[attr-defined]
    emulator.add_attribute("pipeline", "priority", "number")  # type: ignore[attr-defined]
    hub = emulator.webhooks  # type: ignore[attr-defined]
    got: list[cb.Change] = []
    receiver = WebhookReceiver("attio", "pending", objects=crm)
    with WebhookServer(WebhookApp(receiver, callback=got.append)) as server:
        hook = crm.run(crm.provider.create_webhook(server.url, subscriptions(ENTRY_EVENTS)))
        assert hook.secret is not None
        receiver.use_secret(hook.secret)
        company = crm.create("companies", {"name": "Listed"})
        entry = crm.create("pipeline", {"parent": cb.Ref("companies", company.id or "")})
        crm.update("pipeline", entry.id or "", {"stage": "Won", "priority": 2})
        crm.delete("pipeline", entry.id or "")
        _wait(lambda: len(got) == 3 and hub.pending() == 0)

    assert [(c.kind, c.id, c.object) for c in got] == [
        ("created", entry.id, "pipeline"),
        ("updated", entry.id, "pipeline"),
        ("deleted", entry.id, "pipeline"),
    ]
    sent = [e[0] for e in hub.log]
    assert sent.count("list-entry.updated") == 2  # one per attribute written
    assert "record.created" not in sent  # only what the webhook subscribed to


def test_entry_events_without_their_ids_are_refused() -> None:
    from crmbridge_attio.webhooks import parse_events

    event = {"event_type": "list-entry.deleted", "id": {"workspace_id": "w", "list_id": "l"}}
    with pytest.raises(cb.ValidationError, match="list/entry ids"):
        parse_events({"webhook_id": "h", "events": [event]})
    event["id"]["entry_id"] = "e"  # type: ignore[index]
    (parsed,) = parse_events({"webhook_id": "h", "events": [event]})
    assert (parsed.kind, parsed.object_id, parsed.record_id) == ("deleted", "l", "e")
