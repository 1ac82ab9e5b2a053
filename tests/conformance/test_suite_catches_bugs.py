"""The conformance suite can fail: each test here breaks the SQLite provider in one way a real
provider might be broken and checks that the suite test meant to catch it does."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from crmbridge_sqlite import SAMPLE_SCHEMA, SqliteProvider

import crmbridge
from crmbridge import FieldType, ObjectSchema, Page, Plan, UpsertResult
from crmbridge.plugin import Query
from crmbridge.testing import Kit, PaginationTests, UpsertTests, ValueTests, WriteTests


class FirstPageOnly(SqliteProvider):
    """The bug competitors shipped: only the first page is read (docs/reference/attio.md §11)."""

    def query(self, schema: ObjectSchema, query: Query, cursor: Any) -> Plan[Page]:
        page = yield from super().query(schema, query, cursor)
        return Page(page.records, None)


class GuessingUpsert(SqliteProvider):
    """Reports "updated" whatever happened."""

    def upsert(
        self, schema: ObjectSchema, values: Mapping[str, Any], **kw: Any
    ) -> Plan[UpsertResult]:
        result = yield from super().upsert(schema, values, **kw)
        return UpsertResult("updated", result.record)


class LossyText(SqliteProvider):
    """Truncates text values on write."""

    def create(self, schema: ObjectSchema, values: Mapping[str, Any], **kw: Any) -> Plan[Any]:
        cut = {k: v[:5] if isinstance(v, str) else v for k, v in values.items()}
        return (yield from super().create(schema, cut, **kw))


class AddOverwrites(SqliteProvider):
    """Treats add() as a set (the append-vs-overwrite bug)."""

    def update(
        self, schema: ObjectSchema, id: str, values: Mapping[str, Any], **kw: Any
    ) -> Plan[Any]:
        plain = {
            k: list(v.values) if isinstance(v, crmbridge.Add) else v for k, v in values.items()
        }
        return (yield from super().update(schema, id, plain, **kw))


class Settings:
    object_slug = "contacts"
    match_field = None
    text_field = None
    value_objects = ()
    sample_values: dict[Any, Any] = {}
    missing_id = "00000000-0000-4000-8000-000000000000"
    pagination_records = 9
    asynchronous = False


@pytest.fixture
def connect_broken(tmp_path: Path) -> Iterator[Any]:
    opened: list[crmbridge.Bridge] = []

    def connect(cls: type[SqliteProvider]) -> tuple[crmbridge.Bridge, Kit]:
        crm = crmbridge.connect(cls, path=str(tmp_path / f"{cls.__name__}.db"))
        opened.append(crm)
        provider = crm.provider
        assert isinstance(provider, SqliteProvider)
        for spec, fields in SAMPLE_SCHEMA:
            crm.run(provider.define_object(spec, fields))
        return crm, Kit(crm, Settings())  # type: ignore[arg-type]

    yield connect
    for crm in opened:
        crm.close()


def _run(test: Any, *args: Any) -> None:
    with pytest.raises(AssertionError):
        test(*args)


def test_first_page_only_is_caught(connect_broken: Any) -> None:
    crm, kit = connect_broken(FirstPageOnly)
    suite = PaginationTests()
    suite.pagination_records = 9
    suite.object_slug = "contacts"
    _run(suite.test_query_reads_every_page, crm, kit)


def test_guessed_upsert_action_is_caught(connect_broken: Any) -> None:
    crm, kit = connect_broken(GuessingUpsert)
    suite = UpsertTests()
    suite.object_slug = "contacts"
    _run(suite.test_created, crm, kit)
    _run(suite.test_noop, crm, kit)


def test_lossy_text_is_caught(connect_broken: Any) -> None:
    crm, kit = connect_broken(LossyText)
    suite = ValueTests()
    suite.object_slug = "contacts"
    _run(suite.test_value_round_trip, crm, kit, FieldType.text)


def test_add_that_overwrites_is_caught(connect_broken: Any) -> None:
    crm, kit = connect_broken(AddOverwrites)
    suite = WriteTests()
    suite.object_slug = "contacts"
    _run(suite.test_multi_set_add_remove_clear, crm, kit)


def test_healthy_provider_passes_the_same_calls(connect_broken: Any) -> None:
    """The same direct calls pass on the unbroken provider (the checks above are not vacuous)."""
    crm, _ = connect_broken(SqliteProvider)

    def kit() -> Kit:
        return Kit(crm, Settings())  # type: ignore[arg-type]  # a fresh token per test

    pages = PaginationTests()
    pages.object_slug = "contacts"
    pages.test_query_reads_every_page(crm, kit())
    upserts = UpsertTests()
    upserts.object_slug = "contacts"
    upserts.test_created(crm, kit())
    upserts.test_noop(crm, kit())
    values = ValueTests()
    values.object_slug = "contacts"
    values.test_value_round_trip(crm, kit(), FieldType.text)
    writes = WriteTests()
    writes.object_slug = "contacts"
    writes.test_multi_set_add_remove_clear(crm, kit())
