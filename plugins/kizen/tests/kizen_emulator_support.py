"""Helpers for the Kizen emulator tests: a client on an emulator, and the copied recordings.

``data/emulator/`` holds copies of ``/work/shared/recordings/kizen`` (``get_tax_lot.json`` and
``patients.excerpt.json`` are sanitized live captures; ``documented_examples.json`` are tagged doc/test
examples). Tests never read the shared folder.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
from crmbridge_kizen.emulator import KizenEmulator

DATA = Path(__file__).parent / "data" / "emulator"


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text())


def auth_headers(emulator: KizenEmulator) -> dict[str, str]:
    return emulator.auth_headers()


def client(emulator: KizenEmulator, *, auth: bool = True) -> httpx.Client:
    """An in-process client at the real base URL."""
    return emulator.client(auth=auth)


def add(c: httpx.Client, path: str, **fields: Any) -> dict[str, Any]:
    """Create a record at ``path`` (``POST …/add``, docs/reference/kizen.md §5) and return its body."""
    r = c.post(f"{path}/add", json={"fields": [{"name": k, "value": v} for k, v in fields.items()]})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def values(body: dict[str, Any]) -> dict[str, Any]:
    """``{api_name: value}`` of a record body (``value_summary`` when summarised)."""
    return {e["name"]: e.get("value", e.get("value_summary")) for e in body["fields"].values()}


def field_id(emulator: KizenEmulator, obj: str, name: str) -> str:
    return emulator.field(obj, name).id


def shape(value: Any) -> Any:
    """The JSON type skeleton of ``value`` (dict keys kept, scalars replaced by their type)."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(v) for v in value[:1]]
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if value is None:
        return "null"
    return type(value).__name__
