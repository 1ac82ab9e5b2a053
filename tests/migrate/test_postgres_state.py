"""The PostgreSQL state store (crmbridge/migrate/state/postgres.py, issue 22): what it adds to the
behaviour every store shares (tests/migrate/test_state.py, test_lease.py, run on both)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from infra.servers import PG_PASSWORD, PostgresServer

import crmbridge as cb
from crmbridge.migrate import PostgresStore, open_state


def test_a_postgresql_url_opens_the_postgres_store_and_hides_its_password(
    postgres_url: str,
) -> None:
    store = open_state(postgres_url)
    assert isinstance(store, PostgresStore)
    assert PG_PASSWORD not in store.location
    assert PG_PASSWORD not in repr(store)
    assert store.location == postgres_url.replace(f":{PG_PASSWORD}@", "@")
    store.close()
    assert isinstance(
        open_state(postgres_url.replace("postgresql://", "postgres://")), PostgresStore
    )


def test_a_wrong_password_is_a_clear_error_without_the_password(
    postgres_server: PostgresServer,
) -> None:
    url = postgres_server.url().replace(PG_PASSWORD, "wrong-secret-123")
    expected = re.escape("cannot use postgresql://crmbridge@127.0.0.1")
    with pytest.raises(cb.ConfigError, match=expected) as info:
        open_state(url)
    assert "password authentication failed" in str(info.value)
    assert "wrong-secret-123" not in str(info.value)
    assert "wrong-secret-123" not in repr(info.value)


def test_each_schema_is_a_state_of_its_own(postgres_url: str) -> None:
    """One database holds many workspaces' states, one per ``?schema=``."""
    acme = open_state(f"{postgres_url}?schema=acme")
    globex = open_state(f"{postgres_url}?schema=globex")
    acme.record("people", "1", "contacts", "c-1", "h1")
    acme.commit("people", {"page": 2})
    acme.acquire(60)
    globex.acquire(60)  # another state: its own lease
    assert globex.target_id("people", "1") is None
    assert globex.checkpoint("people") == (None, False)
    again = open_state(f"{postgres_url}?schema=acme")
    assert again.target_id("people", "1") == "c-1"
    assert again.checkpoint("people") == ({"page": 2}, False)
    for store in (acme, globex, again):
        store.close()


@pytest.mark.parametrize("schema", ["Acme", "a-b", "1st", "x; DROP TABLE lease", ""])
def test_a_bad_schema_name_is_refused_before_connecting(schema: str) -> None:
    url = f"postgresql://u:{PG_PASSWORD}@127.0.0.1:1/db?schema={schema}"
    with pytest.raises(cb.ConfigError, match="is not a plain lower-case PostgreSQL name") as info:
        open_state(url)
    assert PG_PASSWORD not in str(info.value)


def test_the_runs_command_names_the_state_without_its_password(postgres_url: str) -> None:
    from click.testing import CliRunner

    from crmbridge.cli import cli

    open_state(postgres_url).close()
    result = CliRunner().invoke(cli, ["migrate", "--runs", "--state", postgres_url])
    assert result.exit_code == 0, result.output
    assert "runs in" in result.output
    assert urlsplit(postgres_url).password not in result.output
