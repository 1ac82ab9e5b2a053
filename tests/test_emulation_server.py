"""The served emulators' HTTP/1.1 (crmbridge/emulation_server.py): keep-alive, pipelining, framing,
refusals, an emulator bug, the cost of many connections, shutdown.

Raw sockets where a client library would hide the behaviour (it reconnects, or never pipelines);
every answer is read by its ``content-length`` (RFC 9112 §6.2)."""

from __future__ import annotations

import json
import logging
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from crmbridge.emulation import Emulator, EmulatorServer
from crmbridge.plugins import get_provider


@pytest.fixture
def emulator() -> Any:
    return get_provider("attio").create_emulator(seed="demo", demo_size=5)


@pytest.fixture
def server(emulator: Emulator) -> Iterator[EmulatorServer]:
    with emulator.serve() as served:
        yield served


def _ids(emulator: Any) -> list[str]:
    return [r["id"]["record_id"] for r in emulator.records("people")]


def _get(emulator: Emulator, path: str, *, method: str = "GET", extra: str = "") -> bytes:
    fields = "".join(f"{k}: {v}\r\n" for k, v in emulator.auth_headers().items())
    return f"{method} {path} HTTP/1.1\r\nHost: x\r\n{fields}{extra}\r\n".encode()


class _Reader:
    """Answers read off one socket, one after the other, framed by ``content-length``."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock, self.buffer = sock, b""

    def _fill(self) -> bool:
        chunk = self.sock.recv(65536)
        self.buffer += chunk
        return bool(chunk)

    def answer(self, *, head_only: bool = False) -> tuple[int, dict[str, str], bytes]:
        while b"\r\n\r\n" not in self.buffer:
            assert self._fill(), f"connection closed mid-head: {self.buffer!r}"
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        status_line, *lines = head.decode("latin-1").split("\r\n")
        fields = {}
        for line in lines:
            name, _, value = line.partition(":")
            fields[name.strip().lower()] = value.strip()
        length = 0 if head_only else int(fields["content-length"])
        while len(self.buffer) < length:
            assert self._fill(), "connection closed mid-body"
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return int(status_line.split(" ")[1]), fields, body

    def closed(self) -> bool:
        """Whether the server closed the connection (and sent nothing more)."""
        self.sock.settimeout(5)
        try:
            return not self._fill() and not self.buffer
        except ConnectionResetError:
            return not self.buffer


def _connect(server: EmulatorServer) -> socket.socket:
    return socket.create_connection((server.host, server.port), timeout=10)


def test_one_connection_carries_many_requests(emulator: Emulator, server: EmulatorServer) -> None:
    ids = _ids(emulator)
    with _connect(server) as sock:
        reader = _Reader(sock)
        for i in range(30):
            sock.sendall(_get(emulator, f"/v2/objects/people/records/{ids[i % len(ids)]}"))
            status, fields, body = reader.answer()
            assert status == 200
            assert json.loads(body)["data"]["id"]["record_id"] == ids[i % len(ids)]
            assert "connection" not in fields  # kept alive
        assert len(server.connections) == 1


def test_pipelined_requests_are_answered_in_order(
    emulator: Emulator, server: EmulatorServer
) -> None:
    ids = _ids(emulator)
    requests = b"".join(_get(emulator, f"/v2/objects/people/records/{i}") for i in ids)
    requests += _get(emulator, "/v2/objects/people/records/00000000-0000-4000-8000-000000000000")
    with _connect(server) as sock:
        sock.sendall(requests)
        reader = _Reader(sock)
        answers = [reader.answer() for _ in range(len(ids) + 1)]
    assert [json.loads(body)["data"]["id"]["record_id"] for _, _, body in answers[:-1]] == ids
    assert answers[-1][0] == 404


def test_a_head_answer_has_a_length_but_no_body(emulator: Emulator, server: EmulatorServer) -> None:
    """The emulators route no HEAD (Attio answers it 404 with a JSON body): its ``content-length``
    is the body's, the body itself is not sent, and the next answer follows the head at once."""
    path = f"/v2/objects/people/records/{_ids(emulator)[0]}"
    with _connect(server) as sock:
        sock.sendall(_get(emulator, path, method="HEAD") + _get(emulator, path))
        reader = _Reader(sock)
        _, fields, _ = reader.answer(head_only=True)
        assert int(fields["content-length"]) > 0
        status, _, body = reader.answer()
        assert status == 200
        assert json.loads(body)["data"]["id"]["record_id"] == _ids(emulator)[0]


