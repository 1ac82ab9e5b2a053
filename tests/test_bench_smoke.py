"""The benchmark scripts still run: each in its tiny ``--quick`` configuration, all at once.

Not a timed test: the figures of a quick run mean nothing and are not checked, only that each
script ends with its machine-readable ``figure <name> <value> target <op><number>`` lines.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
SCRIPTS = [
    "migration.py",
    "codec.py",
    "memory.py",
    "requests_per_verb.py",
    "feeds.py",
    "emulator_start.py",
    "startup.py",
    "sync_latency.py",
    "migration_http.py",
    "lookups.py",
    "emulator_server.py",
    "peers.py",  # --quick uses the attio SDK's environment only if a full run made it
    "kizen_target.py",
    "engine_memory.py",
    *(["shared_limit.py"] if shutil.which("redis-server") else []),  # starts a redis-server
]
FIGURE = re.compile(r"^figure [a-z0-9_]+ -?[0-9.e+-]+ target (<=|>=)-?[0-9.]+$")


@pytest.fixture(scope="module")
def outputs() -> dict[str, subprocess.CompletedProcess[str]]:
    """Every script's ``--quick`` run, started together so the module takes the slowest one."""
    running = {
        name: subprocess.Popen(
            [sys.executable, str(BENCH / name), "--quick"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in SCRIPTS
    }
    done = {}
    for name, proc in running.items():
        out, err = proc.communicate(timeout=120)
        done[name] = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    return done


@pytest.mark.parametrize("script", SCRIPTS)
def test_quick_run_prints_figures(
    outputs: dict[str, subprocess.CompletedProcess[str]], script: str
) -> None:
    result = outputs[script]
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    assert lines[1].startswith(f"command: uv run python bench/{script} --quick")
    figures = [line for line in lines if line.startswith("figure ")]
    assert figures, result.stdout[-2000:]
    assert all(FIGURE.match(line) for line in figures), figures
    assert lines[-len(figures) :] == figures  # the figures end the output
