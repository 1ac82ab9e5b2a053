"""The ``crmbridge`` command line (click + rich).

Every command that talks to a CRM takes the provider name first and reads credentials from flags
(``-o token=...``) or the provider's environment variables (``ATTIO_API_KEY``, ``KIZEN_API_KEY``,
...); ``--emulator`` talks to the provider's in-process emulator instead. Credentials are never
echoed. JSON goes in (``--values``, or ``-`` for standard input) and JSON comes out, in the plain-dict
form of :func:`crmbridge.to_dict`.

Exit codes: 0 success, 1 the CRM or the network failed, 2 bad input (usage, validation,
configuration).
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import json
import logging
import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import attrs
import click

from . import plugins

# rich loads where a command prints (issue 24: cold start); a missing rich still stops the command
# here, where crmbridge/__main__.py names the extra that installs it, not in a traceback later.
if importlib.util.find_spec("rich") is None:  # pragma: no cover - the find_spec raises instead
    raise ModuleNotFoundError("No module named 'rich'", name="rich")
from .errors import ConfigError, CRMError, Unsupported, ValidationError
from .migrate.engine_options import DELETES
from .migrate.failures import DEFAULT_FAILURES
from .upsert_options import DEFAULT_ON_ARCHIVED, ON_ARCHIVED

if TYPE_CHECKING:  # imported where used: `crmbridge --help` loads none of them (issue 24)
    from rich.console import Console

    from .bridge import AsyncBridge, Bridge

    out: Console  # the consoles, made on first use: module __getattr__ below
    err: Console

F = TypeVar("F", bound=Callable[..., Any])


def _out() -> Console:
    """The standard output's console (rich loads with the first command that prints)."""
    return _consoles()[0]


def _err() -> Console:
    """The standard error's console: messages, progress, tables of reports."""
    return _consoles()[1]


@functools.cache
def _consoles() -> tuple[Console, Console]:
    from rich.console import Console

    return Console(soft_wrap=True), Console(stderr=True, soft_wrap=True)


def __getattr__(name: str) -> Any:
    """``out`` and ``err``, the two consoles, for the commands of other modules (PEP 562)."""
    if name == "out":
        return _out()
    if name == "err":
        return _err()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _escape(text: str) -> str:
    """rich markup escaped: messages may hold brackets ("to = [first, last]")."""
    from rich.markup import escape

    return escape(text)


#: Errors caused by what the user typed: exit code 2, like click's usage errors.
INPUT_ERRORS = (ValidationError, ConfigError, Unsupported)


def _fail(exc: CRMError) -> None:
    # Messages may hold brackets ("to = [first, last]"): escaped, so rich prints them as written.
    _err().print(f"[bold red]error:[/] {type(exc).__name__}: {_escape(str(exc))}", highlight=False)
    raise SystemExit(2 if isinstance(exc, INPUT_ERRORS) else 1)


def handle_errors(fn: F) -> F:
    """Turn crmbridge errors into a clean message and an exit code, never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except CRMError as exc:
            _fail(exc)
        except KeyboardInterrupt:
            _err().print("interrupted")
            raise SystemExit(130) from None
        except (RecursionError, UnicodeError, OSError, sqlite3.DatabaseError) as exc:
            _fail(_input_error(exc))

    return wrapper  # type: ignore[return-value]


def _input_error(exc: BaseException) -> CRMError:
    """What the user handed the command (a file, a path, JSON) that broke before crmbridge could
    say so: one line, exit 2 — never a traceback (issue 15)."""
    if isinstance(exc, RecursionError):
        return ValidationError("the input is nested too deeply to read (JSON or TOML)")
    if isinstance(exc, UnicodeError):
        return ValidationError(f"the input is not UTF-8 text ({type(exc).__name__})")
    if isinstance(exc, sqlite3.DatabaseError):
        return ConfigError(
            f"the state file cannot be read ({exc}); restore it from a copy, or start over with "
            "another --state"
        )
    assert isinstance(exc, OSError)
    where = f": {exc.filename}" if exc.filename else ""
    return ConfigError(f"{exc.strerror or type(exc).__name__}{where}")


_TRUE, _FALSE = ("true", "yes", "on", "1"), ("false", "no", "off", "0")


def _flag(key: str, value: str) -> bool:
    if value.lower() in _TRUE + _FALSE:
        return value.lower() in _TRUE
    raise ValidationError(f"-o {key} takes true or false, got {value!r}")


def _positive(key: str, value: str, what: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not 0 < number < float("inf"):
        raise ValidationError(f"-o {key} takes {what}, got {value!r}")
    return number


def _seconds(key: str, value: str) -> float:
    return _positive(key, value, "a positive number of seconds")


def _rate(key: str, value: str) -> bool | float:
    if value.lower() in _TRUE + _FALSE:
        return value.lower() in _TRUE
    return _positive(key, value, "true, false or a positive factor")


#: connect()'s own keyword arguments that ``-o`` may set, with their conversions from text;
#: the others (emulator, transport, retry, on_request) are not text and have flags of their own.
_CONNECT_OPTIONS: dict[str, Callable[[str, str], Any]] = {
    "timeout": _seconds,
    "schema_ttl": _seconds,
    "verify": _flag,
    "rate_limit": _rate,
}
_NOT_OPTIONS = frozenset({"emulator", "transport", "retry", "on_request", "provider"})


def _parse_options(options: tuple[str, ...]) -> dict[str, Any]:
    config: dict[str, Any] = {}
    for item in options:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValidationError(f"-o takes KEY=VALUE, got {item.split('=')[0]!r}")
        key = key.strip().replace("-", "_")
        if key in _NOT_OPTIONS:
            raise ValidationError(f"-o {key}=... is not an option the command line can set")
        convert = _CONNECT_OPTIONS.get(key)
        config[key] = convert(key, value) if convert else value
    return config


def _read_credentials(path: str, provider: str) -> dict[str, str]:
    """``--token-file PATH`` (``-``: standard input): the provider's credentials, kept out of the
    command line (visible in ``ps``) and the environment. The file holds either one line, the
    token of a provider with one secret, or ``KEY=VALUE`` lines (``api_key=...``,
    ``user_id=...``); blank lines and ``#`` comments are skipped."""
    text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    lines = [
        ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")
    ]
    secrets = sorted(plugins.get_provider(provider).secret_keys)
    if len(lines) == 1 and "=" not in lines[0] and len(secrets) == 1:
        return {secrets[0]: lines[0]}
    found: dict[str, str] = {}
    for line in lines:
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise ValidationError(
                f"--token-file {path}: each line is KEY=VALUE ({', '.join(secrets)})"
                + (" or the file is the token alone" if len(secrets) == 1 else "")
            )
        found[key.strip().replace("-", "_")] = value.strip()
    if not found:
        raise ValidationError(f"--token-file {path} holds no credentials")
    return found


