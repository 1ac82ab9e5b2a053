"""Machine-readable command output (issue #19): ``--json`` on every command that prints data,
``query`` lines that ``upsert`` reads back, ``export`` to CSV / JSON lines / Parquet,
``python -m crmbridge``, environment variables for the common options, shell completion."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from crmbridge.cli import cli

ROOT = Path(__file__).resolve().parent.parent


def run(
    *args: str, input: str | None = None, env: dict[str, str] | None = None
) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), input=input, env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_plugins_json() -> None:
    code, out, _ = run("plugins", "--json")
    assert code == 0
    listed = {p["provider"]: p for p in json.loads(out)["providers"]}
    assert listed["attio"]["distribution"] == "crmbridge-attio"
    assert listed["kizen"]["version"]
    assert json.loads(out)["broken"] == []


def test_objects_json() -> None:
    code, out, _ = run("objects", "attio", "--emulator", "--json")
    assert code == 0
    objects = {o["slug"]: o for o in json.loads(out)}
    assert objects["people"]["label"]
    assert "raw" not in objects["people"]


def test_query_output_is_upsert_input() -> None:
    """`crmbridge query … | crmbridge upsert … --values -`: one result line per record."""
    code, out, _ = run(
        "query", "attio", "people", "--emulator", "--seed", "demo", "--limit", "3",
        "--fields", "email_addresses,name",
    )  # fmt: skip
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 3
    code, out, err = run(
        "upsert", "attio", "people", "--emulator", "--match", "email_addresses", "--values", "-",
        input=out,
    )  # fmt: skip
    assert code == 0, err
    results = [json.loads(line) for line in out.splitlines()]
    assert [r["action"] for r in results] == ["created"] * 3
    sent = [json.loads(line)["fields"]["email_addresses"] for line in lines]
    assert [r["record"]["fields"]["email_addresses"] for r in results] == sent


def test_upsert_still_prints_one_object_for_one_value() -> None:
    values = json.dumps({"email_addresses": "ada@example.com"})
    code, out, _ = run(
        "upsert", "attio", "people", "--emulator", "--match", "email_addresses", "--values", values
    )
    assert code == 0
    assert json.loads(out)["action"] == "created"


def test_migrate_json_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "m.toml").write_text(
        '[[objects]]\nsource = "people"\ntarget = "client_client"\nmatch = "email"\n'
        "[objects.fields]\n"
        'email_addresses = { to = "email", transform = "first" }\n',
        encoding="utf-8",
    )
    code, out, err = run(
        "migrate", "attio", "kizen", "--map", "m.toml", "--source-emulator", "--source-seed",
        "demo", "--target-emulator", "--limit", "4", "--json",
    )  # fmt: skip
    assert code == 0, err
    report = json.loads(out.splitlines()[-1])
    assert report["objects"]["people->client_client"]["created"] == 4


def test_export_csv_and_jsonl() -> None:
    code, out, err = run(
        "export", "attio", "people", "--emulator", "--seed", "demo", "--limit", "5"
    )
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 5
    assert rows[0]["name.last"]
    assert rows[0]["id"]
    code, out, _ = run(
        "export", "kizen", "client_client", "--emulator", "--seed", "demo", "--limit", "2",
        "--format", "jsonl",
    )  # fmt: skip
    assert code == 0
    assert [json.loads(line)["object"] for line in out.splitlines()] == ["client_client"] * 2


def test_export_parquet(tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    target = tmp_path / "people.parquet"
    code, _, err = run(
        "export", "attio", "people", "--emulator", "--seed", "demo", "--limit", "7",
        "--format", "parquet", "--output", str(target),
    )  # fmt: skip
    assert code == 0, err
    table = pq.read_table(target)
    assert table.num_rows == 7
    assert "name.first" in table.column_names


def test_export_parquet_needs_a_file() -> None:
    code, _, err = run("export", "attio", "people", "--emulator", "--format", "parquet")
    assert code != 0
    assert "--output" in err


def test_python_dash_m() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "crmbridge", "--version"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "0.1" in result.stdout


def test_environment_variables_for_common_options() -> None:
    code, out, _ = run("objects", "attio", "--json", env={"CRMBRIDGE_EMULATOR": "1"})
    assert code == 0
    assert "people" in {o["slug"] for o in json.loads(out)}
    code, out, _ = run(
        "query", "kizen", "client_client", "--limit", "1",
        env={"CRMBRIDGE_EMULATOR": "1", "CRMBRIDGE_SEED": "demo"},
    )  # fmt: skip
    assert code == 0
    assert len(out.splitlines()) == 1


def test_shell_completion_as_documented() -> None:
    docs = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert "_CRMBRIDGE_COMPLETE=bash_source crmbridge" in docs
    assert "_CRMBRIDGE_COMPLETE=zsh_source crmbridge" in docs
    result = CliRunner().invoke(
        cli, [], prog_name="crmbridge", env={"_CRMBRIDGE_COMPLETE": "bash_source"}
    )
    assert result.exit_code == 0
    assert "_crmbridge_completion" in result.stdout
