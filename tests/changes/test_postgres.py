"""The PostgreSQL change-feed store (crmbridge/changes/postgres.py, issue 22): what it adds to the
behaviour both feed stores share (tests/changes/test_feeds.py runs on both)."""

from __future__ import annotations

import re

import pytest
from infra.servers import PG_PASSWORD, PostgresServer

import crmbridge as cb
from crmbridge.changes.postgres import PostgresFeedStore
from crmbridge.migrate import open_state
from crmbridge.migrate.delta import feed_store


def test_its_repr_and_errors_name_the_database_without_the_password(
    postgres_server: PostgresServer, postgres_url: str
) -> None:
    store = PostgresFeedStore(f"{postgres_url}?schema=feeds")
    assert PG_PASSWORD not in repr(store)
    assert store.location == f"{postgres_url}?schema=feeds".replace(f":{PG_PASSWORD}@", "@")
    crm = cb.connect("attio", emulator=True)
    first = crm.changes("companies")
    list(first)
    with pytest.raises(cb.ConfigError, match="does not know this cursor's feed") as info:
        list(crm.changes("companies", first.cursor, store=store))
    assert PG_PASSWORD not in str(info.value)
    store.close()
    wrong = postgres_server.url().replace(PG_PASSWORD, "wrong-secret-456")
    with pytest.raises(
        cb.ConfigError, match=re.escape("cannot use postgresql://crmbridge@")
    ) as bad:
        PostgresFeedStore(wrong)
    assert "wrong-secret-456" not in str(bad.value)
    with pytest.raises(cb.ConfigError, match="not a plain lower-case") as named:
        PostgresFeedStore(f"{postgres_url}?schema=Bad-Name")
    assert PG_PASSWORD not in str(named.value)


def test_a_postgresql_state_keeps_the_feed_rows_in_its_own_schema(postgres_url: str) -> None:
    """``migrate --delta`` / ``sync`` with ``--state postgresql://…?schema=acme``: the feed rows
    go to the same schema, on the state's connection (closed with the state)."""
    state = open_state(f"{postgres_url}?schema=acme")
    store = feed_store(state)
    assert isinstance(store, PostgresFeedStore)
    assert store.db is state.db  # type: ignore[attr-defined]
    feed = store.new_feed("people")
    store.mark(feed, [("p1", "h1")], 1, 1)
    other = PostgresFeedStore(f"{postgres_url}?schema=acme")
    assert other.feed_gen(feed) == 0
    assert other.alive(feed) == 1
    assert PostgresFeedStore(f"{postgres_url}?schema=globex").feed_gen(feed) is None
    store.close()  # the state's connection stays open: the state owns it
    assert state.cursor("people") is None
    state.close()
    other.close()
