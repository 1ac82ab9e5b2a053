"""Migrations between any two providers (docs/design.md §7).

>>> import crmbridge
>>> report = crmbridge.migrate("attio", "kizen", "mapping.toml")   # doctest: +SKIP

See :mod:`crmbridge.migrate.engine` for how a run works, :mod:`crmbridge.migrate.mapping` for the
mapping file, and ``docs/migrate.md`` for a tutorial.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from ..bridge import AsyncBridge, connect_async
from .collector import tuned_collector
from .engine import MigrationEngine
from .init import init_mapping
from .mapping import MappingFile, load_mapping, parse_mapping
from .report import ObjectReport, Report
from .state import MigrationState

__all__ = [
    "MappingFile",
    "MigrationState",
    "ObjectReport",
    "Report",
    "init_mapping",
    "load_mapping",
    "migrate",
    "migrate_async",
    "parse_mapping",
    "tuned_collector",
]


class RateColumn(ProgressColumn):
    """Records per second."""

    def render(self, task: Task) -> Text:
        elapsed = task.finished_time if task.finished else task.elapsed
        speed = task.completed / elapsed if elapsed else None
        return Text(f"{speed:,.0f} rec/s" if speed else "- rec/s", style="progress.data.speed")


def make_progress(console: Console | None = None) -> Progress:
    """The progress display of ``crmbridge migrate``: one bar per object."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console or Console(stderr=True),
        transient=False,
    )


def _bridge(spec: str | AsyncBridge, options: Mapping[str, Any] | None) -> AsyncBridge:
    if isinstance(spec, AsyncBridge):
        return spec
    return connect_async(spec, **dict(options or {}))


async def migrate_async(
    source: str | AsyncBridge,
    target: str | AsyncBridge,
    mapping: str | Path | MappingFile,
    *,
    state: str | Path = "crmbridge-state.db",
    resume: bool = False,
    dry_run: bool = False,
    limit: int | None = None,
    failures: str | Path | None = "crmbridge-failures.jsonl",
    create_options: bool = False,
    concurrency: int | None = None,
    progress: Progress | None = None,
    source_options: Mapping[str, Any] | None = None,
    target_options: Mapping[str, Any] | None = None,
    on_plan: Callable[[dict[str, Any]], None] | None = None,
) -> Report:
    """Copy records from ``source`` to ``target`` as ``mapping`` says; see :func:`migrate`."""
    plan = mapping if isinstance(mapping, MappingFile) else load_mapping(mapping)
    src = _bridge(source, source_options)
    dst = _bridge(target, target_options)
    store = MigrationState(state)
    with contextlib.ExitStack() as stack:
        stack.callback(store.close)
        failures_file = None
        if failures is not None and not dry_run:
            failures_file = stack.enter_context(Path(failures).open("a", encoding="utf-8"))
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
            failures=failures_file,
            on_plan=on_plan,
            progress=progress,
        )
        try:
            return await engine.run()
        finally:
            store.flush()
            if not isinstance(source, AsyncBridge):
                await src.aclose()
            if not isinstance(target, AsyncBridge):
                await dst.aclose()


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
    copies at most that many records per object; failed records go to ``failures`` (JSON lines).
    ``source_options`` / ``target_options`` are ``connect()`` arguments used with provider names.
    """
    with _progress(progress) as bar:
        return asyncio.run(migrate_async(source, target, mapping, progress=bar, **kwargs))


@contextlib.contextmanager
def _progress(enabled: bool) -> Iterator[Progress | None]:
    if not enabled:
        yield None
        return
    with make_progress() as bar:
        yield bar
