"""Custom transforms (crmbridge/migrate/transforms.py): a Python callable, a plugin's transform
named from TOML, and a failing transform that fails its record, not the run (issue 23)."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from toy_provider import ToyCRM, ToyPlugin

import crmbridge as cb
from crmbridge.migrate import Report, migrate, parse_mapping
from crmbridge.plugin import hookimpl
from crmbridge.plugins import register_plugin, unregister_plugin


@pytest.fixture
def crms(toy_plugin: ToyPlugin) -> tuple[ToyCRM, ToyCRM]:
    src, dst = ToyCRM(), ToyCRM()
    for i in range(5):
        src.records[str(i)] = {"id": str(i), "email": f"p{i}@x.co", "name": f"p {i}"}
    return src, dst


def _mapping(name: Any, **kw: Any) -> Any:
    fields = {"email": "email", "name": {"to": "name", "transform": name}}
    return parse_mapping(
        {
            "objects": [
                {"source": "contacts", "target": "contacts", "match": "email", "fields": fields}
            ]
        },
        **kw,
    )


def _run(src: ToyCRM, dst: ToyCRM, tmp_path: Path, mapping: Any) -> Report:
    return migrate(
        cb.connect_async("toy", token=src.token, transport=httpx.MockTransport(src)),
        cb.connect_async("toy", token=dst.token, transport=httpx.MockTransport(dst)),
        mapping,
        state=tmp_path / "s.db",
        failures=tmp_path / "f.jsonl",
    )


def _names(dst: ToyCRM) -> dict[str, Any]:
    return {r["email"]: r.get("name") for r in dst.records.values()}


def test_a_python_callable_transforms_the_value(
    crms: tuple[ToyCRM, ToyCRM], tmp_path: Path
) -> None:
    src, dst = crms
    report = _run(src, dst, tmp_path, _mapping(str.title))
    assert report.failed == 0
    assert _names(dst)["p3@x.co"] == "P 3"


def test_a_transform_passed_by_name_in_python(crms: tuple[ToyCRM, ToyCRM], tmp_path: Path) -> None:
    src, dst = crms
    _run(src, dst, tmp_path, _mapping("shout", transforms={"shout": lambda v: f"{v}!"}))
    assert _names(dst)["p1@x.co"] == "p 1!"


def test_a_failing_transform_fails_that_record_with_its_message(
    crms: tuple[ToyCRM, ToyCRM], tmp_path: Path
) -> None:
    src, dst = crms

    def picky(value: str) -> str:
        if value.endswith("2"):
            raise ValueError("no twos here")
        return value.upper()

    report = _run(src, dst, tmp_path, _mapping(picky))
    assert report.failed == 1
    assert len(dst.records) == 4
    (line,) = [json.loads(x) for x in (tmp_path / "f.jsonl").read_text().splitlines()]
    assert line["source_id"] == "2"
    assert line["error"]["message"] == "transform 'picky' failed on field 'name': no twos here"


class _Plugin:
    @hookimpl
    def crmbridge_register_transforms(self, register: Any) -> None:
        register("reverse", lambda v: v[::-1] if isinstance(v, str) else v)


@pytest.fixture
def plugin() -> Iterator[None]:
    register_plugin(_Plugin(), name="reverse-transforms")
    yield
    unregister_plugin(name="reverse-transforms")


def test_a_plugin_transform_is_usable_by_name_from_toml(
    plugin: None, crms: tuple[ToyCRM, ToyCRM], tmp_path: Path
) -> None:
    src, dst = crms
    text = """
    [[objects]]
    source = "contacts"
    target = "contacts"
    match = "email"
    [objects.fields]
    email = "email"
    name = { to = "name", transform = "reverse" }
    """
    _run(src, dst, tmp_path, parse_mapping(tomllib.loads(text)))
    assert _names(dst)["p4@x.co"] == "4 p"


def test_an_unknown_transform_names_the_ones_there_are(plugin: None) -> None:
    with pytest.raises(cb.ValidationError) as info:
        _mapping("revers")
    assert "did you mean 'reverse'" in str(info.value)


def test_a_rerun_with_the_same_transform_sends_no_write(
    crms: tuple[ToyCRM, ToyCRM], tmp_path: Path
) -> None:
    """The next process builds a new function object: the run still knows its mapping."""
    src, dst = crms

    def title() -> Any:
        def title(value: str) -> str:
            return value.title()

        return title

    _run(src, dst, tmp_path, _mapping(title()))
    again = _run(src, dst, tmp_path, _mapping(title()))
    assert again.writes == 0
