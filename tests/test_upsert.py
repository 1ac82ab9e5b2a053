"""crmbridge/upsert.py: one upsert path for every provider — the preconditions, "search, then
write", the conflict message and the ``on_archived`` default live there and nowhere else."""

from __future__ import annotations

from pathlib import Path

import pytest
from toy_provider import ToyCRM

import crmbridge as cb
from crmbridge import upsert
from crmbridge.plugins import providers


def test_no_provider_writes_its_own_upsert_path() -> None:
    """Providers add hooks (``native_upsert``, ``would_change``, ...), never ``upsert`` itself:
    a provider-written ``upsert`` would bypass the preconditions and the conflict rule."""
    for name, info in providers().items():
        owners = [k.__name__ for k in info.cls.__mro__ if "upsert" in vars(k)]
        assert owners == ["Provider"], f"{name}: upsert() is overridden by {owners}"


def test_emulated_upsert_works_for_a_provider_with_only_query_create_update(
    toy: cb.Bridge, toy_crm: ToyCRM
) -> None:
    """``emulate=True`` on a field the CRM cannot upsert on: the core searches, then creates
    or updates; the toy provider implements no part of that."""
    first = toy.upsert("contacts", {"name": "Ada", "score": 1}, match="name", emulate=True)
    second = toy.upsert("contacts", {"name": "Ada", "score": 2}, match="name", emulate=True)
    assert (first.action, second.action) == ("created", "updated")
    assert first.record.id == second.record.id
    assert [r["score"] for r in toy_crm.records.values()] == [2]


def test_the_conflict_message_is_the_same_everywhere(toy: cb.Bridge, tmp_path: Path) -> None:
    toy.create("contacts", {"email": "a@x.io", "name": "Ada"})
    toy.create("contacts", {"email": "b@x.io", "name": "Ada"})
    with pytest.raises(cb.Conflict) as toys:
        toy.upsert("contacts", {"name": "Ada"}, match="name", emulate=True)
    with cb.connect("kizen", emulator=True) as kizen:
        for email in ("a@x.io", "b@x.io"):
            kizen.create("client_client", {"email": email, "first_name": "Ada"})
        with pytest.raises(cb.Conflict) as kizens:
            kizen.upsert("client_client", {"email": "c@x.io", "first_name": "Ada"},
                         match="first_name", emulate=True)  # fmt: skip
    for error, slug in ((toys.value, "contacts"), (kizens.value, "client_client")):
        assert error.code == "ambiguous_match"
        assert f"matches several {slug} records (2" in str(error)
        assert "an upsert needs at most one" in str(error)


def test_a_direct_plan_call_checks_the_preconditions_too(tmp_path: Path) -> None:
    """``provider.upsert(...)`` called without the facade refuses a non-unique match unless
    emulated (SQLite used to upsert on any field it was given, unique or not)."""
    from crmbridge_sqlite import SAMPLE_SCHEMA

    with cb.connect("sqlite", path=str(tmp_path / "b.db")) as crm:
        for spec, fields in SAMPLE_SCHEMA:
            crm.run(crm.provider.define_object(spec, fields))  # type: ignore[attr-defined]
        schema = crm.schema("contacts")
        plain = next(f for f in schema.fields.values() if not f.unique and f.writable)
        plan = crm.provider.upsert(schema, {plain.slug: "x"}, match=plain.slug,
                                   on_archived=None, emulate=False)  # fmt: skip
        with pytest.raises(cb.ValidationError, match="not a unique field") as info:
            next(plan)
        assert info.value.code == "match_not_unique"


def test_on_archived_default_is_one_constant() -> None:
    import inspect

    from crmbridge.testing.conformance.blocking import BlockingBridge

    for facade in (cb.Bridge, cb.AsyncBridge, BlockingBridge):
        default = inspect.signature(facade.upsert).parameters["on_archived"].default
        assert default is upsert.DEFAULT_ON_ARCHIVED


def test_the_default_asks_nothing_of_a_crm_without_archived_records(toy: cb.Bridge) -> None:
    assert not toy.capabilities.archive
    assert toy.upsert("contacts", {"email": "a@x.io"}, match="email").action == "created"
    with pytest.raises(cb.Unsupported, match="no archived records"):
        toy.upsert("contacts", {"email": "a@x.io"}, match="email", on_archived="replace")
