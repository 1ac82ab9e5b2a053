"""Deliveries become neutral changes with object slugs; a redelivered event is applied once, a
repeated change within the window once, and a failed hand-on is taken again on retry."""

from __future__ import annotations

import json
from typing import Any

import pytest

import crmbridge as cb
from crmbridge.webhooks import Deduper, SignatureRefused, WebhookReceiver, sign

SECRET = "whsec-test"


def _delivery(event_type: str, object_id: str, record_id: str, **extra: Any) -> bytes:
    event = {
        "event_type": event_type,
        "id": {"workspace_id": "w", "object_id": object_id, "record_id": record_id},
        "actor": {"type": "workspace-member", "id": "m"},
        **extra,
    }
    return json.dumps({"webhook_id": "h", "events": [event]}).encode()


def _headers(body: bytes, key: str | None = "k1") -> dict[str, str]:
    out = {"Attio-Signature": sign(SECRET, body)}
    if key:
        out["Idempotency-Key"] = key
    return out


@pytest.fixture
def crm() -> cb.Bridge:
    return cb.connect("attio", emulator=True)


def _object_id(crm: cb.Bridge, slug: str) -> str:
    return next(o.provider_id for o in crm.objects() if o.slug == slug) or ""


def test_a_delivery_becomes_changes_with_object_slugs(crm: cb.Bridge) -> None:
    receiver = WebhookReceiver("attio", SECRET, objects=crm)
    body = _delivery("record.created", _object_id(crm, "companies"), "r1")
    got: list[cb.Change] = []
    assert receiver.handle(body, _headers(body), got.append) == got
    assert got == [cb.Change("created", "r1", None, None, "companies")]


def test_a_merge_is_the_duplicates_deletion_into_the_survivor(crm: cb.Bridge) -> None:
    people = _object_id(crm, "people")
    receiver = WebhookReceiver("attio", SECRET, objects=crm)
    body = _delivery(
        "record.merged", people, "survivor", duplicate_object_id=people,
        duplicate_record_id="dup",
    )  # fmt: skip
    got: list[cb.Change] = []
    receiver.handle(body, _headers(body), got.append)
    assert [(c.kind, c.id, c.object, c.merged_into) for c in got] == [
        ("deleted", "dup", "people", "survivor"),
        ("updated", "survivor", "people", None),
    ]


def test_a_redelivered_event_is_applied_once(crm: cb.Bridge) -> None:
    receiver = WebhookReceiver("attio", SECRET, objects=crm, deduper=Deduper(window=0))
    body = _delivery("record.updated", _object_id(crm, "companies"), "r1")
    got: list[cb.Change] = []
    for _ in range(3):
        receiver.handle(body, _headers(body, key="same"), got.append)
    assert len(got) == 1


def test_a_second_update_within_the_window_is_handed_on_once_more_when_the_window_closes(
    crm: cb.Bridge,
) -> None:
    """Repeats within the window are folded into one hand-on at the window's close, not lost: a
    callback that read the record on the first hand-on may have read it before the second
    change (issue 20)."""
    now = [0.0]
    receiver = WebhookReceiver(
        "attio", SECRET, objects=crm, deduper=Deduper(window=5, clock=lambda: now[0])
    )
    companies = _object_id(crm, "companies")
    got: list[cb.Change] = []
    body = _delivery("record.updated", companies, "r1")
    receiver.handle(body, _headers(body, key="a"), got.append)
    now[0] = 1.0  # Attio's recomputed-attributes update, or a second real change
    receiver.handle(body, _headers(body, key="b"), got.append)
    now[0] = 2.0
    receiver.handle(body, _headers(body, key="b2"), got.append)
    assert len(got) == 1
    assert receiver.deduper.next_due() == 3.0
    now[0] = 4.9
    assert receiver.trailing(got.append) == []
    now[0] = 5.0  # the window closes: the folded changes are handed on, once
    assert [c.id for c in receiver.trailing(got.append)] == ["r1"]
    assert receiver.trailing(got.append) == []
    assert receiver.deduper.next_due() is None
    now[0] = 20.0  # a later change, no window open: at once
    receiver.handle(body, _headers(body, key="c"), got.append)
    assert [(c.kind, c.id) for c in got] == [("updated", "r1")] * 3


