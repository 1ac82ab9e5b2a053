"""The plugin contract: the core names no provider; provider facts come from the plugins."""

from __future__ import annotations

import ast
from pathlib import Path

import crmbridge

CORE = Path(crmbridge.__file__).parent
NAMES = ("attio", "kizen")
#: The Attio → Kizen demo is an example by design (``crmbridge demo``).
EXAMPLES = {"demo.py"}


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def _example(text: str) -> bool:
    """A command line or an "e.g." in a message or help text is an example."""
    return "crmbridge " in text or "e.g." in text


def test_the_core_names_no_provider_outside_docstrings_and_examples() -> None:
    found = []
    for path in sorted(CORE.rglob("*.py")):
        if path.name in EXAMPLES:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docs = _docstrings(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if id(node) in docs or _example(node.value):
                    continue
                text = node.value
            elif isinstance(node, ast.Name):
                text = node.id
            elif isinstance(node, ast.Attribute):
                text = node.attr
            elif isinstance(node, ast.arg):
                text = node.arg
            elif isinstance(node, ast.FunctionDef | ast.ClassDef):
                text = node.name
            else:
                continue
            if any(name in text.lower() for name in NAMES):
                found.append(f"{path.relative_to(CORE.parent)}:{node.lineno}: {text[:60]!r}")
    assert not found, "provider names in core code:\n" + "\n".join(found)


def test_each_provider_declares_its_emulators_port_and_options() -> None:
    from crmbridge.plugins import providers

    for name, info in providers().items():
        if info.cls.ships_emulator():
            assert info.cls.emulator_port, name
            assert all(o.help for o in info.cls.emulator_options), name
