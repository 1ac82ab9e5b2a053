"""``migrate --verify`` (crmbridge/migrate/verify.py): every mapped field compared through the id
map after its transform; differences per object and field; exit 1 when there are any."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from reliability.support import emulator, seeded_source

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
