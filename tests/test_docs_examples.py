"""The Python examples of README.md and docs/ run as printed (issue #19).

Every ```python block runs, in page order, each page in one namespace of its own and in an empty
working directory, with no credential in the environment: examples use the emulators. A block that
cannot run here says why in an HTML comment just above it (``<!-- not run: needs a live Attio
token -->``); a block that defines ``test_`` functions is run by pytest. The plugin tutorial, which
builds a whole package, has its own test (tests/test_docs_tutorial.py).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
#: Pages tested elsewhere (they build files, not run snippets).
ELSEWHERE = {ROOT / "docs" / "plugins" / "tutorial.md"}

_BLOCK = re.compile(
    r"(?:<!-- (?P<note>[^>]*?) -->\n)?^```python[^\n]*\n(?P<code>.*?)^```", re.S | re.M
)
_NOT_RUN = re.compile(r"not run: \S")

pytest_plugins = ["pytester"]


@attrs.frozen
class Example:
    page: Path
    line: int
    code: str
    note: str

    @property
    def runs(self) -> bool:
        return not self.note.startswith("not run")

    @property
    def is_test(self) -> bool:
        return bool(re.search(r"^def test_", self.code, re.M))


def examples(page: Path) -> Iterator[Example]:
    text = page.read_text(encoding="utf-8")
    for m in _BLOCK.finditer(text):
        line = text.count("\n", 0, m.start("code"))
        yield Example(page, line, m.group("code"), m.group("note") or "")


def _pages() -> list[Path]:
    return [p for p in PAGES if p not in ELSEWHERE and any(examples(p))]


def _id(page: Path) -> str:
    return str(page.relative_to(ROOT))


@pytest.fixture
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working directory and no credentials: examples must not reach a real CRM."""
    for name in list(os.environ):
        if name.startswith(("ATTIO_", "KIZEN_", "CRMBRIDGE_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("page", _pages(), ids=_id)
def test_page_examples_run(page: Path, clean_env: Path, pytester: pytest.Pytester) -> None:
    namespace: dict[str, object] = {"__name__": "__docs__"}
    for example in examples(page):
        where = f"{_id(page)}:{example.line}"
        if not example.runs:
            assert _NOT_RUN.match(example.note), f"{where}: say why the block is not run"
            continue
        if example.is_test:
            pytester.makepyfile(**{f"test_example_{example.line}": example.code})
            result = pytester.runpytest_inprocess(
                "-p", "no:cacheprovider", f"test_example_{example.line}.py"
            )
            assert result.ret == 0, f"{where}:\n{result.stdout.str()}"
            continue
        compiled = compile(example.code, where, "exec")
        exec(compiled, namespace)


def test_every_page_with_python_is_covered() -> None:
    """No page with Python examples escapes: every one is run here or named in ELSEWHERE."""
    with_python = {p for p in PAGES if any(examples(p))}
    assert with_python == set(_pages()) | (ELSEWHERE & with_python)
    assert ROOT / "README.md" in with_python


def test_not_run_needs_a_reason(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("<!-- not run -->\n```python\nraise SystemExit(1)\n```\n", encoding="utf-8")
    (example,) = examples(page)
    assert not example.runs
    assert not _NOT_RUN.match(example.note)
