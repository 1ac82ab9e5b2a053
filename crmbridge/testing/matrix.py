"""Generate the provider-by-verb support matrix (libcloud's generated feature tables).

``python -m crmbridge.testing.matrix`` prints the matrix of the installed providers: which verbs
each implements (a method overriding :class:`~crmbridge.Provider`'s) and what its
:class:`~crmbridge.Capabilities` declare. Given a path, it writes that file instead (crmbridge's
own page: ``python -m crmbridge.testing.matrix docs/providers/matrix.md``); it never writes a file
it was not named, since a user's working directory is not crmbridge's repository (issue #19).
``--check PATH`` exits 1 when that file is out of date, which a test runs, so the page cannot
drift from the code.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from ..filters import OPERATORS
from ..plugins import providers
from ..provider import Capabilities, Provider

__all__ = ["main", "render", "rows"]

#: crmbridge's own page, relative to its repository.
DEFAULT_PATH = Path("docs/providers/matrix.md")

YES, NO = "✓", "—"

Cell = Callable[[type[Provider]], str]


def _implements(cls: type[Provider], method: str) -> bool:
    return getattr(cls, method) is not getattr(Provider, method)


def _verb(method: str, capability: str | None = None) -> Cell:
    """✓ when the class implements ``method`` (and declares ``capability``); "✓ with
    ``option``" when a configuration option turns the capability on
    (:attr:`Provider.option_capabilities`)."""

    def cell(cls: type[Provider]) -> str:
        if not _implements(cls, method):
            return NO
        if capability is None or getattr(cls.capabilities, capability):
            return YES
        options = [k for k, on in cls.option_capabilities.items() if on.get(capability)]
        return f"{YES} with " + ", ".join(f"`{k}`" for k in options) if options else NO

    return cell


def _upsert(cls: type[Provider]) -> str:
    caps = cls.capabilities
    if not _implements(cls, "native_upsert") or caps.upsert_match == "none":
        return NO
    how = {"unique": "any unique field", "fixed": "fixed key per object"}[caps.upsert_match]
    return f"{YES} native, {how}" if caps.native_upsert else f"{YES} emulated, {how}"


def _change(capability: str) -> Cell:
    def cell(cls: type[Provider]) -> str:
        if not _implements(cls, "update"):
            return NO
        return f"{YES} native" if getattr(cls.capabilities, capability) else f"{YES} emulated"

    return cell


def _filters(cls: type[Provider]) -> str:
    ops = cls.capabilities.filter_ops
    if not _implements(cls, "query"):
        return NO
    if set(OPERATORS) <= ops:
        return "all"
    return ", ".join(op for op in OPERATORS if op in ops) or NO


def _rate(value: float | None) -> str:
    return NO if value is None else f"{value:g}/s"


def _caps(read: Callable[[Capabilities], str]) -> Cell:
    return lambda cls: read(cls.capabilities)


#: The rows of the table: (label, cell function). docs/design.md §4's verbs, then capabilities.
ROWS: tuple[tuple[str, Cell], ...] = (
    ("`objects()`", _verb("list_objects")),
    ("`fields()`", _verb("list_fields")),
    ("`get()`", _verb("get")),
    ("`query()`", _verb("query")),
    ("filter operators", _filters),
    ("`order_by`", _verb("query", "sorts")),
    ("largest page", _caps(lambda c: str(c.max_page_size))),
    ("`create()`", _verb("create")),
    ("`update()`", _verb("update")),
    ("`add()`", _change("add_values")),
    ("`remove()`", _change("remove_values")),
    ("`upsert()`", _upsert),
    ("`delete()`", _verb("delete", "delete")),
    ("`archive()`", _verb("archive", "archive")),
    ("`restore()`", _verb("restore", "restore")),
    ("`on_archived`", _caps(lambda c: YES if c.archive else "`error` only")),
    ("`history()`", _verb("history", "history")),
    ("list entries", _caps(lambda c: YES if c.lists else NO)),
    ("create options", _verb("create_option")),
    ("create fields", _verb("create_field", "create_fields")),
    ("read notes", _verb("list_notes", "notes")),
    ("`create_note()`", _verb("create_note", "notes_create")),
    ("`delete_note()`", _verb("delete_note", "notes_delete")),
    ("tasks", _verb("create_task", "tasks")),
    ("`update_task()`", _verb("update_task", "tasks_update")),
    ("emulator", lambda cls: YES if cls.ships_emulator() else NO),
    ("read rate", _caps(lambda c: _rate(c.read_rate))),
    ("write rate", _caps(lambda c: _rate(c.write_rate))),
)


def rows(classes: Mapping[str, type[Provider]]) -> list[list[str]]:
    """The table body: one row per verb or capability, one column per provider."""
    return [[label, *(cell(cls) for cls in classes.values())] for label, cell in ROWS]


def render(classes: Mapping[str, type[Provider]]) -> str:
    """The Markdown page for ``classes`` (name → provider class), in the order given."""
    names = list(classes)
    header = ["", *(f"`{n}`" for n in names)]
    lines = [
        "# Provider support matrix",
        "",
        "<!-- Generated by `python -m crmbridge.testing.matrix`; do not edit by hand. -->",
        "",
        "What each installed provider does, read from its class: a verb is supported when the",
        "provider implements it and its [`Capabilities`](../plugins/capabilities.md) declare it.",
        "*Native* means one request (or one transaction) does it; *emulated* means crmbridge",
        "does it with several requests, which is not atomic. `—`: not supported (the verb raises",
        "`Unsupported`, before any request). The [conformance suite](../plugins/tutorial.md#5-"
        "run-the-conformance-suite) skips exactly these cells. *With `option`*: supported when",
        "`connect()` is given that option.",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
    ]
    lines += ["| " + " | ".join(r) + " |" for r in rows(classes)]
    lines += ["", "Providers in this table:", ""]
    lines += [
        f"* `{n}`: {(classes[n].description or classes[n].__name__).rstrip('.')}." for n in names
    ]
    lines.append("")
    return "\n".join(lines)


def installed() -> dict[str, type[Provider]]:
    """Every registered provider, by name, sorted."""
    return {name: info.cls for name, info in sorted(providers().items())}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("path", nargs="?", type=Path, default=None, help="write this file")
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is stale")
    args = parser.parse_args(argv)
    text = render(installed())
    if args.path is None:
        if args.check:
            parser.error("--check needs the path of the file to check")
        sys.stdout.write(text)
        return 0
    if args.check:
        current = args.path.read_text(encoding="utf-8") if args.path.exists() else ""
        if current != text:
            print(f"{args.path} is out of date: run python -m crmbridge.testing.matrix")
            return 1
        return 0
    args.path.write_text(text, encoding="utf-8")
    print(f"wrote {args.path}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
