"""The verbs cannot drift: :class:`~crmbridge.Bridge` is the one source of each verb's signature;
:class:`~crmbridge.AsyncBridge`, the conformance kit's ``BlockingBridge``, the facade's plans
(``_Verbs``) and the provider contract (``Provider``) are checked against it here, as hishel's
``unasync --check`` checks its generated sync code against the async source."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import crmbridge
from crmbridge.bridge import _Verbs
from crmbridge.plugin import Provider
from crmbridge.testing.conformance.blocking import BlockingBridge

#: Closing differs by design (``close`` / ``aclose``); everything else is a verb.
NOT_VERBS = {"close", "aclose", "invalidate_schema"}
#: Verbs that hand back an iterator (async on AsyncBridge) rather than a result to await.
ITERATING = {"query", "pages", "changes", "object_notes"}
#: Facade verb → the ``_Verbs`` plan that does its work (same name unless listed).
PLANS = {"request": "passthrough"}
#: Facade verbs with a provider plan of the same parameters, ``object`` → ``schema``.
PROVIDER_VERBS = ("get", "create", "update", "upsert", "delete", "archive", "restore", "history")


def verbs(cls: type) -> dict[str, Callable[..., Any]]:
    return {
        name: member
        for name, member in inspect.getmembers(cls, callable)
        if not name.startswith("_") and name not in NOT_VERBS
    }


def parameters(fn: Callable[..., Any]) -> list[tuple[str, Any, Any, Any]]:
    return [
        (p.name, p.kind, p.default, p.annotation)
        for p in inspect.signature(fn).parameters.values()
        if p.name not in ("self", "provider")
    ]


def drift(source: type, other: type) -> Iterator[str]:
    """Every way ``other``'s verbs differ from ``source``'s: missing, extra, or with other
    parameters (names, kinds, defaults, annotations)."""
    mine, theirs = verbs(source), verbs(other)
    for name in sorted(mine.keys() - theirs.keys()):
        yield f"{other.__name__} lacks {name}()"
    for name in sorted(theirs.keys() - mine.keys()):
        yield f"{other.__name__}.{name}() is not a verb of {source.__name__}"
    for name in sorted(mine.keys() & theirs.keys()):
        want, got = parameters(mine[name]), parameters(theirs[name])
        if want != got:
            yield (
                f"{other.__name__}.{name}{inspect.signature(theirs[name])} differs from "
                f"{source.__name__}.{name}{inspect.signature(mine[name])}"
            )


@pytest.mark.parametrize("facade", [crmbridge.AsyncBridge, BlockingBridge])
def test_facades_take_the_same_arguments_as_bridge(facade: type) -> None:
    assert list(drift(crmbridge.Bridge, facade)) == []


def test_async_verbs_are_awaited_or_iterated() -> None:
    for name, fn in verbs(crmbridge.AsyncBridge).items():
        assert inspect.iscoroutinefunction(fn) == (name not in ITERATING), name


def test_each_verb_has_a_plan_with_the_same_parameters() -> None:
    facade = verbs(crmbridge.Bridge)
    for name, fn in facade.items():
        plan = getattr(_Verbs, PLANS.get(name, name), None)
        if plan is None:
            continue  # query/pages/changes/run: built from other plans
        names = [p[0] for p in parameters(fn)]
        assert [p[0] for p in parameters(plan)] == names, name
    for name in PROVIDER_VERBS:
        names = ["schema" if p[0] == "object" else p[0] for p in parameters(facade[name])]
        assert [p[0] for p in parameters(getattr(Provider, name))] == names, name


def test_the_check_finds_a_drifted_verb() -> None:
    """The check can fail: a facade whose query lost ``fields=`` and gained a verb is caught."""

    class Drifted(BlockingBridge):
        def query(  # type: ignore[override]
            self, object: str, where: Any = None, *, limit: int | None = None
        ) -> Iterator[crmbridge.Record]:
            return iter(())

        def extra(self) -> None:
            return None

    found = list(drift(crmbridge.Bridge, Drifted))
    assert any(line.startswith("Drifted.query(") for line in found), found
    assert "Drifted.extra() is not a verb of Bridge" in found
