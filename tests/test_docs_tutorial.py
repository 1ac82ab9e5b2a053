"""The plugin tutorial builds and tests its plugin exactly as written (issue #19).

Every block whose first line names a file (``# crmbridge_acme/provider.py``; ``, continued``
appends) is written to that file under ``crmbridge-acme/``; then every ``bash`` block runs, in page
order, in one shell, from the folder the tutorial starts in. crmbridge itself comes from wheels
built from this checkout (as if it were on PyPI); everything else from the usual package index.
A block that is not a file and not run says why (``<!-- not run: … -->``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TUTORIAL = ROOT / "docs" / "plugins" / "tutorial.md"
PACKAGE = "crmbridge-acme"

_BLOCK = re.compile(
    r"(?:<!-- (?P<note>[^>]*?) -->\n)?^```(?P<lang>\w*)\n(?P<code>.*?)^```", re.S | re.M
)
_FILE = re.compile(r"# (?P<path>[\w./-]+\.(?:py|toml))(?P<more>, continued)?\n")


def tutorial_files() -> dict[str, str]:
    files: dict[str, str] = {}
    for m in _BLOCK.finditer(TUTORIAL.read_text(encoding="utf-8")):
        head = _FILE.match(m.group("code"))
        if head is None:
            continue
        path = head.group("path")
        if head.group("more"):
            assert path in files, f"{path}: continued before it starts"
            files[path] += "\n" + m.group("code")[head.end() :]
        else:
            assert path not in files, f"{path}: written twice"
            files[path] = m.group("code")
    return files


def tutorial_script() -> str:
    """The bash blocks that run, in page order; the others must say why they do not."""
    lines = ["set -euxo pipefail"]
    for m in _BLOCK.finditer(TUTORIAL.read_text(encoding="utf-8")):
        note, lang, code = m.group("note") or "", m.group("lang"), m.group("code")
        if note.startswith("not run"):
            assert re.match(r"not run: \S", note), f"say why the block is not run: {code[:40]}"
            continue
        if lang in ("bash", "sh"):
            lines.append(code)
        elif lang in ("python", "toml"):
            assert _FILE.match(code), f"a {lang} block that is no file must say 'not run: why'"
    return "\n".join(lines)


def test_tutorial_describes_a_whole_package() -> None:
    files = tutorial_files()
    assert set(files) == {
        "pyproject.toml",
        "crmbridge_acme/provider.py",
        "crmbridge_acme/emulator.py",
        "crmbridge_acme/plugin.py",
        "tests/test_conformance.py",
    }
    for path, code in files.items():
        if path.endswith(".py"):
            compile(code, path, "exec")
    script = tutorial_script()
    assert "pip install -e ." in script
    assert "pytest tests/test_conformance.py" in script


@pytest.mark.slow
def test_tutorial_builds_and_tests_its_plugin(tmp_path: Path) -> None:
    uv = os.environ.get("UV") or shutil.which("uv")
    if not uv:
        pytest.skip("uv is not installed")
    dist = tmp_path / "dist"
    subprocess.run(
        [uv, "build", "--package", "crmbridge", "--wheel", "-o", str(dist), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    for path, code in tutorial_files().items():
        target = tmp_path / PACKAGE / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(code, encoding="utf-8")
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "UV_", "PYTHON"))
    }
    env["PIP_FIND_LINKS"] = f"{dist} {os.environ.get('PIP_FIND_LINKS', '')}".strip()
    env["PATH"] = os.pathsep.join([str(Path(uv).parent), env.get("PATH", "")])
    result = subprocess.run(
        ["bash", "-c", tutorial_script()],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]
    assert re.search(r"\bacme\b.*\bcrmbridge-acme\b", result.stdout), result.stdout[-3000:]
    assert re.search(r"\d+ passed", result.stdout)
    assert " failed" not in result.stdout
    assert list((tmp_path / PACKAGE / "dist").glob("crmbridge_acme-0.1.0-*.whl"))