def test_connection_close_and_http_1_0_close_after_the_answer(
    emulator: Emulator, server: EmulatorServer
) -> None:
    for request in (
        _get(emulator, "/v2/objects", extra="Connection: close\r\n"),
        _get(emulator, "/v2/objects").replace(b"HTTP/1.1", b"HTTP/1.0", 1),
    ):
        with _connect(server) as sock:
            sock.sendall(request)
            reader = _Reader(sock)
            status, fields, _ = reader.answer()
            assert (status, fields.get("connection")) == (200, "close")
            assert reader.closed()


def test_a_body_sent_in_pieces_is_read_whole(emulator: Any, server: EmulatorServer) -> None:
    body = json.dumps({"data": {"values": {"email_addresses": ["pieces@example.com"]}}}).encode()
    head = _get(emulator, "/v2/objects/people/records", method="POST",
                extra=f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n")  # fmt: skip
    with _connect(server) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for piece in (head[:10], head[10:], body[:7], body[7:]):
            sock.sendall(piece)
            time.sleep(0.02)  # separate segments
        status, _, answer = _Reader(sock).answer()
    assert status == 200, answer
    assert "pieces@example.com" in str(emulator.records("people"))


def test_expect_100_continue_is_answered_before_the_body(
    emulator: Emulator, server: EmulatorServer
) -> None:
    body = json.dumps({"data": {"values": {"email_addresses": ["later@example.com"]}}}).encode()
    head = _get(emulator, "/v2/objects/people/records", method="POST",
                extra=f"Content-Length: {len(body)}\r\nExpect: 100-continue\r\n")  # fmt: skip
    with _connect(server) as sock:
        sock.sendall(head)
        reader = _Reader(sock)
        assert reader.answer(head_only=True)[0] == 100
        sock.sendall(body)
        assert reader.answer()[0] == 200


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"NONSENSE\r\n\r\n", 400),
        (b"GET /v2/objects HTTP/1.1\r\nno colon here\r\n\r\n", 400),
        (b"GET /v2/objects HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400),
        (b"POST /v2/objects HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 501),
        (b"GET /v2/objects HTTP/1.1\r\nX-Long: " + b"a" * 70000, 431),
    ],
)
def test_a_request_that_cannot_be_read_is_refused_and_the_connection_closed(
    server: EmulatorServer, request_bytes: bytes, status: int
) -> None:
    with _connect(server) as sock:
        sock.sendall(request_bytes)
        reader = _Reader(sock)
        assert reader.answer()[0] == status
        assert reader.closed()


