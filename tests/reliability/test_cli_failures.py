"""Every command-line failure is one line and exit code 2, never a traceback (issue 15); a
userinfo in a URL is never stored or printed; credentials can come from a file or stdin."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

import crmbridge as cb
from crmbridge.cli import cli
from crmbridge.plugins import get_provider

MAP = str(Path(__file__).parents[2] / "docs" / "examples" / "attio-to-kizen.toml")
DEEP_JSON = "[" * 100_000 + "]" * 100_000


def run(*args: str, input: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), input=input)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"traceback: {result.exception!r}\n{result.output}")
    return result.exit_code, result.output


def _one_line_exit_2(*args: str, match: str, input: str | None = None) -> str:
    code, output = run(*args, input=input)
    assert code == 2, output
    lines = output.strip().splitlines()
    assert len(lines) == 1, output
    assert lines[0].startswith("error:"), output
    assert match in lines[0], output
    return lines[0]


def _migrate(tmp_path: Path, *extra: str) -> tuple[str, ...]:
    return (
        "migrate", "attio", "kizen", "--map", MAP, "--source-emulator", "--target-emulator",
        "--state", str(tmp_path / "state.db"), *extra,
    )  # fmt: skip


@pytest.mark.parametrize(
    "args",
    [
        ("upsert", "attio", "people", "--emulator", "--values", DEEP_JSON),
        ("create", "kizen", "client_client", "--emulator", "--values", DEEP_JSON),
        ("query", "attio", "people", "--emulator", "--where", DEEP_JSON),
    ],
)
def test_json_arguments_nested_deep(args: tuple[str, ...]) -> None:
    _one_line_exit_2(*args, match="nested too deeply")


def test_a_mapping_file_that_is_not_utf8_or_nested_deep(tmp_path: Path) -> None:
    bad = tmp_path / "latin1.toml"
    bad.write_bytes(b'source = "attio"\n# caf\xe9\n')
    deep = tmp_path / "deep.toml"
    deep.write_text("x = " + "[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    args = ("migrate", "attio", "kizen", "--source-emulator", "--target-emulator", "--state")
    _one_line_exit_2(*args, str(tmp_path / "s.db"), "--map", str(bad), match="UTF-8")
    _one_line_exit_2(*args, str(tmp_path / "s.db"), "--map", str(deep), match="nested")


def test_files_in_a_missing_folder(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    _one_line_exit_2(
        *_migrate(tmp_path, "--failures", str(missing / "f.jsonl")), match="--failures"
    )
    _one_line_exit_2(
        "migrate", "--init", "attio", "kizen", "--source-emulator", "--target-emulator",
        "--output", str(missing / "m.toml"), match="--output",
    )  # fmt: skip
    assert not missing.exists()


def _read_every_table(path: Path) -> None:
    db = sqlite3.connect(path)
    for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
        db.execute(f"SELECT * FROM {table}").fetchall()


@pytest.mark.parametrize("damage", ["header", "page"])
def test_a_state_file_with_a_corrupted_page(tmp_path: Path, damage: str) -> None:
    code, output = run(*_migrate(tmp_path, "--source-seed", "demo", "--limit", "5"))
    assert code == 0, output
    state = tmp_path / "state.db"
    for suffix in ("-wal", "-shm"):
        Path(f"{state}{suffix}").unlink(missing_ok=True)
    data = bytearray(state.read_bytes())
    start, end = (4096, len(data)) if damage == "page" else (0, 4096)  # every page but the first
    data[start:end] = b"\x5a" * (end - start)
    state.write_bytes(bytes(data))
    with pytest.raises(sqlite3.DatabaseError):  # really damaged
        _read_every_table(state)
    _one_line_exit_2("migrate", "--runs", "--state", str(state), match="state file")
    _one_line_exit_2(*_migrate(tmp_path, "--source-seed", "demo", "--resume"), match="state file")


@pytest.mark.parametrize(
    ("option", "match"),
    [
        ("timeout=abc", "-o timeout"),
        ("timeout=-1", "-o timeout"),
        ("verify=maybe", "-o verify"),
        ("rate_limit=fast", "-o rate_limit"),
        ("schema_ttl=nan", "-o schema_ttl"),
        ("retry=3", "-o retry"),
        ("emulator=1", "-o emulator"),
        ("on_request=print", "-o on_request"),
        ("transport=x", "-o transport"),
    ],
)
def test_o_options_with_wrong_types(option: str, match: str) -> None:
    _one_line_exit_2("objects", "attio", "-o", "token=x" * 8, "-o", option, match=match)


def test_o_options_with_the_right_types_are_converted() -> None:
    code, output = run(
        "objects", "attio", "--emulator", "-o", "timeout=5", "-o", "verify=false",
        "-o", "rate_limit=0.5", "-o", "schema_ttl=10",
    )  # fmt: skip
    assert code == 0, output


def test_a_token_with_a_non_ascii_character() -> None:
    line = _one_line_exit_2(
        "objects", "attio", "-o", "token=abc\u00e9def", "-o", "base_url=http://127.0.0.1:9",
        match="non-ASCII",
    )  # fmt: skip
    assert "abc" not in line


def test_state_empty_is_refused(tmp_path: Path) -> None:
    _one_line_exit_2(
        "migrate", "attio", "kizen", "--map", MAP, "--source-emulator", "--target-emulator",
        "--state", "", match="--state",
    )  # fmt: skip


def test_a_userinfo_in_a_url_is_never_stored_or_printed(tmp_path: Path) -> None:
    attio = get_provider("attio").create_emulator()
    with attio.serve() as server:
        url = server.url.replace("http://", "http://proxyuser:pr0xy-pa55@")
        token = attio.credentials()["token"]
        provider = cb.connect("attio", token=token, base_url=url).provider
        assert "pr0xy-pa55" not in provider.endpoint()
        assert "pr0xy-pa55" not in repr(provider)
        assert "pr0xy-pa55" not in repr(cb.connect("attio", token=token, base_url=url))
        first = (
            "migrate", "kizen", "attio", "--map", str(Path(__file__).parent / "kizen-to-attio.toml"),
            "--source-emulator", "--source-seed", "demo", "--limit", "3",
            "-t", f"base_url={url}", "--state", str(tmp_path / "s.db"),
        )  # fmt: skip
        result = CliRunner().invoke(cli, list(first), env={"ATTIO_API_KEY": token})
        assert result.exit_code in (0, 1), result.output
        assert "pr0xy-pa55" not in result.output
        # A second run against another source: the state belongs to another migration, and
        # the error naming both sides shows no userinfo.
        again = CliRunner().invoke(cli, list(first), env={"ATTIO_API_KEY": token})
    assert again.exit_code == 2, again.output
    assert "belongs to" in again.output
    assert "pr0xy-pa55" not in again.output
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("s.db*"))
    assert stored
    assert b"pr0xy-pa55" not in stored
    assert b"proxyuser" not in stored


def test_credentials_from_a_file_or_stdin(tmp_path: Path) -> None:
    attio = get_provider("attio").create_emulator()
    token = attio.credentials()["token"]
    with attio.serve() as server:
        secret = tmp_path / "attio.token"
        secret.write_text(f"# the workspace token\n{token}\n", encoding="utf-8")
        base = ("objects", "attio", "-o", f"base_url={server.url}")
        code, output = run(*base, "--token-file", str(secret))
        assert code == 0, output
        assert "people" in output
        code, output = run(*base, "--token-file", "-", input=f"token={token}\n")
        assert code == 0, output
        assert token not in output
        wrong = tmp_path / "wrong.token"
        wrong.write_text("x" * 64, encoding="utf-8")
        code, output = run(*base, "--token-file", str(wrong))
        assert code == 1, output  # the emulator refused it: the file's token was used
    _one_line_exit_2(*base, "--token-file", str(tmp_path / "absent"), match="absent")


def test_kizen_credentials_from_a_file(tmp_path: Path) -> None:
    kizen = get_provider("kizen").create_emulator()
    creds = kizen.credentials()
    with kizen.serve() as server:
        lines = "".join(f"{k}={v}\n" for k, v in creds.items())
        secret = tmp_path / "kizen.env"
        secret.write_text(lines, encoding="utf-8")
        code, output = run(
            "objects", "kizen", "-o", f"base_url={server.url}", "--token-file", str(secret)
        )
        assert code == 0, output
        for value in creds.values():
            assert value not in output
    bare = tmp_path / "bare"
    bare.write_text("only-a-token\n", encoding="utf-8")
    _one_line_exit_2("objects", "kizen", "--token-file", str(bare), match="KEY=VALUE")
