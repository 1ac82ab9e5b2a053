"""``crmbridge sync SOURCE TARGET --map mapping.toml``: keep a target in step with its source
(crmbridge/migrate/sync.py): a delta migration every ``--interval`` seconds, its running totals live
on standard error (a table redrawn in place on a terminal, one line per cycle elsewhere:
crmbridge/migrate/sync_display.py); Ctrl-C stops it safely (the next start continues where it
stopped)."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    import asyncio

__all__ = ["register"]


def register(cli: click.Group) -> None:
    """Add ``sync`` to ``cli`` (its helpers come from crmbridge.cli, which registers this)."""
    from ..cli import (
        Ends,
        _log_to_stderr,
        engine_option,
        handle_errors,
        source_target_options,
    )
    from ..webhooks.cli import _secret

    @cli.command()
    @click.argument("source")
    @click.argument("target")
    @click.option(
        "--map",
        "mapping",
        required=True,
        type=click.Path(dir_okay=False, exists=True),
        help="The mapping file (TOML).",
    )
    @engine_option("--state", help="The state: a SQLite file, or a postgresql:// URL.")
    @click.option(
        "--interval",
        type=click.FloatRange(min=0),
        default=30.0,
        show_default=True,
        help="Seconds between two cycles.",
    )
    @click.option(
        "--cycles",
        type=click.IntRange(min=1),
        default=None,
        help="Stop after N cycles (default: until Ctrl-C).",
    )
    @engine_option(
        "--deletes",
        help="Source records deleted: report them, or archive/delete their target records.",
    )
    @engine_option("--failures", help="Failed records of each cycle.")
    @engine_option("--log-level")
    @engine_option("--rate-limit-store")
    @source_target_options(token_files=False)
    @click.option(
        "--webhook-port",
        type=click.IntRange(0, 65535),
        default=None,
        help="Also receive the source's webhooks on 127.0.0.1:PORT: a delivery starts "
        "the next cycle at once (needs the 'webhooks' extra).",
    )
    @click.option(
        "--webhook-secret-file",
        type=click.Path(dir_okay=False, exists=True),
        default=None,
        help="The source webhook's signing secret (or CRMBRIDGE_WEBHOOK_SECRET).",
    )
    @handle_errors
    def sync(
        source: str,
        target: str,
        mapping: str,
        state: str,
        interval: float,
        cycles: int | None,
        deletes: str,
        failures: str,
        log_level: str,
        rate_limit_store: str | None,
        ends: Ends,
        webhook_port: int | None,
        webhook_secret_file: str | None,
    ) -> None:  # fmt: skip
        """Keep TARGET in step with SOURCE: creates, updates and deletes, continuously.

        Each cycle is a delta migration (migrate --delta): only what changed in the source
        since the last cycle is read, then written through the mapping, the state's hashes and
        the --deletes policy. With --webhook-port, a signed delivery from the source starts
        the next cycle at once. Ctrl-C stops safely; starting again continues.

        \b
        Example:
            crmbridge sync attio kizen --map mapping.toml --interval 30 --deletes archive
        """
        import asyncio

        from rich.live import Live

        from ..cli import err  # made on first use: `crmbridge --help` loads no rich (issue 24)
        from . import load_mapping
        from .sync import sync_async
        from .sync_display import SyncStatus

        _log_to_stderr(log_level)
        src, dst = ends.open_async(source, target, limiter=rate_limit_store)
        plan = load_mapping(mapping)

        status = SyncStatus(interval, webhooks=webhook_port is not None)
        live = Live(status, console=err, refresh_per_second=2) if err.is_terminal else None

        def show(n: int, report: Any) -> None:
            status.add(report)
            if live is None:
                err.print(status.line(report))

        secret = _secret(webhook_secret_file) if webhook_port is not None else None

        async def run() -> int:
            async with src, dst:
                wake = asyncio.Event()
                server = None
                if webhook_port is not None and secret is not None:
                    server = await _webhook_server(src, secret, wake, webhook_port, plan)
                    serving = asyncio.ensure_future(server.serve())
                try:
                    return await sync_async(
                        src, dst, plan, state=state, interval=interval, cycles=cycles,
                        on_cycle=show, deletes=deletes, failures=failures, wake=wake,
                    )  # fmt: skip
                finally:
                    if server is not None:
                        server.should_exit = True
                        await serving

        try:
            with live or contextlib.nullcontext():
                try:
                    asyncio.run(run())
                finally:
                    status.stopped = True
        except KeyboardInterrupt:
            err.print("stopped; run the same command again to continue")
            raise SystemExit(130) from None


async def _webhook_server(src: Any, secret: str, wake: asyncio.Event, port: int, plan: Any) -> Any:
    """A uvicorn server (not started) whose deliveries wake the sync for mapped objects."""
    from ..webhooks import Deduper, WebhookApp, WebhookReceiver
    from ..webhooks.server import uvicorn_module
    from .sync import waker

    uvicorn = uvicorn_module()
    slugs = {o.provider_id or o.slug: o.slug for o in await src.objects()}
    # No change window: a delivery only wakes the next cycle, and waking it twice costs nothing,
    # so a second change of a record wakes it at once rather than when a window closes
    # (docs/sync.md).
    receiver = WebhookReceiver(type(src.provider), secret, objects=slugs, deduper=Deduper(window=0))
    mapped = {m.source for m in plan.objects}
    app = WebhookApp(receiver, callback=waker(wake, mapped))
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    return uvicorn.Server(config)
