"""``sync`` between the emulators over HTTP with faults on (issue 20 "Done when"): after a scripted
series of creates, updates and deletes on the source, the target equals the source."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from infra.servers import PG_PASSWORD
from reliability.support import emulator, seeded_source

import crmbridge as cb
from crmbridge.demo import bundled_mapping
from crmbridge.emulation import Faults
from crmbridge.migrate.report import Report
from crmbridge.migrate.sync import sync_async
from crmbridge.plugins import get_provider

FAULTS = Faults(rate_limit=0.05, server_error=0.05, drop=0.03)


def _contacts(kizen: cb.Bridge) -> dict[str, tuple[str | None, str | None]]:
    return {
        c["email"]: (c.get("first_name"), c.get("last_name")) for c in kizen.query("client_client")
    }


def _people(attio: cb.Bridge) -> dict[str, tuple[str | None, str | None]]:
    out = {}
    for p in attio.query("people"):
        if p.get("email_addresses"):
            name = p.get("name")
            out[p["email_addresses"][0]] = (name.first, name.last) if name else (None, None)
    return out


def test_sync_over_http_with_faults_ends_with_the_target_equal_to_the_source(
    tmp_path: Path,
) -> None:
    source, target = seeded_source("attio->kizen", 30), emulator("kizen")
    local_src = cb.connect("attio", emulator=source)
    emails = sorted(_people(local_src))
    script = [
        lambda a: a.create("people", {"email_addresses": ["s1@example.com"], "name": "Sam One"}),
        lambda a: a.update("people", _id(a, emails[0]), {"name": "Renamed Person"}),
        lambda a: a.delete("people", _id(a, emails[1])),
        lambda a: a.create("people", {"email_addresses": ["s2@example.com"], "name": "Sue Two"}),
        lambda a: a.delete("people", _id(a, "s1@example.com")),
    ]
    reports: list[Report] = []

    with source.serve() as src_server, target.serve() as dst_server:
        source.faults = target.faults = FAULTS

        async def step(n: int, report: Report) -> None:
            reports.append(report)
            if n <= len(script):
                source.faults = Faults()
                script[n - 1](local_src)
                source.faults = FAULTS

        async def run() -> int:
            src = cb.connect_async("attio", **source.credentials(), base_url=src_server.url)
            dst = cb.connect_async("kizen", **target.credentials(), base_url=dst_server.url)
            async with src, dst:
                return await sync_async(
                    src, dst, bundled_mapping(), state=tmp_path / "s.db",
                    failures=tmp_path / "f-{run}.jsonl", deletes="archive", interval=0,
                    cycles=len(script) + 2,
                    on_cycle=step,
                )  # fmt: skip

        assert asyncio.run(run()) == len(script) + 2
        source.faults = target.faults = Faults()

    with cb.connect("kizen", emulator=target) as kizen:
        assert _contacts(kizen) == _people(local_src)
    assert reports[-1].failed == 0


def _id(attio: cb.Bridge, email: str) -> str:
    found = list(attio.query("people", cb.F("email_addresses") == email))
    return found[0].id or ""


def test_sync_stops_when_asked(tmp_path: Path) -> None:
    source = get_provider("attio").create_emulator()
    target = get_provider("kizen").create_emulator()
    seen: list[Any] = []

    async def run() -> int:
        stop = asyncio.Event()

        def cycle(n: int, report: Report) -> None:
            seen.append(n)
            stop.set()

        return await sync_async(
            cb.connect_async("attio", emulator=source), cb.connect_async("kizen", emulator=target),
            bundled_mapping(), state=tmp_path / "s.db", failures=None, interval=60,
            on_cycle=cycle, stop=stop,
        )  # fmt: skip

    assert asyncio.run(run()) == 1
    assert seen == [1]


def test_sync_and_migrate_delta_on_the_command_line(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from crmbridge.cli import cli

    mapping = str(Path(cb.__file__).parent.parent / "docs" / "examples" / "attio-to-kizen.toml")
    common = ["--map", mapping, "--source-emulator", "--target-emulator"]
    result = CliRunner().invoke(
        cli,
        ["sync", "attio", "kizen", *common, "--state", str(tmp_path / "s.db"),
         "--cycles", "2", "--interval", "0", "--failures", str(tmp_path / "f-{run}.jsonl")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "cycle 1: no change" in result.output
    assert "cycle 2: no change" in result.output
    secret = tmp_path / "hook.secret"
    secret.write_text("s3cret")
    with_hooks = CliRunner().invoke(
        cli,
        ["sync", "attio", "kizen", *common, "--state", str(tmp_path / "w.db"), "--cycles", "1",
         "--webhook-port", "0", "--webhook-secret-file", str(secret), "--failures",
         str(tmp_path / "g-{run}.jsonl")],
    )  # fmt: skip
    assert with_hooks.exit_code == 0, with_hooks.output
    refused = CliRunner().invoke(
        cli, ["migrate", "attio", "kizen", *common, "--delta", "--limit", "5",
              "--state", str(tmp_path / "t.db")],
    )  # fmt: skip
    assert refused.exit_code == 2
    assert "--delta" in refused.output


def test_a_webhook_delivery_starts_the_next_cycle_at_once(tmp_path: Path) -> None:
    """With webhooks from the source, a change reaches the target in seconds, not after the
    poll interval (60 s here)."""
    import time

    from crmbridge_attio.webhooks import subscriptions

    from crmbridge.migrate.sync import waker
    from crmbridge.webhooks import WebhookApp, WebhookReceiver, WebhookServer

    source = get_provider("attio").create_emulator()
    target = get_provider("kizen").create_emulator()
    local_src = cb.connect("attio", emulator=source)
    created_at: list[float] = []
    cycle_at: list[float] = []

    async def run() -> None:
        src = cb.connect_async("attio", emulator=source)
        wake = asyncio.Event()
        slugs = {o.provider_id or o.slug: o.slug for o in await src.objects()}
        receiver = WebhookReceiver("attio", "unset", objects=slugs)
        with WebhookServer(WebhookApp(receiver, callback=waker(wake, {"people"}))) as server:
            hook = local_src.run(
                local_src.provider.create_webhook(server.url, subscriptions(["record.created"]))
            )
            assert hook.secret is not None
            receiver.use_secret(hook.secret)

            def cycle(n: int, report: Report) -> None:
                cycle_at.append(time.monotonic())
                if n == 1:
                    created_at.append(time.monotonic())
                    local_src.create("people", {"email_addresses": ["hook@example.com"]})

            await sync_async(
                src, cb.connect_async("kizen", emulator=target), bundled_mapping(),
                state=tmp_path / "s.db", failures=None, interval=60, cycles=2,
                on_cycle=cycle, wake=wake,
            )  # fmt: skip

    asyncio.run(run())
    assert cycle_at[1] - created_at[0] < 10
    with cb.connect("kizen", emulator=target) as kizen:
        assert [c["email"] for c in kizen.query("client_client")] == ["hook@example.com"]


def test_the_sync_webhook_receiver_wakes_for_every_real_change(tmp_path: Path) -> None:
    """Two changes of one record seconds apart both wake a cycle (a wake costs nothing; the
    receiver's change window would fold the second into the first, and a cycle that read the
    record after the first would leave the second until the next poll). A redelivery still
    wakes nothing."""
    import json

    from crmbridge.migrate.sync_command import _webhook_server
    from crmbridge.webhooks import sign

    async def run() -> list[bool]:
        src = cb.connect_async("attio", emulator=True)
        people = next(o.provider_id for o in await src.objects() if o.slug == "people")
        wake = asyncio.Event()
        server = await _webhook_server(src, "s3cret", wake, 0, bundled_mapping())
        app = server.config.app
        woke = []
        for key in ("first", "second", "second"):
            event = {"event_type": "record.updated", "id": {"workspace_id": "w",
                     "object_id": people, "record_id": "r1"}}  # fmt: skip
            body = json.dumps({"webhook_id": "h", "events": [event]}).encode()
            headers = {"Attio-Signature": sign("s3cret", body), "Idempotency-Key": key}
            status, _ = await app.take(body, headers)
            assert status == 200
            await asyncio.sleep(0)  # the waker sets the event from the loop
            woke.append(wake.is_set())
            wake.clear()
        return woke

    assert asyncio.run(run()) == [True, True, False]


def test_sync_cycles_on_a_postgresql_state_resume_the_feed(
    postgres_url: str, tmp_path: Path
) -> None:
    """Issue 22: each cycle opens the state afresh; with ``--state postgresql://…`` the feed rows
    live in the same schema, so cycle 2 resumes cycle 1's feed (it used to refuse the cursor)."""
    from click.testing import CliRunner

    from crmbridge.cli import cli

    mapping = str(Path(cb.__file__).parent.parent / "docs" / "examples" / "attio-to-kizen.toml")
    result = CliRunner().invoke(
        cli,
        ["sync", "attio", "kizen", "--map", mapping, "--source-emulator", "--target-emulator",
         "--state", f"{postgres_url}?schema=acme", "--cycles", "2", "--interval", "0",
         "--failures", str(tmp_path / "f-{run}.jsonl")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "cycle 2: no change" in result.output
    assert PG_PASSWORD not in result.output
