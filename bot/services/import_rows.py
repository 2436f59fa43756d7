"""An upload's rows between preview and apply: validated, packed, unpacked.

The preview keeps the normalised rows (compressed JSON in ``imports.rows``) so that a
preview survives a restart and apply can diff them against the directory as it is then,
without the file. Problems are kept as JSON too, with where they are (sheet, row, column
and its letter) and the reason code and parameters the reader's language needs.
"""

from __future__ import annotations

import functools
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from types import MappingProxyType
from typing import Any, Final, Literal

import orjson

from bot.domain.cells import CellValue
from bot.domain.register_diff import STORED, ImportRow
from bot.domain.registers import (
    TOO_LONG,
    FieldKind,
    Finding,
    Problem,
    Register,
    RowContext,
    find_duplicates,
    spec_of,
    validate_rows,
)
from storage.registers_repo import column_limits
from storage.xlsx_read import ReadResult, ReadRow

Severity = Literal["error", "warning"]
_FORMAT: Final = 1
_BATCH: Final = 5000
_DATES: Final = frozenset({"cert_expires"})
_TAGS: Final = frozenset({"expertise", "areas", "target_kind", "method"})


@dataclass(frozen=True)
class ProblemInfo:
    """One problem of an upload, where a person finds it in their file."""

    sheet: str | None
    row: int | None  # the row number Excel shows; None: the file as a whole
    column: str | None  # the header as written in the file
    column_letter: str | None
    field: str | None
    value: object  # the cell as read (text, number, date as ISO text)
    severity: Severity
    reason: str  # a code of bot.domain.reasons.REASONS
    params: Mapping[str, str]

    def as_json(self) -> dict[str, Any]:
        return {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "column_letter": self.column_letter,
            "field": self.field,
            "value": self.value,
            "severity": self.severity,
            "reason": self.reason,
            "params": dict(self.params),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ProblemInfo:
        return cls(
            data.get("sheet"),
            data.get("row"),
            data.get("column"),
            data.get("column_letter"),
            data.get("field"),
            data.get("value"),
            "error" if data.get("severity") == "error" else "warning",
            str(data.get("reason")),
            MappingProxyType(dict(data.get("params") or {})),
        )


def plain_value(value: object) -> object:
    """A raw cell as JSON can hold it."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value)


def locate(read: ReadResult, finding: Finding) -> ProblemInfo:
    column = read.column_of(finding.problem.field)
    return ProblemInfo(
        read.sheet,
        finding.row,
        column.header if column else None,
        column.letter if column else None,
        finding.problem.field,
        plain_value(finding.problem.value),
        finding.severity,
        finding.problem.reason,
        MappingProxyType(dict(finding.problem.params)),
    )


def ordered(problems: Sequence[ProblemInfo]) -> list[ProblemInfo]:
    """The whole file first, then by row; errors before warnings within a row."""
    return sorted(problems, key=lambda p: (p.row or 0, p.severity != "error"))


@dataclass
class Prepared:
    """A read file, validated: the rows for the diff and every finding so far."""

    rows: list[ImportRow]
    findings: list[Finding]


def prepare(register: Register, read: ReadResult, today: date) -> Prepared:
    """Validate every row and look for duplicates across the file; a row with an error
    (from the reader, the cells, or a duplicate) is blocked.

    The read rows' raw cells are dropped as their rows are validated, except for the rows
    the error report shows (with a problem the reader or validation found): a 100k-row
    file need not be held twice. ``report_rows`` gives the report the others later.
    """
    ctx = RowContext(today)
    findings: list[Finding] = list(read.problems)
    flagged = {f.row for f in read.problems if f.row is not None}
    blocked = {f.row for f in read.problems if f.severity == "error" and f.row is not None}
    stored = frozenset(STORED[register])
    limits = _unchecked_limits(register)
    pairs: list[tuple[int, dict[str, object]]] = []
    for start in range(0, len(read.rows), _BATCH):
        chunk = read.rows[start : start + _BATCH]
        for row, result in zip(
            chunk, validate_rows(register, [r.cells for r in chunk], ctx), strict=True
        ):
            values = result.values
            if result.errors or result.warnings:
                findings.extend(result.findings(row.row))
                flagged.add(row.row)
                if result.errors:
                    blocked.add(row.row)
            if not values.keys() <= stored:  # a column the directory does not keep
                values = {k: v for k, v in values.items() if k in stored}
            for key, limit in limits:
                value = values.get(key)
                if value is not None and len(_stored_form(value)) > limit:
                    problem = Problem(key, row.cells.get(key), TOO_LONG, {"max": str(limit)})
                    findings.append(Finding(row.row, "error", problem))
                    flagged.add(row.row)
                    blocked.add(row.row)
                    values = {**values, key: None}
            pairs.append((row.row, values))
            if row.row not in flagged:
                row.cells = _NO_CELLS
    read.rows = [r for r in read.rows if r.cells is not _NO_CELLS]
    duplicates = find_duplicates(register, pairs)
    findings.extend(duplicates)
    blocked.update(f.row for f in duplicates if f.row is not None)
    rows = [ImportRow(row, values, row in blocked) for row, values in pairs]
    return Prepared(rows, findings)


_NO_CELLS: Final[dict[str, CellValue]] = {}


def report_rows(read: ReadResult, rows: Sequence[ImportRow], findings: Sequence[Finding]) -> None:
    """Give the error report a row for every row with a problem: the rows whose raw
    cells ``prepare`` dropped (a duplicate, a clash with the directory) are shown with
    their normalised values."""
    have = {r.row for r in read.rows}
    wanted = {f.row for f in findings if f.row is not None} - have
    if not wanted:
        return
    for row in rows:
        if row.row in wanted:
            cells = {k: _shown(v) for k, v in row.values.items()}
            read.rows.append(ReadRow(row.row, False, cells))
    read.rows.sort(key=lambda r: r.row)


def _shown(value: object) -> CellValue:
    if isinstance(value, tuple):
        return "、".join(str(v) for v in value)
    if value is None or isinstance(value, str | int | float | bool | date):
        return value
    return str(value)


def _stored_form(value: object) -> str:
    return ",".join(value) if isinstance(value, tuple) else str(value)


@functools.cache
def _unchecked_limits(register: Register) -> tuple[tuple[str, int], ...]:
    """The columns validation does not already keep within their length: free text and
    codes are cut to the spec's max_length; phones, open enumerations and tags kept as
    text are not, so they are checked against the database column here."""
    spec = spec_of(register)
    found = []
    for key, limit in column_limits(register).items():
        f = spec.field(key)
        guaranteed = f.kind in (FieldKind.TEXT, FieldKind.CODE, FieldKind.USCC) and (
            f.max_length is not None and f.max_length <= limit
        )
        closed_choice = f.kind is FieldKind.ENUM and f.closed
        if not guaranteed and not closed_choice:
            found.append((key, limit))
    return tuple(found)


# --- packing --------------------------------------------------------------------------------


def _json_default(value: object) -> object:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def _from_json(key: str, value: object) -> object:
    if value is None:
        return None
    if key in _DATES and isinstance(value, str):
        return date.fromisoformat(value)
    if key in _TAGS and isinstance(value, list):
        return tuple(value)
    return value


def pack_rows(rows: Sequence[ImportRow]) -> bytes:
    """Compressed JSON: the columns every row has, then one array per row (Excel row,
    blocked, values in column order, and a trailing object for a key only some rows have,
    such as a registration number found in the USCC column). Written in batches, so that
    a 100k-row file never exists as one long string."""
    columns: list[str] = []
    if rows:
        first = rows[0].values.keys()
        common = set(first)
        for r in rows:
            if r.values.keys() != first:
                common &= r.values.keys()
        columns = [k for k in first if k in common]
    width = len(columns)
    head = orjson.dumps({"format": _FORMAT, "columns": columns})
    compressor = zlib.compressobj(1)
    out = [compressor.compress(head[:-1] + b',"rows":[')]
    for start in range(0, len(rows), _BATCH):
        packed: list[list[object]] = []
        for row in rows[start : start + _BATCH]:
            values = row.values
            # Tuples become JSON arrays by themselves, dates ISO text (as date.isoformat).
            line = [row.row, 1 if row.blocked else 0, *map(values.__getitem__, columns)]
            if len(values) != width:
                line.append({k: v for k, v in values.items() if k not in columns})
            packed.append(line)
        text = orjson.dumps(packed, default=_json_default)[1:-1]
        out.append(compressor.compress(b"," + text if start else text))
    out.append(compressor.compress(b"]}"))
    out.append(compressor.flush())
    return b"".join(out)


def unpack_rows(data: bytes) -> list[ImportRow]:
    body = orjson.loads(zlib.decompress(data))
    columns: list[str] = body["columns"]
    width = len(columns) + 2
    special = [k for k in columns if k in _DATES or k in _TAGS]
    lines: list[list[Any]] = body.pop("rows")
    rows = []
    for i, line in enumerate(lines):
        lines[i] = None  # type: ignore[call-overload]  # the row's list goes as it is read
        values: dict[str, object] = dict(zip(columns, line[2:width], strict=False))
        for k in special:
            values[k] = _from_json(k, values[k])
        if len(line) > width:
            values.update({k: _from_json(k, v) for k, v in line[width].items()})
        rows.append(ImportRow(line[0], values, bool(line[1])))
    return rows


def pack_problems(problems: Sequence[ProblemInfo]) -> list[dict[str, Any]]:
    return [p.as_json() for p in problems]


def unpack_problems(data: Sequence[Mapping[str, Any]] | None) -> list[ProblemInfo]:
    return [ProblemInfo.from_json(p) for p in data or ()]
