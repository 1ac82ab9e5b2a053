"""A stateful emulator of Kizen's records API (docs/design.md §6; docs/emulators/kizen.md).

>>> emulator = KizenEmulator(seed="demo")                       # doctest: +SKIP
>>> client = httpx.Client(transport=emulator.transport(), base_url=emulator.base_url)  # doctest: +SKIP

Modules, one job each: :mod:`.schema` (objects/fields/options), :mod:`.catalog` (default fields),
:mod:`.seeds` (the standard seed), :mod:`.demo` (the demo data), :mod:`.store` (state and
indexes), :mod:`.values` (write validation), :mod:`.serialize` (reads), :mod:`.writes` (write
operations and conflicts), :mod:`.filters` and :mod:`.search` (search), :mod:`.metadata` (object and
field bodies), :mod:`.handlers` (endpoints), :mod:`.routes` (routing and auth), :mod:`.errors` (DRF
error bodies), :mod:`.access` (state inspection and seeding for tests), :mod:`.emulator` (the
:class:`KizenEmulator` class).
"""

from __future__ import annotations

from .emulator import DEFAULT_API_KEY, DEFAULT_BUSINESS_ID, DEFAULT_USER_ID, KizenEmulator

__all__ = ["DEFAULT_API_KEY", "DEFAULT_BUSINESS_ID", "DEFAULT_USER_ID", "KizenEmulator"]
