"""``crmbridge migrate --create-fields`` on the command line: refused without the flag (exit 2,
the field and the flag named), planned with ``--dry-run`` (one ``create_field`` line each)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from crmbridge.cli import cli

MAPPING = """
[[objects]]
source = "companies_company"
target = "companies"
match = "domains"

[objects.fields]
name = "name"
domain = "domains"
employee_count = "headcount"
"""


def _run(tmp_path: Path, *extra: str) -> tuple[int, str, str]:
    mapping = tmp_path / "m.toml"
    mapping.write_text(MAPPING, encoding="utf-8")
    result = CliRunner().invoke(
        cli,
        ["migrate", "kizen", "attio", "--source-emulator", "--source-seed", "demo",
         "--target-emulator", "--map", str(mapping), "--state", str(tmp_path / "s.db"),
         "--dry-run", *extra],
    )  # fmt: skip
    return result.exit_code, result.stdout, result.stderr


def test_without_the_flag_the_missing_field_and_the_flag_are_named(tmp_path: Path) -> None:
    code, _, err = _run(tmp_path)
    assert code != 0
    assert "has no field 'headcount'" in err
    assert "--create-fields" in err


def test_the_dry_run_prints_what_it_would_create(tmp_path: Path) -> None:
    code, out, err = _run(tmp_path, "--create-fields", "--limit", "2")
    assert code == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    (made,) = [line for line in lines if line["action"] == "create_field"]
    assert (made["object"], made["field"], made["type"]) == ("companies", "headcount", "number")
