"""Two import points: ``crmbridge`` for users (a small ``__all__`` holding every type a public
signature names) and ``crmbridge.plugin`` for provider authors."""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import pytest

import crmbridge
import crmbridge.plugin

#: Made by connect()/connect_async(): their constructors are not the users' API.
MADE_BY_CONNECT = {"Bridge", "AsyncBridge"}
#: Exported for the signatures that name them (``connect(type[Provider])``,
#: ``connect(emulator=Emulator)``, ``Bridge.run(Plan)``, ``changes(store=FeedStore)``); their own
#: methods are for those who implement them (the plugin kit, a feed store), not for callers.
OPAQUE = {"Provider", "Emulator", "Plan", "FeedStore"}


def _classes(hint: Any) -> Iterator[type]:
    """Every class a type hint names (through unions, generics, callables)."""
    origin = typing.get_origin(hint)
    if isinstance(hint, type) and origin is None:
        yield hint
    for arg in typing.get_args(hint):
        if isinstance(arg, list):
            for a in arg:
                yield from _classes(a)
        else:
            yield from _classes(arg)
    if origin is not None and isinstance(origin, type):
        yield origin


def _hints(fn: Callable[..., Any]) -> dict[str, Any]:
    target = fn.fget if isinstance(fn, property) else fn
    module = inspect.getmodule(target)
    return typing.get_type_hints(target, vars(module) if module else None)


def _signatures() -> Iterator[tuple[str, Callable[..., Any]]]:
    for name in crmbridge.__all__:
        obj = getattr(crmbridge, name)
        if inspect.isfunction(obj):
            yield name, obj
        elif inspect.isclass(obj) and name not in OPAQUE:
            if name not in MADE_BY_CONNECT and attrs.has(obj):
                yield f"{name}()", obj.__init__
            for member, value in vars(obj).items():
                if not member.startswith("_") and (
                    inspect.isfunction(value) or isinstance(value, property)
                ):
                    yield f"{name}.{member}", value
            for base in obj.__mro__[1:]:
                if base.__module__.startswith("crmbridge") and base.__name__.startswith("_"):
                    for member, value in vars(base).items():
                        if not member.startswith("_") and (
                            inspect.isfunction(value) or isinstance(value, property)
                        ):
                            yield f"{name}.{member}", value


def test_every_type_in_a_public_signature_is_exported() -> None:
    # A union alias exported by name (``Filter``) covers its members.
    covered = {c for name in crmbridge.__all__ for c in typing.get_args(getattr(crmbridge, name))}
    missing = {}
    for where, fn in _signatures():
        for hint in _hints(fn).values():
            for cls in _classes(hint):
                if cls in covered:
                    continue
                if cls.__module__.startswith("crmbridge") and cls.__name__ not in crmbridge.__all__:
                    missing.setdefault(f"{cls.__module__}.{cls.__name__}", where)
    assert not missing, f"named in public signatures but not exported: {missing}"


def test_literal_types_in_signatures_are_exported() -> None:
    """``OnArchived`` and ``UpsertAction`` are Literal aliases: exported under their names."""
    assert crmbridge.OnArchived is crmbridge.upsert.OnArchived
    assert crmbridge.UpsertAction is crmbridge.model.UpsertAction


def test_the_plugin_kit_is_not_in_the_users_namespace() -> None:
    kit_only = {"hookimpl", "normalize_values", "Query", "Secret", "Upsert", "Matches"}
    assert not kit_only & set(crmbridge.__all__)
    assert kit_only <= set(crmbridge.plugin.__all__)
    assert "Provider" in crmbridge.plugin.__all__


def test_import_crmbridge_loads_only_what_is_used() -> None:
    """Issue 24 (cold start): ``import crmbridge`` loads no HTTP client, no cattrs, no CLI; each
    public name loads its module on first use (PEP 562), and every name of ``__all__`` does."""
    import subprocess
    import sys

    code = (
        "import sys, crmbridge\n"
        "heavy = {'httpx', 'cattrs', 'attrs', 'click', 'rich', 'crmbridge.bridge'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
        "missing = [n for n in crmbridge.__all__ if getattr(crmbridge, n, None) is None]\n"
        "print(missing, 'Record' in dir(crmbridge), crmbridge.migrate.__name__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines() == ["[]", "[] True crmbridge.migrate"], out.stderr
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        crmbridge.nope  # type: ignore[attr-defined]  # noqa: B018
