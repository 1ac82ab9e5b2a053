"""The ``on_archived`` choices of an upsert, in a module that imports nothing of the library.

:mod:`crmbridge.upsert` owns the rule and re-exports these; they live here so that the command
line can offer them as choices without loading the model and the filters (``crmbridge --help``,
issue 24: cold start).
"""

from __future__ import annotations

from typing import Final, Literal

__all__ = ["DEFAULT_ON_ARCHIVED", "ON_ARCHIVED", "OnArchived"]

#: What a write does when its unique value belongs to an archived record: fail, bring that record
#: back, or write a new record beside it.
OnArchived = Literal["error", "unarchive", "replace"]
ON_ARCHIVED: Final[tuple[OnArchived, ...]] = ("error", "unarchive", "replace")
#: The upsert default: an archived match comes back (an upsert means "make this record exist").
#: On a CRM without archived records it is simply not sent.
DEFAULT_ON_ARCHIVED: Final[OnArchived] = "unarchive"
