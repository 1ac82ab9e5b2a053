"""Users across CRMs (crmbridge/migrate/users.py): paired by e-mail, overridden by [users], and
unpaired users listed before any write (issue 23)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from crmbridge_kizen.emulator.seeds import STANDARD_EMPLOYEES

import crmbridge as cb
from crmbridge.emulation import Emulator
from crmbridge.migrate import Report, migrate, parse_mapping
from crmbridge.migrate.users import UsersTable, by_email, pair_users
from crmbridge.plugins import get_provider

SOURCE = [
    cb.User("m1", "Grace@Example.com", "Grace Hopper", "workspace-member"),
    cb.User("m2", "ada@old.test", "Ada Lovelace", "workspace-member"),
]
TARGET = [cb.User("e1", "grace@example.com", "Grace Hopper"), cb.User("e2", "ops@new.test", "Ops")]


def test_users_pair_by_email_whatever_the_case() -> None:
    pairs = pair_users(SOURCE[:1], TARGET)
    assert pairs.target_of(cb.User("m1")) == TARGET[0]
    assert pairs.target_of(cb.User(email="grace@example.com")) == TARGET[0]
    assert pairs.target_of(None) is None


def test_the_email_rule_is_one_function_the_init_table_uses_too() -> None:
    assert by_email(SOURCE, TARGET) == [(SOURCE[0], TARGET[0]), (SOURCE[1], None)]
    assert by_email([cb.User("m3")], TARGET) == [(cb.User("m3"), None)]  # no e-mail: no pair


def test_unpaired_users_are_listed_and_pairs_or_a_fallback_settle_them() -> None:
    with pytest.raises(cb.ValidationError) as info:
        pair_users(SOURCE, TARGET)
    (problem,) = info.value.field_errors
    assert "ada@old.test Ada Lovelace" in problem.message
    assert "Grace" not in problem.message
    pairs = pair_users(SOURCE, TARGET, UsersTable({"ada@old.test": "ops@new.test"}))
    assert pairs.target_of(cb.User("m2")).id == "e2"
    fallback = pair_users(SOURCE, TARGET, UsersTable(fallback="e2"))
    assert fallback.target_of(cb.User("m2")).id == "e2"
    assert fallback.target_of(cb.User("m1")).id == "e1"  # the e-mail pair still wins


def test_a_pair_naming_an_unknown_user_is_refused() -> None:
    with pytest.raises(cb.ValidationError) as info:
        pair_users(SOURCE, TARGET, UsersTable({"nobody@x.test": "ops@new.test"}, "who@x.test"))
    messages = " ".join(e.message for e in info.value.field_errors)
    assert "no source user 'nobody@x.test'" in messages
    assert "no target user 'who@x.test'" in messages


@pytest.mark.parametrize(
    ("users", "message"),
    [
        ({"fallback": 3}, "fallback must name a target user"),
        ({"pairs": {"a@x.test": ""}}, "pairs must map source users"),
        ({"alice@x.test": "bob@y.test"}, "pairs go under [users.pairs]"),
    ],
)
def test_a_malformed_users_table_is_refused(users: Any, message: str) -> None:
    with pytest.raises(cb.ValidationError) as info:
        parse_mapping({"users": users, "objects": [{"source": "a", "target": "b"}]})
    assert message in str(info.value)


# Attio deals have no unique attribute: match on name with a search, then a write.
DEALS = {"source": "deals", "target": "deals", "match": "name", "emulate": True,
         "fields": {"name": "name", "stage": "stage", "owner": "owner"}}  # fmt: skip


def _run(source: Emulator, target: Emulator, tmp_path: Path, **mapping: Any) -> Report:
    return migrate(
        cb.connect_async(source.name, emulator=source),
        cb.connect_async(target.name, emulator=target),
        parse_mapping({**mapping, "objects": [DEALS]}),
        state=tmp_path / "s.db",
        failures=tmp_path / "f.jsonl",
        create_options=True,
    )


@pytest.mark.parametrize("direction", [("attio", "kizen"), ("kizen", "attio")])
def test_deal_owners_cross_crms_paired_by_email(direction: tuple[str, str], tmp_path: Path) -> None:
    """Attio workspace members and Kizen employees: the same people (same e-mail) own the same
    deals on both sides; the integration users (Attio's admin, Kizen's API user) differ, so they
    are listed before any write until a fallback names who owns their records."""
    src_name, dst_name = direction
    source = get_provider(src_name).create_emulator(seed="demo", demo_size=60, random_seed=5)
    target = get_provider(dst_name).create_emulator()
    if dst_name == "attio":  # a fresh workspace has its admin only: the team is invited first
        for first, last, email in STANDARD_EMPLOYEES:
            target.add_member(first, last, email)  # type: ignore[attr-defined]
    with pytest.raises(cb.ValidationError, match="no user of the same e-mail"):
        _run(source, target, tmp_path)
    with cb.connect(dst_name, emulator=target) as dst:
        assert not list(dst.query("deals"))  # refused before any write
        integration = dst.run(dst.provider.list_users())[0]
    report = _run(source, target, tmp_path, users={"fallback": integration.email})
    assert report.failed == 0
    with cb.connect(src_name, emulator=source) as src, cb.connect(dst_name, emulator=target) as dst:
        emails = {u.id: u.email for u in src.run(src.provider.list_users())}
        targets = {u.id: u.email for u in dst.run(dst.provider.list_users())}
        owners = {d["name"]: emails[d["owner"].id] for d in src.query("deals")}
        moved = {d["name"]: targets[d["owner"].id] for d in dst.query("deals")}
    assert owners
    assert moved.keys() == owners.keys()
    for name, email in owners.items():
        expected = email if email in targets.values() else integration.email
        assert moved[name] == expected
    assert any(moved[n] == e for n, e in owners.items())  # some paired by e-mail
