"""Finding archived records by counting ranges of creation time (crmbridge/changes/archives.py,
issue 20 "the pages of changed records only"): on the Kizen emulator, a pass that lost a few
records finds each exactly once — across a resume at every position — with a number of requests
bounded by the archives, not by the object's size."""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from typing import Any

import pytest

import crmbridge as cb
from crmbridge.changes import Change, FeedStore
from crmbridge.changes.archives import worth_it
from crmbridge.changes.store import born_key
from crmbridge.plugins import get_provider

OBJECT = "client_client"
N, PAGE = 2000, 50


def _kinds(changes: list[Change]) -> Counter[tuple[str, str]]:
    return Counter((c.kind, c.id) for c in changes)


@pytest.fixture
def crm() -> cb.Bridge:
    """2,000 demo contacts (created minutes apart, as the demo data is)."""
    emulator = get_provider("kizen").create_emulator(seed="demo", demo_size=N)
    return cb.connect("kizen", emulator=emulator)


def test_a_few_archives_cost_count_probes_not_an_id_scan() -> None:
    sent: list[Any] = []
    emulator = get_provider("kizen").create_emulator(seed="demo", demo_size=N)
    crm = cb.connect("kizen", emulator=emulator, on_request=sent.append)
    first = crm.changes(OBJECT, page_size=PAGE)
    ids = [c.id for c in first]
    assert len(ids) == N
    archived = [ids[17], ids[1000], ids[1999]]
    for id in archived:
        crm.archive(OBJECT, id)
    sent.clear()
    delta = list(crm.changes(OBJECT, first.cursor, page_size=PAGE))
    assert _kinds(delta) == Counter(("deleted", id) for id in archived)
    gets = [r for r in sent if r.method == "GET"]
    assert sorted(r.url.path.rsplit("/", 1)[-1] for r in gets) == sorted(archived)
    # per archive: a count probe per halving down to a page, one read of that page, one GET;
    # plus the modified-since search and the first count. The id scan alone is N/PAGE reads.
    depth = math.ceil(math.log2(N / PAGE))
    assert len(sent) <= 2 + len(archived) * (depth + 2)
    assert len(sent) < N // PAGE
    probes = [r for r in sent if r.url.params.get("page_size") == "1"]
    assert all(b"created" in r.content for r in probes[1:])


@pytest.mark.parametrize("unconfirmed", [0, 2])
def test_archives_are_reported_exactly_once_across_a_resume_at_every_position(
    crm: cb.Bridge, unconfirmed: int
) -> None:
    start = crm.changes(OBJECT, page_size=PAGE)
    ids = [c.id for c in start]
    expected: Counter[tuple[str, str]] = Counter()
    for id in (ids[3], ids[700], ids[1500]):
        crm.archive(OBJECT, id)
        expected["deleted", id] += 1
    crm.update(OBJECT, ids[9], {"last_name": "Changed"})
    expected["updated", ids[9]] += 1
    new = crm.create(OBJECT, {"email": "late@example.com", "first_name": "Late"}).id or ""
    expected["created", new] += 1
    full = list(crm.changes(OBJECT, start.cursor, page_size=PAGE))
    assert _kinds(full) == expected
    for k in range(len(full) + 1):
        feed = crm.changes(OBJECT, start.cursor, page_size=PAGE)
        taken = [next(feed) for _ in range(min(k + unconfirmed, len(full)))]
        confirmed = taken[:k]
        cursor = confirmed[-1].cursor if confirmed else start.cursor
        rest = list(crm.changes(OBJECT, cursor, page_size=PAGE))
        assert _kinds(confirmed + rest) == expected, f"resume after change {k}"


def test_records_created_in_one_millisecond_are_read_as_one_range() -> None:
    """A range narrower than the filter's resolution cannot be split: its ids are read page by
    page, and the archive in it is still found once."""
    emulator = get_provider("kizen").create_emulator()
    moment = dt.datetime(2026, 1, 5, 9, 30, 0, 123456, tzinfo=dt.UTC)
    ids = [
        emulator.seed_record(OBJECT, {"email": f"same{i}@example.com"}, created=moment)
        for i in range(300)
    ]
    crm = cb.connect("kizen", emulator=emulator)
    first = crm.changes(OBJECT, page_size=20)
    assert len(list(first)) == 300
    crm.archive(OBJECT, ids[150])
    delta = list(crm.changes(OBJECT, first.cursor, page_size=20))
    assert [(c.kind, c.id) for c in delta] == [("deleted", ids[150])]