@attrs.frozen
class Endpoint:
    """Where a CRM command connects: ``-o KEY=VALUE`` provider options, or the emulator."""

    options: tuple[str, ...]
    emulator: bool
    seed: str | None
    token_file: str | None = None

    def _config(self, provider: str) -> dict[str, Any]:
        """The options, then the token file's credentials under them (an option wins)."""
        config = _parse_options(self.options)
        if self.token_file:
            config = {**_read_credentials(self.token_file, provider), **config}
        return config

    def _emulator(self) -> bool | dict[str, Any]:
        """``connect``'s ``emulator=`` argument."""
        return ({"seed": self.seed} if self.seed else True) if self.emulator else False

    @contextmanager
    def open(self, provider: str) -> Iterator[Bridge]:
        config = self._config(provider)
        if self.emulator and "base_url" in config:
            raise ValidationError(
                "--emulator and -o base_url=... name two different CRMs: give one of them"
            )
        if self.seed and not self.emulator:
            raise ValidationError("--seed needs --emulator")
        from .bridge import connect

        with connect(provider, emulator=self._emulator(), **config) as crm:
            yield crm

    def open_async(
        self, spec: str, concurrency: int | None = None, limiter: str | None = None
    ) -> AsyncBridge:
        """``attio`` or ``NAME:VALUE`` (``sqlite:backup.db``) → an AsyncBridge (a migration's
        end; opened by ``async with``); ``limiter``: ``--rate-limit-store``."""
        name, sep, value = spec.partition(":")
        config = self._config(name)
        if sep:
            cls = plugins.get_provider(name)
            if cls.location_key is None:
                raise ValidationError(f"{name} takes no NAME:VALUE location; use -o KEY=VALUE")
            config[cls.location_key] = value
        if limiter is not None:
            config.setdefault("limiter", limiter)
        from .bridge import connect_async

        return connect_async(name, emulator=self._emulator(), concurrency=concurrency, **config)


def provider_options(fn: F) -> F:
    """The options every CRM command shares, handed to it as one ``endpoint``."""

    @functools.wraps(fn)
    def wrapper(
        *args: Any,
        options: tuple[str, ...],
        emulator: bool,
        seed: str | None,
        token_file: str | None,
        **kwargs: Any,
    ) -> Any:
        return fn(*args, endpoint=Endpoint(options, emulator, seed, token_file), **kwargs)

    shared = (
        click.option("-o", "--option", "options", multiple=True, metavar="KEY=VALUE",
                     help="Provider option, e.g. -o token=... or -o base_url=http://127.0.0.1:8701."),
        click.option("--token-file", default=None, metavar="PATH",
                     help="Read credentials from PATH ('-': stdin): the token, or KEY=VALUE lines."),
        click.option("--emulator", is_flag=True, envvar="CRMBRIDGE_EMULATOR",
                     help="Use the provider's in-process emulator (no network)."),
        click.option("--seed", default=None, envvar="CRMBRIDGE_SEED",
                     help="With --emulator: seed data set, e.g. demo."),
    )  # fmt: skip
    command: Any = wrapper
    for option in reversed(shared):  # click lists the last one applied first
        command = option(command)
    return cast(F, command)


@attrs.frozen
class Ends:
    """Where a command that copies SOURCE to TARGET (``migrate``, ``sync``) connects."""

    source: Endpoint
    target: Endpoint

    def open_async(
        self,
        source: str,
        target: str,
        concurrency: int | None = None,
        limiter: str | None = None,
    ) -> tuple[AsyncBridge, AsyncBridge]:
        """The two AsyncBridges (``source``/``target``: ``attio`` or ``NAME:VALUE``), their
        rate limits counted in ``limiter`` (``--rate-limit-store``) when given."""
        if self.source.token_file == "-" and self.target.token_file == "-":
            raise ValidationError(
                "only one of --source-token-file and --target-token-file can be -"
            )
        if self.source.seed and not self.source.emulator:
            raise ValidationError("--source-seed needs --source-emulator")
        return (
            self.source.open_async(source, limiter=limiter),
            self.target.open_async(target, concurrency, limiter),
        )


#: The flags whose values are provider options (``_shown_command`` elides their secrets).
_SOURCE_OPTION, _TARGET_OPTION = ("-s", "--source-option"), ("-t", "--target-option")


