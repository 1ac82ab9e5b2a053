"""The lowest versions the metadata allows are tested (issue #19).

A copy of the project is resolved with ``uv sync --resolution lowest-direct`` (every direct
dependency at its floor: ``stamina>=25.1`` would install 25.1.0, which does not retry a 429 with
``Retry-After: 0``), and the suite runs there, lint excepted (old linters format differently). A
floor that fails is raised in pyproject.toml, never worked around.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
#: The runtime dependencies whose floors must be exactly what is installed at the lowest resolution.
CORE = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _floors() -> dict[str, str]:
    floors = {}
    for text in [*CORE["dependencies"], *CORE["optional-dependencies"]["cli"]]:
        req = Requirement(text)
        (spec,) = [s for s in req.specifier if s.operator == ">="]
        floors[req.name] = spec.version
    return floors


def test_every_runtime_dependency_has_a_floor() -> None:
    assert set(_floors()) == {
        "httpx",
        "attrs",
        "cattrs",
        "pluggy",
        "stamina",
        "tomlkit",
        "click",
        "rich",
        "sniffio",
        "orjson",
    }


def _copy_project(target: Path) -> None:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if listed.returncode != 0:
        pytest.skip("not a git checkout")
    for name in filter(None, listed.stdout.split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


@pytest.mark.slow
def test_suite_passes_at_the_lowest_direct_versions(tmp_path: Path) -> None:
    uv = os.environ.get("UV") or shutil.which("uv")
    if not uv:
        pytest.skip("uv is not installed")
    project = tmp_path / "project"
    _copy_project(project)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "UV_"))}
    subprocess.run(
        [uv, "sync", "--resolution", "lowest-direct", "--quiet"],
        cwd=project,
        env=env,
        check=True,
        capture_output=True,
        timeout=600,
    )
    listed = subprocess.run(
        [uv, "pip", "list", "--format", "json"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    installed = {p["name"].lower(): p["version"] for p in json.loads(listed.stdout)}
    at = {name: Version(installed[name]) for name in _floors()}
    assert at == {name: Version(v) for name, v in _floors().items()}, "not the floors"
    result = subprocess.run(
        [uv, "run", "--frozen", "pytest", "-q", "-m", "not slow", "--ignore=tests/test_quality.py",
         "-p", "no:cacheprovider"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-6000:]
