"""The examples of docs/migrate.md sections 7-11 (options, users, absent fields, verify, custom
transforms) run as written: Python blocks are executed, TOML blocks parse as mappings."""

from __future__ import annotations

import re
import tomllib
import types
from pathlib import Path
from typing import Any

import pytest

from crmbridge.migrate import parse_mapping
from crmbridge.plugins import register_plugin, unregister_plugin

DOC = Path(__file__).parents[2] / "docs" / "migrate.md"
SECTIONS = ("## 7.", "## 8.", "## 9.", "## 10.", "## 11.")


def _blocks() -> list[tuple[str, str]]:
    text = DOC.read_text(encoding="utf-8")
    parts = re.split(r"(?m)^(?=## )", text)
    mine = [p for p in parts if p.startswith(SECTIONS)]
    assert len(mine) == len(SECTIONS), "docs/migrate.md lost a section this test runs"
    return [(m[1], m[2]) for p in mine for m in re.finditer(r"```(\w+)\n(.*?)```", p, re.S)]


def test_the_examples_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    blocks = _blocks()
    assert {lang for lang, _ in blocks} >= {"python", "toml", "bash"}
    namespace: dict[str, Any] = {}
    plugin = None
    try:
        for lang, code in blocks:
            if lang == "python":
                namespace = {"__name__": "docs_example"}
                exec(compile(code, str(DOC), "exec"), namespace)
                if "crmbridge_register_transforms" in namespace:
                    plugin = types.SimpleNamespace(
                        crmbridge_register_transforms=namespace["crmbridge_register_transforms"]
                    )
                    register_plugin(plugin, name="docs-example-transforms")
            elif lang == "toml":
                mapping = parse_mapping(tomllib.loads(code))
                assert mapping.objects
        assert plugin is not None, "the plugin example was not run"
    finally:
        if plugin is not None:
            unregister_plugin(name="docs-example-transforms")