def source_target_options(*, token_files: bool = True) -> Callable[[F], F]:
    """The options every SOURCE-to-TARGET command shares, handed to it as one ``ends``: what
    :func:`provider_options` is for one CRM, for both ends (``--source-*``/``--target-*``)."""

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(
            *args: Any,
            source_options: tuple[str, ...],
            target_options: tuple[str, ...],
            source_emulator: bool,
            target_emulator: bool,
            source_seed: str | None,
            source_token_file: str | None = None,
            target_token_file: str | None = None,
            **kwargs: Any,
        ) -> Any:
            ends = Ends(
                Endpoint(source_options, source_emulator, source_seed, source_token_file),
                Endpoint(target_options, target_emulator, None, target_token_file),
            )
            return fn(*args, ends=ends, **kwargs)

        shared = [
            click.option(*_SOURCE_OPTION, "source_options", multiple=True, metavar="KEY=VALUE",
                         help="Source provider option."),
            click.option(*_TARGET_OPTION, "target_options", multiple=True, metavar="KEY=VALUE",
                         help="Target provider option."),
        ]  # fmt: skip
        if token_files:
            shared += [
                click.option("--source-token-file", default=None, metavar="PATH",
                             help="Read the source's credentials from PATH ('-': stdin): the "
                             "token, or KEY=VALUE lines."),
                click.option("--target-token-file", default=None, metavar="PATH",
                             help="Read the target's credentials from PATH ('-': stdin): the "
                             "token, or KEY=VALUE lines."),
            ]  # fmt: skip
        shared += [
            click.option("--source-emulator", is_flag=True,
                         help="Use the source's in-process emulator."),
            click.option("--target-emulator", is_flag=True,
                         help="Use the target's in-process emulator."),
            click.option("--source-seed", default=None,
                         help="With --source-emulator: seed data set."),
        ]  # fmt: skip
        command: Any = wrapper
        for option in reversed(shared):  # click lists the last one applied first
            command = option(command)
        return cast(F, command)

    return decorate


#: The options of the commands that run the migration engine (``migrate``, ``sync``): declared
#: once, each command wording its own help (a run, or a cycle). The choices and defaults are the
#: engine's (crmbridge/migrate/engine.py DELETES, crmbridge/migrate/failures.py DEFAULT_FAILURES).
_ENGINE_OPTIONS: dict[str, dict[str, Any]] = {
    "--state": {"default": "crmbridge-state.db", "type": click.Path(dir_okay=False)},
    "--failures": {"default": DEFAULT_FAILURES, "type": click.Path(dir_okay=False)},
    "--deletes": {"type": click.Choice(DELETES), "default": "report"},
    "--rate-limit-store": {
        "default": None,
        "metavar": "URL",
        "envvar": "CRMBRIDGE_RATE_LIMIT_STORE",
        "help": "Count each CRM's rate limits in this Redis (redis://host:6379/0), shared by "
        "every process using the same token (docs/scale.md); default: in this process.",
    },
    "--log-level": {
        "type": click.Choice(["debug", "info", "warning", "error"]),
        "default": "warning",
    },
}


def engine_option(name: str, help: str | None = None) -> Callable[[F], F]:
    """``name`` (a key of ``_ENGINE_OPTIONS``) as a click option with this ``help``."""
    options = (
        {"help": help, **_ENGINE_OPTIONS[name]}
        if help is None
        else {**_ENGINE_OPTIONS[name], "help": help}
    )
    return click.option(name, show_default=True, **options)


def _json_arg(text: str, what: str) -> Any:
    if text == "-":
        text = sys.stdin.read()
    try:
        return json.loads(text)
    except RecursionError:
        raise ValidationError(f"{what} is nested too deeply to read") from None
    except json.JSONDecodeError as exc:
        raise ValidationError(
            f"{what} is not valid JSON: {exc.msg} at position {exc.pos}"
        ) from None


def _emit(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _json_flag(fn: F) -> F:
    """``--json`` (or ``CRMBRIDGE_JSON=1``): print data as JSON instead of a table."""
    return click.option(
        "--json", "as_json", is_flag=True, envvar="CRMBRIDGE_JSON",
        help="Print JSON instead of a table (env CRMBRIDGE_JSON=1).",
    )(fn)  # fmt: skip


def _line(data: Any) -> None:
    """One JSON line (NDJSON), for streams."""
    click.echo(json.dumps(data, ensure_ascii=False, default=str))


def _record_out(record: Any) -> dict[str, Any]:
    from .model import to_dict

    data: dict[str, Any] = to_dict(record)
    data.pop("raw", None)
    return data


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="crmbridge")
def cli() -> None:
    """One API for Attio, Kizen and any CRM a plugin adds.

    \b
    Try it with no network and no credentials:
        crmbridge demo
        crmbridge objects attio --emulator
    """


@cli.command("plugins")
@_json_flag
@handle_errors
def plugins_command(as_json: bool) -> None:
    """List the installed providers and where they come from.

    \b
    Example:
        crmbridge plugins
    """
    if as_json:
        listed = [
            {
                "provider": name,
                "distribution": info.distribution,
                "version": info.version,
                "description": info.cls.description,
            }
            for name, info in sorted(plugins.providers().items())
        ]
        broken = [{"plugin": n, "error": why} for n, why in sorted(plugins.broken().items())]
        _emit({"providers": listed, "broken": broken})
        return
    from rich.table import Table

    table = Table("provider", "distribution", "version", "description")
    for name, info in sorted(plugins.providers().items()):
        table.add_row(
            name, info.distribution or f"({info.plugin})", info.version or "-", info.cls.description
        )
    _out().print(table)
    for name, why in sorted(plugins.broken().items()):
        _err().print(f"[yellow]plugin {name!r} failed to load:[/] {why}")


@cli.command()
@click.argument("provider")
@provider_options
@_json_flag
@handle_errors
def objects(
    provider: str,
    endpoint: Endpoint,
    as_json: bool,
) -> None:
    """List a CRM's objects.

    \b
    Example:
        crmbridge objects attio --emulator
    """
    from rich.table import Table

    from .model import to_dict

    with endpoint.open(provider) as crm:
        specs = crm.objects()
        if as_json:
            _emit([{k: v for k, v in to_dict(o).items() if k != "raw"} for o in specs])
            return
        table = Table("slug", "label", "kind", "id")
        for o in specs:
            table.add_row(o.slug, o.label, o.kind, o.provider_id or "")
        _out().print(table)


