"""``crmbridge webhooks serve PROVIDER``: receive a CRM's webhooks with uvicorn and print each new
change as one JSON line (for a pipe, a log or a queue). The signing secret is read from
``--secret-file`` or ``CRMBRIDGE_WEBHOOK_SECRET``, never from a flag (process lists show flags)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..errors import ConfigError

if TYPE_CHECKING:  # imported when a command runs: `crmbridge --help` loads none (issue 24)
    from ..changes.model import Change
    from ..cli import Endpoint

__all__ = ["register"]

SECRET_ENV = "CRMBRIDGE_WEBHOOK_SECRET"


def change_line(change: Change) -> str:
    """One change as a JSON line (what ``serve`` prints)."""
    data: dict[str, Any] = {"kind": change.kind, "object": change.object, "id": change.id}
    if change.merged_into:
        data["merged_into"] = change.merged_into
    if change.at is not None:
        data["at"] = change.at.isoformat()
    return json.dumps(data)


def _secret(path: str | None) -> str:
    if path is not None:
        text = Path(path).read_text(encoding="utf-8").strip()
        if not text:
            raise ConfigError(f"the secret file {path!r} is empty")
        return text
    text = os.environ.get(SECRET_ENV, "").strip()
    if not text:
        raise ConfigError(f"give the webhook's signing secret with --secret-file or {SECRET_ENV}")
    return text


def register(cli: click.Group) -> None:
    """Add the ``webhooks`` commands to ``cli`` (the shared options come from crmbridge.cli,
    imported here: that module registers these commands when it loads)."""
    from ..cli import handle_errors, provider_options

    @click.group("webhooks")
    def webhooks_group() -> None:
        """Receive a CRM's webhooks (docs/sync.md).

        \b
        Example:
            crmbridge webhooks serve attio --secret-file attio-webhook.secret
        """

    @webhooks_group.command("serve")
    @click.argument("provider")
    @click.option(
        "--secret-file",
        type=click.Path(dir_okay=False, exists=True),
        default=None,
        help=f"File holding the webhook's signing secret (or set {SECRET_ENV}).",
    )
    @click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
    @click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
    @click.option(
        "--window",
        default=5.0,
        show_default=True,
        type=click.FloatRange(0),
        help="Seconds within which the same change of a record counts once.",
    )
    @provider_options
    @handle_errors
    def serve(
        provider: str,
        secret_file: str | None,
        host: str,
        port: int,
        window: float,
        endpoint: Endpoint,
    ) -> None:  # fmt: skip
        """Serve a webhook receiver; print each new change as a JSON line.

        Object ids in deliveries are turned into slugs through the CRM's schema (its credentials
        as for any command, or --emulator).

        \b
        Example:
            crmbridge webhooks serve attio --secret-file attio-webhook.secret --port 8000
        """
        from .app import WebhookApp
        from .dedupe import Deduper
        from .receiver import WebhookReceiver
        from .server import uvicorn_module

        secret = _secret(secret_file)
        uvicorn = uvicorn_module()
        with endpoint.open(provider) as crm:
            receiver = WebhookReceiver(
                crm.provider.__class__, secret, objects=crm, deduper=Deduper(window=window)
            )

            def emit(change: Change) -> None:
                sys.stdout.write(change_line(change) + "\n")
                sys.stdout.flush()

            app = WebhookApp(receiver, callback=emit)
            click.echo(f"receiving {provider} webhooks on http://{host}:{port}/", err=True)
            uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning")).run()

    cli.add_command(webhooks_group)
