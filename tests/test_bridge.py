"""The facade against the toy provider: verbs, validation before requests, lazy pages, caching,
configuration from the environment, and the async twin."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from toy_provider import ToyCRM, ToyPlugin

import crmbridge as cb


def _writes(crm: ToyCRM) -> list[httpx.Request]:
    return [r for r in crm.requests if r.method != "GET"]


def test_create_get_update_delete(toy: cb.Bridge, toy_crm: ToyCRM) -> None:
    rec = toy.create(
        "contacts", {"email": "ada@acme.com", "name": "Ada", "tier": "gold", "tags": "vip"}
    )
    assert rec.id == "1"
    assert rec["tier"] == cb.Option("Gold")
    assert toy_crm.records["1"]["tags"] == ["vip"]  # a single value for a multi field is wrapped
    assert toy.get("contacts", "1")["name"] == "Ada"
    assert toy.update("contacts", "1", {"score": 3.0})["score"] == 3
    toy.delete("contacts", "1")
    with pytest.raises(cb.NotFound):
        toy.get("contacts", "1")


def test_upsert_actions_are_the_providers(toy: cb.Bridge) -> None:
    values = {"email": "ada@acme.com", "name": "Ada"}
    assert toy.upsert("contacts", values, match="email").action == "created"
    assert toy.upsert("contacts", values, match="email").action == "noop"
    assert toy.upsert("contacts", {**values, "name": "Ada L."}, match="email").action == "updated"


def test_upsert_refuses_non_unique_match_before_sending(toy: cb.Bridge, toy_crm: ToyCRM) -> None:
    toy.schema("contacts")
    sent = len(toy_crm.requests)
    with pytest.raises(cb.ValidationError, match=r"not a unique field.*unique: email"):
        toy.upsert("contacts", {"name": "Ada"}, match="name")
    with pytest.raises(cb.ValidationError, match="needs a value for 'email'"):
        toy.upsert("contacts", {"name": "Ada"}, match="email")
    with pytest.raises(cb.ValidationError, match="needs match="):
        toy.upsert("contacts", {"name": "Ada"})
    assert len(toy_crm.requests) == sent


def test_validation_names_every_problem_and_sends_nothing(toy: cb.Bridge, toy_crm: ToyCRM) -> None:
    with pytest.raises(cb.ValidationError) as info:
        toy.create(
            "contacts",
            {
                "emial": "x",
                "tier": "Bronze",
                "score": "many",
                "created": "2024-01-01",
                "name": ["a", "b"],
            },
        )
    errors = {e.field: e for e in info.value.field_errors}
    assert set(errors) == {"emial", "tier", "score", "created", "name"}
    assert "did you mean 'email'" in errors["emial"].message
    assert "Gold" in (errors["tier"].expected or "")
    assert errors["score"].value == "many"
    assert errors["created"].code == "not_writable"
    assert _writes(toy_crm) == []


def test_add_on_single_field_is_refused(toy: cb.Bridge) -> None:
    with pytest.raises(cb.ValidationError, match="needs a multi field"):
        toy.update("contacts", "1", {"name": cb.add("x")})


def test_query_is_lazy_and_pages_through_everything(toy: cb.Bridge, toy_crm: ToyCRM) -> None:
    for i in range(25):
        toy_crm.records[str(i)] = {"id": str(i), "email": f"p{i}@x.co", "name": "n"}
    toy.schema("contacts")
    before = len(toy_crm.requests)
    it = toy.query("contacts")
    assert len(toy_crm.requests) == before  # nothing fetched until iterated
    first = next(it)
    assert first.id == "0"
    assert len(toy_crm.requests) == before + 1
    rest = list(it)
    assert len(rest) == 24
    assert len(toy_crm.requests) == before + 3  # pages of 10, 10, 5


def test_query_limit_and_filter(toy: cb.Bridge, toy_crm: ToyCRM) -> None:
    for i in range(25):
        toy_crm.records[str(i)] = {
            "id": str(i),
            "email": f"p{i}@x.co",
            "name": "n" if i % 2 else "m",
        }
    assert len(list(toy.query("contacts", limit=12))) == 12
    assert len(list(toy.query("contacts", cb.F("name") == "m"))) == 13
    assert len(list(toy.query("contacts", {"name": "m"}))) == 13


def test_query_validation_before_any_request(toy: cb.Bridge, toy_crm: ToyCRM) -> None:
    toy.schema("contacts")
    sent = len(toy_crm.requests)
    with pytest.raises(cb.ValidationError, match="no field 'nme'"):
        toy.query("contacts", cb.F("nme") == "x")
    with pytest.raises(cb.Unsupported, match="cannot filter with 'contains'"):
        toy.query("contacts", cb.F("name").contains("x"))
    with pytest.raises(cb.Unsupported, match="cannot sort"):
        toy.query("contacts", order_by="-name")
    with pytest.raises(cb.ValidationError, match="page_size"):
        toy.query("contacts", page_size=0)
    assert len(toy_crm.requests) == sent


def test_unknown_object_lists_known_ones(toy: cb.Bridge) -> None:
    with pytest.raises(cb.NotFound, match="no object 'people'; it has: contacts"):
        toy.get("people", "1")


def test_schema_is_cached_with_ttl(toy_plugin: ToyPlugin, toy_crm: ToyCRM) -> None:
    crm = cb.connect("toy", token=toy_crm.token, transport=httpx.MockTransport(toy_crm))
    crm.fields("contacts")
    crm.fields("contacts")
    assert sum(r.url.path == "/objects/contacts/fields" for r in toy_crm.requests) == 1
    crm.invalidate_schema()
    crm.fields("contacts")
    assert sum(r.url.path == "/objects/contacts/fields" for r in toy_crm.requests) == 2
    crm0 = cb.connect(
        "toy", token=toy_crm.token, transport=httpx.MockTransport(toy_crm), schema_ttl=0
    )
    crm0.fields("contacts")
    crm0.fields("contacts")
    assert sum(r.url.path == "/objects/contacts/fields" for r in toy_crm.requests) == 4


def test_credentials_from_environment(
    toy_plugin: ToyPlugin, toy_crm: ToyCRM, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOY_TOKEN", toy_crm.token)
    monkeypatch.setenv("TOY_BASE_URL", "http://127.0.0.1:9999")
    crm = cb.connect("toy", transport=httpx.MockTransport(toy_crm))
    crm.objects()
    assert str(toy_crm.requests[-1].url) == "http://127.0.0.1:9999/objects"
    assert toy_crm.token not in repr(crm.provider)


def test_configuration_errors(toy_plugin: ToyPlugin, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TOY_TOKEN", raising=False)
    with pytest.raises(
        cb.ConfigError, match="missing token \\(or the environment variable TOY_TOKEN\\)"
    ):
        cb.connect("toy")
    with pytest.raises(cb.ConfigError, match="unknown option\\(s\\) tokn"):
        cb.connect("toy", tokn="x")
    with pytest.raises(cb.ConfigError, match="base_url"):
        cb.connect("toy", token="x", base_url="ftp://x")


def test_on_archived_needs_archive_capability(toy: cb.Bridge) -> None:
    with pytest.raises(cb.Unsupported, match="no archived records"):
        toy.create("contacts", {"email": "a@b.co"}, on_archived="replace")
    with pytest.raises(cb.ValidationError, match="on_archived must be one of"):
        toy.create("contacts", {"email": "a@b.co"}, on_archived="maybe")  # type: ignore[arg-type]


def test_unsupported_verbs_raise(toy: cb.Bridge) -> None:
    with pytest.raises(cb.Unsupported, match="toy does not support archive"):
        toy.archive("contacts", "1")
    with pytest.raises(cb.Unsupported, match="keeps no value history"):
        toy.history("contacts", "1", "name")


def test_passthrough_request(toy: cb.Bridge) -> None:
    response = toy.request("GET", "/objects")
    assert response.json() == [{"slug": "contacts", "label": "Contacts"}]
    with pytest.raises(cb.NotFound):
        toy.request("GET", "/nothing")
    with pytest.raises(cb.ValidationError):
        toy.request("GET", "objects")


def test_on_request_sees_requests_without_credentials(
    toy_plugin: ToyPlugin, toy_crm: ToyCRM
) -> None:
    seen: list[httpx.Request] = []
    crm = cb.connect(
        "toy", token=toy_crm.token, transport=httpx.MockTransport(toy_crm), on_request=seen.append
    )
    crm.objects()
    assert [r.url.path for r in seen] == ["/objects"]


def test_async_bridge(toy_plugin: ToyPlugin, toy_crm: ToyCRM) -> None:
    async def main() -> None:
        async with cb.connect_async(
            "toy", token=toy_crm.token, transport=httpx.MockTransport(toy_crm)
        ) as crm:
            created = await asyncio.gather(
                *(crm.create("contacts", {"email": f"p{i}@x.co", "name": "n"}) for i in range(50))
            )
            assert len({r.id for r in created}) == 50
            got = [r async for r in crm.query("contacts")]
            assert len(got) == 50
            assert (
                await crm.upsert("contacts", {"email": "p1@x.co", "name": "n"}, match="email")
            ).action == "noop"
            with pytest.raises(cb.ValidationError):
                [r async for r in crm.query("contacts", cb.F("nope") == 1)]

    asyncio.run(main())


def test_repr_hides_credentials(toy: cb.Bridge, toy_crm: ToyCRM) -> None:
    assert toy_crm.token not in repr(toy)
    assert toy_crm.token not in repr(toy.provider)
    assert "********" in repr(toy.provider.config["token"])


@pytest.mark.parametrize("bad", ["../objects", "a/b", "x?y", "x#y", "a b", "\x1f", "..", "%2e%2e"])
def test_record_ids_cannot_address_anything_else(toy: cb.Bridge, toy_crm: ToyCRM, bad: str) -> None:
    toy.schema("contacts")
    sent = len(toy_crm.requests)
    with pytest.raises(cb.ValidationError, match="record id"):
        toy.get("contacts", bad)
    assert len(toy_crm.requests) == sent


def test_query_fields_narrows_records(toy: cb.Bridge, toy_crm: ToyCRM) -> None:
    toy_crm.records["1"] = {"id": "1", "email": "a@b.co", "name": "A", "score": 3}
    (record,) = toy.query("contacts", fields=["email"])
    assert record.fields == {"email": "a@b.co"}
    with pytest.raises(cb.ValidationError, match="no field 'nope'"):
        toy.query("contacts", fields=["nope"])


def test_pages_resume_from_a_cursor(toy: cb.Bridge, toy_crm: ToyCRM) -> None:
    for i in range(25):
        toy_crm.records[str(i)] = {"id": str(i), "email": f"p{i}@x.co", "name": "n"}
    pages = list(toy.pages("contacts"))
    assert [len(p.records) for p in pages] == [10, 10, 5]
    assert pages[-1].next is None
    resumed = list(toy.pages("contacts", cursor=pages[0].next))
    assert [r.id for p in resumed for r in p.records] == [str(i) for i in range(10, 25)]
    assert len(list(toy.query("contacts", limit=10))) == 10
    with pytest.raises(cb.ValidationError, match="limit"):
        toy.query("contacts", limit=True)  # type: ignore[arg-type]


def test_async_schema_is_fetched_once_under_concurrency(
    toy_plugin: ToyPlugin, toy_crm: ToyCRM
) -> None:
    """Thirty tasks on a cold cache: one fetch of the schema, not thirty."""
    toy_crm.records["1"] = {"id": "1", "email": "a@b.co", "name": "A"}

    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.005)  # a real round trip: the tasks interleave
        return toy_crm(request)

    async def main() -> None:
        async with cb.connect_async("toy", token=toy_crm.token,
                                    transport=httpx.MockTransport(slow)) as crm:  # fmt: skip
            got = await asyncio.gather(
                *(crm.get("contacts", "1") for _ in range(20)),
                *(crm.fields("contacts") for _ in range(5)),
                *(crm.upsert("contacts", {"email": "a@b.co", "name": "A"}, match="email")
                  for _ in range(5)),
            )  # fmt: skip
            assert all(g is not None for g in got)

    asyncio.run(main())
    assert sum(r.url.path == "/objects/contacts/fields" for r in toy_crm.requests) == 1
    assert sum(r.url.path == "/objects" for r in toy_crm.requests) == 1
