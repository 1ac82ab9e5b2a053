"""The SQLite provider's own behaviour, beyond the conformance suite: the file, filter semantics
on neutral values, archive conflicts, options, and what it refuses."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from crmbridge_sqlite import SAMPLE_SCHEMA, SqliteProvider, backup_field

import crmbridge
from crmbridge import F, FieldSpec, FieldType, Money, Option, PersonName, Ref, add, remove
from crmbridge.cli import cli


@pytest.fixture
def path(tmp_path: Path) -> str:
    return str(tmp_path / "crm.db")


@pytest.fixture
def crm(path: str) -> Iterator[crmbridge.Bridge]:
    with crmbridge.connect("sqlite", path=path) as bridge:
        provider = bridge.provider
        assert isinstance(provider, SqliteProvider)
        for spec, fields in SAMPLE_SCHEMA:
            bridge.run(provider.define_object(spec, fields))
        yield bridge


def _ids(crm: crmbridge.Bridge, where: object) -> list[str]:
    return [r.id or "" for r in crm.query("contacts", where)]  # type: ignore[arg-type]


def test_values_keep_their_exact_types_across_connections(crm: crmbridge.Bridge, path: str) -> None:
    """Decimal stays Decimal, a date a date, an option keeps its id — after reopening the file."""
    record = crm.create(
        "contacts",
        {
            "email": "a@example.com",
            "score": Decimal("12.50"),
            "revenue": Money("99.95", "EUR"),
            "birthday": "1990-02-03",
            "tier": "gold",
            "full_name": "Ada Lovelace",
        },
    )
    crm.close()
    with crmbridge.connect("sqlite", path=path) as again:
        got = again.get("contacts", record.id or "")
    assert got["score"] == Decimal("12.50")
    assert isinstance(got["score"], Decimal)
    assert got["revenue"] == Money(Decimal("99.95"), "EUR")
    assert got["birthday"] == dt.date(1990, 2, 3)
    assert got["tier"] == Option("Gold", id="gold")
    assert got["full_name"] == PersonName("Ada", "Lovelace", "Ada Lovelace")
    assert got.created_at is not None


def test_filters_compare_neutral_values(crm: crmbridge.Bridge) -> None:
    """Options by label (any case), money by amount, dates from ISO text, references by id."""
    acme = crm.create("companies", {"name": "Acme"})
    a = crm.create("contacts", {"email": "a@x.com", "tier": "Gold", "revenue": 10,
                                "birthday": "1990-01-01", "company": acme.id})  # fmt: skip
    b = crm.create("contacts", {"email": "b@x.com", "tier": "Silver", "revenue": 200})
    assert _ids(crm, F("tier") == "gold") == [a.id]
    assert _ids(crm, F("revenue") > 50) == [b.id]
    assert _ids(crm, F("birthday") < "2000-01-01") == [a.id]
    assert _ids(crm, F("company") == acme.id) == [a.id]
    assert _ids(crm, F("email").ends_with("@X.COM")) == [a.id, b.id]
    assert _ids(crm, F("birthday").is_empty()) == [b.id]


def test_multi_field_conditions_hold_for_any_value(crm: crmbridge.Bridge) -> None:
    a = crm.create("contacts", {"email": "a@x.com", "tags": ["vip", "beta"]})
    b = crm.create("contacts", {"email": "b@x.com", "tags": ["beta"]})
    assert _ids(crm, F("tags") == "vip") == [a.id]
    assert _ids(crm, F("tags").contains("bet")) == [a.id, b.id]
    assert _ids(crm, F("tags") != "vip") == [b.id]


def test_sorted_pages_and_empty_values_last(crm: crmbridge.Bridge) -> None:
    for n, score in enumerate([3, None, 1, 2]):
        values: dict[str, object] = {"email": f"{n}@x.com"}
        if score is not None:
            values["score"] = score
        crm.create("contacts", values)
    scores = [r["score"] for r in crm.query("contacts", order_by=["score"], page_size=1)]
    assert scores == [1, 2, 3, None]
    scores = [r["score"] for r in crm.query("contacts", order_by=["-score"], page_size=3)]
    assert scores == [3, 2, 1, None]


def test_add_and_remove_compare_labels_case_insensitively(crm: crmbridge.Bridge) -> None:
    record = crm.create("contacts", {"email": "a@x.com", "tags": ["VIP"]})
    crm.update("contacts", record.id or "", {"tags": add("vip", "new")})
    assert [o.label for o in crm.get("contacts", record.id or "")["tags"]] == ["VIP", "new"]
    crm.update("contacts", record.id or "", {"tags": remove("Vip")})
    assert [o.label for o in crm.get("contacts", record.id or "")["tags"]] == ["new"]


def test_restore_refuses_a_value_taken_meanwhile(crm: crmbridge.Bridge) -> None:
    """An archived record whose unique email was reused cannot come back silently."""
    old = crm.create("contacts", {"email": "a@x.com"})
    crm.archive("contacts", old.id or "")
    crm.create("contacts", {"email": "a@x.com"}, on_archived="replace")
    with pytest.raises(crmbridge.Conflict):
        crm.restore("contacts", old.id or "")


def test_upsert_unarchives_by_default(crm: crmbridge.Bridge) -> None:
    old = crm.create("contacts", {"email": "a@x.com", "name": "Old"})
    crm.archive("contacts", old.id or "")
    result = crm.upsert("contacts", {"email": "A@x.com", "name": "New"}, match="email")
    assert result.action == "unarchived"
    assert result.record.id == old.id
    assert result.record["name"] == "New"


def test_create_option(crm: crmbridge.Bridge) -> None:
    """`--create-options` works: a new option is stored on the field."""
    schema = crm.schema("contacts")
    option = crm.run(crm.provider.create_option(schema, schema.fields["tier"], "Platinum"))
    assert option.label == "Platinum"
    crm.invalidate_schema()
    assert "Platinum" in [o.label for o in crm.schema("contacts").fields["tier"].options]
    crm.create("contacts", {"email": "p@x.com", "tier": "Platinum"})


def test_passthrough_requests_are_unsupported(crm: crmbridge.Bridge) -> None:
    with pytest.raises(crmbridge.Unsupported, match="no HTTP API"):
        crm.request("GET", "/anything")


def test_duplicate_field_slugs_are_refused(crm: crmbridge.Bridge) -> None:
    provider = crm.provider
    assert isinstance(provider, SqliteProvider)
    spec = crmbridge.ObjectSpec("things", "Things")
    field = FieldSpec("a", "A", FieldType.text)
    with pytest.raises(crmbridge.ValidationError, match="duplicate"):
        crm.run(provider.define_object(spec, [field, field]))


def test_missing_path_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CRMBRIDGE_SQLITE_PATH", raising=False)
    with pytest.raises(crmbridge.ConfigError, match="path"):
        crmbridge.connect("sqlite")


def test_backup_field_makes_system_fields_writable() -> None:
    rid = FieldSpec("record_id", "Record ID", FieldType.text, unique=True, writable=False)
    seen = FieldSpec("last", "Last", FieldType.interaction, writable=False)
    must = FieldSpec("name", "Name", FieldType.text, required=True)
    assert backup_field(rid).writable
    assert backup_field(rid).unique
    assert not backup_field(seen).writable
    assert not backup_field(must).required


def test_references_round_trip(crm: crmbridge.Bridge) -> None:
    acme = crm.create("companies", {"name": "Acme"})
    person = crm.create("contacts", {"email": "a@x.com", "company": acme.id})
    assert crm.get("contacts", person.id or "")["company"] == Ref("companies", acme.id or "")


def test_init_sample_command(tmp_path: Path) -> None:
    crmbridge.plugins.call_register_commands(cli)
    target = tmp_path / "demo.db"
    result = CliRunner().invoke(cli, ["sqlite", "init", str(target), "--sample"])
    assert result.exit_code == 0, result.output
    with crmbridge.connect("sqlite", path=str(target)) as crm:
        types = {f.type for f in crm.fields("contacts")}
    assert types == set(FieldType), "the sample schema has a field of every neutral type"
    result = CliRunner().invoke(cli, ["sqlite", "init", str(target)])
    assert result.exit_code != 0
    assert "exactly one of" in result.output


def test_an_empty_backup_says_how_to_create_its_objects(tmp_path: Path) -> None:
    crm = crmbridge.connect("sqlite", path=str(tmp_path / "new.db"))
    with pytest.raises(crmbridge.NotFound, match="crmbridge sqlite init FILE --from SOURCE"):
        crm.fields("people")