@cli.command()
@click.argument("provider")
@click.argument("object")
@provider_options
@_json_flag
@handle_errors
def fields(
    provider: str,
    object: str,
    endpoint: Endpoint,
    as_json: bool,
) -> None:
    """List the fields of an object.

    \b
    Example:
        crmbridge fields kizen client_client --emulator
    """
    from rich.table import Column, Table

    from .model import to_dict

    with endpoint.open(provider) as crm:
        specs = crm.fields(object)
    if as_json:
        _emit([{k: v for k, v in to_dict(s).items() if k != "raw"} for s in specs])
        return
    # Slugs are what users type: never cut one. The flags share a column to leave it room.
    rows = []
    for s in specs:
        shown = ", ".join(o.label for o in s.options[:5]) + (" ..." if len(s.options) > 5 else "")
        flags = [name for name, on in (("multi", s.multi), ("unique", s.unique),
                                       ("required", s.required), ("read-only", not s.writable))
                 if on]  # fmt: skip
        rows.append((s.slug, s.type.value, " ".join(flags), shown))

    def widest(i: int) -> int:
        return max((len(r[i]) for r in rows), default=4)

    fixed = min(widest(0), 48) + widest(1) + widest(2)
    table = Table(
        Column("slug", no_wrap=True, min_width=min(widest(0), 48)),
        Column("type", no_wrap=True, min_width=widest(1)),
        Column("flags", no_wrap=True, min_width=widest(2)),
        # The column that gives way: what is left of the terminal (13 = borders and padding).
        Column(
            "options",
            overflow="ellipsis",
            no_wrap=True,
            max_width=max(8, _out().width - fixed - 13),
        ),
    )
    for row in rows:
        table.add_row(*row)
    _out().print(table)


@cli.command()
@click.argument("provider")
@click.argument("object")
@click.argument("id")
@provider_options
@handle_errors
def get(
    provider: str,
    object: str,
    id: str,
    endpoint: Endpoint,
) -> None:
    """Print one record as JSON.

    \b
    Example:
        crmbridge get attio people 0b8b7d6a-... -o token=$ATTIO_API_KEY
    """
    with endpoint.open(provider) as crm:
        _emit(_record_out(crm.get(object, id)))


@cli.command()
@click.argument("provider")
@click.argument("object")
@provider_options
@click.option(
    "--where", default=None, help='Filter in dict form, e.g. \'{"name": {"$contains": "a"}}\'.'
)
@click.option("--order-by", multiple=True, help="Field to sort by; prefix '-' for descending.")
@click.option("--limit", type=click.IntRange(min=0), default=None, help="Stop after N records.")
@click.option("--fields", "field_list", default=None, metavar="SLUG,...", help="Only these fields.")
@handle_errors
def query(
    provider: str,
    object: str,
    endpoint: Endpoint,
    where: str | None,
    order_by: tuple[str, ...],
    limit: int | None,
    field_list: str | None,
) -> None:
    """Print matching records as JSON lines, through every page.

    \b
    Example:
        crmbridge query attio people --emulator --seed demo --limit 3 \\
            --where '{"email_addresses": {"$contains": "@"}}'
    """
    from .filters import from_dict as filter_from_dict

    condition = filter_from_dict(_json_arg(where, "--where")) if where else None
    with endpoint.open(provider) as crm:
        only = [f.strip() for f in field_list.split(",") if f.strip()] if field_list else None
        for record in crm.query(
            object, condition, order_by=list(order_by), limit=limit, fields=only
        ):
            _line(_record_out(record))


@cli.command()
@click.argument("provider")
@click.argument("object")
@provider_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "jsonl", "parquet"]),
    default="csv",
    show_default=True,
    envvar="CRMBRIDGE_EXPORT_FORMAT",
    help="File format.",
)
@click.option(
    "-O",
    "--output",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write to this file (required for parquet); default: standard output.",
)
@click.option(
    "--where", default=None, help='Filter in dict form, e.g. \'{"name": {"$contains": "a"}}\'.'
)
@click.option("--limit", type=click.IntRange(min=0), default=None, help="Stop after N records.")
@handle_errors
def export(
    provider: str,
    object: str,
    endpoint: Endpoint,
    fmt: str,
    output: str | None,
    where: str | None,
    limit: int | None,
) -> None:
    """Export an object's records as flat rows: one column per scalar (names split, money as
    amount and currency, options as labels, references as ids; see crmbridge.rows).

    \b
    Example:
        crmbridge export attio people --emulator --seed demo --format csv -O people.csv
    """
    from . import rows

    if fmt == "parquet" and output is None:
        raise ValidationError("--format parquet writes a binary file: give it --output FILE")
    from .filters import from_dict as filter_from_dict

    condition = filter_from_dict(_json_arg(where, "--where")) if where else None
    with endpoint.open(provider) as crm:
        records = crm.query(object, condition, limit=limit)
        if fmt == "parquet":
            pq = rows.require("pyarrow.parquet", "arrow")
            pq.write_table(rows.to_arrow(records), output)
            return
        with contextlib.ExitStack() as stack:
            stream: Any = (
                stack.enter_context(Path(output).open("w", encoding="utf-8", newline=""))
                if output
                else sys.stdout
            )
            (rows.to_csv if fmt == "csv" else rows.to_jsonl)(records, stream)


def _json_stream(text: str, what: str) -> list[Any]:
    """One JSON value, or JSON lines (what ``crmbridge query`` prints), from ``text`` or stdin."""
    if text == "-":
        text = sys.stdin.read()
    try:
        return [json.loads(text)]
    except json.JSONDecodeError:
        pass
    items = []
    for n, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                items.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ValidationError(f"{what} line {n} is not valid JSON: {exc.msg}") from None
    return items


def _is_record(data: Any) -> bool:
    """A record as ``crmbridge query`` / ``get`` print it (``to_dict`` form)."""
    return isinstance(data, dict) and isinstance(data.get("fields"), dict) and "object" in data


