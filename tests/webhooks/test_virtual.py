"""Virtual webhooks: a CRM without record webhooks (Kizen) feeds the same callback by polling
changes(); the cursor handed to on_cursor resumes a stopped poll without losing or repeating."""

from __future__ import annotations

import threading
from typing import Any

import crmbridge as cb
from crmbridge.changes import SQLiteFeedStore
from crmbridge.webhooks import poll


def test_polling_feeds_the_callback_and_resumes_from_the_saved_cursor() -> None:
    crm = cb.connect("kizen", emulator=True)
    store = SQLiteFeedStore()
    a = crm.create("client_client", {"email": "a@example.com"})
    got: list[cb.Change] = []
    saved: list[Any] = []
    cursor = poll(crm, "client_client", got.append, store=store, interval=0, passes=1,
                  on_cursor=saved.append)  # fmt: skip
    assert [(c.kind, c.id) for c in got] == [("created", a.id)]
    assert saved[-1] == cursor

    crm.update("client_client", a.id or "", {"first_name": "Ann"})
    crm.archive("client_client", a.id or "")
    b = crm.create("client_client", {"email": "b@example.com"})
    stop = threading.Event()

    def stop_after_first(change: cb.Change) -> None:
        got.append(change)
        stop.set()

    cursor = poll(crm, "client_client", stop_after_first, cursor=cursor, store=store, stop=stop)
    cursor = poll(crm, "client_client", got.append, cursor=cursor, store=store, passes=1,
                  interval=0)  # fmt: skip
    kinds = sorted((c.kind, c.id) for c in got[1:])
    assert kinds == sorted([("deleted", a.id), ("created", b.id)])
