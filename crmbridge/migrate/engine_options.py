"""The migration engine's ``deletes`` and ``on_target_changed`` choices, in a module that imports
nothing of the library.

:mod:`crmbridge.migrate.engine` owns the rules and re-exports these; they live here so that the
command line can offer them as choices without loading the engine (``crmbridge --help``, issue 24:
cold start).
"""

from __future__ import annotations

from typing import Literal

__all__ = ["DELETES", "ON_TARGET_CHANGED", "Deletes", "OnTargetChanged"]

Deletes = Literal["report", "archive", "delete"]
OnTargetChanged = Literal["overwrite", "keep", "fail"]
DELETES: tuple[Deletes, ...] = ("report", "archive", "delete")
ON_TARGET_CHANGED: tuple[OnTargetChanged, ...] = ("overwrite", "keep", "fail")
