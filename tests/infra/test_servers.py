"""The throwaway servers of :mod:`infra.servers`: real, reachable, and fresh for every test."""

from __future__ import annotations

import psycopg
import pytest
import redis

from infra.servers import PG_PASSWORD, PostgresServer

_seen: list[str] = []


@pytest.mark.parametrize("turn", [1, 2])
def test_every_test_gets_an_empty_database_of_its_own(postgres_url: str, turn: int) -> None:
    with psycopg.connect(postgres_url) as db:
        assert db.execute("SELECT to_regclass('public.marker')").fetchone() == (None,)
        db.execute("CREATE TABLE marker (turn int)")
        name = db.execute("SELECT current_database()").fetchone()
    assert name is not None
    assert name[0] not in _seen
    _seen.append(name[0])


def test_postgres_wants_the_password_over_tcp(postgres_server: PostgresServer) -> None:
    assert PG_PASSWORD in postgres_server.url()
    with pytest.raises(psycopg.OperationalError, match="password"):
        psycopg.connect(postgres_server.url(password=False), connect_timeout=5).close()


@pytest.mark.parametrize("turn", [1, 2])
def test_every_test_gets_an_empty_redis(redis_url: str, turn: int) -> None:
    client = redis.Redis.from_url(redis_url)
    assert client.get("marker") is None
    client.set("marker", turn)
    client.close()
