"""``crmbridge sqlite init``: create a backup file's schema (added through the
``crmbridge_register_commands`` hook)."""

from __future__ import annotations

from typing import Any

import click

__all__ = ["register"]


def _options(items: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"expected KEY=VALUE, got {item!r}", param_hint="-o")
        out[key.strip().replace("-", "_")] = value
    return out


def register(cli: click.Group) -> None:
    """Add the ``sqlite`` command group to the ``crmbridge`` command line."""

    @cli.group("sqlite")
    def sqlite() -> None:
        """Local SQLite backups (crmbridge-sqlite)."""

    @sqlite.command("init")
    @click.argument("path", type=click.Path(dir_okay=False))
    @click.option("--from", "source", help="Copy the schema of this provider (e.g. attio).")
    @click.option("-o", "--option", "options", multiple=True, help="Source option KEY=VALUE.")
    @click.option("--emulator", is_flag=True, help="Read the source's in-process emulator.")
    @click.option("--object", "objects", multiple=True, help="Copy only this object (repeat).")
    @click.option("--sample", is_flag=True, help="Write the sample schema instead.")
    def init(
        path: str,
        source: str | None,
        options: tuple[str, ...],
        emulator: bool,
        objects: tuple[str, ...],
        sample: bool,
    ) -> None:
        """Create PATH's objects and fields from a source CRM's schema (or the sample)."""
        if bool(source) == sample:
            raise click.UsageError("give exactly one of --from PROVIDER and --sample")
        # Imported here, when the command runs: `crmbridge --help` registers it (issue 24).
        import crmbridge

        from .provider import SqliteProvider
        from .sample import SAMPLE_SCHEMA
        from .schema import copy_schema

        with crmbridge.connect("sqlite", path=path) as target:
            if sample:
                provider = target.provider
                assert isinstance(provider, SqliteProvider)
                for spec, fields in SAMPLE_SCHEMA:
                    target.run(provider.define_object(spec, fields))
                copied = [spec.slug for spec, _ in SAMPLE_SCHEMA]
            else:
                assert source is not None
                with crmbridge.connect(source, emulator=emulator, **_options(options)) as src:
                    copied = copy_schema(src, target, objects or None)
        click.echo(f"{path}: {', '.join(copied) or 'no objects'}")
