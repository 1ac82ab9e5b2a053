"""Change feeds on both emulators (issue 20 "Done when"): created, updated, deleted and archived
records appear exactly once in ``changes()`` across a resume at every position, including a resume
from a cursor older than the last change yielded (a consumer that crashed before confirming)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

import crmbridge as cb
from crmbridge.changes import Change, FeedStore, ScanFeed, WatermarkFeed

# object, values of record i, an update, how the source removes a record
SCENARIOS: dict[str, tuple[str, Callable[[int], dict[str, Any]], dict[str, Any], str]] = {
    "attio": ("companies", lambda i: {"name": f"Co {i}"}, {"description": "changed"}, "delete"),
    "kizen": (
        "client_client",
        lambda i: {"email": f"p{i}@example.com", "first_name": f"P{i}"},
        {"last_name": "Changed"},
        "archive",
    ),
}


def _seed(crm: cb.Bridge, provider: str, n: int) -> list[str]:
    object, values, _, _ = SCENARIOS[provider]
    return [crm.create(object, values(i)).id or "" for i in range(n)]


def _script(crm: cb.Bridge, provider: str, ids: list[str]) -> Counter[tuple[str, str]]:
    """Two creates, two updates, two removals on the source; the changes a feed must report."""
    object, values, update, remove = SCENARIOS[provider]
    expected: Counter[tuple[str, str]] = Counter()
    for i in (100, 101):
        expected["created", crm.create(object, values(i)).id or ""] += 1
    for id in ids[1:3]:
        crm.update(object, id, update)
        expected["updated", id] += 1
    for id in ids[4:6]:
        getattr(crm, remove)(object, id)
        expected["deleted", id] += 1
    return expected


def _kinds(changes: list[Change]) -> Counter[tuple[str, str]]:
    return Counter((c.kind, c.id) for c in changes)


@pytest.mark.parametrize("provider", ["attio", "kizen"])
def test_first_pass_reports_every_record_created_then_nothing(provider: str) -> None:
    crm = cb.connect(provider, emulator=True)
    object = SCENARIOS[provider][0]
    before = {r.id for r in crm.query(object)}
    ids = _seed(crm, provider, 3)
    feed = crm.changes(object, page_size=2)
    first = list(feed)
    assert _kinds(first) == Counter(("created", id) for id in before | set(ids))
    assert all(c.record is not None and c.record.id == c.id for c in first)
    assert list(crm.changes(object, feed.cursor, page_size=2)) == []


@pytest.mark.parametrize("provider", ["attio", "kizen"])
@pytest.mark.parametrize("unconfirmed", [0, 1, 2])
def test_exactly_once_across_a_resume_at_every_position(
    provider: str, unconfirmed: int, feed_store: FeedStore
) -> None:
    """Stop after change k + ``unconfirmed`` but resume from change k's cursor: the union is
    every change once, whatever k — with the feed's rows in each kind of store."""
    crm = cb.connect(provider, emulator=True)
    object = SCENARIOS[provider][0]
    ids = _seed(crm, provider, 7)
    start = crm.changes(object, page_size=2, store=feed_store)
    list(start)
    expected = _script(crm, provider, ids)

    full = list(crm.changes(object, start.cursor, page_size=2, store=feed_store))
    assert _kinds(full) == expected
    for k in range(len(full) + 1):
        feed = crm.changes(object, start.cursor, page_size=2, store=feed_store)
        taken = [next(feed) for _ in range(min(k + unconfirmed, len(full)))]
        confirmed = taken[:k]
        cursor = confirmed[-1].cursor if confirmed else start.cursor
        rest = list(crm.changes(object, cursor, page_size=2, store=feed_store))
        assert _kinds(confirmed + rest) == expected, f"resume after change {k}"


@pytest.mark.parametrize("provider", ["attio", "kizen"])
def test_a_resumed_feed_continues_in_another_connection_from_a_store_file(
    provider: str, feed_store_spec: str
) -> None:
    """The store given as a SQLite path or a PostgreSQL URL: each feed opens it afresh."""
    emulator = cb.plugins.get_provider(provider).create_emulator()
    object = SCENARIOS[provider][0]
    store = feed_store_spec
    with cb.connect(provider, emulator=emulator) as crm:
        ids = _seed(crm, provider, 7)
        first = crm.changes(object, store=store)
        list(first)
        expected = _script(crm, provider, ids)
        feed = crm.changes(object, first.cursor, store=store)
        head = [next(feed), next(feed)]
    with cb.connect(provider, emulator=emulator) as crm:
        rest = list(crm.changes(object, head[-1].cursor, store=store))
    assert _kinds(head + rest) == expected


