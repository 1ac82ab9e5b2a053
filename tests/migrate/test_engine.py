"""The migration engine between two toy CRMs: copy, idempotent re-runs, dry runs, bad mappings,
failures and resume."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from toy_provider import ToyCRM, ToyPlugin

import crmbridge as cb
from crmbridge.migrate import Report, migrate, parse_mapping

MAPPING = {
    "objects": [
        {
            "source": "contacts",
            "target": "contacts",
            "match": "email",
            "fields": {"email": "email", "name": "name", "tier": "tier", "tags": "tags"},
            "constants": {"score": 7},
        }
    ]
}


@pytest.fixture
def crms(toy_plugin: ToyPlugin) -> tuple[ToyCRM, ToyCRM]:
    src, dst = ToyCRM(), ToyCRM()
    for i in range(37):
        src.records[str(i)] = {
            "id": str(i),
            "email": f"p{i}@x.co",
            "name": f"P {i}",
            "tier": "Gold" if i % 2 else "Silver",
            "tags": ["a"],
        }
    return src, dst


def _run(src: ToyCRM, dst: ToyCRM, tmp_path: Path, mapping: dict = MAPPING, **kw: object) -> Report:  # type: ignore[type-arg]
    source = cb.connect_async("toy", token=src.token, transport=httpx.MockTransport(src))
    target = cb.connect_async("toy", token=dst.token, transport=httpx.MockTransport(dst))
    kw.setdefault("state", tmp_path / "state.db")
    kw.setdefault("failures", tmp_path / "failures.jsonl")
    return migrate(source, target, parse_mapping(mapping), **kw)  # type: ignore[arg-type]


def _writes(crm: ToyCRM) -> int:
    return sum(r.method != "GET" for r in crm.requests)


def test_copies_every_record_then_reruns_as_noop(
    crms: tuple[ToyCRM, ToyCRM], tmp_path: Path, state_spec: str
) -> None:
    src, dst = crms
    report = _run(src, dst, tmp_path, state=state_spec)
    counts = report.objects["contacts->contacts"].counts
    assert counts["created"] == 37
    assert len(dst.records) == 37
    by_email = {r["email"]: r for r in dst.records.values()}
    assert by_email["p3@x.co"] == {
        "id": by_email["p3@x.co"]["id"],
        "email": "p3@x.co",
        "name": "P 3",
        "tier": "Gold",
        "tags": ["a"],
        "score": 7,
    }
    writes = _writes(dst)
    again = _run(src, dst, tmp_path, state=state_spec)
    assert again.objects["contacts->contacts"].counts["noop"] == 37
    assert again.writes == 0
    assert _writes(dst) == writes  # not one write on the re-run
    src.records["5"]["name"] = "Changed"
    third = _run(src, dst, tmp_path, state=state_spec)
    assert third.objects["contacts->contacts"].counts == {"noop": 36, "updated": 1}
    assert len(dst.records) == 37


def test_dry_run_sends_no_writes(crms: tuple[ToyCRM, ToyCRM], tmp_path: Path) -> None:
    src, dst = crms
    planned: list[dict] = []  # type: ignore[type-arg]
    report = _run(src, dst, tmp_path, dry_run=True, on_plan=planned.append, limit=5)
    assert _writes(dst) == 0
    assert dst.records == {}
    assert len(planned) == 5
    assert planned[0]["action"] == "upsert"
    assert planned[0]["values"]["email"] == "p0@x.co"
    assert report.objects["contacts->contacts"].counts["planned"] == 5


def test_limit(crms: tuple[ToyCRM, ToyCRM], tmp_path: Path) -> None:
    src, dst = crms
    _run(src, dst, tmp_path, limit=12)
    assert len(dst.records) == 12


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"fields": {"emial": "email"}}, "has no field 'emial'"),
        ({"fields": {"email": "mail"}}, "target object 'contacts' has no field 'mail'"),
        ({"fields": {"email": "email", "name": "created"}}, "read-only"),
        ({"fields": {"email": "email", "tags": "name"}}, "holds a list"),
        ({"fields": {"email": "email", "score": "tier"}}, "cannot convert integer"),
        ({"fields": {"name": "name"}}, "match key 'email' is not written"),
        (
            {
                "fields": {
                    "email": "email",
                    "name": {"to": "tier", "transform": "map_options", "options": {"x": "Bronze"}},
                }
            },
            "'Bronze'",
        ),
        (
            {"fields": {"email": "email", "name": "name"}, "match": "name"},
            "contacts.name is not unique, so the target cannot upsert on it",
        ),
        ({"constants": {"score": "lots"}}, "score: wrong type (got 'lots'); expected a number"),
    ],
)
def test_bad_mappings_are_rejected_before_any_write(
    crms: tuple[ToyCRM, ToyCRM],
    tmp_path: Path,
    change: dict,
    message: str,  # type: ignore[type-arg]
) -> None:
    src, dst = crms
    mapping = {"objects": [{**MAPPING["objects"][0], "constants": {}, **change}]}
    with pytest.raises(cb.ValidationError) as info:
        _run(src, dst, tmp_path, mapping=mapping)
    assert message in str(info.value)
    assert "nothing was written" in str(info.value)
    assert _writes(dst) == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "at least one [[objects]]"),
        ({"objects": [{"source": "a"}]}, "'source' and 'target'"),
        (
            {
                "objects": [
                    {"source": "a", "target": "b", "fields": {"x": {"to": "y", "transform": "zap"}}}
                ]
            },
            "unknown transform 'zap'",
        ),
        (
            {"objects": [{"source": "a", "target": "b", "fields": {"x": "y", "z": "y"}}]},
            "written twice",
        ),
        (
            {
                "objects": [
                    {
                        "source": "a",
                        "target": "b",
                        "fields": {"x": {"to": "y", "transform": "split_name"}},
                    }
                ]
            },
            "split_name needs",
        ),
        ({"objects": [{"source": "a", "target": "b", "colour": 1}]}, "unknown key(s) colour"),
    ],
)
def test_mapping_file_shape_errors(data: dict, message: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(cb.ValidationError) as info:
        parse_mapping(data)
    assert message in str(info.value)


def test_failed_records_go_to_the_failures_file(
    crms: tuple[ToyCRM, ToyCRM], tmp_path: Path
) -> None:
    src, dst = crms
    original = dst.__call__
    refused = []

    def refuse_first_upsert(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/upsert") and not refused:
            refused.append(request)
            return httpx.Response(400, json={"error": "rejected by the CRM"})
        return original(request)

    source = cb.connect_async("toy", token=src.token, transport=httpx.MockTransport(src))
    target = cb.connect_async(
        "toy", token=dst.token, transport=httpx.MockTransport(refuse_first_upsert)
    )
    report = migrate(
        source,
        target,
        parse_mapping(MAPPING),
        state=tmp_path / "state.db",
        failures=tmp_path / "failures.jsonl",
        concurrency=1,
    )
    assert report.failed == 1
    lines = [json.loads(x) for x in (tmp_path / "failures.jsonl").read_text().splitlines()]
    assert len(lines) == 1
    assert lines[0]["error"]["message"] == "rejected by the CRM"
    assert lines[0]["values"]["email"] == "p0@x.co"
    assert len(dst.records) == 36
    # The next run retries the failed record only.
    again = _run(src, dst, tmp_path)
    assert again.objects["contacts->contacts"].counts == {"noop": 36, "created": 1}


def test_resume_after_interruption(
    crms: tuple[ToyCRM, ToyCRM], tmp_path: Path, state_spec: str
) -> None:
    src, dst = crms

    class Boom(Exception):
        pass

    calls = {"n": 0}
    original = dst.__call__

    def flaky(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/upsert"):
            calls["n"] += 1
            if calls["n"] == 23:
                raise Boom("process killed")
        return original(request)

    source = cb.connect_async("toy", token=src.token, transport=httpx.MockTransport(src))
    target = cb.connect_async("toy", token=dst.token, transport=httpx.MockTransport(flaky))
    with pytest.raises(Boom):
        migrate(
            source,
            target,
            parse_mapping(MAPPING),
            state=state_spec,
            failures=None,
            concurrency=1,
        )
    assert 0 < len(dst.records) < 37
    reads_before = sum(r.url.path == "/contacts" for r in src.requests)
    report = _run(src, dst, tmp_path, state=state_spec, resume=True)
    assert len(dst.records) == 37
    counts = report.objects["contacts->contacts"].counts
    assert counts["created"] == 37 - 22
    # Resumed from the checkpoint: pages already finished were not read again.
    assert sum(r.url.path == "/contacts" for r in src.requests) - reads_before < 4
    assert len({r["email"] for r in dst.records.values()}) == 37


def test_unusable_state_file_is_a_clear_error(crms: tuple[ToyCRM, ToyCRM], tmp_path: Path) -> None:
    src, dst = crms
    with pytest.raises(cb.ConfigError, match=r"cannot use .* as the migration state file"):
        _run(src, dst, tmp_path, state=tmp_path / "missing" / "state.db")
    (tmp_path / "not-a-db").write_text("hello, this is not sqlite" * 100)
    with pytest.raises(cb.ConfigError, match="state file"):
        _run(src, dst, tmp_path, state=tmp_path / "not-a-db")


def test_to_must_name_fields() -> None:
    for bad in (3, None, [], [1], {"x": 1}):
        mapping = {"objects": [{"source": "a", "target": "b", "fields": {"x": {"to": bad}}}]}
        with pytest.raises(cb.ValidationError, match="'to' must name a target field"):
            parse_mapping(mapping)


def test_records_sharing_a_match_value_are_not_merged_unasked(
    crms: tuple[ToyCRM, ToyCRM], tmp_path: Path, state_spec: str
) -> None:
    """Two source records with one match value would be upserted into one target record, the
    second overwriting the first: the second fails, naming the first, and stays failed on re-runs
    (the state remembers whose value it is)."""
    src, dst = crms
    src.records["7"]["email"] = " P3@X.co"  # the same e-mail as record 3, as the CRMs compare
    report = _run(src, dst, tmp_path, state=state_spec)
    counts = report.objects["contacts->contacts"].counts
    assert (counts["created"], counts["failed"]) == (36, 1)
    by_email = {r["email"]: r for r in dst.records.values()}
    assert by_email["p3@x.co"]["name"] == "P 3"  # not overwritten by record 7
    failure = json.loads((tmp_path / "failures.jsonl").read_text().splitlines()[0])
    assert failure["source_id"] == "7"
    assert failure["error"]["code"] == "duplicate_match_value"
    assert "contacts 3" in failure["error"]["message"]
    assert "merge_duplicates" in failure["error"]["message"]
    again = _run(src, dst, tmp_path, state=state_spec)
    assert again.objects["contacts->contacts"].counts == {"noop": 36, "failed": 1}


def test_merge_duplicates_writes_both_into_one_record(
    crms: tuple[ToyCRM, ToyCRM], tmp_path: Path
) -> None:
    src, dst = crms
    src.records["7"]["email"] = "p3@x.co"
    mapping = {"objects": [{**MAPPING["objects"][0], "merge_duplicates": True}]}
    report = _run(src, dst, tmp_path, mapping)
    counts = report.objects["contacts->contacts"].counts
    assert counts["failed"] == 0
    assert len(dst.records) == 36
    assert counts["created"] + counts["updated"] == 37


def test_merge_duplicates_must_be_a_boolean() -> None:
    bad = {"objects": [{**MAPPING["objects"][0], "merge_duplicates": "yes"}]}
    with pytest.raises(cb.ValidationError, match="'merge_duplicates' must be true or false"):
        parse_mapping(bad)


class _Refusing(ToyCRM):
    """Answers 400 to the upsert of the record named ``refused`` (a target-side error)."""

    refused = "P 3"

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if (
            request.url.path.endswith("/upsert")
            and json.loads(request.content).get("name") == self.refused
        ):
            return httpx.Response(400, json={"error": f"name {self.refused!r} refused"})
        return super().__call__(request)


def test_a_record_whose_write_failed_does_not_keep_its_match_value(
    crms: tuple[ToyCRM, ToyCRM], tmp_path: Path, toy_plugin: ToyPlugin, state_spec: str
) -> None:
    src, _ = crms
    dst = _Refusing()
    src.records["7"]["email"] = "p3@x.co"
    report = _run(src, dst, tmp_path, state=state_spec, concurrency=1)
    assert report.objects["contacts->contacts"].counts == {"created": 36, "failed": 1}
    failure = json.loads((tmp_path / "failures.jsonl").read_text().splitlines()[0])
    assert failure["source_id"] == "3"  # refused by the target, not as a duplicate
    assert {r["email"]: r["name"] for r in dst.records.values()}["p3@x.co"] == "P 7"


def test_a_dry_run_leaves_no_claim_behind(
    crms: tuple[ToyCRM, ToyCRM], tmp_path: Path, state_spec: str
) -> None:
    src, dst = crms
    src.records["7"]["email"] = "p3@x.co"
    plans: list[dict] = []  # type: ignore[type-arg]
    dry = _run(src, dst, tmp_path, state=state_spec, dry_run=True, on_plan=plans.append)
    assert dry.objects["contacts->contacts"].counts == {"planned": 36, "failed": 1}
    refused = [p for p in plans if p["action"] == "fail"]
    assert [p["source_id"] for p in refused] == ["7"]
    assert "contacts 3" in refused[0]["error"]
    src.records["3"]["email"] = "new3@x.co"  # the duplicate the dry run showed, fixed
    real = _run(src, dst, tmp_path, state=state_spec)
    assert real.objects["contacts->contacts"].counts == {"created": 37}


def test_a_state_file_is_refused_for_another_target(tmp_path: Path, state_spec: str) -> None:
    """A sandbox's state file used against another CRM would call every record migrated already
    and write nothing: refused, naming both."""
    mapping = Path("docs/examples/attio-to-kizen.toml")
    state = state_spec

    source = cb.connect_async("attio", emulator={"seed": "demo", "demo_size": 20})

    def run(target: cb.AsyncBridge, **kw: object) -> Report:
        return migrate(source, target, mapping, state=state, failures=None, limit=3, **kw)  # type: ignore[arg-type]

    dry = run(cb.connect_async("kizen", emulator=True), dry_run=True)
    assert dry.writes == 0  # a dry run records no endpoint: the real run below may differ
    sandbox = cb.connect_async("kizen", emulator=True)
    assert run(sandbox).writes > 0
    production = cb.connect_async("kizen", emulator=True)  # another, empty, CRM
    with pytest.raises(
        cb.ConfigError, match=r"target is kizen emulator \w+; this run's target is kizen emulator"
    ):
        run(production)


def test_endpoints_name_the_account_without_its_secrets() -> None:
    from crmbridge.plugins import get_provider

    kizen = get_provider("kizen")
    one = kizen.from_config(api_key="k", user_id="u", business_id="biz-1").endpoint()
    two = kizen.from_config(api_key="k2", user_id="u2", business_id="biz-2").endpoint()
    assert one.startswith("kizen at https://")
    assert "(account " in one
    assert one != two
    assert "biz-1" not in one
    attio = get_provider("attio")
    assert attio.from_config(token="a").endpoint() == attio.from_config(token="b").endpoint()


def test_mapping_problems_suggest_the_field_meant(
    crms: tuple[ToyCRM, ToyCRM], tmp_path: Path
) -> None:
    src, dst = crms
    bad = {"objects": [{**MAPPING["objects"][0], "match": "emial",
                        "fields": {"email": "emial", "nmae": "name"}}]}  # fmt: skip
    with pytest.raises(cb.ValidationError) as info:
        _run(src, dst, tmp_path, bad)
    messages = [e.message for e in info.value.field_errors]
    assert any("no field 'emial'; did you mean 'email'" in m for m in messages)
    assert any("no field 'nmae'; did you mean 'name'" in m for m in messages)
    assert any("match key 'emial'" in m and "did you mean 'email'" in m for m in messages)
    assert _writes(dst) == 0


def test_a_field_left_out_of_a_source_answer_is_never_cleared_in_the_target(
    crms: tuple[ToyCRM, ToyCRM], tmp_path: Path
) -> None:
    """Absent is not empty (docs/design.md §9): the source's answer for record 3 has no
    ``name`` (not sent, hidden, not asked for); the target's name is kept, not cleared. A field
    given empty is still written empty."""
    src, dst = crms
    _run(src, dst, tmp_path)
    (target,) = [r for r in dst.records.values() if r["email"] == "p3@x.co"]
    assert target["name"] == "P 3"
    del src.records["3"]["name"]  # left out of the source's answer
    src.records["3"]["tier"] = "Silver"
    src.records["4"]["name"] = None  # given, empty
    _run(src, dst, tmp_path)
    assert target["name"] == "P 3"  # kept, not cleared
    assert target["tier"] == "Silver"  # the given fields were written
    (four,) = [r for r in dst.records.values() if r["email"] == "p4@x.co"]
    assert four["name"] is None
