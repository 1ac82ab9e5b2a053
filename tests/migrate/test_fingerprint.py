"""An unchanged source record is recognised before it is decoded (issue 24, docs/decisions.md
"rerun", crmbridge/migrate/fingerprint.py): the digest of its raw read fields, in the context of
everything else its transform depends on, kept beside its content hash. These tests count the
source records decoded (Attio's provider answers the engine's pages undecoded) and check that
what the rule says must be transformed again is."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
from crmbridge_attio.provider import AttioProvider

import crmbridge as cb
from crmbridge.demo import bundled_mapping
from crmbridge.emulation import Emulator
from crmbridge.migrate import MappingFile, Report, migrate, parse_mapping
from crmbridge.migrate.state import SQLiteStore
from crmbridge.plugins import get_provider

PEOPLE = 300  # and 60 companies (Attio's demo seed)
MAPPING = Path(__file__).resolve().parents[2] / "docs" / "examples" / "attio-to-kizen.toml"


def _plain() -> dict[str, Any]:
    """The demo mapping as data, to change."""
    return tomllib.loads(MAPPING.read_text())


@pytest.fixture
def decoded(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ids of the Attio records decoded, in order."""
    seen: list[str] = []
    decode = AttioProvider._decode

    def counting(self: AttioProvider, schema: Any, payload: Any) -> Any:
        record = decode(self, schema, payload)
        seen.append(record.id)
        return record

    monkeypatch.setattr(AttioProvider, "_decode", counting)
    return seen


@pytest.fixture
def crms() -> tuple[Emulator, Emulator]:
    attio = get_provider("attio").create_emulator(seed="demo", demo_size=PEOPLE)
    return attio, get_provider("kizen").create_emulator()


def _run(crms: tuple[Emulator, Emulator], tmp_path: Path, mapping: MappingFile | None = None,
         **kw: Any) -> Report:  # fmt: skip
    attio, kizen = crms
    report = migrate(
        cb.connect_async("attio", emulator=attio),
        cb.connect_async("kizen", emulator=kizen),
        mapping or bundled_mapping(),
        state=tmp_path / "s.db",
        failures=None,
        **kw,
    )
    assert report.failed == 0
    return report


def _counts(report: Report) -> dict[str, dict[str, int]]:
    return {k: {a: n for a, n in o.counts.items() if n} for k, o in report.objects.items()}


def _all_noop(first: Report) -> dict[str, dict[str, int]]:
    return {k: {"noop": o.total} for k, o in first.objects.items()}


def test_an_unchanged_rerun_decodes_no_source_record(
    crms: tuple[Emulator, Emulator], tmp_path: Path, decoded: list[str]
) -> None:
    first = _run(crms, tmp_path)
    assert len(decoded) >= PEOPLE  # the first run decodes every record
    decoded.clear()
    again = _run(crms, tmp_path)
    assert _counts(again) == _all_noop(first)
    assert decoded == []


def test_a_changed_source_value_is_transformed_and_written(
    crms: tuple[Emulator, Emulator], tmp_path: Path, decoded: list[str]
) -> None:
    first = _run(crms, tmp_path)
    with cb.connect("attio", emulator=crms[0]) as attio:
        person = next(iter(attio.query("people", limit=1)))
        assert person.id is not None
        attio.update("people", person.id, {"job_title": "Head of Rerun"})
    decoded.clear()
    again = _run(crms, tmp_path)
    people = again.objects["people->client_client"].counts
    assert people["updated"] == 1
    assert people["noop"] == first.objects["people->client_client"].total - 1
    assert decoded == [person.id]


def test_a_changed_mapping_transforms_every_record_again(
    crms: tuple[Emulator, Emulator], tmp_path: Path, decoded: list[str]
) -> None:
    first = _run(crms, tmp_path)
    plain = _plain()
    people = next(o for o in plain["objects"] if o["source"] == "people")
    people["constants"] = {**people.get("constants", {}), "email_status": "Opted In"}
    decoded.clear()
    again = _run(crms, tmp_path, parse_mapping(plain))
    total = first.objects["people->client_client"].total
    assert again.objects["people->client_client"].counts["updated"] == total
    assert len(decoded) >= total


def test_a_record_pending_from_a_failure_is_not_skipped(
    crms: tuple[Emulator, Emulator], tmp_path: Path, decoded: list[str]
) -> None:
    _run(crms, tmp_path)
    state = SQLiteStore(tmp_path / "s.db")
    (person,) = sorted(state.source_ids("people"))[:1]
    state.failed("people", person, "ProviderError: the last run's write failed")
    state.flush()
    state.close()
    decoded.clear()
    again = _run(crms, tmp_path)
    assert person in decoded  # transformed again: the content hash says noop, and it is done
    assert again.objects["people->client_client"].pending == 0
    assert len(set(decoded)) == 1


def test_a_referenced_record_written_elsewhere_transforms_its_referrers_again(
    crms: tuple[Emulator, Emulator], tmp_path: Path, decoded: list[str]
) -> None:
    """People reference companies through the id map: a company now written to another target
    record changes its people's values though their source did not change."""
    _run(crms, tmp_path)
    state = SQLiteStore(tmp_path / "s.db")
    company, other = sorted(state.source_ids("companies"))[:2]
    entry, elsewhere = state.entry("companies", company), state.entry("companies", other)
    assert entry is not None
    assert elsewhere is not None
    # as if the company had been written to the other's target record (e.g. its own deleted)
    state.record("companies", company, entry.target_object, elsewhere.target_id, entry.hash)
    state.flush()
    state.close()
    decoded.clear()
    again = _run(crms, tmp_path)
    assert len({i for i in decoded if i != company}) >= PEOPLE  # every person transformed
    # and the company's people written with the reference's new target id
    assert again.objects["people->client_client"].counts["updated"] >= 1


def test_a_custom_transform_is_never_skipped(
    crms: tuple[Emulator, Emulator], tmp_path: Path, decoded: list[str]
) -> None:
    """A Python function can change between runs with nothing the state sees changing."""
    plain = _plain()
    people = next(o for o in plain["objects"] if o["source"] == "people")
    people["fields"]["job_title"] = {"to": "titles", "transform": "shout"}
    mapping = parse_mapping(plain, transforms={"shout": lambda v: v.upper() if v else v})
    first = _run(crms, tmp_path, mapping)
    decoded.clear()
    again = _run(crms, tmp_path, mapping)
    assert _counts(again) == _all_noop(first)
    assert len(decoded) >= first.objects["people->client_client"].total


def test_the_page_digester_gives_the_digests_states_keep() -> None:
    """The engine digests a page's records with one context (``source_digester``): the digests
    states already keep (sha256 of ``context:raw``, 32 hex digits), or a state would recognise
    nothing."""
    import hashlib

    from crmbridge.migrate.fingerprint import source_digester

    digest = source_digester("ctx")
    for raw in ("", "a", "0" * 32, "é"):
        assert digest(raw) == hashlib.sha256(f"ctx:{raw}".encode()).hexdigest()[:32]
    assert digest("a") != source_digester("ctx2")("a")
