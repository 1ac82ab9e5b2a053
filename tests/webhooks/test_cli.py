"""``crmbridge webhooks serve`` as a user runs it: a real process serving uvicorn on 127.0.0.1,
printing each signed delivery's change as a JSON line with the object's slug, refusing unsigned
ones, and refusing to start without a secret."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from click.testing import CliRunner

import crmbridge as cb
from crmbridge.cli import cli
from crmbridge.webhooks import sign


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_prints_each_verified_change(tmp_path: Path) -> None:
    secret = tmp_path / "hook.secret"
    secret.write_text("cli-secret\n")
    port = _free_port()
    companies = next(
        o for o in cb.connect("attio", emulator=True).objects() if o.slug == "companies"
    )
    event = {"event_type": "record.created",
             "id": {"workspace_id": "w", "object_id": companies.provider_id, "record_id": "r1"}}  # fmt: skip
    body = json.dumps({"webhook_id": "h", "events": [event]}).encode()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from crmbridge.cli import main; main()",
            "webhooks",
            "serve",
            "attio",
            "--emulator",
            "--port",
            str(port),
            "--secret-file",
            str(secret),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "CRMBRIDGE_WEBHOOK_SECRET": ""},
    )
    try:
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 30
        while True:
            try:
                refused = httpx.post(url, content=body, timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.communicate()[1]
                assert time.monotonic() < deadline
                time.sleep(0.1)
        assert refused.status_code == 401
        ok = httpx.post(url, content=body, headers={"Attio-Signature": sign("cli-secret", body)})
        assert ok.json() == {"accepted": 1}
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert json.loads(line) == {"kind": "created", "object": "companies", "id": "r1"}
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_serve_without_a_secret_is_a_clear_error() -> None:
    result = CliRunner().invoke(
        cli, ["webhooks", "serve", "attio", "--emulator"], env={"CRMBRIDGE_WEBHOOK_SECRET": ""}
    )
    assert result.exit_code == 2
    assert "--secret-file" in result.output
