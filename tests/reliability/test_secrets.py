"""Credentials never appear in logs (at DEBUG), reprs, error messages, --dry-run output or
recorded cassettes. Every verb of both providers is driven with known secrets, then all of it is
searched."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import vcr
from click.testing import CliRunner

import crmbridge as cb
from crmbridge.cli import cli
from crmbridge.emulation import EmulatorServer
from crmbridge.plugins import get_provider
from crmbridge.testing import VCR_CONFIG

ATTIO_TOKEN = "attio-secret-" + "a1b2c3d4" * 6 + "zzz"
KIZEN = {
    "api_key": "kizen-secret-api-key-5f3c9e",
    "user_id": "kizen-secret-user-77aa",
    "business_id": "kizen-secret-business-91bb",
}
#: Credentials: nowhere, ever.
SECRETS = [ATTIO_TOKEN, KIZEN["api_key"]]
#: Identifiers sent as headers: never in logs, reprs, errors or recorded headers — but a user id is
#: also CRM data (the owner of the records that user creates), so record bodies may hold it.
IDENTIFIERS = [KIZEN["user_id"], KIZEN["business_id"]]


@pytest.fixture
def servers() -> Iterator[tuple[EmulatorServer, EmulatorServer]]:
    attio = (
        get_provider("attio").create_emulator(seed="demo", demo_size=30, token=ATTIO_TOKEN).serve()
    )
    kizen = get_provider("kizen").create_emulator(**KIZEN).serve()
    with attio, kizen:
        yield attio, kizen


def _exercise(
    crm: cb.Bridge, obj: str, values: dict[str, Any], match: str, seen: list[str]
) -> None:
    def note(x: Any) -> Any:
        seen.append(repr(x))
        seen.append(str(x))
        return x

    note(crm)
    note(crm.provider)
    note(crm.objects())
    note(crm.fields(obj))
    created = note(crm.upsert(obj, values, match=match)).record
    note(crm.get(obj, created.id))
    note(list(crm.query(obj, limit=5)))
    note(crm.upsert(obj, values, match=match))
    multi = next(
        (
            f.slug
            for f in crm.fields(obj)
            if f.multi and f.writable and f.type in (cb.FieldType.tags, cb.FieldType.phone)
        ),
        None,
    )
    if multi:
        note(
            crm.update(obj, created.id, {multi: cb.add("+15550100" if "phone" in multi else "vip")})
        )
    note(crm.request("GET", "/v2/self" if crm.name == "attio" else "/api/team"))
    for bad in (
        lambda: crm.get(obj, "00000000-0000-0000-0000-000000000000"),
        lambda: crm.create(obj, {"nope": 1}),
        lambda: (
            crm.archive(obj, created.id) if crm.name == "attio" else crm.delete(obj, created.id)
        ),
        lambda: crm.history(obj, created.id, match),
    ):
        try:
            note(bad())
        except cb.CRMError as exc:
            note(exc)
            seen.append(repr(exc.raw))
    if crm.capabilities.archive:
        crm.archive(obj, created.id)
        note(crm.restore(obj, created.id))
    else:
        crm.delete(obj, created.id)


def test_secrets_never_leak(
    servers: tuple[EmulatorServer, EmulatorServer], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    attio_server, kizen_server = servers
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []
    cassette = tmp_path / "cassette.yaml"
    with vcr.use_cassette(str(cassette), **{**VCR_CONFIG, "record_mode": "all"}):
        with cb.connect("attio", token=ATTIO_TOKEN, base_url=attio_server.url) as attio:
            _exercise(
                attio,
                "people",
                {"email_addresses": "ada@example.com", "name": "Ada L"},
                "email_addresses",
                seen,
            )
        with cb.connect("kizen", base_url=kizen_server.url, **KIZEN) as kizen:
            _exercise(
                kizen,
                "client_client",
                {"email": "ada@example.com", "first_name": "Ada"},
                "email",
                seen,
            )
        wrong = cb.connect("attio", token=ATTIO_TOKEN[::-1], base_url=attio_server.url)
        with pytest.raises(cb.AuthError) as info:
            wrong.objects()
        seen += [str(info.value), repr(info.value), repr(info.value.raw)]
    # The command line, dry run included.
    args = [
        "migrate",
        "attio",
        "kizen",
        "--map",
        "docs/examples/attio-to-kizen.toml",
        "--state",
        str(tmp_path / "s.db"),
        "--failures",
        str(tmp_path / "f.jsonl"),
        "-s",
        f"token={ATTIO_TOKEN}",
        "-s",
        f"base_url={attio_server.url}",
        "-t",
        f"base_url={kizen_server.url}",
        *[x for k, v in KIZEN.items() for x in ("-t", f"{k}={v}")],
    ]
    for extra in (["--dry-run"], ["--limit", "3"]):
        result = CliRunner().invoke(cli, args + extra)
        assert result.exit_code == 0, result.output
        seen.append(result.output)
    result = CliRunner().invoke(
        cli, ["objects", "kizen", *[x for k, v in KIZEN.items() for x in ("-o", f"{k}={v}")]]
    )
    seen.append(
        result.output
    )  # no base_url: the real host is unreachable here; the error must not echo
    recorded = cassette.read_text()
    assert "interactions" in recorded
    assert "[redacted]" in recorded  # it did record, with the filters applied
    assert len(caplog.records) > 50  # DEBUG logging really was on
    everything = "\n".join([*seen, caplog.text, recorded])
    for secret in SECRETS:
        assert secret not in everything, f"a credential leaked: {secret[:12]}..."
    import yaml

    headers = repr([i["request"]["headers"] for i in yaml.safe_load(recorded)["interactions"]])
    errors_and_reprs = [x for x in seen if "Bridge" in x or "Provider" in x or "Error" in x]
    our_logs = "\n".join(
        r.getMessage()
        for r in caplog.records
        if r.name.split(".")[0] in ("crmbridge", "httpx", "httpcore", "stamina")
    )
    assert KIZEN["user_id"] in recorded  # sanity: it is there, as data (the team list)
    for ident in IDENTIFIERS:
        for where, text in (
            ("logs", our_logs),
            ("cassette headers", headers),
            ("reprs and errors", "\n".join(errors_and_reprs)),
        ):
            assert ident not in text, f"{ident} in {where}"


def test_tls_verification_is_on_by_default() -> None:
    crm = cb.connect("attio", token="x")
    transport = crm.client._transport
    pool = getattr(transport, "_pool", None)
    ssl_context = getattr(pool, "_ssl_context", None)
    assert ssl_context is not None
    import ssl

    assert ssl_context.verify_mode == ssl.CERT_REQUIRED
    assert ssl_context.check_hostname is True
