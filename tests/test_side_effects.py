"""Library calls leave the process as they found it (issue #19): no frozen garbage collector, no
collector settings, no logging configuration. The CLI may tune its own process; a library may not."""

from __future__ import annotations

import gc
import logging
from typing import Any

import pytest

import crmbridge as cb
from crmbridge.plugins import providers


def _process_state() -> dict[str, Any]:
    root = logging.getLogger()
    return {
        "gc frozen objects": gc.get_freeze_count(),
        "gc enabled": gc.isenabled(),
        "gc thresholds": gc.get_threshold(),
        "root log level": root.level,
        "root log handlers": list(root.handlers),
        "configured loggers": {
            name: (logger.level, len(logger.handlers))
            for name, logger in logging.root.manager.loggerDict.items()
            if isinstance(logger, logging.Logger) and (logger.level or logger.handlers)
        },
    }


@pytest.mark.parametrize("name", ["attio", "kizen"])
def test_seeded_emulator_has_no_process_wide_effect(name: str) -> None:
    assert name in providers()
    gc.unfreeze()
    before = _process_state()
    with cb.connect(name, emulator={"seed": "demo", "demo_size": 20}) as crm:
        obj = crm.objects()[0].slug
        list(crm.query(obj, limit=3))
    assert _process_state() == before


def test_demos_generated_at_once_leave_the_collector_on() -> None:
    """Two seeded emulators built in threads at the same time: the collector ends as it began."""
    import threading

    from crmbridge_attio.emulator import AttioEmulator

    assert gc.isenabled()
    start = threading.Barrier(4)

    def build() -> None:
        start.wait()
        for _ in range(3):
            AttioEmulator(seed="demo", demo_size=15)

    threads = [threading.Thread(target=build) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert gc.isenabled()
