"""``crmbridge migrate --init`` (crmbridge/migrate/init.py): valid TOML for any field slug, and a
mapping that runs on each emulator's demo data in either direction (issues 19 and 23)."""

from __future__ import annotations

import asyncio
import tomllib
from pathlib import Path

import pytest

import crmbridge as cb
from crmbridge import FieldSpec, FieldType, ObjectSchema, ObjectSpec, User
from crmbridge.migrate import Report, migrate, parse_mapping, verify
from crmbridge.migrate.init import init_from, init_mapping
from crmbridge.plugins import get_provider

T = FieldType
ODD = ["deal value", "a.b", 'say "hi"', "ünïcode", "x=y"]


def _schema(slug: str, *fields: FieldSpec) -> ObjectSchema:
    return ObjectSchema(ObjectSpec(slug, slug), {f.slug: f for f in fields})


def test_field_slugs_that_are_not_bare_keys_are_written_as_valid_toml() -> None:
    src = _schema("deals", *(FieldSpec(s, s, T.text) for s in [*ODD, "lonely"]))
    dst = _schema("deals", FieldSpec("id", "Id", T.text, unique=True),
                  *(FieldSpec(s, s, T.text) for s in ODD))  # fmt: skip
    text = init_mapping([(src, dst)], source="a", target="b", match_key=lambda s: "id")
    data = tomllib.loads(text)
    assert data["objects"][0]["fields"] == {s: s for s in ODD}
    assert "lonely" in text  # left as a commented line
    parse_mapping(data)


def test_users_whose_email_differs_get_a_users_table() -> None:
    src = _schema("deals", FieldSpec("owner", "Owner", T.user))
    dst = _schema("deals", FieldSpec("name", "Name", T.text, unique=True),
                  FieldSpec("owner", "Owner", T.user))  # fmt: skip
    users = (
        [User("1", "grace@a.test", "Grace Hopper"), User("2", "bob@a.test", "Bob"),
         User("3", "same@x.test", "Same")],
        [User("8", "ops@b.test", "Ops"), User("9", "g.hopper@b.test", "Grace Hopper"),
         User("7", "SAME@x.test", "Same")],
    )  # fmt: skip
    text = init_mapping([(src, dst)], source="a", target="b", match_key=lambda s: None,
                        users=users)  # fmt: skip
    mapping = parse_mapping(tomllib.loads(text))
    assert mapping.users.pairs == {"grace@a.test": "g.hopper@b.test"}
    assert (
        mapping.users.fallback == "ops@b.test"
    )  # the target's first user, for bob; same@ pairs itself
    assert mapping.objects[0].fields[0].to == ("owner",)


def _emulators(direction: tuple[str, str]) -> tuple[cb.AsyncBridge, cb.AsyncBridge]:
    """The source's demo data, and a fresh target to which the source's team was invited first
    (as a company does before it migrates: the same people, the same e-mails)."""
    src_name, dst_name = direction
    source = get_provider(src_name).create_emulator(seed="demo", demo_size=80, random_seed=7)
    target = get_provider(dst_name).create_emulator()
    with cb.connect(src_name, emulator=source) as src, cb.connect(dst_name, emulator=target) as dst:
        team = src.run(src.provider.list_users())
        there = {u.email for u in dst.run(dst.provider.list_users())}
    for n, user in enumerate(u for u in team if u.email not in there):
        first, _, last = (user.name or "Team Member").partition(" ")
        if dst_name == "attio":
            target.add_member(first, last, user.email)  # type: ignore[attr-defined]
        else:
            target.add_employee(f"employee-{n}", first, last, user.email)  # type: ignore[attr-defined]
    return cb.connect_async(src_name, emulator=source), cb.connect_async(dst_name, emulator=target)


@pytest.mark.parametrize("direction", [("attio", "kizen"), ("kizen", "attio")])
def test_the_init_mapping_migrates_the_demo_data_with_no_failure(
    direction: tuple[str, str], tmp_path: Path
) -> None:
    source, target = _emulators(direction)
    text = asyncio.run(init_from(source, target))
    mapping = parse_mapping(tomllib.loads(text))
    assert {o.source for o in mapping.objects} >= {"companies", "deals"} or {
        o.source for o in mapping.objects
    } >= {"companies_company", "deals"}

    def run() -> Report:
        return migrate(source, target, mapping, state=tmp_path / "s.db",
                       failures=tmp_path / "f.jsonl", create_options=True)  # fmt: skip

    assert not mapping.users.pairs
    assert mapping.users.fallback is None
    first = run()
    assert first.failed == 0, (tmp_path / "f.jsonl").read_text()
    assert first.totals()["created"] > 0
    again = run()
    assert again.writes == 0
    checked = verify(source, target, mapping, state=tmp_path / "s.db")
    assert checked.ok, checked.differences[:5]
    assert sum(checked.checked.values()) == first.totals()["created"]
    # Every option label the source's records use is one the target has now.
    with (
        cb.connect(direction[0], emulator=source.emulator) as src,
        cb.connect(direction[1], emulator=target.emulator) as dst,
    ):
        for om in mapping.objects:
            for fm in om.fields:
                spec = src.schema(om.source).fields[fm.source]
                if spec.type not in (T.option, T.status, T.tags) or fm.transform == "skip":
                    continue
                have = {o.label.casefold() for o in dst.schema(om.target).fields[fm.to[0]].options}
                for record in src.query(om.source):
                    value = record.get(fm.source)
                    for option in value if isinstance(value, list) else [value] if value else []:
                        assert option.label.casefold() in have, (om.source, fm.source, option)
        # Every user of the source who owns a record owns it in the target, by e-mail.
        src_team = {u.id: u.email for u in src.run(src.provider.list_users())}
        dst_team = {u.id: u.email for u in dst.run(dst.provider.list_users())}
        owned = 0
        for om in mapping.objects:
            users = [fm for fm in om.fields if fm.source == "owner" and fm.to == ("owner",)]
            if not users:
                continue
            by_name = {r["name"]: r for r in dst.query(om.target)}
            for record in src.query(om.source):
                if record.get("owner") is not None:
                    moved = by_name[record["name"]]["owner"]
                    assert dst_team[moved.id] == src_team[record["owner"].id]
                    owned += 1
        assert owned
