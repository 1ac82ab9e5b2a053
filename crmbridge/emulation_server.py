"""An emulator served over HTTP/1.1 on loopback: one asyncio loop, a small parser, one write per answer.

Why not :mod:`http.server`: issue 24 asks a served emulator for ≥ 3,000 GETs per second from 32
keep-alive clients on a 2-core machine. ``http.server`` spent ~240 µs of CPU per GET, of which the
emulator's own work (``Emulator.dispatch``) is ~75 µs: the rest was a thread per connection (32
threads taking turns on the GIL), headers parsed by :mod:`email.parser` and the answer sent in two
``sendall`` calls (docs/benchmarks.md §11). Here one event loop serves every connection; a request's
head is split on CRLF (RFC 9112 §2.1, §3, §5: request line, then ``name: value`` fields, then an
empty line; the body is ``Content-Length`` bytes, §6.2) and the answer goes out in one write.

What the served emulators did before and still do:

* keep-alive (HTTP/1.1 by default, HTTP/1.0 with ``Connection: keep-alive``), pipelined requests
  answered in order, ``Connection: close`` honoured, ``Expect: 100-continue`` answered;
* the emulated latency without blocking other connections (a timer, not a sleeping thread); a
  request is counted against the rate limit when it arrives (:meth:`Emulator.admit`), answered after
  the latency (:meth:`Emulator.dispatch`), and dispatched even if its client has hung up meanwhile
  (a write arrived: the CRM does it);
* the body faults of :class:`crmbridge.emulation.Faults`: a dropped connection (``dispatch`` raises a
  transport error: the connection closes with no answer), a body cut half way (``cut_body``: half the
  bytes, then the connection closes), a body dripped one byte every ``drip_interval`` seconds;
* a client that hangs up is not an error to print; an emulator bug answers the CRM's own 5xx and
  is logged; at most :attr:`EmulatorServer.max_connections` connections at once (further clients wait
  in the listen backlog of 128); loopback only (:meth:`Emulator.serve` refuses any other host);
  :meth:`EmulatorServer.stop` closes every connection and the listening socket.

Request bodies sent with ``Transfer-Encoding: chunked`` are refused with 501 (the CRMs' clients send
``Content-Length``; ``http.server`` ignored chunked bodies and read their chunks as requests).
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import logging
import os
import socket
import threading
import time
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, cast

import attrs
import httpx

if TYPE_CHECKING:
    from crmbridge.emulation import Emulator

__all__ = ["FAULT", "EmulatorServer"]

#: Response extension naming a fault the transport applies while sending the body
#: (``"cut_body"`` or ``"drip"``).
FAULT = "crmbridge_fault"

_log = logging.getLogger("crmbridge.emulation")

#: A request head (request line and fields) longer than this is refused with 431.
_MAX_HEAD = 65536
#: Bytes of further requests read ahead while one is answered, before reading pauses.
_READ_AHEAD = 1 << 20
#: Response fields the server writes itself.
_OWN_FIELDS = frozenset({b"content-length", b"transfer-encoding", b"connection"})
_REASONS = {status.value: status.phrase for status in HTTPStatus}


class _BadRequest(Exception):
    def __init__(self, status: int) -> None:
        self.status = status


@attrs.frozen
class _Head:
    """A request's head: what the body and the answer need."""

    method: str
    target: str
    fields: list[tuple[str, str]]
    #: Where the body starts in the buffer, and its length.
    start: int
    length: int
    keep_alive: bool
    expect: bool


class _Date:
    """The ``Date`` field (RFC 9110 §6.6.1), formatted once a second."""

    def __init__(self) -> None:
        self.second = -1
        self.value = b""

    def __call__(self) -> bytes:
        now = int(time.time())
        if now != self.second:
            self.second = now
            self.value = email.utils.formatdate(now, usegmt=True).encode("latin-1")
        return self.value