@pytest.mark.parametrize("provider", ["attio", "kizen"])
def test_async_feed_reports_the_same_changes(provider: str, feed_store: FeedStore) -> None:
    emulator = cb.plugins.get_provider(provider).create_emulator()
    object = SCENARIOS[provider][0]
    with cb.connect(provider, emulator=emulator) as crm:
        ids = _seed(crm, provider, 7)

    async def run() -> Counter[tuple[str, str]]:
        async with cb.connect_async(provider, emulator=emulator) as acrm:
            first = acrm.changes(object, store=store)
            async for _ in first:
                pass
            with cb.connect(provider, emulator=emulator) as crm:
                expected.update(_script(crm, provider, ids))
            return _kinds([c async for c in acrm.changes(object, first.cursor, store=store)])

    store = feed_store
    expected: Counter[tuple[str, str]] = Counter()
    assert asyncio.run(run()) == expected


def test_kizen_feeds_on_updated_and_attio_scans() -> None:
    kizen = cb.connect("kizen", emulator=True)
    attio = cb.connect("attio", emulator=True)
    assert isinstance(kizen.provider.change_feed(kizen.schema("client_client")), WatermarkFeed)
    assert attio.provider.change_feed(attio.schema("companies")) is None
    assert ScanFeed.phases[-1] == WatermarkFeed.phases[-1] == "deletes"


def test_kizen_second_pass_reads_only_changed_records_when_nothing_was_archived() -> None:
    """The modified-since query returns only what changed (plus the overlap window), and a
    one-record probe whose count equals the stored live records replaces the id scan."""
    sent: list[Any] = []
    crm = cb.connect("kizen", emulator=True, on_request=sent.append)
    ids = _seed(crm, "kizen", 5)
    first = crm.changes("client_client")
    list(first)
    crm.update("client_client", ids[0], {"last_name": "X"})
    sent.clear()
    second = crm.changes("client_client", first.cursor)
    changes = list(second)
    assert [(c.kind, c.id) for c in changes] == [("updated", ids[0])]
    assert changes[0].at == changes[0].record["updated"]  # type: ignore[index]
    # one modified-since search, one count probe; no id scan, no GET (nothing went missing)
    assert [(r.method, r.url.path.rsplit("/", 1)[-1]) for r in sent] == [("POST", "search")] * 2
    assert b"updated" in sent[0].content
    assert sent[1].url.params["page_size"] == "1"

    crm.archive("client_client", ids[1])
    sent.clear()
    third = [(c.kind, c.id) for c in crm.changes("client_client", second.cursor)]
    assert third == [("deleted", ids[1])]
    # the count differs: the id scan and a GET of the missing record tell which one
    assert [r.method for r in sent] == ["POST", "POST", "POST", "GET"]


@pytest.mark.parametrize(
    "cursor",
    [
        "nope",
        {"v": 99},
        {
            "v": 1,
            "feed": "x",
            "object": "companies",
            "gen": -1,
            "seq": 0,
            "phase": "scan",
            "skip": 0,
        },
    ],
)
def test_a_bad_cursor_is_refused_before_any_request(cursor: Any) -> None:
    sent: list[Any] = []
    crm = cb.connect("attio", emulator=True, on_request=sent.append)
    with pytest.raises(cb.ValidationError, match="cursor"):
        crm.changes("companies", cursor)
    assert sent == []


def test_a_cursor_from_an_unknown_store_or_object_is_refused() -> None:
    crm = cb.connect("attio", emulator=True)
    feed = crm.changes("companies")
    list(feed)
    with pytest.raises(cb.ConfigError, match="does not know this cursor's feed"):
        list(crm.changes("companies", feed.cursor, store=cb.changes.SQLiteFeedStore()))
    with pytest.raises(cb.ValidationError, match="is for 'companies'"):
        list(crm.changes("people", feed.cursor))


def test_an_older_cursor_than_a_started_pass_is_refused() -> None:
    crm = cb.connect("attio", emulator=True)
    first = crm.changes("companies")
    list(first)
    second = crm.changes("companies", first.cursor)
    list(second)
    list(crm.changes("companies", second.cursor))  # starts pass 3
    with pytest.raises(cb.ValidationError, match="older than a pass"):
        list(crm.changes("companies", first.cursor))


@pytest.mark.parametrize("provider", ["attio", "kizen"])
def test_feeds_work_over_http_with_faults_on(provider: str) -> None:
    """The emulators keep modification and deletion state behind their HTTP servers too; with
    5xx, 429 and dropped connections injected the feed still reports every change once."""
    cls = cb.plugins.get_provider(provider)
    emulator = cls.create_emulator()
    object = SCENARIOS[provider][0]
    with cb.connect(provider, emulator=emulator) as local:
        ids = _seed(local, provider, 7)
    server = emulator.serve().start()
    try:
        emulator.faults = cb.emulation.Faults(rate_limit=0.1, server_error=0.1, drop=0.05)
        config = {**emulator.credentials(), "base_url": server.url}
        with cb.connect(provider, **config) as crm:
            first = crm.changes(object, page_size=3)
            assert _kinds(list(first)) == Counter(("created", id) for id in ids)
            emulator.faults = cb.emulation.Faults()
            expected = _script(crm, provider, ids)
            emulator.faults = cb.emulation.Faults(rate_limit=0.1, server_error=0.1, drop=0.05)
            assert _kinds(list(crm.changes(object, first.cursor, page_size=3))) == expected
    finally:
        server.stop()
