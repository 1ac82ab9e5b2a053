"""Every citation in a docstring, comment or message of the code resolves in the repository.

A citation is a Markdown path (``docs/reference/attio.md``) optionally followed by sections
(``§3``, ``§13.9``, ``§A.4``). The path must exist under the repository root, and each section must be
a heading of that file (``## 3. …``, ``### 13.9 …``). A ``§`` must belong to a path or to an RFC
(``RFC 9110 §5.6.7``): a bare ``DESIGN §4`` or ``reference §3`` names a document the reader
does not have. The confidence tags (``[KZ-LIVE]``…) must be explained in docs/reference/kizen.md.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCANNED = ("crmbridge", "plugins", "tests", "bench")

#: A Markdown path, possibly with a glob (``docs/emulators/*.md``).
_PATH = re.compile(r"(?<![\w/.*-])((?:[\w*-]+/)+[\w*-]+\.md|(?<=reference )[\w-]+\.md)\b")
#: What a section sign can belong to: a path, an RFC, or a word naming a document we do not have.
_OWNER = re.compile(
    r"(?P<path>(?:[\w*-]+/)*[\w*-]+\.md)|(?P<rfc>RFC\s?\d+)|(?P<bare>\b(?:DESIGN|reference|anchors)\b)"
)
_SECTION = re.compile(r"§\s?([A-Z0-9]+(?:\.\d+)*)")
_HEADING = re.compile(r"^#+\s+§?([A-Z0-9]+(?:\.\d+)*)[.\s]", re.M)
_TAG = re.compile(r"\[(SEED|DOC|KZ-LIVE|KZ|3P)\]")
#: String tokens (f-strings are split into parts from Python 3.12 on).
_STRINGS = {tokenize.STRING, getattr(tokenize, "FSTRING_MIDDLE", tokenize.STRING)}


def _python_files() -> list[Path]:
    files: list[Path] = []
    for top in SCANNED:
        files.extend(p for p in (ROOT / top).rglob("*.py") if ".venv" not in p.parts)
    return sorted(f for f in files if f != Path(__file__).resolve())


def _chunks(path: Path) -> Iterator[tuple[int, str]]:
    """(line, text) of each string literal and each block of consecutive comment lines."""
    source = path.read_text(encoding="utf-8")
    block: list[str] = []
    start = last = 0
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            if block and tok.start[0] == last + 1:
                block.append(tok.string)
            else:
                if block:
                    yield start, "\n".join(block)
                block, start = [tok.string], tok.start[0]
            last = tok.start[0]
        elif tok.type in _STRINGS:
            yield tok.start[0], tok.string
    if block:
        yield start, "\n".join(block)


@cache
def _headings(path: Path) -> frozenset[str]:
    return frozenset(_HEADING.findall(path.read_text(encoding="utf-8")))


def _resolve(path: str) -> list[Path]:
    return sorted(ROOT.glob(path)) if "*" in path else [p for p in [ROOT / path] if p.is_file()]


def problems(text: str) -> list[str]:
    """What is wrong with the citations in one chunk of text."""
    found: list[str] = []
    for m in _PATH.finditer(text):
        if not _resolve(m.group(1)):
            found.append(f"{m.group(1)} is not a file of the repository")
    for m in _SECTION.finditer(text):
        owners = list(_OWNER.finditer(text, 0, m.start()))
        owner = owners[-1] if owners else None
        if owner is None or owner.group("bare"):
            word = owner.group("bare") if owner else "nothing"
            found.append(f"§{m.group(1)} belongs to {word!r}, not to a file of the repository")
        elif owner.group("path"):
            files = _resolve(owner.group("path"))
            if files and not any(m.group(1) in _headings(f) for f in files):
                found.append(f"{owner.group('path')} has no section {m.group(1)}")
    return found


def test_every_citation_resolves() -> None:
    bad = [
        f"{path.relative_to(ROOT)}:{line}: {problem}"
        for path in _python_files()
        for line, text in _chunks(path)
        for problem in problems(text)
    ]
    assert not bad, "\n".join(bad)


def test_confidence_tags_are_explained() -> None:
    legend = (ROOT / "docs" / "reference" / "kizen.md").read_text(encoding="utf-8")
    used = {tag for path in _python_files() for _, t in _chunks(path) for tag in _TAG.findall(t)}
    assert used, "no tag found: the scan is broken"
    missing = sorted(tag for tag in used if f"**[{tag}]**" not in legend)
    assert not missing, f"tags not explained in docs/reference/kizen.md: {missing}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("(docs/reference/attio.md §3, §4)", []),
        ("RFC 9110 §5.6.7", []),
        ("docs/emulators/*.md", []),
        ("(DESIGN §4)", ["§4 belongs to 'DESIGN', not to a file of the repository"]),
        ("(reference §3)", ["§3 belongs to 'reference', not to a file of the repository"]),
        ("see §3", ["§3 belongs to 'nothing', not to a file of the repository"]),
        ("reference attio.md §3", ["attio.md is not a file of the repository"]),
        ("docs/reference/attio.md §99", ["docs/reference/attio.md has no section 99"]),
    ],
)
def test_the_checker_catches_what_it_should(text: str, expected: list[str]) -> None:
    assert problems(text) == expected
