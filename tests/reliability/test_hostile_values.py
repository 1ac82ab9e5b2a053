"""Hostile values (issue 15): NaN, infinities, sNaN, 10**400, ``None`` where text goes, values
nested 5,000 deep, a ``match`` or ``values`` of the wrong type. Each is a ``ValidationError``
raised before any request — with a warm *or a cold* schema cache (a cold cache must not turn it
into a ``ProviderError`` blaming the CRM) — and the error's own ``str`` works."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import crmbridge as cb

OBJECTS = {"attio": "companies", "kizen": "client_client"}
#: A field of each kind the hostile values go into, per provider.
FIELDS = {
    "attio": {"money": "funding_raised_usd", "option": "categories", "reference": "team",
              "text": "name", "match": "domains"},
    "kizen": {"option": "email_status", "reference": "company", "text": "first_name",
              "match": "email"},
}  # fmt: skip

NUMBERS = [
    float("nan"),
    float("inf"),
    float("-inf"),
    Decimal("sNaN"),
    Decimal("NaN"),
    Decimal("-Infinity"),
    10**400,
    -(10**400),
    Decimal("1e400"),
    "NaN",
    "Infinity",
    "1e400",
    "sNaN",
]


def _deep(n: int, *, as_map: bool = False) -> Any:
    value: Any = "x"
    for _ in range(n):
        value = {"a": value} if as_map else [value]
    return value


def _connect(name: str, *, cold: bool) -> tuple[cb.Bridge, list[httpx.Request]]:
    sent: list[httpx.Request] = []
    crm = cb.connect(name, emulator={"seed": "demo", "demo_size": 3}, on_request=sent.append)
    if not cold:
        for obj in {OBJECTS[name], *NUMBER_OBJECTS[name]}:
            crm.schema(obj)
    sent.clear()
    return crm, sent


def _consume(call: Callable[[], Any]) -> None:
    result = call()
    if hasattr(result, "__next__"):
        list(result)


def _refused(
    crm: cb.Bridge,
    sent: list[httpx.Request],
    call: Callable[[], Any],
    *,
    schema_reads: bool = False,
) -> None:
    """``call`` raises a ValidationError having sent nothing — or, with ``schema_reads`` (a
    number given as text into a cold cache: only the schema says the field takes numbers),
    nothing but the schema's GETs."""
    sent.clear()
    with pytest.raises(cb.ValidationError) as info:
        _consume(call)
    if schema_reads:
        assert all(r.method == "GET" for r in sent), f"{info.value!r} raised after a write"
    else:
        assert sent == [], f"{info.value!r} raised after {len(sent)} request(s)"
    assert str(info.value)  # the error's own str works, whatever the value
    assert repr(info.value)


#: Objects with number, money, integer and rating fields, per provider.
NUMBER_OBJECTS = {"attio": ["companies"], "kizen": ["companies_company", "projects"]}


def _number_fields(name: str) -> list[tuple[str, str]]:
    """Every writable number, money, integer or rating field, with its object."""
    kinds = {cb.FieldType.number, cb.FieldType.money, cb.FieldType.integer, cb.FieldType.rating}
    with cb.connect(name, emulator={"seed": "demo", "demo_size": 3}) as warm:
        found = [
            (obj, f.slug)
            for obj in NUMBER_OBJECTS[name]
            for f in warm.schema(obj).fields.values()
            if f.type in kinds and f.writable
        ]
    assert found
    return found


@pytest.mark.parametrize("cold", [False, True], ids=["warm", "cold"])
@pytest.mark.parametrize("name", ["attio", "kizen"])
def test_non_finite_and_huge_numbers_are_refused_before_any_request(name: str, cold: bool) -> None:
    crm, sent = _connect(name, cold=cold)
    for obj, slug in _number_fields(name):
        for number in NUMBERS:
            text = cold and isinstance(number, str)
            for call in (
                lambda o=obj, f=slug, n=number: crm.create(o, {f: n}),
                lambda o=obj, f=slug, n=number: crm.query(o, {f: n}),
                lambda o=obj, f=slug, n=number: crm.query(o, {f: {"$gt": n}}),
            ):
                _refused(crm, sent, call, schema_reads=text)
                if cold:
                    crm.invalidate_schema()
    nan = cb.Money(Decimal("NaN"))
    if name == "attio":
        _refused(crm, sent, lambda: crm.create("companies", {"funding_raised_usd": nan}))
    else:
        _refused(crm, sent, lambda: crm.create("projects", {"budget": nan}))


@pytest.mark.parametrize("cold", [False, True], ids=["warm", "cold"])
@pytest.mark.parametrize("name", ["attio", "kizen"])
def test_wrong_shapes_are_refused_before_any_request(name: str, cold: bool) -> None:
    crm, sent = _connect(name, cold=cold)
    obj, f = OBJECTS[name], FIELDS[name]
    match_value = "a@b.example" if name == "kizen" else ["b.example"]
    for call in (
        lambda: crm.create(obj, {f["option"]: cb.Option(None)}),  # type: ignore[arg-type]
        # A number is no label either: refused with Option(None), before the schema is read.
        lambda: crm.create(obj, {f["option"]: cb.Option(0)}),  # type: ignore[arg-type]
        lambda: crm.query(obj, {f["option"]: {"$eq": cb.Option(0)}}),  # type: ignore[arg-type]
        lambda: crm.create(obj, {f["reference"]: cb.Ref("people", None)}),  # type: ignore[arg-type]
        lambda: crm.upsert(obj, {f["match"]: match_value}, match=5),  # type: ignore[arg-type]
        lambda: crm.upsert(obj, None),  # type: ignore[arg-type]
        lambda: crm.create(obj, {f["text"]: _deep(5000)}),
        lambda: crm.create(obj, {f["text"]: _deep(5000, as_map=True)}),
        lambda: crm.query(obj, {f["text"]: _deep(5000)}),
        lambda: crm.update(obj, "00000000-0000-0000-0000-000000000001", {5: "x"}),  # type: ignore[dict-item]
    ):
        _refused(crm, sent, call)
        if cold:
            crm.invalidate_schema()


