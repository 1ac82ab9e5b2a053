"""Emulators served by ``crmbridge emulate`` in a process of their own.

For tests that need the emulator to outlive the process under test (kill-and-resume tests), or that
drive it with a client in another language or library exactly as a user would.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["served_emulator"]

_URL = re.compile(r"http://127\.0\.0\.1:\d+")


@contextmanager
def served_emulator(provider: str, *args: str, timeout: float = 30.0) -> Iterator[str]:
    """Run ``crmbridge emulate PROVIDER --port 0 ARGS...`` and yield its base URL; the process is
    interrupted (Ctrl-C) on exit."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "crmbridge.cli", "emulate", provider, "--port", "0", *args],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stderr is not None
        deadline = time.monotonic() + timeout
        url = None
        while url is None and time.monotonic() < deadline:
            line = proc.stderr.readline()
            if not line and proc.poll() is not None:
                raise RuntimeError(f"crmbridge emulate {provider} exited with {proc.returncode}")
            found = _URL.search(line)
            url = found.group(0) if found else None
        if url is None:
            raise RuntimeError(f"crmbridge emulate {provider} did not start in {timeout} s")
        yield url
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
