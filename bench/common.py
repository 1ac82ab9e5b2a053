"""What every benchmark script shares: arguments, the header, figures, emulators, request counts.

Each script in ``bench/`` measures one figure of issue #10 *side by side with its baseline in the
same process run*, so that the noise of a shared 2-core machine hits both alike. Each prints

* a header: the command line that reproduces it, the date and the machine;
* its own table of measurements;
* one line per figure, ``figure <name> <value> target <op><number>``, for programs to read
  (:func:`print_figures`).

Scripts import this module as ``common`` (``uv run python bench/<name>.py`` puts ``bench/`` first on
``sys.path``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import platform
import shlex
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs
import httpx

import crmbridge
from crmbridge.emulation import Emulator, RateLimits
from crmbridge.plugins import get_provider
from crmbridge.provider import KIND

__all__ = [
    "BENCH",
    "ROOT",
    "SCALED_LIMITS",
    "Figure",
    "RequestLog",
    "emulator",
    "parser",
    "peak_rss_kib",
    "print_figures",
    "print_header",
    "profiled",
    "stopwatch",
]

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
#: Attio's published limits (docs/reference/attio.md §6: 100 reads/s, 25 writes/s) scaled by 10, so a
#: 5,000-record run takes seconds, not minutes. Kizen publishes none: the same limits are applied
#: to it, so both directions are measured against the same ceiling.
SCALE = 10
SCALED_LIMITS = RateLimits(reads=100, writes=25).scaled(SCALE)

# A retried request shows in the request counts; stamina's warning line per retry is noise here.
logging.getLogger("stamina").setLevel(logging.ERROR)


def parser(doc: str | None) -> argparse.ArgumentParser:
    """An argument parser with the description from the script's docstring and ``--quick`` (a tiny
    configuration that proves the script still works; its figures mean nothing)."""
    first = (doc or "").strip().split("\n\n")[0]
    p = argparse.ArgumentParser(description=first)
    p.add_argument("--quick", action="store_true", help="tiny sizes: a smoke test, not a figure")
    return p


def print_header(title: str) -> None:
    """The command line that reproduces this output, the date and the machine."""
    script = Path(sys.argv[0]).resolve()
    try:
        shown = str(script.relative_to(ROOT))
    except ValueError:
        shown = str(script)
    command = shlex.join(["uv", "run", "python", shown, *sys.argv[1:]])
    print(f"# {title}")
    print(f"command: {command}")
    print(f"date:    {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC")
    print(f"machine: {machine()}")
    print()


def machine() -> str:
    """CPU model, cores, OS and Python: enough to tell two machines apart."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{model}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, crmbridge {crmbridge.__version__}"
    )


@attrs.frozen
class Figure:
    """One figure of issue #10 and its target: ``value op target`` is the goal."""

    name: str
    value: float
    op: str  # ">=" or "<="
    target: float

    @property
    def met(self) -> bool:
        return self.value >= self.target if self.op == ">=" else self.value <= self.target

    def line(self) -> str:
        return f"figure {self.name} {self.value:.3g} target {self.op}{self.target:g}"


def print_figures(figures: list[Figure]) -> None:
    """The machine-readable summary, one ``figure …`` line per figure, last in the output."""
    print()
    for f in figures:
        print(f.line())


@contextmanager
def profiled(path: str | None) -> Iterator[None]:
    """Profile the block with pyinstrument into ``path`` (HTML, or text for ``.txt``); no-op for
    ``None``. Scripts expose it as ``--profile FILE``."""
    if path is None:
        yield
        return
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.001, async_mode="enabled")
    profiler.start()
    try:
        yield
    finally:
        profiler.stop()
        if path.endswith(".txt"):
            Path(path).write_text(profiler.output_text(show_all=False))
        else:
            profiler.write_html(path)
        print(f"profile written to {path}")


@contextmanager
def stopwatch() -> Iterator[list[float]]:
    """``with stopwatch() as t: ...`` then ``t[0]`` is the wall time in seconds."""
    box = [0.0]
    start = time.perf_counter()
    try:
        yield box
    finally:
        box[0] = time.perf_counter() - start


def peak_rss_kib() -> int:
    """This process's peak resident set size (``VmHWM`` in ``/proc/self/status``), in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status (Linux only)")


def emulator(provider: str, **options: Any) -> Emulator:
    """A fresh in-process emulator of ``provider`` (``seed=``, ``latency_ms=``, ``rate_limits=``)."""
    return get_provider(provider).create_emulator(**options)


@attrs.define
class RequestLog:
    """``on_request`` hook: every request a bridge actually sent, by kind and by
    ``METHOD /path`` (ids in paths kept: callers that want templates group themselves)."""

    by_kind: Counter[str] = attrs.field(factory=Counter)
    by_route: Counter[str] = attrs.field(factory=Counter)

    def __call__(self, request: httpx.Request) -> None:
        self.by_kind[request.extensions.get(KIND, "write")] += 1
        self.by_route[f"{request.method} {request.url.path}"] += 1

    @property
    def total(self) -> int:
        return sum(self.by_kind.values())

    def clear(self) -> None:
        self.by_kind.clear()
        self.by_route.clear()


class Served:
    """A bench's emulator in a process of its own (``script`` run with ``args``), for a ``with``
    block: the child prints ``{"url", "credentials", ...}`` on its first line (``info``),
    ``extra_lines`` more JSON lines after it (``extra``), and serves until its standard input
    closes; its last line at exit is ``stats`` (e.g. the 429s it answered)."""

    def __init__(self, script: str, *args: str, extra_lines: int = 0) -> None:
        self.process = subprocess.Popen(
            [sys.executable, script, *args],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert self.process.stdout is not None
        self.info: dict[str, Any] = json.loads(self.process.stdout.readline())
        self.url: str = self.info["url"]
        self.credentials: dict[str, str] = self.info["credentials"]
        self.extra: list[Any] = [json.loads(self.process.stdout.readline())
                                 for _ in range(extra_lines)]  # fmt: skip
        self.stats: dict[str, Any] = {}

    def __enter__(self) -> Served:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        out, _ = self.process.communicate("", timeout=120)
        lines = out.strip().splitlines()
        try:
            self.stats = json.loads(lines[-1]) if lines else {}
        except json.JSONDecodeError:  # a child that prints no figures at exit
            self.stats = {}
