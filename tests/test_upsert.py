"""crmbridge/upsert.py: one upsert path for every provider — the preconditions, "search, then
write", the conflict message and the ``on_archived`` default live there and nowhere else."""

from __future__ import annotations

import asyncio
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


# --- upsert_many: one search per batch of rows (issue 24) ------------------------------------


def _sent(emulator: object, verb: str) -> int:
    """Requests the emulator answered whose ``"METHOD /path"`` ends with ``verb``."""
    requests = emulator.requests  # type: ignore[attr-defined]
    return sum(n for key, n in requests.items() if key.endswith(verb))


def _people(n: int, start: int = 0) -> list[dict[str, object]]:
    return [{"email_addresses": [f"p{i}@x.io"], "job_title": f"job {i}"}
            for i in range(start, start + n)]  # fmt: skip


def test_upsert_many_on_attio_reads_once_per_batch_and_writes_only_what_changed() -> None:
    with cb.connect("attio", emulator=True) as crm:
        assert crm.provider.lookup_batch_size == 100
        crm.schema("people")
        emulator = crm.emulator
        assert emulator is not None
        emulator.requests.clear()
        first = crm.upsert_many("people", _people(250))
        assert [r.action for r in first] == ["created"] * 250
        assert (
            _sent(emulator, "/records/query"),
            _sent(emulator, "PUT /v2/objects/people/records"),
        ) == (3, 250)

        emulator.requests.clear()
        rows = _people(250)
        for i in (3, 120, 249):
            rows[i]["job_title"] = "changed"
        again = crm.upsert_many("people", rows)
        assert [r.action for r in again].count("noop") == 247
        assert [again[i].action for i in (3, 120, 249)] == ["updated"] * 3
        assert [r.record.id for r in again] == [r.record.id for r in first]
        assert _sent(emulator, "/records/query") == 3
        assert _sent(emulator, "PUT /v2/objects/people/records") == 3


def test_upsert_many_on_kizen_reads_once_per_batch_and_brings_archived_matches_back() -> None:
    with cb.connect("kizen", emulator=True) as crm:
        gone = crm.create("client_client", {"email": "p7@x.io", "first_name": "Old"})
        crm.archive("client_client", gone.id)
        crm.create("client_client", {"email": "p8@x.io", "first_name": "Same"})
        crm.create("client_client", {"email": "P9@X.io", "first_name": "Same"})
        emulator = crm.emulator
        assert emulator is not None
        emulator.requests.clear()
        rows = [{"email": f"p{i}@x.io", "first_name": "Same"} for i in range(150)]
        results = crm.upsert_many("client_client", rows)
        actions = [r.action for r in results]
        assert actions[7] == "unarchived"
        assert results[7].record.id == gone.id
        assert actions[8] == "noop"
        assert actions[9] == "updated"  # Kizen matches e-mails case-insensitively
        assert actions.count("created") == 147
        assert _sent(emulator, "/search") == 2
        assert _sent(emulator, "/upsert") == 149


def test_upsert_many_rows_sharing_a_match_value_make_one_record(toy: cb.Bridge) -> None:
    """The second row's search comes after the first row's write, not from the batch."""
    results = toy.upsert_many("contacts", [{"email": "a@x.io", "name": "A"},
                                           {"email": "a@x.io", "name": "B"}], match="email")  # fmt: skip
    assert [r.action for r in results] == ["created", "updated"]
    assert results[0].record.id == results[1].record.id


def test_upsert_many_checks_every_row_before_any_write() -> None:
    with cb.connect("attio", emulator=True) as crm:
        crm.schema("people")
        emulator = crm.emulator
        assert emulator is not None
        emulator.requests.clear()
        rows = [*_people(3), {"email_addresses": ["p9@x.io"], "job_titel": "x"}]
        with pytest.raises(cb.ValidationError, match=r"upsert_many row 3: .*job_titel"):
            crm.upsert_many("people", rows)
        assert sum(emulator.requests.values()) == 0


def test_upsert_many_says_which_rows_were_written_when_a_write_fails() -> None:
    with cb.connect("kizen", emulator=True) as crm:
        crm.create("client_client", {"email": "a@x.io", "first_name": "A"})
        crm.create("client_client", {"email": "b@x.io", "first_name": "A"})
        rows = [{"first_name": "A", "last_name": "new"}]
        with pytest.raises(cb.Conflict) as info:
            crm.upsert_many("client_client", [{"email": "c@x.io", "first_name": "C"}, *rows],
                            match="first_name", emulate=True)  # fmt: skip
        assert info.value.code == "ambiguous_match"
        assert "rows 0-0 of 2 were written, row 1 failed" in "".join(info.value.__notes__)


def test_async_upsert_many_sends_the_same_requests() -> None:
    async def main() -> None:
        async with cb.connect_async("attio", emulator=True) as crm:
            await crm.schema("people")
            emulator = crm.emulator
            assert emulator is not None
            emulator.requests.clear()
            results = await crm.upsert_many("people", _people(120))
            assert [r.action for r in results] == ["created"] * 120
            assert _sent(emulator, "/records/query") == 2

    asyncio.run(main())
