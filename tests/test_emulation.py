"""The emulator base: a raw client on any emulator, with or without its credentials."""

from __future__ import annotations

import socket
import struct
import time

import httpx
import pytest

from crmbridge.plugins import get_provider


@pytest.mark.parametrize(
    ("provider", "path"), [("attio", "/v2/objects"), ("kizen", "/api/custom-objects")]
)
def test_client_talks_to_the_emulator_with_its_credentials(provider: str, path: str) -> None:
    emulator = get_provider(provider).create_emulator()
    with emulator.client() as http:
        assert http.get(path).status_code == 200
    with emulator.client(auth=False) as http:
        assert http.get(path).status_code in (401, 403)
    with emulator.client(headers={"X-Test": "1"}) as http:
        assert http.headers["X-Test"] == "1"
        assert http.get(path).status_code == 200  # the credentials are still there


def test_served_emulators_cap_their_threads_and_keep_a_long_backlog() -> None:
    from crmbridge.emulation import EmulatorServer

    emulator = get_provider("attio").create_emulator()
    with emulator.serve() as server:
        assert server.httpd.request_queue_size >= 128
        assert server.httpd._slots._value == EmulatorServer.max_threads  # type: ignore[attr-defined]


def test_emulate_scales_the_rate_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from crmbridge.cli import cli
    from crmbridge.emulation import EmulatorServer, RateLimits

    seen: list[RateLimits | None] = []

    def stop_at_once(self: EmulatorServer) -> None:
        seen.append(self.emulator.rate_limits)
        raise KeyboardInterrupt

    monkeypatch.setattr(EmulatorServer, "serve_forever", stop_at_once)
    result = CliRunner().invoke(
        cli, ["emulate", "attio", "--port", "0", "--rate-limit-scale", "10"]
    )
    assert result.exit_code == 0, result.output
    real = get_provider("attio").create_emulator(rate_limits=True).rate_limits
    assert real is not None
    assert seen == [real.scaled(10)]
    result = CliRunner().invoke(cli, ["emulate", "attio", "--rate-limit-scale", "0"])
    assert result.exit_code == 2


def test_a_client_that_hangs_up_before_its_answer_prints_no_traceback(
    capfd: pytest.CaptureFixture[str],
) -> None:
    """A read-ahead the client cancelled closes its connection while the served emulator still
    waits out its latency: the answer has nowhere to go, which is not an error to print."""
    emulator = get_provider("attio").create_emulator(latency_ms=200)
    with emulator.serve() as server:
        port = int(server.url.rsplit(":", 1)[1])
        for _ in range(3):
            client = socket.create_connection(("127.0.0.1", port))
            client.sendall(b"GET /v2/objects HTTP/1.1\r\nHost: x\r\n\r\n")
            # close with a reset (linger 0): the server's write fails at once
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            client.close()
        time.sleep(0.8)
        with httpx.Client(base_url=server.url) as still_serving:
            assert still_serving.get("/v2/objects").status_code == 401  # no token: but answered
    assert "Traceback" not in capfd.readouterr().err