def _values(text: str) -> dict[str, Any]:
    data = _json_arg(text, "--values")
    if not isinstance(data, dict):
        raise ValidationError("--values must be a JSON object of field slug to value")
    from .model import structure_value

    return {k: structure_value(v) for k, v in data.items()}


@cli.command()
@click.argument("provider")
@click.argument("object")
@provider_options
@click.option("--values", "values_json", required=True, help="JSON object, or - for stdin.")
@click.option("--match", default=None, help="Field to match on (default: the provider's).")
@click.option(
    "--on-archived",
    type=click.Choice(ON_ARCHIVED),
    default=DEFAULT_ON_ARCHIVED,
    show_default=True,
    help="When the match is an archived record (CRMs that archive): fail, bring it back, or replace it.",
)
@click.option(
    "--emulate",
    is_flag=True,
    help="Match on a field the CRM cannot upsert on: a search, then a write (not atomic).",
)
@handle_errors
def upsert(
    provider: str,
    object: str,
    endpoint: Endpoint,
    values_json: str,
    match: str | None,
    on_archived: str,
    emulate: bool,
) -> None:
    """Create or update the record that matches, and say which.

    ``--values -`` reads standard input: one JSON object, or the JSON lines of ``crmbridge query``
    (their writable fields), answering one JSON line per record.

    \b
    Example:
        crmbridge upsert attio people --emulator --match email_addresses \\
            --values '{"email_addresses": "ada@example.com", "name": "Ada Lovelace"}'
    """
    from .model import structure_value

    items = _json_stream(values_json, "--values")
    stream = len(items) != 1 or _is_record(items[0])
    with endpoint.open(provider) as crm:
        writable: set[str] | None = None
        for data in items:
            if _is_record(data):  # a line of `crmbridge query`: its writable fields
                if writable is None:
                    writable = {f.slug for f in crm.fields(object) if f.writable}
                data = {k: v for k, v in data["fields"].items() if k in writable}
            if not isinstance(data, dict):
                raise ValidationError("--values must be a JSON object of field slug to value")
            result = crm.upsert(
                object,
                {k: structure_value(v) for k, v in data.items()},
                match=match,
                on_archived=on_archived,  # type: ignore[arg-type]
                emulate=emulate,
            )
            answer = {"action": result.action, "record": _record_out(result.record)}
            _line(answer) if stream else _emit(answer)


@cli.command()
@click.argument("provider")
@click.argument("object")
@provider_options
@click.option("--values", "values_json", required=True, help="JSON object, or - for stdin.")
@handle_errors
def create(
    provider: str,
    object: str,
    endpoint: Endpoint,
    values_json: str,
) -> None:
    """Create a record.

    \b
    Example:
        crmbridge create kizen companies_company --emulator --values '{"name": "Acme"}'
    """
    with endpoint.open(provider) as crm:
        _emit(_record_out(crm.create(object, _values(values_json))))


@cli.command()
@click.argument("provider")
@click.argument("object")
@click.argument("id")
@provider_options
@click.option("--values", "values_json", required=True, help="JSON object, or - for stdin.")
@handle_errors
def update(
    provider: str,
    object: str,
    id: str,
    endpoint: Endpoint,
    values_json: str,
) -> None:
    """Update a record (plain values set; {"$type": "add", "values": [...]} adds).

    \b
    Example:
        crmbridge update attio people ID --values '{"job_title": "CTO"}'
    """
    with endpoint.open(provider) as crm:
        _emit(_record_out(crm.update(object, id, _values(values_json))))


def _id_command(verb: str, example: str) -> None:
    @cli.command(verb, help=f"{verb.title()} a record.\n\n\b\nExample:\n    {example}")
    @click.argument("provider")
    @click.argument("object")
    @click.argument("id")
    @provider_options
    @handle_errors
    def command(
        provider: str,
        object: str,
        id: str,
        endpoint: Endpoint,
    ) -> None:
        with endpoint.open(provider) as crm:
            result = getattr(crm, verb)(object, id)
            _emit(_record_out(result) if result is not None else {"ok": True, verb: id})


_id_command("archive", "crmbridge archive kizen client_client ID")
_id_command("restore", "crmbridge restore kizen client_client ID")
_id_command("delete", "crmbridge delete attio people ID")


class _EmulateCommand(click.Command):
    """``emulate``'s flags: those every emulator takes, then each installed provider's own
    (``Provider.emulator_options``), read whenever the command parses or shows help — so the
    command line names no CRM and asks the plugins, not a ``TypeError``."""

    _common: list[click.Parameter] | None = None

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        if self._common is None:
            self._common = list(self.params)
        taken = {p.name for p in self._common if p.name}
        self.params = [*self._common, *_emulator_flags(taken)]
        return super().get_params(ctx)


def _emulator_flags(taken: set[str]) -> list[click.Option]:
    """One flag per emulator option the installed providers declare (by name, once)."""
    declared: dict[str, tuple[Any, list[str]]] = {}
    for name, info in sorted(plugins.providers().items()):
        for option in info.cls.emulator_options:
            _, users = declared.setdefault(option.name, (option, []))
            users.append(name)
    return [
        click.Option(
            [f"--{key.replace('_', '-')}"],
            type=option.type,
            default=None,
            help=f"{option.help} ({', '.join(users)})",
        )
        for key, (option, users) in declared.items()
        if key not in taken
    ]


