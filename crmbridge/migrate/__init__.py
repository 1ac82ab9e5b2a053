"""Migrations between any two providers (docs/design.md §7).

>>> from crmbridge.migrate import migrate
>>> report = migrate("attio", "kizen", "mapping.toml")   # doctest: +SKIP

See :mod:`crmbridge.migrate.engine` for how a run works, :mod:`crmbridge.migrate.mapping` for the
mapping file, and ``docs/migrate.md`` for a tutorial.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from ..lazy_exports import lazy_exports
from .collector import tuned_collector
from .failures import DEFAULT_FAILURES

if TYPE_CHECKING:  # what type checkers see; at run time each name loads on first use
    from rich.console import Console
    from rich.progress import Progress

    from ..bridge import AsyncBridge
    from .engine import MigrationEngine
    from .engine_options import Deletes, OnTargetChanged
    from .init import init_mapping
    from .mapping import MappingFile, load_mapping, parse_mapping
    from .report import ObjectReport, Report
    from .state import (
        MigrationState,
        PostgresStore,
        RunInfo,
        SQLiteStore,
        StateLocked,
        StateStore,
        open_state,
    )
    from .undo import UndoReport
    from .verify import VerifyReport, verify, verify_async

#: Each re-exported name → its module, imported on first use (PEP 562), so that loading a module
#: of this package (``crmbridge --help`` loads ``sync_command`` and ``failures``) does not load
#: the engine, the bridge and httpx (issue 24: cold start; crmbridge/__init__.py does the same).
_LAZY: dict[str, str] = {
    "MappingFile": ".mapping",
    "load_mapping": ".mapping",
    "parse_mapping": ".mapping",
    "MigrationState": ".state",
    "PostgresStore": ".state",
    "RunInfo": ".state",
    "SQLiteStore": ".state",
    "StateLocked": ".state",
    "StateStore": ".state",
    "open_state": ".state",
    "ObjectReport": ".report",
    "Report": ".report",
    "UndoReport": ".undo",
    "VerifyReport": ".verify",
    "verify": ".verify",
    "verify_async": ".verify",
    "init_mapping": ".init",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)


__all__ = [
    "MappingFile",
    "MigrationState",
    "ObjectReport",
    "PostgresStore",
    "Report",
    "RunInfo",
    "SQLiteStore",
    "StateLocked",
    "StateStore",
    "VerifyReport",
    "init_mapping",
    "load_mapping",
    "migrate",
    "migrate_async",
    "open_state",
    "parse_mapping",
    "tuned_collector",
    "undo",
    "undo_async",
    "verify",
    "verify_async",
]

log = logging.getLogger("crmbridge.migrate")

#: Seconds a run's lease on its state lasts unless renewed (every third of it while running). A
#: run killed on this host is taken over at once (its process is gone); elsewhere, after this.
LEASE_TTL = 60.0


def make_progress(console: Console | None = None) -> Progress:
    """The progress display of ``crmbridge migrate``: one bar per object (needs rich, which the
    ``cli`` extra installs; the library runs without it)."""
    from .progress import make_progress as make

    return make(console)


def _bridge(spec: str | AsyncBridge, options: Mapping[str, Any] | None) -> AsyncBridge:
    from ..bridge import AsyncBridge, connect_async

    if isinstance(spec, AsyncBridge):
        return spec
    return connect_async(spec, **dict(options or {}))


async def migrate_async(
    source: str | AsyncBridge,
    target: str | AsyncBridge,
    mapping: str | Path | MappingFile,
    *,
    state: str | Path | StateStore = "crmbridge-state.db",
    resume: bool = False,
    dry_run: bool = False,
    limit: int | None = None,
    failures: str | Path | None = DEFAULT_FAILURES,
    create_options: bool = False,
    create_fields: bool = False,
    concurrency: int | None = None,
    progress: Progress | None = None,
    source_options: Mapping[str, Any] | None = None,
    target_options: Mapping[str, Any] | None = None,
    on_plan: Callable[[dict[str, Any]], None] | None = None,
    deletes: Deletes = "report",
    on_target_changed: OnTargetChanged = "keep",
    force_unlock: bool = False,
    lease_ttl: float = LEASE_TTL,
    command: str = "",
    delta: bool = False,
) -> Report:
    """Copy records from ``source`` to ``target`` as ``mapping`` says; see :func:`migrate`.
    ``delta``: only what changed in the source since the last delta run (crmbridge/migrate/delta.py)."""
    from ..bridge import AsyncBridge
    from .engine import MigrationEngine, check_deletes
    from .failures import FailuresFile
    from .mapping import MappingFile, load_mapping
    from .state import RunInfo, StateStore, open_state
    from .state.store import new_run_id

    plan = mapping if isinstance(mapping, MappingFile) else load_mapping(mapping)
    src = _bridge(source, source_options)
    dst = _bridge(target, target_options)
    check_deletes(deletes, dst)  # before any request
    store = open_state(state)
    run: RunInfo | None = None
    with contextlib.ExitStack() as stack:
        if not isinstance(state, StateStore):
            stack.callback(store.close)
        if not dry_run:
            store.acquire(lease_ttl, force=force_unlock)
            stack.callback(store.release_lease)
            _end_dead_runs(store)
            run = RunInfo(new_run_id(), time.time(), command)
        failures_file = None
        if failures is not None and run is not None:
            failures_file = FailuresFile(failures, run.id)
            stack.callback(failures_file.close)
        engine = MigrationEngine(
            src,
            dst,
            plan,
            store,
            dry_run=dry_run,
            limit=limit,
            resume=resume,
            concurrency=concurrency,
            create_options=create_options,
            create_fields=create_fields,
            failures=failures_file,
            on_plan=on_plan,
            progress=progress,
            run_id=run.id if run else None,
            deletes=deletes,
            on_target_changed=on_target_changed,
            delta=delta,
        )
        if run is not None:
            store.start_run(run)
        status = "interrupted"
        try:
            report = await _with_lease(engine, store, lease_ttl if run else None)
            status = "ok" if report.ok else "failed"
            if failures_file is not None and failures_file.count:
                report.failures_path = str(failures_file.path)
            return report
        finally:
            store.flush()
            if run is not None:
                store.finish_run(run.id, status, engine.report.totals())
                log.info("run %s: %s", run.id, status)
            if not isinstance(source, AsyncBridge):
                await src.aclose()
            if not isinstance(target, AsyncBridge):
                await dst.aclose()


def _end_dead_runs(store: StateStore) -> None:
    """Runs still marked running when this one holds the lease were killed (SIGKILL, a crash):
    ``--runs`` shows them as such instead of running for ever."""
    for run in store.runs():
        if run.status == "running":
            store.finish_run(run.id, "killed", run.counts)


async def _with_lease(engine: MigrationEngine, store: StateStore, ttl: float | None) -> Report:
    """Run ``engine``, renewing the state's lease every third of ``ttl`` meanwhile; a lease lost
    to another run (``--force-unlock``) stops this one."""
    if ttl is None:
        return await engine.run()
    import asyncio

    async def renew() -> None:
        while True:
            await asyncio.sleep(ttl / 3)
            store.renew(ttl)

    keeper = asyncio.create_task(renew())
    work = asyncio.create_task(engine.run())
    try:
        done, _ = await asyncio.wait({keeper, work}, return_when=asyncio.FIRST_COMPLETED)
        if work in done:
            return work.result()
        work.cancel()
        keeper.result()  # raises StateLocked
        raise AssertionError("the lease keeper stopped without an error")  # pragma: no cover
    finally:
        keeper.cancel()
        work.cancel()


async def undo_async(
    target: str | AsyncBridge,
    run: str,
    *,
    state: str | Path | StateStore = "crmbridge-state.db",
    target_options: Mapping[str, Any] | None = None,
    force_unlock: bool = False,
    lease_ttl: float = LEASE_TTL,
) -> UndoReport:
    """Undo migration run ``run`` in ``target`` (see :mod:`crmbridge.migrate.undo`)."""
    from ..bridge import AsyncBridge
    from .state import StateStore, open_state
    from .undo import undo_run

    dst = _bridge(target, target_options)
    store = open_state(state)
    try:
        store.acquire(lease_ttl, force=force_unlock)
        try:
            return await undo_run(dst, store, run)
        finally:
            store.release_lease()
    finally:
        if not isinstance(state, StateStore):
            store.close()
        if not isinstance(target, AsyncBridge):
            await dst.aclose()


def undo(target: str | AsyncBridge, run: str, **kwargs: Any) -> UndoReport:
    """Undo migration run ``run`` (an id ``crmbridge migrate --runs`` lists) in ``target``:
    records it created are deleted (or archived), fields it overwrote get their previous values
    back, and records changed in the target since are left alone and reported."""
    import asyncio

    return asyncio.run(undo_async(target, run, **kwargs))


class _Package(ModuleType):
    """This package's module type. Two of its functions share their name with a module of the
    package (:func:`undo` is defined here, ``verify`` comes from ``.verify``); the import system
    sets a package's attribute of a submodule's name to the module when it first loads it (any
    ``from crmbridge.migrate.verify import ...``), which would hide the function. Loaded at the
    package's import before it went lazy, they could not be hidden then; they cannot now."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in ("undo", "verify") and isinstance(value, ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def migrate(
    source: str | AsyncBridge,
    target: str | AsyncBridge,
    mapping: str | Path | MappingFile,
    *,
    progress: bool = False,
    **kwargs: Any,
) -> Report:
    """Copy records from ``source`` to ``target`` (provider names, or connected
    :class:`~crmbridge.AsyncBridge` objects) as the ``mapping`` file says.

    Idempotent (every write is an upsert on the mapped match key; unchanged records are ``noop``
    with no write) and resumable (``resume=True`` continues from the last checkpoint in ``state``).
    ``dry_run=True`` writes nothing and reports each planned write to ``on_plan``; ``limit``
    copies at most that many records per object; failed records go to ``failures`` (JSON lines,
    one file per run: ``{run}`` in the name is the run's id) and stay pending in the state until
    a run writes them. ``deletes`` (``report``/``archive``/``delete``) says what happens to the
    target record of a source record that is gone; ``on_target_changed``
    (``keep``/``overwrite``/``fail``) to a target record someone else changed since the last run.
    One run at a time per ``state``: ``force_unlock=True`` takes the lease of a run that is gone.
    ``source_options`` / ``target_options`` are ``connect()`` arguments used with provider names.
    """
    import asyncio

    with _progress(progress) as bar:
        return asyncio.run(migrate_async(source, target, mapping, progress=bar, **kwargs))


@contextlib.contextmanager
def _progress(enabled: bool) -> Iterator[Progress | None]:
    if not enabled:
        yield None
        return
    with make_progress() as bar:
        yield bar
