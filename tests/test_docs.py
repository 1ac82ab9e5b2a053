"""The documentation builds (mkdocs --strict) and stays true to the code: the generated support
matrix is current, every Capabilities field is documented, and the tutorial's conformance opt-in
runs as printed."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import attrs
import pytest

import crmbridge
from crmbridge.testing import matrix

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

pytest_plugins = ["pytester"]


def test_mkdocs_builds_strict(tmp_path: Path) -> None:
    """`mkdocs build --strict`: no broken link, no page missing from the nav, and an API
    reference generated from the docstrings that covers every public name."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "-q",
            "-f",
            str(ROOT / "mkdocs.yml"),
            "-d",
            str(tmp_path / "site"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    tutorial = (tmp_path / "site" / "plugins" / "tutorial" / "index.html").read_text()
    assert 'id="5-run-the-conformance-suite"' in tutorial, "pages link to this anchor"
    api = (tmp_path / "site" / "api" / "index.html").read_text()
    documented = set(re.findall(r'id="(crmbridge\.[\w.]+)"', api))
    public = {f"crmbridge.{n}" for n in crmbridge.__all__ if not n.startswith("_")}
    missing = sorted(public - documented)
    assert not missing, f"the API reference (docs/api.md, mkdocstrings) lacks {missing}"
    assert "crmbridge.rows.to_row" in documented


def test_support_matrix_is_current() -> None:
    """docs/providers/matrix.md is what `python -m crmbridge.testing.matrix` generates."""
    committed = (DOCS / "providers" / "matrix.md").read_text(encoding="utf-8")
    assert committed == matrix.render(matrix.installed()), (
        "docs/providers/matrix.md is out of date: run "
        "`uv run python -m crmbridge.testing.matrix docs/providers/matrix.md`"
    )
    assert matrix.main(["--check", str(DOCS / "providers" / "matrix.md")]) == 0


def test_matrix_never_overwrites_a_file_it_was_not_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """In a user's project, `python -m crmbridge.testing.matrix` prints; their
    docs/providers/matrix.md stays theirs."""
    monkeypatch.chdir(tmp_path)
    theirs = tmp_path / "docs" / "providers" / "matrix.md"
    theirs.parent.mkdir(parents=True)
    theirs.write_text("their own page\n", encoding="utf-8")
    assert matrix.main([]) == 0
    assert theirs.read_text(encoding="utf-8") == "their own page\n"
    assert capsys.readouterr().out == matrix.render(matrix.installed())


def test_matrix_check_fails_when_stale(tmp_path: Path) -> None:
    stale = tmp_path / "matrix.md"
    stale.write_text("# old\n")
    assert matrix.main(["--check", str(stale)]) == 1
    assert matrix.main([str(stale)]) == 0
    assert matrix.main(["--check", str(stale)]) == 0


def test_matrix_reads_capabilities() -> None:
    """A cell follows the declaration: no archive capability, no archive()."""
    table = {row[0]: row[1:] for row in matrix.rows(matrix.installed())}
    names = list(matrix.installed())
    attio, kizen = names.index("attio"), names.index("kizen")
    assert table["`archive()`"][attio] == matrix.NO
    assert table["`archive()`"][kizen] == matrix.YES
    assert table["`delete()`"][kizen] == matrix.NO
    assert table["`remove()`"][attio] == "✓ emulated"


def test_matrix_names_the_option_that_turns_a_capability_on() -> None:
    """Kizen's tasks and notes need an activity type named at connect(): "✓ with `option`",
    not "—" (the class alone declares neither)."""
    table = {row[0]: row[1:] for row in matrix.rows(matrix.installed())}
    kizen = list(matrix.installed()).index("kizen")
    assert table["tasks"][kizen] == "✓ with `task_activity`"
    assert table["read notes"][kizen] == "✓ with `note_activity`"
    assert table["`create_note()`"][kizen] == matrix.NO


def test_every_capability_is_documented() -> None:
    """Each field of crmbridge.Capabilities has a row in docs/plugins/capabilities.md."""
    text = (DOCS / "plugins" / "capabilities.md").read_text(encoding="utf-8")
    missing = [
        a.name for a in attrs.fields(crmbridge.Capabilities) if f"| `{a.name}` |" not in text
    ]
    assert not missing, f"undocumented Capabilities fields: {missing}"


def _tutorial_opt_in() -> str:
    text = (DOCS / "plugins" / "tutorial.md").read_text(encoding="utf-8")
    section = text.split("## 5. Run the conformance suite", 1)[1]
    block = re.search(r"```python\n(# tests/test_conformance.py\n.*?)```", section, re.S)
    assert block is not None, "the tutorial's opt-in snippet is gone"
    return block.group(1)


def test_tutorial_opt_in_is_about_ten_lines() -> None:
    code = [line for line in _tutorial_opt_in().splitlines() if line.strip()]
    assert len(code) <= 14, f"the opt-in grew to {len(code)} lines"


def test_tutorial_opt_in_runs(pytester: pytest.Pytester) -> None:
    """The snippet, pointed at a real provider, collects the whole suite and passes (a sample
    of it here, sync and async)."""
    code = _tutorial_opt_in().replace('"acme"', '"attio"').replace('"contacts"', '"people"')
    pytester.makepyfile(test_conformance=code)
    result = pytester.runpytest_inprocess(
        "-p", "no:cacheprovider", "-k", "test_created or test_objects_are_neutral or round_trip"
    )
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) == 0, result.stdout.str()
    assert outcomes.get("passed", 0) >= 4
