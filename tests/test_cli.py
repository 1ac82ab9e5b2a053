"""The command line: every command, exit codes, JSON in and out, no secrets echoed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from toy_provider import ToyPlugin

from crmbridge import plugins
from crmbridge.cli import cli
from crmbridge.plugin import hookimpl


def run(*args: str, input: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_plugins_lists_providers_with_distributions() -> None:
    code, out, _ = run("plugins")
    assert code == 0
    assert "attio" in out
    assert "crmbridge-kizen" in out


def test_every_command_has_an_example() -> None:
    for name, command in cli.commands.items():
        assert "Example" in (command.help or ""), f"crmbridge {name} --help shows no example"


def test_objects_and_fields_on_the_emulator() -> None:
    code, out, _ = run("objects", "attio", "--emulator")
    assert code == 0
    assert "people" in out
    code, out, _ = run("fields", "kizen", "client_client", "--emulator", "--json")
    assert code == 0
    fields = {f["slug"]: f for f in json.loads(out)}
    assert fields["email"]["unique"] is True


def test_upsert_get_query_roundtrip_on_emulator() -> None:
    values = json.dumps({"email_addresses": "ada@example.com", "name": "Ada Lovelace"})
    code, out, _ = run(
        "upsert", "attio", "people", "--emulator", "--match", "email_addresses", "--values", values
    )
    assert code == 0, out
    result = json.loads(out)
    assert result["action"] == "created"
    assert result["record"]["fields"]["email_addresses"] == ["ada@example.com"]


def test_query_with_dict_filter_and_limit() -> None:
    code, out, _ = run(
        "query",
        "attio",
        "companies",
        "--emulator",
        "--seed",
        "demo",
        "--limit",
        "3",
        "--where",
        '{"name": {"$contains": "a"}}',
    )
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert len(lines) == 3
    assert all("a" in r["fields"]["name"].lower() for r in lines)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("get", "nosuch", "people", "1"), "no crmbridge provider named 'nosuch'"),
        (("query", "attio", "people", "--emulator", "--where", "{nope"), "not valid JSON"),
        (
            ("query", "attio", "people", "--emulator", "--where", '{"name": {"$like": 1}}'),
            "unknown operator",
        ),
        (("upsert", "attio", "people", "--emulator", "--values", "[1]"), "must be a JSON object"),
        (
            (
                "upsert",
                "attio",
                "people",
                "--emulator",
                "--match",
                "name",
                "--values",
                '{"name": "A"}',
            ),
            "not a unique field",
        ),
        (("objects", "attio", "-o", "token"), "KEY=VALUE"),
        (("archive", "attio", "people", "x", "--emulator"), "has no archive"),
        (("migrate", "attio", "kizen", "--source-emulator", "--target-emulator"), "--map"),
    ],
)
def test_input_errors_exit_2_with_a_clear_message(args: tuple[str, ...], message: str) -> None:
    code, out, err = run(*args)
    assert code == 2
    assert message in err
    assert "Traceback" not in err + out


def test_crm_failures_exit_1() -> None:
    code, _, err = run(
        "get", "attio", "people", "00000000-0000-0000-0000-000000000000", "--emulator"
    )
    assert code == 1
    assert "NotFound" in err


def test_credentials_are_not_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "s3cr3t-token-that-must-not-show-up-anywhere-0123456789abcdef0123456789"
    code, out, err = run(
        "objects", "attio", "-o", f"token={secret}", "-o", "base_url=http://127.0.0.1:9"
    )
    assert code == 1  # nothing listens there
    assert secret not in out + err


def test_toy_provider_through_the_cli(toy_plugin: ToyPlugin) -> None:
    code, _, err = run("objects", "toy", "-o", "token=x", "-o", "base_url=http://127.0.0.1:9")
    assert code == 1
    assert "TransportError" in err


#: ``migrate --init`` between the two emulators; the output file comes last.
INIT = ("migrate", "--init", "attio", "kizen", "--source-emulator", "--target-emulator", "--output")


def test_migrate_init_dry_run_and_run(tmp_path: Path) -> None:
    mapping = tmp_path / "m.toml"
    code, _, err = run(*INIT, str(mapping))
    assert code == 0, err
    text = mapping.read_text()
    assert 'source = "people"' in text
    assert 'target = "client_client"' in text
    assert "split_name" in text
    common = [
        "--source-emulator",
        "--source-seed",
        "demo",
        "--target-emulator",
        "--map",
        "docs/examples/attio-to-kizen.toml",
        "--state",
        str(tmp_path / "s.db"),
        "--failures",
        str(tmp_path / "f.jsonl"),
        "--limit",
        "4",
    ]
    code, out, err = run("migrate", "attio", "kizen", "--dry-run", *common)
    assert code == 0, err
    planned = [json.loads(line) for line in out.splitlines()]
    assert len(planned) == 8
    assert {p["object"] for p in planned} == {"companies_company", "client_client"}
    code, out, err = run("migrate", "attio", "kizen", *common)
    assert code == 0, err
    assert "created" in err


def test_bad_input_is_a_clear_error_not_a_traceback(tmp_path: Path) -> None:
    import socket

    cases = [
        (["objects", "attio", "--emulator", "--seed", "nope"], "unknown seed 'nope'"),
        (["create", "attio", "people", "--emulator", "--values",
          '{"name": {"$type": "bogus"}}'], "unknown value tag"),
        (["create", "attio", "people", "--emulator", "--values",
          '{"name": {"$type": "ref", "object": "companies"}}'], "not a valid $type='ref'"),
        (["emulate", "kizen", "--token", "abc"], "--token does not apply to the kizen emulator"),
    ]  # fmt: skip
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        cases.append((["emulate", "attio", "--port", port], f"cannot listen on 127.0.0.1:{port}"))
        existing = tmp_path / "m.toml"
        existing.write_text("# mine\n")
        cases.append(
            (
                [*INIT, str(existing)],
                "exists: --force to overwrite it",
            )
        )
        for args, message in cases:
            code, _, err = run(*args)
            assert code == 2, (args, err)
            assert message in " ".join(err.split()), (args, err)
            assert "Traceback" not in err
    assert existing.read_text() == "# mine\n"


def test_upsert_on_a_field_the_crm_cannot_match_natively() -> None:
    args = ["upsert", "attio", "deals", "--emulator", "--match", "name", "--values",
            '{"name": "Big", "stage": "Discovery", "associated_company": []}']  # fmt: skip
    code, _, err = run(*args)
    assert code == 2
    assert "--emulate" in err
    _, _, err = run(*args, "--emulate")
    assert "not a unique field" not in err  # searched, then written (or refused by the CRM)


def test_fields_never_cut_a_slug() -> None:
    code, out, _ = run("fields", "attio", "people", "--emulator")
    assert code == 0
    assert "strongest_connection_strength_legacy" in out
    assert "read-only" in out


def test_emulator_and_a_base_url_are_two_crms() -> None:
    code, _, err = run("objects", "attio", "--emulator", "-o", "base_url=http://x")
    assert code == 2
    assert "two different CRMs" in err


def test_error_messages_keep_their_brackets(tmp_path: Path) -> None:
    """Rich markup would eat ``[first_field, last_field]`` from the message."""
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        '[[objects]]\nsource = "people"\ntarget = "client_client"\n'
        '[objects.fields]\nname = { to = "first_name", transform = "split_name" }\n'
    )
    code, _, err = run("migrate", "attio", "kizen", "--source-emulator", "--target-emulator",
                       "--map", str(mapping), "--state", str(tmp_path / "s.db"))  # fmt: skip
    assert code == 2
    assert "split_name needs to = [first_field, last_field]" in err


def test_migrate_checks_the_mapping_against_the_command(tmp_path: Path) -> None:
    common = ["--source-emulator", "--target-emulator", "--state", str(tmp_path / "s.db")]
    code, _, err = run("migrate", "kizen", "attio", "--map", "docs/examples/attio-to-kizen.toml",
                       *common)  # fmt: skip
    assert code == 2
    assert "maps attio to kizen; this command migrates kizen to attio (the other way round?)" in err
    code, _, err = run("migrate", "attio", "kizen", "--source-seed", "demo",
                       "--map", "docs/examples/attio-to-kizen.toml")  # fmt: skip
    assert (code, "--source-seed needs --source-emulator" in err) == (2, True)


def test_migrate_and_sync_check_their_ends_alike(tmp_path: Path) -> None:
    """The --source-*/--target-* flags are one declaration (crmbridge.cli.source_target_options):
    both commands refuse the same mistakes, before any request."""
    mapping = "docs/examples/attio-to-kizen.toml"
    for command in ("migrate", "sync"):
        code, _, err = run(command, "attio", "kizen", "--source-seed", "demo", "--map", mapping,
                           "--state", str(tmp_path / "s.db"))  # fmt: skip
        assert (code, "--source-seed needs --source-emulator" in err) == (2, True), command
    code, _, err = run("migrate", "attio", "kizen", "--map", mapping, "--source-token-file", "-",
                       "--target-token-file", "-", input="token=x\n")  # fmt: skip
    assert code == 2
    assert "only one of --source-token-file and --target-token-file can be -" in err


def test_every_mistake_of_a_mapping_file_at_once(tmp_path: Path) -> None:
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        '[[objects]]\nsource = "people"\ntarget = "client_client"\nemulate = "yes"\ncolour = 1\n'
        "[objects.fields]\n"
        'name = { to = "first_name", transform = "splitt" }\n'
        'email_addresses = "email"\njob_title = "email"\n'
    )
    code, _, err = run("migrate", "attio", "kizen", "--source-emulator", "--target-emulator",
                       "--map", str(mapping), "--state", str(tmp_path / "s.db"))  # fmt: skip
    assert code == 2
    text = " ".join(err.split())
    for problem in ("unknown key(s) colour", "unknown transform 'splitt'",
                    "written twice: email", "'emulate' must be true or false"):  # fmt: skip
        assert problem in text, problem


def test_emulate_offers_the_options_each_plugin_declares() -> None:
    """`crmbridge emulate` knows no CRM: its flags and default ports are what each installed
    provider declares (Provider.emulator_options, Provider.emulator_port)."""
    import crmbridge as cb
    from crmbridge.plugin import EmulatorOption

    seen: dict[str, Any] = {}

    class Greeter(cb.Provider):
        name = "greeter"
        emulator_port = 8799
        emulator_options = (EmulatorOption("greeting", "What the emulator says.", str),)

        @classmethod
        def create_emulator(cls, **options: Any) -> Any:
            seen.update(options)
            raise cb.ConfigError("stop here")

    class Plugin:
        @hookimpl
        def crmbridge_register_providers(self, register: Any) -> None:
            register(Greeter)

    plugins.register_plugin(Plugin(), name="greeter-plugin")
    try:
        code, out, _ = run("emulate", "--help")
        assert "--greeting" in out
        assert "--api-key" in out  # Kizen's, declared by the Kizen plugin
        code, _, err = run("emulate", "greeter", "--greeting", "hi")
        assert code == 2
        assert "stop here" in err
        assert seen["greeting"] == "hi"
        code, _, err = run("emulate", "greeter", "--api-key", "k")
        assert "--api-key does not apply to the greeter emulator" in " ".join(err.split())
    finally:
        plugins.unregister_plugin(name="greeter-plugin")
    assert plugins.get_provider("attio").emulator_port == 8701
    assert plugins.get_provider("kizen").emulator_port == 8702