def test_an_emulator_bug_is_its_5xx_and_the_server_keeps_serving(
    emulator: Emulator, server: EmulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    handle = emulator.handle
    calls = 0

    def broken_once(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise KeyError("a bug")
        return handle(request)

    emulator.handle = broken_once  # type: ignore[method-assign]
    with (
        caplog.at_level(logging.ERROR, logger="crmbridge.emulation"),
        httpx.Client(base_url=server.url, headers=emulator.auth_headers()) as http,
    ):
        assert http.get("/v2/objects").status_code == 500
        assert http.get("/v2/objects").status_code == 200
    assert "emulator failed on GET /v2/objects" in caplog.text


def test_many_connections_do_not_cost_a_thread_each(
    emulator: Emulator, server: EmulatorServer
) -> None:
    """One loop serves every connection (a thread per connection cost ~100 µs of CPU per request
    under 32 clients: issue 24)."""
    threads = threading.active_count()
    socks = [_connect(server) for _ in range(40)]
    try:
        for sock in socks:
            sock.sendall(_get(emulator, "/v2/objects"))
        assert all(_Reader(sock).answer()[0] == 200 for sock in socks)
        assert len(server.connections) == 40
        assert threading.active_count() <= threads  # (a thread of another test may end meanwhile)
    finally:
        for sock in socks:
            sock.close()


def test_connections_beyond_the_cap_wait_in_the_backlog(emulator: Emulator) -> None:
    class TwoAtOnce(EmulatorServer):
        max_connections = 2

    with TwoAtOnce(emulator, "127.0.0.1", 0) as server:
        first, second, third = (_connect(server) for _ in range(3))
        for sock in (first, second, third):
            sock.sendall(_get(emulator, "/v2/objects"))
        assert _Reader(first).answer()[0] == 200
        assert _Reader(second).answer()[0] == 200
        third.settimeout(0.3)
        with pytest.raises(TimeoutError):
            third.recv(1)  # accepted by the kernel, not served: both slots are taken
        first.close()
        third.settimeout(10)
        assert _Reader(third).answer()[0] == 200  # a slot freed: served
        second.close()
        third.close()


def test_stop_closes_open_connections_and_frees_the_port(emulator: Emulator) -> None:
    server = emulator.serve().start()
    sock = _connect(server)
    sock.sendall(_get(emulator, "/v2/objects"))
    reader = _Reader(sock)
    assert reader.answer()[0] == 200
    server.stop()
    assert reader.closed()
    sock.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((server.host, server.port), timeout=2)
    assert server.connections == set()


def test_a_request_in_its_latency_when_the_client_hangs_up_is_still_handled() -> None:
    """A write whose client gave up is done all the same (a CRM does it); the server goes on."""
    emulator: Any = get_provider("attio").create_emulator(latency_ms=100)
    body = json.dumps({"data": {"values": {"email_addresses": ["gone@example.com"]}}}).encode()
    head = _get(emulator, "/v2/objects/people/records", method="POST",
                extra=f"Content-Length: {len(body)}\r\n")  # fmt: skip
    with emulator.serve() as server:
        with _connect(server) as sock:
            sock.sendall(head + body)
        deadline = time.monotonic() + 10
        while "gone@example.com" not in str(emulator.records("people")):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        with httpx.Client(base_url=server.url, headers=emulator.auth_headers()) as http:
            assert http.get("/v2/objects").status_code == 200


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process is POSIX")
def test_ctrl_c_ends_crmbridge_emulate_and_closes_its_connections() -> None:
    """``serve_forever`` in the main thread (the command) ends on ``KeyboardInterrupt``: the
    command says so, exits 0, prints no traceback and closes the clients' connections."""
    process = subprocess.Popen(
        [sys.executable, "-m", "crmbridge.cli", "emulate", "kizen", "--port", "0"],
        stderr=subprocess.PIPE,
        text=True,
        # a shell's background job inherits SIGINT ignored: give the command Python's default
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        assert process.stderr is not None
        url = process.stderr.readline().split(" on ")[1].split()[0]
        host, port = url.removeprefix("http://").rsplit(":", 1)
        emulator = get_provider("kizen").create_emulator()
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(_get(emulator, "/api/custom-objects"))
            reader = _Reader(sock)
            assert reader.answer()[0] == 200
            process.send_signal(signal.SIGINT)
            assert reader.closed()
        assert process.wait(10) == 0
        err = process.stderr.read()
    finally:
        process.kill()
        process.wait()
    assert "stopped" in err
    assert "Traceback" not in err


def test_a_large_body_read_ahead_during_an_answer_is_read_to_its_end() -> None:
    """Reading pauses past 1 MiB read ahead while a request waits out its latency; when that
    answer is sent, the next request's body must still be read to its end (it was not: reading
    stayed paused and both sides waited)."""
    emulator = get_provider("attio").create_emulator(latency_ms=300)
    size = 3_000_000
    head = _get(emulator, "/v2/objects/people/records", method="POST",
                extra=f"Content-Type: application/json\r\nContent-Length: {size}\r\n")  # fmt: skip
    with emulator.serve() as server, _connect(server) as sock:
        sending = threading.Thread(
            target=sock.sendall, args=(_get(emulator, "/v2/objects") + head + b" " * size,)
        )
        sending.start()
        reader = _Reader(sock)
        assert reader.answer()[0] == 200
        assert reader.answer()[0] == 400  # a body of spaces is not JSON: but it was read whole
        sending.join(10)
        assert not sending.is_alive()
