"""A stand-in for ``httpx._main``, httpx's own command line, until something really uses it.

httpx imports its command line whenever click and rich are installed (httpx/__init__.py:
``try: from ._main import main``), which loads click, rich and pygments — 50 to 170 ms of a
client's first request that crmbridge never uses (issue 24: cold start; the ``cli`` extra installs
both). :func:`install` puts this module in ``sys.modules["httpx._main"]`` before httpx is first
imported, so httpx takes :func:`main` from here; the real module loads the first time anything
calls ``httpx.main()`` or reads another of its names (``import httpx._main`` after that gives the
real one too). docs/decisions.md "cold" says why.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import Any

__all__ = ["install", "main"]

_NAME = "httpx._main"


def install() -> None:
    """Stand in for httpx's command line, unless httpx (or its command line) is loaded already."""
    if "httpx" not in sys.modules:
        sys.modules.setdefault(_NAME, sys.modules[__name__])


def _real() -> ModuleType:
    if sys.modules.get(_NAME) is sys.modules[__name__]:
        del sys.modules[_NAME]
    return importlib.import_module(_NAME)


def main(*args: Any, **kwargs: Any) -> Any:
    """``httpx.main``: the real command line, loaded now."""
    return _real().main(*args, **kwargs)


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(_real(), name)
