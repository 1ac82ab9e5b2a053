"""A package's exported names, each imported from its module on first use (PEP 562).

``crmbridge --help`` loads every plugin's entry point, and the entry point imports its package
first: a package that imported its provider, httpx and the codec at import time made the help
page pay for all of them (issue 24: cold start; docs/decisions.md "cold"). So the packages of
crmbridge and of its plugins name their exports in a table and build the module's ``__getattr__``
and ``__dir__`` here (https://peps.python.org/pep-0562/); type checkers see the real imports
under ``TYPE_CHECKING``. Plugin authors reach it as :func:`crmbridge.plugin.lazy_exports`.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    module: str, table: Mapping[str, str], *, submodules: bool = False
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for the module named ``module`` (pass ``__name__``): each name
    of ``table`` is imported from its module (relative to the module's package) the first time it
    is asked for, then kept in the module. With ``submodules``, any other name is tried as a
    submodule of a package (``crmbridge.migrate``)."""
    namespace = sys.modules[module].__dict__
    package = namespace.get("__package__") or module

    def __getattr__(name: str) -> Any:
        module = table.get(name)
        if module is not None:
            value = getattr(importlib.import_module(module, package), name)
            namespace[name] = value
            return value
        if submodules and not name.startswith("__"):
            try:
                return importlib.import_module(f"{package}.{name}")
            except ModuleNotFoundError as exc:
                if exc.name != f"{package}.{name}":
                    raise
        raise AttributeError(f"module {module!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted({*namespace, *table})

    return __getattr__, __dir__
