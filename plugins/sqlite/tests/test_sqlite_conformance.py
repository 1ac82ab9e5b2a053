"""The SQLite provider against the conformance suite, sync and async: a file per test, holding the
sample schema (one field of every neutral type)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from crmbridge_sqlite import SAMPLE_SCHEMA, SqliteProvider

import crmbridge
from crmbridge import File, User
from crmbridge.testing import ProviderConformance


class TestSqlite(ProviderConformance):
    object_slug = "contacts"
    sample_values = {
        "owner": lambda n: User(id=f"user-{n}", email=f"user{n}@example.com"),
        "attachments": lambda n: File(f"file-{n}", name=f"f{n}.pdf"),
        "extra": lambda n: {"anything": n},
    }

    @pytest.fixture
    def bridge(self, tmp_path: Path) -> Iterator[crmbridge.Bridge]:
        with crmbridge.connect("sqlite", path=str(tmp_path / "crm.db")) as crm:
            provider = crm.provider
            assert isinstance(provider, SqliteProvider)
            for spec, fields in SAMPLE_SCHEMA:
                crm.run(provider.define_object(spec, fields))
            yield crm


class TestSqliteAsync(TestSqlite):
    asynchronous = True
