"""A stateful emulator of the Attio REST API v2 (docs/design.md §6, issue #6).

``AttioEmulator()`` answers Attio's endpoints from in-memory state, in Attio's wire format:
in-process through ``.transport()`` (an ``httpx.MockTransport``) or over HTTP on loopback through
``.serve()``. Modules, one job each, with the same roles and names as the Kizen emulator's
(``crmbridge_kizen.emulator``; tests/test_emulator_shape.py checks it):

* :mod:`.emulator` — the ``Emulator`` subclass: auth, error/429/5xx bodies.
* :mod:`.access` — state inspection and seeding for tests (``record()`` is ``None`` for a missing
  record; ``seed_record()`` returns the new record's id).
* :mod:`.routes` — method + path → handler; unknown endpoints answer Attio's 404.
* :mod:`.handlers`, :mod:`.handlers_schema`, :mod:`.handlers_records`,
  :mod:`.handlers_entries` — the handlers.
* :mod:`.writes` — create / append / overwrite / assert semantics, uniqueness, history.
* :mod:`.values` — per-type value normalisation and validation.
* :mod:`.filters` — filter and sort evaluation.
* :mod:`.store`, :mod:`.schema` — state; :mod:`.seeds` — standard objects; :mod:`.demo` — demo data.
* :mod:`.errors`, :mod:`.ids` — error bodies; ids and timestamps.
"""

from __future__ import annotations

from .emulator import DEFAULT_TOKEN, AttioEmulator
from .errors import AttioError

__all__ = ["DEFAULT_TOKEN", "AttioEmulator", "AttioError"]