@cli.command(cls=_EmulateCommand)
@click.argument("provider")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=None, help="Port (default: the provider's)."
)
@click.option("--seed", default=None, help="Seed data set, e.g. 'demo'.")
@click.option(
    "--random-seed",
    type=int,
    default=0,
    show_default=True,
    help="Makes demo data and faults deterministic.",
)
@click.option("--latency-ms", type=click.FloatRange(min=0), default=0.0, help="Delay every answer.")
@click.option("--rate-limits", is_flag=True, help="Enforce the CRM's documented rate limits (429).")
@click.option(
    "--rate-limit-scale",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Enforce the documented rate limits times this factor (e.g. 10); implies --rate-limits.",
)
@click.option(
    "--fail-rate",
    type=click.FloatRange(0, 1),
    default=0.0,
    help="Fraction of requests that get a 429, a 5xx or a dropped connection.",
)
@handle_errors
def emulate(
    provider: str,
    port: int | None,
    seed: str | None,
    random_seed: int,
    latency_ms: float,
    rate_limits: bool,
    rate_limit_scale: float | None,
    fail_rate: float,
    **own: Any,
) -> None:
    """Serve a CRM emulator over HTTP on 127.0.0.1 until interrupted.

    \b
    Examples:
        crmbridge emulate attio --port 8701 --seed demo
        crmbridge emulate kizen --port 8702 --latency-ms 20 --fail-rate 0.05
        crmbridge emulate attio --port 0 --rate-limit-scale 10
    """
    cls = plugins.get_provider(provider)
    if not cls.ships_emulator():
        raise Unsupported(f"the {cls.name} provider ships no emulator", provider=cls.name)
    accepted = {o.name for o in cls.emulator_options}
    given = {k: v for k, v in own.items() if v is not None}
    for key in sorted(set(given) - accepted):
        raise ValidationError(
            f"--{key.replace('_', '-')} does not apply to the {provider} emulator"
        )
    options: dict[str, Any] = {"random_seed": random_seed, **given}
    if seed is not None:
        options["seed"] = seed
    options.update(latency_ms=latency_ms, fail_rate=fail_rate)
    if rate_limits or rate_limit_scale:
        options["rate_limits"] = True
    emulator = cls.create_emulator(**options)
    if rate_limit_scale and emulator.rate_limits is not None:
        emulator.rate_limits = emulator.rate_limits.scaled(rate_limit_scale)
    port = cls.emulator_port if port is None else port
    try:
        server = emulator.serve(port=port)
    except OSError as exc:
        raise ConfigError(
            f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc} "
            "(another emulator running? --port 0 picks a free port)"
        ) from None
    _err().print(f"[bold green]{provider} emulator[/] on {server.url}  (Ctrl-C to stop)")
    env = cls.env
    lines = [f"{env['base_url']}={server.url}"] if "base_url" in env else []
    for key, value in emulator.credentials().items():
        if key in env:
            lines.append(f"{env[key]}={'<as given>' if key in given else value}")
    if lines:
        _err().print("Point clients at it with:\n  export " + " ".join(lines), highlight=False)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        _err().print("stopped")
    finally:
        server.httpd.server_close()