def test_the_scan_is_kept_when_it_is_cheaper() -> None:
    assert worth_it(3, 2000, 50)
    assert not worth_it(100, 100_000, 1000)  # 100 archives: ~100 x 9 probes > 100 pages
    assert not worth_it(1, 900, 1000)  # one page holds every id


def test_both_stores_count_and_list_rows_by_creation_time(feed_store: FeedStore) -> None:
    feed = feed_store.new_feed(OBJECT)
    base = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    rows = [(f"r{i}", born_key(base + dt.timedelta(milliseconds=i))) for i in range(10)]
    feed_store.mark(feed, [(id, "v") for id, _ in rows], 1, 1)
    feed_store.set_born(feed, rows)
    feed_store.mark(feed, [("r4", None)], 1, 2)  # gone: never counted
    feed_store.mark(feed, [("unborn", "v")], 1, 2)  # creation unknown: never counted
    lo, hi = rows[2][1], rows[7][1]
    assert feed_store.born_count(feed, None, None) == 9
    assert feed_store.born_count(feed, lo, hi) == 4
    assert sorted(feed_store.born_ids(feed, lo, hi)) == ["r2", "r3", "r5", "r6"]
    assert feed_store.born_nth(feed, lo, None, 0) == rows[2][1]
    assert feed_store.born_nth(feed, lo, None, 2) == rows[5][1]
    assert feed_store.born_nth(feed, hi, None, 5) is None


OLD_FEED_ROW = """CREATE TABLE feed_row (feed TEXT NOT NULL, id TEXT NOT NULL, prev TEXT, cur TEXT,
gen BIGINT NOT NULL, seq BIGINT NOT NULL, PRIMARY KEY (feed, id))"""


def test_a_store_made_before_creation_times_gains_the_column(feed_store_spec: str) -> None:
    """A feed store from before ``born`` (today's PostgreSQL ones, any older SQLite file) gets
    the column when it is opened, without losing its rows."""
    if feed_store_spec.startswith("postgresql://"):
        import psycopg

        from crmbridge.changes.postgres import PostgresFeedStore

        with psycopg.connect(feed_store_spec, autocommit=True) as db:
            db.execute(OLD_FEED_ROW)
            db.execute("INSERT INTO feed_row VALUES ('f', 'r1', NULL, 'v', 1, 1)")
        store: FeedStore = PostgresFeedStore(feed_store_spec)
    else:
        import sqlite3

        from crmbridge.changes import SQLiteFeedStore

        with sqlite3.connect(feed_store_spec) as db:
            db.execute(OLD_FEED_ROW)
            db.execute("INSERT INTO feed_row VALUES ('f', 'r1', NULL, 'v', 1, 1)")
        store = SQLiteFeedStore(feed_store_spec)
    assert store.born_count("f", None, None) == 0
    store.set_born("f", [("r1", born_key(dt.datetime(2026, 1, 1, tzinfo=dt.UTC)))])
    assert store.born_ids("f", None, None) == ["r1"]
    store.close()


def test_counting_works_over_http_with_faults_on() -> None:
    """The served emulator answers the creation-time range counts as in-process; with 5xx, 429
    and dropped connections injected, the archives are still found once."""
    emulator = get_provider("kizen").create_emulator(seed="demo", demo_size=N)
    server = emulator.serve().start()
    try:
        config = {**emulator.credentials(), "base_url": server.url}
        with cb.connect("kizen", **config) as crm:
            first = crm.changes(OBJECT, page_size=PAGE)
            ids = [c.id for c in first]
            archived = [ids[40], ids[1200]]
            for id in archived:
                crm.archive(OBJECT, id)
            emulator.faults = cb.emulation.Faults(rate_limit=0.1, server_error=0.1, drop=0.05)
            delta = list(crm.changes(OBJECT, first.cursor, page_size=PAGE))
        assert _kinds(delta) == Counter(("deleted", id) for id in archived)
    finally:
        server.stop()
