"""``migrate --verify`` (crmbridge/migrate/verify.py): every mapped field compared through the id
map after its transform; differences per object and field; exit 1 when there are any."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from reliability.support import emulator, mapping_for, seeded_source

import crmbridge as cb
from crmbridge.cli import cli
from crmbridge.demo import bundled_mapping
from crmbridge.migrate import migrate, verify


def test_a_migration_verifies_clean_and_a_changed_or_lost_target_record_shows(
    tmp_path: Path,
) -> None:
    attio, kizen = seeded_source("attio->kizen", 30), emulator("kizen")
    source = cb.connect_async("attio", emulator=attio)
    target = cb.connect_async("kizen", emulator=kizen)
    state = tmp_path / "s.db"
    report = migrate(source, target, bundled_mapping(), state=state, failures=None)
    assert report.failed == 0
    clean = verify(source, target, bundled_mapping(), state=state)
    assert clean.ok, clean.differences[:3]
    assert clean.checked["people->client_client"] == 30
    with cb.connect("kizen", emulator=kizen) as crm:
        contacts = list(crm.query("client_client"))
        changed, lost = contacts[0], contacts[1]
        crm.update("client_client", changed.id, {"last_name": "Changed"})
        crm.archive("client_client", lost.id)
    found = verify(source, target, bundled_mapping(), state=state)
    assert not found.ok
    fields = {(d.object, d.target_id, d.field) for d in found.differences}
    assert ("people->client_client", changed.id, "last_name") in fields
    assert any(
        d.target_id == lost.id and d.actual == "<no target record>" for d in found.differences
    )
    (diff,) = [d for d in found.differences if d.field == "last_name"]
    assert diff.actual == "Changed"
    assert diff.expected == changed["last_name"]
    assert len({d.source_id for d in found.differences}) == 2  # nothing else differs


def test_kizen_to_attio_verifies_clean_with_a_full_name_written_to_a_personal_name(
    tmp_path: Path,
) -> None:
    """Kizen's ``full_name`` (text) written to Attio's ``name`` (personal-name) reads back as a
    PersonName: verify compares what the target shows, as for a name given in full."""
    kizen, attio = seeded_source("kizen->attio", 20), emulator("attio")
    source = cb.connect_async("kizen", emulator=kizen)
    target = cb.connect_async("attio", emulator=attio)
    state = tmp_path / "s.db"
    mapping = mapping_for("kizen->attio")
    assert any(f.source == "full_name" and f.to == ("name",) for o in mapping.objects
               for f in o.fields)  # fmt: skip
    report = migrate(source, target, mapping, state=state, failures=None)
    assert report.failed == 0
    clean = verify(source, target, mapping, state=state)
    assert clean.ok, clean.differences[:3]
    with cb.connect("attio", emulator=attio) as crm:
        person = next(iter(crm.query("people")))
        crm.update("people", person.id or "", {"name": "Someone Else"})
    found = verify(source, target, mapping, state=state)
    assert [(d.target_id, d.field) for d in found.differences] == [(person.id, "name")]


def test_the_cli_prints_differences_as_json_and_exits_1(tmp_path: Path) -> None:
    """Against a fresh target emulator, nothing has arrived: every record differs."""
    result = CliRunner().invoke(cli, [
        "migrate", "attio", "kizen", "--source-emulator", "--source-seed", "demo",
        "--target-emulator", "--map", "docs/examples/attio-to-kizen.toml",
        "--state", str(tmp_path / "s.db"), "--verify", "--json",
    ])  # fmt: skip
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert data["checked"]["people->client_client"] > 0
    assert data["differences"]
    assert {d["actual"] for d in data["differences"]} == {"<no target record>"}
    assert {d["object"] for d in data["differences"]} == {
        "people->client_client", "companies->companies_company"
    }  # fmt: skip