@cli.command()
@click.argument("source", required=False)
@click.argument("target", required=False)
@click.option("--map", "mapping", type=click.Path(dir_okay=False), help="The mapping file (TOML).")
@click.option("--init", "init", is_flag=True, help="Write a starting mapping from the two schemas.")
@click.option(
    "--output",
    type=click.Path(dir_okay=False),
    default=None,
    help="With --init: where to write it (default: stdout).",
)
@click.option("--force", is_flag=True, help="With --init --output: overwrite an existing file.")
@engine_option(
    "--state",
    help="The state: a SQLite file, or a postgresql:// URL shared by several machines (id map, "
    "hashes, checkpoints, pending failures, runs, lease).",
)
@click.option("--resume", is_flag=True, help="Continue an interrupted run from its checkpoint.")
@click.option(
    "--delta",
    is_flag=True,
    help="Copy only what changed in the source since the last --delta run (docs/sync.md).",
)
@click.option("--dry-run", is_flag=True, help="Print the planned writes; send none.")
@click.option(
    "--verify",
    is_flag=True,
    help="Compare every mapped field of source and target through the id map; write nothing.",
)
@click.option(
    "--json", "as_json", is_flag=True, envvar="CRMBRIDGE_JSON",
    help="Print JSON, not a table: the report as one line, or the --verify result.",
)  # fmt: skip
@click.option(
    "--limit", type=click.IntRange(min=1), default=None, help="At most N records per object."
)
@engine_option("--failures", help="Failed records of this run (JSON lines); {run} is the run's id.")
@click.option(
    "--report-json",
    type=click.Path(dir_okay=False),
    default=None,
    help="Also write the report as JSON to this file.",
)
@engine_option(
    "--deletes",
    help="Source records gone since they were migrated: report them, or archive/delete their "
    "target records.",
)
@click.option(
    "--on-target-changed",
    type=click.Choice(["keep", "overwrite", "fail"]),
    default="keep",
    show_default=True,
    help="A target record changed by someone else since the last run wrote it: keep it "
    "(skipped, reported), overwrite it, or fail it.",
)
@click.option("--runs", "list_runs", is_flag=True, help="List the runs the state remembers.")
@click.option("--undo", "undo", default=None, metavar="RUN", help="Undo run RUN in the target.")
@click.option(
    "--force-unlock", is_flag=True, help="Take the state's lease from a run that is gone."
)
@click.option(
    "--lease-ttl",
    type=click.FloatRange(min=1),
    default=60.0,
    show_default=True,
    help="Seconds a run's lease lasts unless renewed (a run killed elsewhere blocks this long).",
)
@engine_option(
    "--log-level",
    help="Engine events (logger crmbridge.migrate) on stderr from this level.",
)
@click.option("--create-options", is_flag=True, help="Create option labels the target lacks.")
@click.option(
    "--create-fields",
    is_flag=True,
    help="Create the target fields the mapping names that it lacks.",
)
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=None,
    help="Writes in flight, fixed (default: from the target's rate limit, or adaptive where it "
    "publishes none).",
)
@engine_option("--rate-limit-store")
@source_target_options()
@handle_errors
def migrate(
    source: str | None,
    target: str | None,
    mapping: str | None,
    init: bool,
    output: str | None,
    force: bool,
    state: str,
    resume: bool,
    delta: bool,
    dry_run: bool,
    verify: bool,
    as_json: bool,
    limit: int | None,
    failures: str,
    report_json: str | None,
    deletes: str,
    on_target_changed: str,
    list_runs: bool,
    undo: str | None,
    force_unlock: bool,
    lease_ttl: float,
    log_level: str,
    create_options: bool,
    create_fields: bool,
    concurrency: int | None,
    rate_limit_store: str | None,
    ends: Ends,
) -> None:
    """Copy records from SOURCE to TARGET as a mapping file says: idempotent, resumable.

    \b
    Examples:
        crmbridge migrate --init attio kizen --output mapping.toml
        crmbridge migrate attio kizen --map mapping.toml --dry-run --limit 5
        crmbridge migrate attio kizen --map mapping.toml --create-fields --dry-run
        crmbridge migrate attio kizen --map mapping.toml
        crmbridge migrate attio kizen --map mapping.toml --resume
        crmbridge migrate attio kizen --map mapping.toml --deletes archive
        crmbridge migrate attio kizen --map mapping.toml --delta
        crmbridge migrate --runs
        crmbridge migrate attio kizen --undo 20261203T130512Z-3fa2
    """
    import asyncio

    from .migrate import make_progress, migrate_async, tuned_collector
    from .migrate.init import init_from

    _log_to_stderr(log_level)
    if not state.strip():
        raise ValidationError("--state needs a file name (an empty one would keep no state)")
    if list_runs:
        _print_runs(state)
        return
    if source is None or target is None:
        raise ValidationError("name the SOURCE and TARGET providers, e.g. attio kizen")
    src, dst = ends.open_async(source, target, concurrency, rate_limit_store)

    async def run_init() -> str:
        async with src, dst:
            return await init_from(src, dst, source_name=source, target_name=target)

    if init:
        if output:
            _check_folder(output, "--output")
        text = asyncio.run(run_init())
        if output:
            if Path(output).exists() and not force:
                raise ConfigError(f"{output} exists: --force to overwrite it, or another --output")
            Path(output).write_text(text, encoding="utf-8")
            _err().print(f"wrote {output}: check it, then run with --map {output}")
        else:
            click.echo(text, nl=False)
        return
    if undo is not None:
        _undo(dst, state, undo, force_unlock, lease_ttl)
        return
    if not mapping:
        raise ValidationError("--map mapping.toml is required (or --init to write one)")
    from .migrate import load_mapping

    plan = load_mapping(mapping)
    names = (source.partition(":")[0], target.partition(":")[0])  # sqlite:backup.db → sqlite
    mapped = (
        (plan.source or names[0]).partition(":")[0],
        (plan.target or names[1]).partition(":")[0],
    )
    if mapped != names:
        raise ValidationError(
            f"{mapping} maps {mapped[0]} to {mapped[1]}; this command migrates "
            f"{names[0]} to {names[1]}"
            + (" (the other way round?)" if mapped[::-1] == names else "")
        )
    if verify:
        _verify(src, dst, plan, state, as_json)
        return

    def show(item: dict[str, Any]) -> None:
        click.echo(json.dumps(item, ensure_ascii=False, default=str))

    if report_json:
        _check_folder(report_json, "--report-json")
    if not dry_run:
        _check_folder(failures, "--failures")
    command = _shown_command()

    async def run() -> Any:
        async with src, dst:
            with make_progress(_err()) as progress:
                return await migrate_async(
                    src,
                    dst,
                    plan,
                    state=state,
                    resume=resume,
                    dry_run=dry_run,
                    limit=limit,
                    failures=failures,
                    create_options=create_options,
                    create_fields=create_fields,
                    concurrency=concurrency,
                    progress=None if dry_run else progress,
                    on_plan=show,
                    deletes=deletes,  # type: ignore[arg-type]
                    on_target_changed=on_target_changed,  # type: ignore[arg-type]
                    force_unlock=force_unlock,
                    lease_ttl=lease_ttl,
                    command=command,
                    delta=delta,
                )

    with tuned_collector():  # this process only migrates (crmbridge/migrate/collector.py)
        try:
            report = asyncio.run(run())
        except KeyboardInterrupt:
            if dry_run:
                raise
            again = command if "--resume" in command.split() else f"{command} --resume"
            _err().print(f"interrupted; to continue where it stopped:\n  {_escape(again)}")
            raise SystemExit(130) from None
    if as_json:  # the report as the last JSON line (after a dry run's planned writes)
        click.echo(json.dumps(json.loads(report.to_json()), ensure_ascii=False))
    else:
        _err().print(report.table(dry_run=dry_run))
    if report_json:
        Path(report_json).write_text(report.to_json() + "\n", encoding="utf-8")
    for obj in report.objects.values():
        for conflict in obj.conflicts:
            _err().print(
                f"[yellow]kept[/] {conflict['target_object']} of source record "
                f"{conflict['source_id']}: changed in the target ({', '.join(conflict['fields'])})"
            )
    if report.unresolved:
        _err().print(
            f"[yellow]{report.unresolved} reference(s) left empty[/]: the records they point to "
            "were not migrated (see the failures); fix those and run again to fill them in"
        )
    if report.failed:
        where = "the 'fail' lines above" if dry_run else str(report.failures_path)
        _err().print(f"[red]{report.failed} record(s) failed[/]; see {_escape(where)}")
    if report.pending:
        _err().print(
            f"[red]{report.pending} record(s) not written yet[/]: the next run (or --resume) "
            "retries them"
        )
    if not report.ok:
        raise SystemExit(1)


