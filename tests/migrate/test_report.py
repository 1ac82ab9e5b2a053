"""The migration report: counts per object, and references left empty."""

from __future__ import annotations

from rich.console import Console

from crmbridge.migrate import ObjectReport, Report


def _render(report: Report) -> str:
    console = Console(width=200, record=True)
    console.print(report.table())
    return console.export_text()


def test_unresolved_references_are_shown_when_there_are_some() -> None:
    people = ObjectReport("people->contacts")
    people.count("created")
    report = Report({"people->contacts": people})
    assert "unresolved" not in _render(report)
    people.unresolved = 2
    assert report.unresolved == 2
    assert "refs unresolved" in _render(report)
    assert report.as_dict()["people->contacts"]["references_unresolved"] == 2