class _Listener:
    """The listening socket (bound at once, so a taken port fails in :meth:`Emulator.serve`), its
    backlog, and the slots that cap the connections served at once: when none is free the loop
    stops accepting, and further clients wait in the backlog (socketserver's default backlog of 5
    refused clients of a 32-task benchmark: issue 24)."""

    request_queue_size = 128

    def __init__(self, address: tuple[str, int], max_connections: int) -> None:
        family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.socket = socket.socket(family, socket.SOCK_STREAM)
        try:
            if os.name == "posix":  # elsewhere (Windows) it lets another socket take the port
                self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.socket.bind(address)
            self.socket.listen(self.request_queue_size)
            self.socket.setblocking(False)
        except BaseException:
            self.socket.close()
            raise
        self.server_address: tuple[str, int] = self.socket.getsockname()[:2]
        self._slots = threading.BoundedSemaphore(max_connections)
        self._accepting = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._factory: Any = None
        self._connecting: set[asyncio.Task[Any]] = set()

    def attach(self, loop: asyncio.AbstractEventLoop, factory: Any) -> None:
        self._loop, self._factory = loop, factory
        self._resume()

    def _resume(self) -> None:
        if self._loop is not None and not self._accepting and self.socket.fileno() >= 0:
            self._loop.add_reader(self.socket.fileno(), self._accept)
            self._accepting = True

    def _pause(self) -> None:
        if self._loop is not None and self._accepting:
            self._loop.remove_reader(self.socket.fileno())
            self._accepting = False

    def _accept(self) -> None:
        assert self._loop is not None
        while True:
            if not self._slots.acquire(blocking=False):
                self._pause()  # every slot taken: the next clients wait in the backlog
                return
            try:
                conn, _ = self.socket.accept()
            except OSError:  # nothing left to accept (EAGAIN), or a client gone (ECONNABORTED)
                self._slots.release()
                return
            conn.setblocking(False)
            connected = self._loop.create_task(
                self._loop.connect_accepted_socket(self._factory, conn)
            )
            self._connecting.add(connected)  # the loop holds tasks weakly
            connected.add_done_callback(self._connected)

    def _connected(self, task: asyncio.Task[Any]) -> None:
        self._connecting.discard(task)
        if task.cancelled() or task.exception() is not None:
            self.release()

    def release(self) -> None:
        """A connection ended: its slot is free, accept again."""
        self._slots.release()
        self._resume()

    def server_close(self) -> None:
        """Stop listening (the port is free again)."""
        self._pause()
        self.socket.close()