def test_async_checks_before_loading_the_schema() -> None:
    """The async facade loads a schema before running a verb: the shape check runs first."""
    sent: list[httpx.Request] = []

    async def main() -> None:
        async with cb.connect_async("kizen", emulator=True, on_request=sent.append) as crm:
            with pytest.raises(cb.ValidationError):
                await crm.create("client_client", {"first_name": float("nan")})
            with pytest.raises(cb.ValidationError):
                await crm.upsert("client_client", {"email": "a@b.example"}, match=5)  # type: ignore[arg-type]
            with pytest.raises(cb.ValidationError):
                async for _ in crm.query("client_client", {"first_name": _deep(3000)}):
                    pass

    asyncio.run(main())
    assert sent == []


def test_the_in_process_kizen_emulator_prints_no_traceback_on_a_huge_number(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Sent past crmbridge's checks (a raw client), a huge number in a search filter gets
    Kizen's 400, not a 500 and a traceback from the emulator."""
    sent: list[httpx.Request] = []
    crm = cb.connect("kizen", emulator={"seed": "demo", "demo_size": 3}, on_request=sent.append)
    list(crm.query("projects", {"hours": {"$gt": 1.25}}))
    search = sent[-1]
    assert crm.emulator is not None
    with crm.emulator.client() as raw:
        response = raw.post(
            search.url.path,
            params=dict(search.url.params),
            content=search.content.replace(b"1.25", b"1" + b"0" * 400),
            headers={"content-type": "application/json"},
        )
    assert response.status_code == 400, response.text
    assert not [r for r in caplog.records if r.exc_info], "the emulator logged a traceback"


# --- hypothesis: every neutral value type and filter, hostile numbers and nesting -------------

hostile_numbers = (
    st.sampled_from(NUMBERS)
    | st.floats()
    | st.decimals()
    | st.integers(min_value=-(10**500), max_value=10**500)
)
texts = st.none() | st.text(max_size=6) | st.integers() | hostile_numbers
scalars = (
    hostile_numbers
    | st.text(max_size=10)
    | st.booleans()
    | st.none()
    | st.dates()
    | st.datetimes(timezones=st.just(dt.UTC))
    | st.builds(cb.Money, hostile_numbers.filter(lambda n: not isinstance(n, str)), texts)
    | st.builds(cb.Option, texts, texts)
    | st.builds(cb.Ref, texts, texts)
    | st.builds(cb.RefBy, texts, texts, hostile_numbers)
    | st.builds(cb.PersonName, texts, texts, texts)
    | st.builds(cb.Location, texts, texts, locality=texts, country_code=texts)
    | st.builds(cb.User, texts, texts)
    | st.builds(cb.File, texts, texts)
)
values = st.recursive(
    scalars,
    lambda k: (
        st.lists(k, max_size=3)
        | st.dictionaries(st.text(max_size=4), k, max_size=2)
        | st.builds(cb.add, k)
        | st.builds(cb.remove, k)
    ),
    max_leaves=6,
) | st.integers(100, 3000).map(_deep)


@pytest.fixture(scope="module", params=["attio", "kizen"])
def bridge(request: pytest.FixtureRequest) -> Any:
    sent: list[httpx.Request] = []
    crm = cb.connect(request.param, emulator=True, on_request=sent.append)
    slugs = list(crm.schema(OBJECTS[request.param]).fields)
    yield crm, sent, request.param, slugs
    crm.close()


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_hostile_values_and_filters_raise_only_crmbridge_errors(bridge: Any, data: Any) -> None:
    crm, sent, name, slugs = bridge
    obj = OBJECTS[name]
    slug = data.draw(st.sampled_from(slugs))
    value = data.draw(values)
    op = data.draw(st.sampled_from(["$eq", "$ne", "$lt", "$gte", "$in", "$contains", "$is_empty"]))
    for call in (
        lambda: crm.create(obj, {slug: value}),
        lambda: crm.upsert(obj, {slug: value}, match=data.draw(st.none() | st.just(slug))),
        lambda: list(crm.query(obj, {slug: {op: value}}, limit=1)),
    ):
        before = len(sent)
        error: cb.CRMError | None = None
        try:
            call()
        except cb.CRMError as exc:  # anything else fails the test
            error = exc
        if error is None:
            continue
        assert str(error)
        assert repr(error)
        if isinstance(error, cb.ValidationError) and error.status is None:
            assert len(sent) == before, f"{error!r} raised after a request"


@pytest.mark.parametrize(("provider", "obj", "field"),
                         [("kizen", "client_client", "email_status"),
                          ("attio", "companies", "categories")])  # fmt: skip
def test_an_option_whose_label_is_not_text_is_a_validation_error(
    provider: str, obj: str, field: str
) -> None:
    """``Option(0)`` in a filter or a write (found by the hypothesis run above: a bare
    AttributeError from ``casefold`` / ``difflib``), refused as an unknown option."""
    with cb.connect(provider, emulator=True) as crm:
        with pytest.raises(cb.ValidationError, match="unknown option 0"):
            list(crm.query(obj, {field: {"$eq": cb.Option(0)}}))  # type: ignore[arg-type]
        with pytest.raises(cb.ValidationError, match="unknown option 0"):
            crm.create(obj, {field: cb.Option(0)})  # type: ignore[arg-type]
