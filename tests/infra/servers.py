"""Throwaway PostgreSQL and Redis servers for the tests that need real ones (issue 22).

One server of each per test session, started from the Debian packages' binaries in a temporary
folder on 127.0.0.1 with a free port, stopped at the end; each test gets a fresh database (or a
flushed Redis database). Where the binaries cannot be found the tests that need them are skipped,
saying which package to install (``.ci/run`` installs them). The approach is the one of
``testing.postgresql`` / ``pytest-postgresql``: ``initdb`` into a temporary folder, then
``postgres -D`` in the foreground (https://www.postgresql.org/docs/15/app-initdb.html,
https://www.postgresql.org/docs/15/app-postgres.html). PostgreSQL refuses to run as root, so as
root it runs as the ``postgres`` system user the Debian package creates.

The PostgreSQL user has a password (scram-sha-256 over TCP), so the URLs the tests use carry a
secret, as a user's would, and the tests can check it never leaks.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

#: The password of the tests' PostgreSQL user: a stand-in secret the tests look for in outputs.
PG_PASSWORD = "pg-s3cret-not-for-logs"
PG_USER = "crmbridge"

_PG_HINT = "install the Debian package postgresql (.ci/run installs it)"
_REDIS_HINT = "install the Debian package redis-server (.ci/run installs it)"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def postgres_bin() -> Path | None:
    """The folder holding ``initdb`` and ``postgres``: on PATH, else the newest
    /usr/lib/postgresql/*/bin (Debian puts them there, off PATH)."""
    found = shutil.which("initdb")
    if found and shutil.which("postgres"):
        return Path(found).resolve().parent
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name)
    )
    for folder in reversed(candidates):
        if (Path(folder) / "initdb").exists() and (Path(folder) / "postgres").exists():
            return Path(folder)
    return None


def _wait(ready: Callable[[], bool], proc: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode} before it was ready")
        if ready():
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} was not ready in 30 s")


def _stop(proc: subprocess.Popen[bytes], sig: int) -> None:
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


class PostgresServer:
    """A PostgreSQL cluster in a temporary folder, served on 127.0.0.1:``port``."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="crmbridge-pg-"))
        self.data = self.folder / "data"
        self._proc: subprocess.Popen[bytes] | None = None
        #: ``user``/``group`` for subprocess: who runs initdb and postgres.
        self._as: dict[str, int] = {}

    def url(self, database: str = "postgres", *, password: bool = True) -> str:
        secret = f":{PG_PASSWORD}" if password else ""
        return f"postgresql://{PG_USER}{secret}@127.0.0.1:{self.port}/{database}"

    def start(self) -> PostgresServer:
        if os.geteuid() == 0:  # postgres refuses root: run as the package's system user
            try:
                user = pwd.getpwnam("postgres")
            except KeyError:
                raise RuntimeError("running as root and there is no 'postgres' user") from None
            self._as = {"user": user.pw_uid, "group": user.pw_gid}
            os.chown(self.folder, user.pw_uid, user.pw_gid)
        pwfile = self.folder / "pw"
        pwfile.write_text(PG_PASSWORD)
        if self._as:
            os.chown(pwfile, self._as["user"], self._as["group"])
        subprocess.run(
            [
                str(self.bindir / "initdb"), "-D", str(self.data), "-U", PG_USER,
                "--pwfile", str(pwfile), "--auth-local=trust", "--auth-host=scram-sha-256",
                "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions",
            ],
            check=True, capture_output=True, cwd=self.folder, **self._as,  # type: ignore[call-overload]
        )  # fmt: skip
        self._proc = subprocess.Popen(
            [
                str(self.bindir / "postgres"), "-D", str(self.data), "-p", str(self.port),
                "-k", str(self.folder), "-c", "listen_addresses=127.0.0.1",
                "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
                "-c", "max_connections=200",
            ],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=self.folder, **self._as,  # type: ignore[call-overload]
        )  # fmt: skip
        _wait(self._ready, self._proc, "postgres")
        return self

    def _ready(self) -> bool:
        import psycopg

        try:
            psycopg.connect(self.url(), connect_timeout=2).close()
        except psycopg.OperationalError:
            return False
        return True

    def create_database(self) -> str:
        """A fresh, empty database; its name."""
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url(), autocommit=True) as db:
            db.execute(f"CREATE DATABASE {name}")
        return name

    def drop_database(self, name: str) -> None:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as db:
            db.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def stop(self) -> None:
        if self._proc is not None:
            _stop(self._proc, signal.SIGINT)  # "fast" shutdown
        shutil.rmtree(self.folder, ignore_errors=True)


class RedisServer:
    """A redis-server on 127.0.0.1:``port``, nothing written to disk."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.port = free_port()
        self._proc: subprocess.Popen[bytes] | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> RedisServer:
        self._proc = subprocess.Popen(
            [
                self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--daemonize", "no", "--databases", "64",
            ],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        _wait(self._ready, self._proc, "redis-server")
        return self

    def _ready(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def flush(self) -> None:
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
            s.sendall(b"FLUSHALL\r\n")
            s.recv(16)

    def stop(self) -> None:
        if self._proc is not None:
            _stop(self._proc, signal.SIGTERM)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the whole session (skips the test without the binaries)."""
    bindir = postgres_bin()
    if bindir is None:
        pytest.skip(f"PostgreSQL server binaries (initdb, postgres) not found: {_PG_HINT}")
    pytest.importorskip("psycopg", reason="psycopg is not installed (crmbridge[postgres])")
    server = PostgresServer(bindir)
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """The URL (password included) of a fresh database of the session's server."""
    name = postgres_server.create_database()
    try:
        yield postgres_server.url(name)
    finally:
        with contextlib.suppress(Exception):
            postgres_server.drop_database(name)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """One redis-server for the whole session (skips the test without the binary)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip(f"redis-server not found: {_REDIS_HINT}")
    server = RedisServer(binary)
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """The URL of the session's Redis, emptied for this test."""
    redis_server.flush()
    return redis_server.url()