def _log_to_stderr(level: str) -> None:
    """Engine events (``crmbridge.*`` loggers) on stderr, through rich so progress bars stay
    whole."""
    from rich.logging import RichHandler

    logger = logging.getLogger("crmbridge")
    # stamina schedules the driver's retries: shown as log records from --log-level info on (a
    # retry is not a failure; a record given up on is the engine's WARNING), never bare lines.
    retries = logging.getLogger("stamina")
    for target in (logger, retries):
        if not any(getattr(h, "_crmbridge_cli", False) for h in target.handlers):
            handler = RichHandler(console=_err(), show_path=False, markup=False)
            handler._crmbridge_cli = True  # type: ignore[attr-defined]
            target.addHandler(handler)
    logger.setLevel(level.upper())
    retries.setLevel(logging.WARNING if level in ("debug", "info") else logging.ERROR)


def _check_folder(path: str, option: str) -> None:
    if not Path(path).parent.is_dir():
        raise ConfigError(f"{option} {path}: no folder {Path(path).parent}")


def _shown_command() -> str:
    """The command line as typed, secrets elided (a ``-s``/``-t`` value of a key the provider
    keeps secret, the password of a URL such as ``--state postgresql://…``): what ``--runs``
    lists and the resume hint prints."""
    import shlex

    from .urls import without_password

    args = sys.argv[1:]
    secret = {key for info in plugins.providers().values() for key in info.cls.secret_keys}
    shown: list[str] = []
    for i, arg in enumerate(args):
        before = args[i - 1] if i else ""
        key, eq, _ = arg.partition("=")
        if eq and key in secret and before in _OPTION_FLAGS:
            arg = f"{key}=…"
        elif "://" in arg:
            flag, eq, url = arg.partition("=") if arg.startswith("--") else ("", "", arg)
            arg = f"{flag}{eq}{without_password(url)}"
        shown.append(arg)
    return "crmbridge " + shlex.join(shown)


_OPTION_FLAGS = _SOURCE_OPTION + _TARGET_OPTION


def _print_runs(state: str) -> None:
    import datetime as dt

    from .migrate import open_state

    if "://" not in state and not Path(state).exists():
        raise ConfigError(f"no state file {state} (--state names it)")
    store = open_state(state)
    try:
        runs = store.runs()
    finally:
        store.close()
    from rich.table import Table

    table = Table(title=f"runs in {_escape(store.location)}")
    table.add_column("run", no_wrap=True)
    table.add_column("started (UTC)", no_wrap=True)
    for column in ("status", "written", "failed"):
        table.add_column(column)
    table.add_column("command", overflow="fold")

    def when(stamp: float) -> str:
        return dt.datetime.fromtimestamp(stamp, dt.UTC).strftime("%Y-%m-%d %H:%M:%S")

    for run in runs:
        counts = run.counts
        written = sum(counts.get(k, 0) for k in ("created", "updated", "unarchived"))
        table.add_row(
            run.id,
            when(run.started),
            run.status,
            str(written),
            str(counts.get("failed", 0)),
            _escape(run.command),
        )
    _out().print(table)


def _undo(dst: Any, state: str, run_id: str, force_unlock: bool, lease_ttl: float) -> None:
    import asyncio

    from .migrate import undo_async

    if "://" not in state and not Path(state).exists():
        raise ConfigError(f"no state file {state} (--state names it)")

    async def run() -> Any:
        async with dst:
            return await undo_async(
                dst, run_id, state=state, force_unlock=force_unlock, lease_ttl=lease_ttl
            )

    report = asyncio.run(run())
    from rich.table import Table

    table = Table(title=f"undo of run {run_id}")
    table.add_column("outcome")
    table.add_column("records", justify="right")
    for outcome, n in sorted(report.counts.items()):
        table.add_row(outcome, str(n))
    _err().print(table)
    for item in report.left_alone:
        _err().print(
            f"[yellow]left alone[/] {item['target_object']} {item['target_id']} "
            f"({item['kind']}): {item['outcome']}"
        )
    if not report.ok:
        raise SystemExit(1)


def _verify(src: AsyncBridge, dst: AsyncBridge, plan: Any, state: str, as_json: bool) -> None:
    """``migrate --verify`` (crmbridge/migrate/verify.py): differences as a table or JSON; exit 1
    when there are any."""
    import asyncio

    from .migrate.verify import verify_async

    async def run() -> Any:
        async with src, dst:
            return await verify_async(src, dst, plan, state=state)

    report = asyncio.run(run())
    if as_json:
        _emit(report.as_dict())
    elif report.ok:
        _err().print(f"verified {sum(report.checked.values())} record(s): no difference")
    else:
        _err().print(report.table())
    if not report.ok:
        raise SystemExit(1)


@cli.command()
@click.option(
    "--size",
    type=click.IntRange(min=1),
    default=None,
    help="Number of demo people (default: the seed's).",
)
@handle_errors
def demo(size: int | None) -> None:
    """Migrate Attio to Kizen on the built-in emulators: no network, no credentials.

    \b
    Example:
        crmbridge demo
    """
    from .demo import run_demo
    from .migrate import tuned_collector

    with tuned_collector():  # this process only migrates (crmbridge/migrate/collector.py)
        first, second = run_demo(_out(), size=size)
    if first.failed or second.failed:
        raise SystemExit(1)
    _out().print(
        f"[bold green]Done.[/] The second run wrote {second.writes} records: every unchanged "
        "record was a noop. Next: `crmbridge migrate --init attio kizen` for your own mapping."
    )


def _add_feature_commands() -> None:
    """Commands that live with their feature's module (imported late: they use this module)."""
    from .migrate.sync_command import register as register_sync
    from .webhooks.cli import register

    register(cli)
    register_sync(cli)


_add_feature_commands()


def main() -> None:
    """Console entry point."""
    # stamina logs every scheduled retry as a warning; the command's own error says what failed.
    logging.getLogger("stamina").setLevel(logging.ERROR)
    plugins.call_register_commands(cli)
    cli(prog_name="crmbridge")


if __name__ == "__main__":  # pragma: no cover
    main()
