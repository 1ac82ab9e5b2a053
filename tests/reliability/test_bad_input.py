"""Random input at the public API and the CLI: every failure is a crmbridge error that names the
problem (or exit code 2 on the command line), never a KeyError or TypeError, and input that
validation can reject sends no request."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import crmbridge as cb
import crmbridge.plugins
from crmbridge.cli import cli
from crmbridge.plugins import get_provider

SETTINGS = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | st.decimals(allow_nan=False, allow_infinity=False)
    | st.dates()
    | st.datetimes(timezones=st.just(dt.UTC))
    | st.builds(
        cb.Money, st.decimals(-1000, 1000, places=2), st.sampled_from([None, "USD", "EUR", "XXX"])
    )
    | st.builds(cb.Option, st.text(max_size=10))
    | st.builds(cb.Ref, st.text(max_size=8), st.text(max_size=8))
    | st.builds(cb.PersonName, st.none() | st.text(max_size=8), st.none() | st.text(max_size=8))
    | st.builds(cb.User, st.none() | st.text(max_size=8), st.none() | st.emails())
    | st.emails()
)
values = st.recursive(
    scalars,
    lambda k: (
        st.lists(k, max_size=3)
        | st.dictionaries(st.text(max_size=5), k, max_size=2)
        | st.builds(cb.add, k)
        | st.builds(cb.remove, k)
        | st.just(cb.clear())
    ),
    max_leaves=4,
)
ops = st.sampled_from(
    [
        "$eq",
        "$ne",
        "$lt",
        "$lte",
        "$gt",
        "$gte",
        "$in",
        "$contains",
        "$starts_with",
        "$ends_with",
        "$is_empty",
        "$like",
        "eq",
    ]
)


class Counting:
    """A bridge to an emulator, counting the requests each call sends."""

    def __init__(self, name: str) -> None:
        self.sent: list[httpx.Request] = []
        self.crm = cb.connect(name, emulator=True, on_request=self.sent.append)
        self.objects = {"attio": "people", "kizen": "client_client"}[name]
        self.slugs = list(self.crm.schema(self.objects).fields)  # warm the schema cache

    def call(self, fn: Any, *args: Any, **kwargs: Any) -> None:
        before = len(self.sent)
        error: cb.CRMError | None = None
        try:
            result = fn(*args, **kwargs)
            if hasattr(result, "__next__"):
                list(result)
        except cb.CRMError as exc:  # anything else (KeyError, TypeError, ...) fails the test
            error = exc
        if error is None:
            return
        assert str(error), "an error must say what was wrong"
        if isinstance(error, cb.ValidationError | cb.Unsupported) and error.status is None:
            assert len(self.sent) == before, f"{error!r} was raised after sending a request"


@pytest.fixture(scope="module", params=["attio", "kizen"])
def crm(request: pytest.FixtureRequest) -> Iterator[Counting]:
    counting = Counting(request.param)
    yield counting
    counting.crm.close()


def _slug(crm: Counting) -> st.SearchStrategy[str]:
    return st.sampled_from(crm.slugs) | st.text(max_size=12)


@SETTINGS
@given(data=st.data())
def test_random_writes(crm: Counting, data: st.DataObject) -> None:
    fields = data.draw(st.dictionaries(_slug(crm), values, max_size=4))
    verb = data.draw(st.sampled_from(["create", "update", "upsert"]))
    if verb == "create":
        crm.call(crm.crm.create, crm.objects, fields)
    elif verb == "update":
        crm.call(crm.crm.update, crm.objects, data.draw(st.text(max_size=40)), fields)
    else:
        crm.call(crm.crm.upsert, crm.objects, fields, match=data.draw(st.none() | _slug(crm)))


@SETTINGS
@given(data=st.data())
def test_random_reads_and_filters(crm: Counting, data: st.DataObject) -> None:
    where = data.draw(
        st.recursive(
            st.dictionaries(
                _slug(crm),
                st.dictionaries(ops, scalars | st.lists(scalars, max_size=2), max_size=2) | scalars,
                min_size=1,
                max_size=2,
            ),
            lambda k: st.dictionaries(
                st.sampled_from(["$and", "$or", "$not", "$nor"]),
                st.lists(k, min_size=0, max_size=2) | k,
                min_size=1,
                max_size=1,
            ),
            max_leaves=4,
        )
    )
    crm.call(
        crm.crm.query,
        data.draw(st.sampled_from([crm.objects, "nope", ""])),
        where,
        order_by=data.draw(
            st.lists(
                _slug(crm).map(lambda s: data.draw(st.sampled_from(["", "-"])) + s), max_size=2
            )
        ),
        limit=3,
    )
    crm.call(crm.crm.get, crm.objects, data.draw(st.text(max_size=40)))


@SETTINGS
@given(
    args=st.lists(
        st.sampled_from(
            [
                "--where",
                "{",
                '{"a": 1}',
                "[1]",
                "--limit",
                "-1",
                "3",
                "--emulator",
                "--values",
                "null",
                '{"x": {"$type": "nope"}}',
                "-o",
                "token",
                "people",
                "attio",
                "kizen",
                "nope",
            ]
        ),
        max_size=7,
    ),
    verb=st.sampled_from(["get", "query", "upsert", "create", "fields", "objects", "archive"]),
)
def test_random_command_lines(verb: str, args: list[str]) -> None:
    result = CliRunner().invoke(cli, [verb, *args])
    assert result.exit_code in (0, 1, 2), result.output
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("body", "raw"),
    [
        (b'{"data": [{"id"', '{"data": [{"id"'),  # truncated JSON: kept as text
        (b"<html>502 Bad Gateway</html>", "<html>502 Bad Gateway</html>"),
        (b'{"data": 5}', {"data": 5}),  # JSON of the wrong shape: kept parsed
        (b'{"results": "x", "next": 3}', {"results": "x", "next": 3}),
        (b"", ""),
        (b"null", None),
    ],
)
@pytest.mark.parametrize("name", ["attio", "kizen"])
def test_malformed_responses_give_provider_error_with_the_raw_body(
    name: str, body: bytes, raw: Any
) -> None:
    emulator = cb.plugins.get_provider(name).create_emulator()
    warm = cb.connect(name, emulator=emulator)
    obj = {"attio": "people", "kizen": "client_client"}[name]
    broken = {"on": False}

    def handler(request: httpx.Request) -> httpx.Response:
        if broken["on"]:
            return httpx.Response(200, content=body, headers={"content-type": "application/json"})
        return emulator.dispatch(request)

    crm = cb.connect(
        name,
        transport=httpx.MockTransport(handler),
        **emulator.credentials(),
        base_url=emulator.base_url,
    )
    crm.schema(obj)
    broken["on"] = True
    for call in (
        lambda: crm.get(obj, "00000000-0000-0000-0000-000000000001"),
        lambda: list(crm.query(obj, limit=2)),
    ):
        with pytest.raises(cb.ProviderError) as info:
            call()
        assert info.value.raw == raw
    warm.close()


def test_values_that_are_numbers_stay_exact() -> None:
    crm = cb.connect("attio", emulator=True)
    rec = crm.create(
        "companies",
        {"name": "Exact", "domains": "exact.example", "funding_raised_usd": Decimal("0.10")},
    )
    assert crm.get("companies", rec.id)["funding_raised_usd"].amount == Decimal("0.1")


toml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda k: st.lists(k, max_size=3) | st.dictionaries(st.text(max_size=8), k, max_size=3),
    max_leaves=6,
)
field_maps = st.dictionaries(
    st.sampled_from(["name", "email_addresses", "company", "job_title", "nope", "phone_numbers"]),
    st.sampled_from(["first_name", "email", "company_primary", "titles", "x", "mobile_phone"])
    | st.fixed_dictionaries(
        {},
        optional={
            "to": st.sampled_from(
                ["first_name", "email", ["first_name", "last_name"], "titles", 3]
            ),
            "transform": st.sampled_from(
                ["first", "join", "split_name", "map_options", "zap", "skip"]
            ),
            "options": toml_values,
            "sep": toml_values,
            "skip": st.booleans(),
            "default": toml_values,
        },
    ),
    max_size=4,
)
mappings = st.fixed_dictionaries(
    {
        "objects": st.lists(
            st.fixed_dictionaries(
                {
                    "source": st.sampled_from(["people", "companies", "nope", ""]),
                    "target": st.sampled_from(["client_client", "companies_company", "nope"]),
                },
                optional={
                    "fields": field_maps | toml_values,
                    "match": toml_values,
                    "constants": toml_values,
                    "extra": toml_values,
                },
            ),
            max_size=3,
        )
    }
) | st.dictionaries(st.text(max_size=8), toml_values)


@settings(max_examples=150, deadline=None)
@given(data=mappings)
@example(
    data={
        "objects": [
            {"source": "people", "target": "client_client", "fields": {"email_addresses": "email"}}
        ]
    }
)  # fits: writes nothing bad
@example(
    data={
        "objects": [
            {
                "source": "people",
                "target": "client_client",
                "match": "email",
                "fields": {"email_addresses": {"to": "email"}, "name": "first_name"},
            }
        ]
    }
)
def test_random_mapping_files(
    data: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> None:
    from crmbridge.migrate import migrate, parse_mapping

    try:
        mapping = parse_mapping(data)
    except cb.ValidationError as exc:
        message = str(exc)
        assert message.strip()
        return
    target = get_provider("kizen").create_emulator()
    state = tmp_path_factory.mktemp("m") / "s.db"
    refused: cb.CRMError | None = None
    try:
        migrate(
            cb.connect_async("attio", emulator={"seed": "demo", "demo_size": 3}),
            cb.connect_async("kizen", emulator=target),
            mapping,
            state=state,
            failures=None,
        )
    except (cb.ValidationError, cb.NotFound) as exc:
        refused = exc
    if refused is not None:
        assert str(refused).strip()
        assert not target.records("client_client"), "a bad mapping wrote records"
