"""``--create-options`` with Kizen as the target (issue 21): Attio categories Kizen lacks are
refused without the flag, naming it, and created on Kizen with it (Kizen's create_option, POST
…/fields/{field}/options)."""

from __future__ import annotations

from pathlib import Path

import pytest

import crmbridge as cb
from crmbridge.migrate import Report, migrate, parse_mapping
from crmbridge.plugins import get_provider

MAPPING = {
    "objects": [
        {
            "source": "companies",
            "target": "companies_company",
            "fields": {"name": "name", "categories": "categories"},
        }
    ]
}


def test_attio_categories_kizen_lacks_are_created_with_the_flag(tmp_path: Path) -> None:
    attio = get_provider("attio").create_emulator(seed="demo", demo_size=30, random_seed=2)
    kizen = get_provider("kizen").create_emulator()

    def run(**kw: bool) -> Report:
        return migrate(
            cb.connect_async("attio", emulator=attio),
            cb.connect_async("kizen", emulator=kizen),
            parse_mapping(MAPPING),
            state=tmp_path / "s.db",
            failures=None,
            **kw,
        )

    with pytest.raises(cb.ValidationError, match=r"missing on companies_company\.categories") as no:
        run()
    assert "--create-options" in str(no.value)
    assert "cannot create options" not in str(no.value)
    report = run(create_options=True)
    assert report.failed == 0
    with cb.connect("attio", emulator=attio) as a, cb.connect("kizen", emulator=kizen) as k:
        wanted = {o.label for c in a.query("companies") for o in c["categories"]}
        have = {o.label for o in k.schema("companies_company").fields["categories"].options}
        assert wanted <= have
        copied = {
            c["name"]: {o.label for o in c["categories"]} for c in k.query("companies_company")
        }
        for company in a.query("companies"):
            assert copied[company["name"]] == {o.label for o in company["categories"]}
