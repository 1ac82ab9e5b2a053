"""The four distributions are publishable (issue #19): a license, full metadata, a readme each with
links that work on PyPI, plugins pinned to a compatible core, the CLI's dependencies in an extra,
and built wheels that install with plain pip into a fresh venv and run the README's example."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
import venv
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
PROJECTS = [ROOT, *sorted(p.parent for p in (ROOT / "plugins").glob("*/pyproject.toml"))]
CORE_VERSION = Version(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"])


def _project(folder: Path) -> dict[str, Any]:
    return tomllib.loads((folder / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _ids(folder: Path) -> str:
    return folder.name if folder != ROOT else "crmbridge"


def test_four_distributions() -> None:
    names = {_project(p)["name"] for p in PROJECTS}
    assert names == {"crmbridge", "crmbridge-attio", "crmbridge-kizen", "crmbridge-sqlite"}


@pytest.mark.parametrize("folder", PROJECTS, ids=_ids)
def test_license(folder: Path) -> None:
    project = _project(folder)
    assert project["license"] == "MIT"
    files = project.get("license-files", [])
    assert files, "license-files names the license text, so the wheel carries it"
    for name in files:
        text = (folder / name).read_text(encoding="utf-8")
        assert text.startswith("MIT License")
        assert "Permission is hereby granted" in text


@pytest.mark.parametrize("folder", PROJECTS, ids=_ids)
def test_full_metadata(folder: Path) -> None:
    project = _project(folder)
    assert (folder / project["readme"]).is_file()
    assert project["description"]
    assert project["authors"]
    assert len(project["keywords"]) >= 3
    classifiers = project["classifiers"]
    for expected in (
        "Programming Language :: Python :: 3.11",
        "Typing :: Typed",
        "Operating System :: OS Independent",
    ):
        assert expected in classifiers
    assert any(c.startswith("Development Status ::") for c in classifiers)
    assert any(c.startswith("Topic ::") for c in classifiers)
    urls = project["urls"]
    assert {"Homepage", "Documentation", "Source", "Issues"} <= set(urls)
    assert all(u.startswith("https://") for u in urls.values())


@pytest.mark.parametrize("folder", PROJECTS[1:], ids=_ids)
def test_plugins_depend_on_a_compatible_core(folder: Path) -> None:
    (core,) = [
        Requirement(r) for r in _project(folder)["dependencies"] if r.startswith("crmbridge")
    ]
    assert core.name == "crmbridge"
    assert CORE_VERSION in core.specifier
    assert not core.specifier.contains(Version(f"{CORE_VERSION.major}.{CORE_VERSION.minor + 1}"))
    assert not core.specifier.contains(Version("0.0.1"))


def test_cli_dependencies_are_an_extra() -> None:
    project = _project(ROOT)
    core = {Requirement(r).name for r in project["dependencies"]}
    assert not core & {"click", "rich"}, "only the command needs click and rich"
    assert {Requirement(r).name for r in project["optional-dependencies"]["cli"]} == {
        "click",
        "rich",
    }


def test_the_readme_commands_bring_in_the_cli_extra() -> None:
    """`uv run crmbridge demo` installs the dev group, which includes the project with [cli]."""
    dev = tomllib.loads((ROOT / "pyproject.toml").read_text())["dependency-groups"]["dev"]
    assert any(Requirement(r).name == "crmbridge" and "cli" in Requirement(r).extras for r in dev)


_LINK = re.compile(r"\]\(([^)\s]+)\)")


@pytest.mark.parametrize("readme", [ROOT / "README.md", *sorted(ROOT.glob("plugins/*/README.md"))])
def test_readme_links_are_absolute(readme: Path) -> None:
    """PyPI renders the readme away from the repository: a relative link is a 404 there."""
    links = _LINK.findall(readme.read_text(encoding="utf-8"))
    assert links
    relative = [link for link in links if not link.startswith("https://")]
    assert not relative


@pytest.mark.parametrize("absent", [("click", "rich"), ("rich",)])
def test_library_imports_without_the_cli_extra(tmp_path: Path, absent: tuple[str, ...]) -> None:
    """The library (migrations included) works with click and rich absent; the command says which
    extra it needs instead of a traceback, also when only rich is missing (the command imports
    rich where it prints, issue 24)."""
    script = tmp_path / "no_cli.py"
    script.write_text(
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        f"        if name.split('.')[0] in {absent!r}:\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "import crmbridge, crmbridge.migrate, crmbridge.testing\n"
        "crm = crmbridge.connect('attio', emulator=True)\n"
        "print(len(crm.objects()))\n"
        "from crmbridge.__main__ import main\n"
        "main()\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "pip install 'crmbridge[cli]'" in result.stderr


def _uv() -> str:
    found = os.environ.get("UV") or shutil.which("uv")
    if not found:
        pytest.skip("uv is not installed")
    return found


def readme_example() -> str:
    """The README's first Python block."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```python\n(.*?)```", text, re.S)
    assert block is not None
    return block.group(1)


@pytest.mark.slow
def test_built_wheels_install_with_pip_and_run_the_readme(tmp_path: Path) -> None:
    """`uv build` the four wheels, `pip install` them into a fresh `python -m venv` (no uv, no
    workspace), then run the README's example and the command there."""
    dist = tmp_path / "dist"
    subprocess.run(
        [_uv(), "build", "--all-packages", "--wheel", "-o", str(dist), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    wheels = sorted(dist.glob("*.whl"))
    assert len(wheels) == 4, wheels
    for wheel in wheels:
        assert (
            "LICENSE"
            in subprocess.run(
                [sys.executable, "-m", "zipfile", "-l", str(wheel)], capture_output=True, text=True
            ).stdout
        )
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    core = next(w for w in wheels if w.name.startswith("crmbridge-0"))
    plugins = [str(w) for w in wheels if w != core]
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "UV"))}
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", f"{core}[cli]", *plugins],
        check=True,
        capture_output=True,
        timeout=600,
        env=clean,
    )
    (tmp_path / "example.py").write_text(readme_example(), encoding="utf-8")
    result = subprocess.run(
        [str(python), "example.py"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=clean,
    )
    assert result.returncode == 0, result.stderr
    assert "created" in result.stdout
    version = subprocess.run(
        [str(env_dir / "bin" / "crmbridge"), "--version"], capture_output=True, text=True, env=clean
    )
    assert version.returncode == 0, version.stderr
    assert str(CORE_VERSION) in version.stdout