def test_a_deletion_handed_on_supersedes_a_folded_update_and_late_updates(
    crm: cb.Bridge,
) -> None:
    """Changes of one record keep their order: an ``updated`` folded before the record's
    ``deleted`` was handed on is not handed on after it, nor is a late ``updated`` (Attio's
    recompute, delivered after the deletion) — the record is gone."""
    now = [0.0]
    receiver = WebhookReceiver(
        "attio", SECRET, objects=crm, deduper=Deduper(window=5, clock=lambda: now[0])
    )
    companies = _object_id(crm, "companies")
    got: list[cb.Change] = []
    updated = _delivery("record.updated", companies, "r1")
    receiver.handle(updated, _headers(updated, key="u1"), got.append)
    now[0] = 0.5
    receiver.handle(updated, _headers(updated, key="u2"), got.append)  # folded
    deleted = _delivery("record.deleted", companies, "r1")
    now[0] = 1.0
    receiver.handle(deleted, _headers(deleted, key="d"), got.append)
    now[0] = 1.5
    receiver.handle(updated, _headers(updated, key="u3"), got.append)  # late recompute
    assert receiver.deduper.next_due() is None
    now[0] = 10.0
    assert receiver.trailing(got.append, every=True) == []
    assert [(c.kind, c.id) for c in got] == [("updated", "r1"), ("deleted", "r1")]


def test_a_redelivery_within_the_window_is_not_handed_on_again(crm: cb.Bridge) -> None:
    now = [0.0]
    receiver = WebhookReceiver(
        "attio", SECRET, objects=crm, deduper=Deduper(window=5, clock=lambda: now[0])
    )
    body = _delivery("record.updated", _object_id(crm, "companies"), "r1")
    got: list[cb.Change] = []
    receiver.handle(body, _headers(body, key="same"), got.append)
    now[0] = 1.0
    receiver.handle(body, _headers(body, key="same"), got.append)
    now[0] = 6.0
    assert receiver.trailing(got.append) == []
    assert len(got) == 1


def test_a_failed_hand_on_is_taken_again_on_retry(crm: cb.Bridge) -> None:
    receiver = WebhookReceiver("attio", SECRET, objects=crm)
    body = _delivery("record.deleted", _object_id(crm, "companies"), "r9")

    def boom(change: cb.Change) -> None:
        raise RuntimeError("database down")

    with pytest.raises(RuntimeError):
        receiver.handle(body, _headers(body), boom)
    got: list[cb.Change] = []
    receiver.handle(body, _headers(body), got.append)
    assert [(c.kind, c.id) for c in got] == [("deleted", "r9")]


def test_tampered_unsigned_and_malformed_deliveries_are_refused(crm: cb.Bridge) -> None:
    receiver = WebhookReceiver("attio", SECRET, objects=crm)
    body = _delivery("record.created", "o", "r")
    got: list[cb.Change] = []
    with pytest.raises(SignatureRefused):
        receiver.handle(body.replace(b'"r"', b'"x"'), _headers(body), got.append)
    with pytest.raises(SignatureRefused):
        receiver.handle(body, {}, got.append)
    with pytest.raises(cb.ValidationError, match="not JSON"):
        receiver.handle(b"nope", _headers(b"nope"), got.append)
    with pytest.raises(cb.ValidationError, match="no 'events'"):
        receiver.handle(b"{}", _headers(b"{}"), got.append)
    assert got == []
    assert SECRET not in repr(receiver)


def test_a_crm_without_webhooks_is_pointed_to_virtual_webhooks() -> None:
    with pytest.raises(cb.ConfigError, match="poll"):
        WebhookReceiver("kizen", SECRET)