class _Connection(asyncio.Protocol):
    """One client connection: requests parsed from its bytes and answered one at a time, in order."""

    def __init__(self, server: EmulatorServer) -> None:
        self.server = server
        self.emulator = server.emulator
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        #: A request is being answered (its latency, its dispatch, a dripping body).
        self.busy = False
        self.closed = False
        self.eof = False
        self.can_write = True
        self.continued = False  # ``100 Continue`` sent for the request waiting for its body
        self.head: _Head | None = None  # the head of a request whose body is still arriving

    # --- asyncio.Protocol -------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        self.server.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.server.connections.discard(self)
        self.server.httpd.release()

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if not self.busy:
            self._next()
        elif len(self.buffer) > _READ_AHEAD and self.transport is not None:
            self.transport.pause_reading()

    def eof_received(self) -> bool:
        """The client will send nothing more: answer what it sent, then close."""
        self.eof = True
        if not self.busy:
            self._next()
        return not self.closed  # keep the transport open for the answer in flight

    def pause_writing(self) -> None:
        self.can_write = False

    def resume_writing(self) -> None:
        self.can_write = True
        if not self.busy:
            self._next()

    # --- requests -------------------------------------------------------------------------------

    def _next(self) -> None:
        """Answer the complete requests in the buffer, until one has to wait (latency, drip)."""
        while not self.busy and not self.closed and self.can_write:
            try:
                parsed = self._parse()
            except _BadRequest as bad:
                self._refuse(bad.status)
                return
            if parsed is None:  # more bytes needed: read them, even past the read-ahead
                if self.eof:
                    self.close()
                elif self.transport is not None:
                    self.transport.resume_reading()
                return
            self._start(*parsed)

    def _parse(self) -> tuple[httpx.Request, bool] | None:
        """The next complete request in the buffer and whether its connection stays open, or
        ``None`` when more bytes are needed. A head whose body is still arriving is kept, so a
        large body is not searched for a head again with every chunk."""
        head = self.head
        if head is None:
            head = self.head = self._head()
            if head is None:
                return None
        start, length = head.start, head.length
        buffer = self.buffer
        if len(buffer) < start + length:
            if head.expect and not self.continued and self.transport is not None:
                self.continued = True
                self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            return None
        body = bytes(buffer[start : start + length])
        del buffer[: start + length]
        self.head, self.continued = None, False
        try:
            request = httpx.Request(
                head.method, self.server.origin + head.target, headers=head.fields, content=body
            )
        except (httpx.InvalidURL, ValueError):
            raise _BadRequest(400) from None
        return request, head.keep_alive

    def _head(self) -> _Head | None:
        """The request head at the start of the buffer (RFC 9112 §3, §5), or ``None`` if it has
        not all arrived."""
        buffer = self.buffer
        end = buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(buffer) > _MAX_HEAD:
                raise _BadRequest(431)
            return None
        lines = buffer[:end].decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1.") or not parts[1].startswith("/"):
            raise _BadRequest(400)
        method, target, version = parts
        fields: list[tuple[str, str]] = []
        length = 0
        connection = expect = ""
        for line in lines[1:]:
            name, colon, value = line.partition(":")
            if not colon or not name or name[-1] in " \t":  # RFC 9112 §5.1: no space before ':'
                raise _BadRequest(400)
            value = value.strip(" \t")
            key = name.lower()
            if key == "content-length":
                if not value.isdigit():
                    raise _BadRequest(400)
                length = int(value)
            elif key == "transfer-encoding":
                raise _BadRequest(501)
            elif key == "connection":
                connection = value.lower()
            elif key == "expect":
                expect = value.lower()
            if key != "host":  # httpx writes Host from the URL
                fields.append((name, value))
        if version == "HTTP/1.1":
            keep_alive = "close" not in connection
        else:
            keep_alive = "keep-alive" in connection
        return _Head(method, target, fields, end + 4, length, keep_alive, expect == "100-continue")

    def _start(self, request: httpx.Request, keep_alive: bool) -> None:
        """Count the request on arrival (as a CRM counts it), then answer after the latency."""
        self.busy = True
        emulator = self.emulator
        wait = emulator.admit(request)
        delay = emulator.latency()
        if delay:
            self.server.loop.call_later(delay, self._answer_later, request, wait, keep_alive)
        else:
            self._answer(request, wait, keep_alive)

    def _answer_later(self, request: httpx.Request, wait: float, keep_alive: bool) -> None:
        self._answer(request, wait, keep_alive)
        if not self.busy:
            self._next()

    def _answer(self, request: httpx.Request, wait: float, keep_alive: bool) -> None:
        emulator = self.emulator
        try:
            response = emulator.dispatch(request, rate_wait=wait)
        except httpx.TransportError:  # a dropped connection: no answer
            self.close()
            return
        except Exception:  # an emulator bug: answer as the CRM would, keep serving
            _log.exception(
                "%s emulator failed on %s %s", emulator.name, request.method, request.url.path
            )
            response = emulator.server_error_response()
        if self.transport is None or self.transport.is_closing():  # the client hung up meanwhile
            return
        content = response.content
        status = response.status_code
        head = [f"HTTP/1.1 {status} {_REASONS.get(status, '')}\r\n".encode("latin-1")]
        dated = False
        for key, value in response.headers.raw:
            lower = key.lower()
            if lower in _OWN_FIELDS:
                continue
            dated = dated or lower == b"date"
            head += (key, b": ", value, b"\r\n")
        if not dated:
            head += (b"date: ", self.server.date(), b"\r\n")
        head.append(b"content-length: %d\r\n" % len(content))
        if not keep_alive:
            head.append(b"connection: close\r\n")
        head.append(b"\r\n")
        fault = response.extensions.get(FAULT) if request.method != "HEAD" else None
        if request.method == "HEAD":
            self.transport.write(b"".join(head))
        elif fault == "cut_body":
            self.transport.write(b"".join(head) + content[: len(content) // 2])
            self.close()
            return
        elif fault == "drip" and content:
            self.transport.write(b"".join(head))
            self._drip(content, 0, keep_alive)
            return
        else:
            head.append(content)
            self.transport.write(b"".join(head))
        self._done(keep_alive)

    def _drip(self, content: bytes, i: int, keep_alive: bool) -> None:
        """One byte, then the next after ``drip_interval`` seconds (the byte after the last ends
        the answer)."""
        if self.transport is None or self.transport.is_closing():
            return
        if i == len(content):
            self._done(keep_alive)
            self._next()
            return
        self.transport.write(content[i : i + 1])
        interval = self.emulator.faults.drip_interval
        self.server.loop.call_later(interval, self._drip, content, i + 1, keep_alive)

    def _done(self, keep_alive: bool) -> None:
        self.busy = False
        if not keep_alive:
            self.close()

    def _refuse(self, status: int) -> None:
        """A request that cannot be read: its status, then the connection closes (the bytes that
        follow cannot be framed)."""
        if self.transport is not None and not self.closed:
            reason = _REASONS.get(status, "")
            self.transport.write(
                f"HTTP/1.1 {status} {reason}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".encode()
            )
        self.close()

    def close(self) -> None:
        self.busy = True  # nothing more is read from this connection
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()  # sends what is buffered, then closes


class EmulatorServer:
    """An emulator served over HTTP on loopback, in a daemon thread (:meth:`start`, or use as a
    context manager), or from a command in the calling thread (:meth:`serve_forever`, until
    :meth:`stop` from another thread, ``KeyboardInterrupt`` or ``SystemExit``)."""

    #: Connections served at once; more wait in the listen backlog.
    max_connections = 64
    #: The former name of :attr:`max_connections` (a thread served each connection).
    max_threads = max_connections

    def __init__(self, emulator: Emulator, host: str, port: int) -> None:
        self.emulator = emulator
        #: The listening socket (``socket``, ``request_queue_size``, ``server_close()``).
        self.httpd = _Listener((host, port), self.max_connections)
        address = self.httpd.server_address
        self.host: str = str(address[0])
        self.port: int = int(address[1])
        authority = f"[{self.host}]" if ":" in self.host else self.host
        #: What a request target is appended to, for the emulator's ``httpx.Request``.
        self.origin = f"http://{authority}:{self.port}"
        self.date = _Date()
        self.connections: set[_Connection] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._running = threading.Event()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        assert self._loop is not None
        return self._loop

    @property
    def url(self) -> str:
        return self.origin

    def start(self) -> EmulatorServer:
        self._thread = threading.Thread(
            target=self.serve_forever, name=f"{self.emulator.name} emulator", daemon=True
        )
        self._thread.start()
        self._running.wait()
        return self

    def serve_forever(self) -> None:
        loop = asyncio.SelectorEventLoop()  # add_reader on every platform (not the Proactor)
        self._loop = loop
        try:
            self.httpd.attach(loop, lambda: _Connection(self))
            loop.call_soon(self._running.set)
            loop.run_forever()
        finally:
            self._running.set()
            self.httpd.server_close()
            with contextlib.suppress(Exception):
                loop.run_until_complete(self._close_connections(1.0))
            loop.close()

    async def _close_connections(self, grace: float) -> None:
        """Close every connection: what is already written is sent for ``grace`` seconds, then the
        rest are reset."""
        loop = asyncio.get_running_loop()
        for connection in list(self.connections):
            connection.close()
        deadline = loop.time() + grace
        while self.connections and loop.time() < deadline:
            await asyncio.sleep(0.01)
        for connection in list(self.connections):
            if connection.transport is not None:
                connection.transport.abort()
        await asyncio.sleep(0)

    def stop(self) -> None:
        """Stop listening, close every connection, and end :meth:`serve_forever`."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # closed meanwhile
                loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(10)
        self.httpd.server_close()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
