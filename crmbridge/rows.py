"""Records as flat rows of typed columns, for CSV files, spreadsheets and data frames.

``pd.DataFrame(records)`` gives one column of objects; a row gives one column per scalar:

* a person's name is split (``name.first``, ``name.last``, ``name.full``);
* money is an amount and a currency (``value.amount`` as a ``Decimal``, ``value.currency``);
* a location has one column per key (``primary_location.locality``, …);
* an option is its label, a reference or a file its id, a user their id (``owner.email`` beside
  it), an interaction its type and time;
* a multi field is a list of those scalars (``tags`` → ``["vip", "beta"]``).

Other values keep their Python type (``int``, ``Decimal``, ``date``, ``datetime``, ``bool``), so
Arrow, pandas and polars get typed columns. :func:`to_arrow`, :func:`to_pandas` and
:func:`to_polars` build a table in one call; the libraries are optional (``pip install
'crmbridge[arrow]'``, ``[pandas]`` or ``[polars]``), imported only when called.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

import attrs

from .errors import ConfigError
from .model import File, Interaction, Location, Money, Option, PersonName, Record, Ref, RefBy, User

__all__ = [
    "columns",
    "jsonl_line",
    "require",
    "to_arrow",
    "to_csv",
    "to_jsonl",
    "to_pandas",
    "to_polars",
    "to_row",
]

#: Columns every row starts with.
RECORD_COLUMNS = ("id", "object", "created_at")


def _scalar(value: Any) -> Any:
    """One value of a multi field as one cell."""
    if isinstance(value, Option):
        return value.label
    if isinstance(value, Ref | File):
        return value.id
    if isinstance(value, RefBy):
        return value.value
    if isinstance(value, User):
        return value.id or value.email
    if isinstance(value, PersonName):
        return value.display
    if isinstance(value, Money):
        return value.amount
    if isinstance(value, Interaction):
        return value.type
    if isinstance(value, Location):
        return ", ".join(str(v) for v in attrs.astuple(value) if v)
    return value


def _cells(slug: str, value: Any) -> dict[str, Any]:
    """The columns of one field."""
    if isinstance(value, PersonName):
        return {
            f"{slug}.first": value.first,
            f"{slug}.last": value.last,
            f"{slug}.full": value.full,
        }
    if isinstance(value, Money):
        return {f"{slug}.amount": value.amount, f"{slug}.currency": value.currency}
    if isinstance(value, Location):
        return {f"{slug}.{a.name}": getattr(value, a.name) for a in attrs.fields(Location)}
    if isinstance(value, User):
        return {slug: value.id, f"{slug}.email": value.email}
    if isinstance(value, Interaction):
        return {f"{slug}.type": value.type, f"{slug}.at": value.at}
    if isinstance(value, list | tuple):
        return {slug: [_scalar(v) for v in value]}
    return {slug: _scalar(value)}


def to_row(record: Record) -> dict[str, Any]:
    """``record`` as one flat row: ``id``, ``object``, ``created_at``, then its fields' columns."""
    row: dict[str, Any] = {
        "id": record.id,
        "object": record.object,
        "created_at": record.created_at,
    }
    for slug, value in record.fields.items():
        row.update(_cells(slug, value))
    return row


def columns(rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """Every column of ``rows``, in the order they first appear."""
    seen: dict[str, None] = dict.fromkeys(RECORD_COLUMNS)
    for row in rows:
        seen.update(dict.fromkeys(row))
    return list(seen)


def _rows(records: Iterable[Record | Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [to_row(r) if isinstance(r, Record) else dict(r) for r in records]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, list):
        return json.dumps([_json(v) for v in value], ensure_ascii=False)
    return str(value)


def _json(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list):
        return [_json(v) for v in value]
    return value


def to_csv(records: Iterable[Record | Mapping[str, Any]], out: io.TextIOBase | Any) -> int:
    """Write ``records`` as CSV with a header (lists as JSON arrays, dates as ISO 8601) to the text
    file ``out``; the number of rows written."""
    rows = _rows(records)
    writer = csv.DictWriter(out, fieldnames=columns(rows), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _text(v) for k, v in row.items()})
    return len(rows)


def jsonl_line(row: Mapping[str, Any]) -> str:
    """One row as a JSON line (decimals as strings, so nothing is rounded)."""
    return json.dumps({k: _json(v) for k, v in row.items()}, ensure_ascii=False)


def to_jsonl(records: Iterable[Record | Mapping[str, Any]], out: io.TextIOBase | Any) -> int:
    """Write ``records`` as JSON lines to the text file ``out``, one row at a time."""
    n = 0
    for record in records:
        row = to_row(record) if isinstance(record, Record) else dict(record)
        out.write(jsonl_line(row) + "\n")
        n += 1
    return n


def require(module: str, extra: str) -> Any:
    """Import ``module``, or a :class:`~crmbridge.ConfigError` naming the extra that installs it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] != module.split(".")[0]:
            raise
        raise ConfigError(
            f"{module} is not installed: pip install 'crmbridge[{extra}]'", code="missing_extra"
        ) from None


def to_arrow(records: Iterable[Record | Mapping[str, Any]]) -> Any:
    """A ``pyarrow.Table`` of ``records`` (needs ``crmbridge[arrow]``)."""
    pa = require("pyarrow", "arrow")
    rows = _rows(records)
    names = columns(rows)
    return pa.Table.from_pylist([{c: row.get(c) for c in names} for row in rows])


def to_pandas(records: Iterable[Record | Mapping[str, Any]]) -> Any:
    """A ``pandas.DataFrame`` of ``records`` (needs ``crmbridge[pandas]``)."""
    pd = require("pandas", "pandas")
    rows = _rows(records)
    return pd.DataFrame.from_records(rows, columns=columns(rows))


def to_polars(records: Iterable[Record | Mapping[str, Any]]) -> Any:
    """A ``polars.DataFrame`` of ``records`` (needs ``crmbridge[polars]``)."""
    pl = require("polars", "polars")
    rows = _rows(records)
    names = columns(rows)
    return pl.DataFrame([{c: row.get(c) for c in names} for row in rows], strict=False)
