"""An upload's rows between preview and apply: validated, packed, unpacked.

The preview keeps the normalised rows (compressed JSON in ``imports.rows``) so that a
preview survives a restart and apply can diff them against the directory as it is then,
without the file. Problems are kept as JSON too, with where they are (sheet, row, column
and its letter) and the reason code and parameters the reader's language needs.
"""

from __future__ import annotations

import functools
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from sys import intern
from types import MappingProxyType
from typing import Any, Final, Literal

import orjson

from bot.domain.cells import CellValue
from bot.domain.registers import cells as register_cells
from bot.domain.registers.diff import (
    BRIEF_FIELDS,
    IDENTIFIERS,
    STORED,
    Change,
    Diff,
    ImportRow,
    KnownEntity,
    Record,
    Sieve,
    created_values,
)
from bot.domain.registers.validation import (
    TOO_LONG,
    FieldKind,
    Finding,
    Problem,
    Register,
    RowContext,
    RowResult,
    find_duplicates,
    spec_of,
    validate_rows,
)
from storage.registers_repo import column_limits
from storage.xlsx_read import ReadResult, ReadRow

Severity = Literal["error", "warning"]
_FORMAT: Final = 3
_PIECE: Final = 2**20  # inflated bytes at a time
_BATCH: Final = 5000
_DATES: Final = frozenset({"cert_expires"})
_TAGS: Final = frozenset({"expertise", "areas", "target_kind", "method"})
_FEW_VALUES: Final = frozenset(
    {"kind", "status", "industry", "area", "risk_class", "qualification"}
)


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
    packed: bytes | None = None  # RowPacker's, when the Preparer was asked to pack


def file_fields(register: Register, read: ReadResult) -> tuple[str, ...]:
    """The fields a valid row of this file has, in the order validation gives them."""
    stored = set(STORED[register])
    return tuple(
        f[0]
        for f in register_cells.compiled(register).fields
        if f[0] in read.columns and f[0] in stored
    )


# Rows read so far, and how many there are to read (None: not known).
Progress = Callable[[int, int | None], None]


class Preparer:
    """Validates a file's rows as they are read (storage.xlsx_read.RowSink), then looks
    for duplicates across the file; a row with an error (the reader's, the cells', a
    duplicate) is blocked.

    The raw cells are kept only for the rows the error report shows (with a problem the
    reader or validation found); ``report_rows`` gives the report the others later.
    ``sieve``: made once the file's fields are known; the rows it finds unchanged keep
    only their keys (a re-import need not hold 100k rows). ``pack``: every row's values
    are packed as they are validated (a preview kept for later: ``Prepared.packed``).
    ``settle``: called after each batch (storage.bulk.gc_settling's). ``identified``:
    whether some entity row has an identifier (a USCC, a registration number or a local
    number: a value, or an error in one such cell), else the import is refused.
    ``progress``: told the rows read so far and the rows there are to read (the sheet's
    used range under the header, blank rows included; None: not known) once the header
    is found and after each batch.
    """

    def __init__(
        self,
        register: Register,
        today: date,
        *,
        sieve: Callable[[tuple[str, ...]], Sieve | None] | None = None,
        pack: bool = False,
        settle: Callable[[], None] = lambda: None,
        progress: Progress | None = None,
    ) -> None:
        self.register = register
        self._progress = progress
        self._ctx = RowContext(today)
        self._make_sieve = sieve
        self._sieve: Sieve | None = None
        self._pack = pack
        self._settle = settle  # after each batch (storage.bulk.gc_settling)
        self.packer: RowPacker | None = None
        self.findings: list[Finding] = []
        self._flagged: set[int] = set()
        self._blocked: set[int] = set()
        self._seen_problems = 0
        # (row, values, same_as) as rows are read; values as a tuple in the order of the
        # file's fields (or of what the sieve keeps) while the sheet is in memory too, a
        # dict only for a row with other keys: a 100k-row file's dicts come in finish(),
        # once the sheet is gone.
        self._rows: list[tuple[int, Mapping[str, object] | tuple[object, ...], int | None]] = []
        self._fields: tuple[str, ...] = ()
        self._read: ReadResult | None = None
        self.rows_seen = 0
        self._identifiers = IDENTIFIERS[register] if register is Register.ENTITIES else ()
        self.identified = not self._identifiers

    def start(self, read: ReadResult) -> None:
        self._read = read
        fields = self._fields = file_fields(self.register, read)
        if self._pack:
            self.packer = RowPacker(fields)
        if self._make_sieve is not None:
            self._sieve = self._make_sieve(fields)
        self._report(read.header_row)

    def _report(self, row: int) -> None:
        """Tell ``progress`` that reading has reached ``row`` (as Excel numbers it)."""
        read = self._read
        if self._progress is None or read is None:
            return
        total = None if read.last_row is None else max(read.last_row - read.header_row, 0)
        done = row - read.header_row
        self._progress(done if total is None else min(done, total), total)

    def _reader_problems(self) -> None:
        assert self._read is not None
        problems = self._read.problems
        for finding in problems[self._seen_problems :]:
            self.findings.append(finding)
            if finding.row is not None:
                self._flagged.add(finding.row)
                if finding.severity == "error":
                    self._blocked.add(finding.row)
        self._seen_problems = len(problems)

    def take(self, batch: list[ReadRow]) -> list[ReadRow]:
        self._reader_problems()
        stored = frozenset(STORED[self.register])
        limits = _unchecked_limits(self.register)
        flagged, blocked, sieve, packer = self._flagged, self._blocked, self._sieve, self.packer
        fields = self._fields
        kept: list[ReadRow] = []
        results = validate_rows(self.register, [r.cells for r in batch], self._ctx)
        self.rows_seen += len(batch)
        self._note_identified(results)
        for row, result in zip(batch, results, strict=True):
            values = result.values
            if result.errors or result.warnings:
                self.findings.extend(result.findings(row.row))
                flagged.add(row.row)
                if result.errors:
                    blocked.add(row.row)
            if not values.keys() <= stored:  # a column the directory does not keep
                values = {k: v for k, v in values.items() if k in stored}
            for key, limit in limits:
                value = values.get(key)
                if value is not None and len(_stored_form(value)) > limit:
                    problem = Problem(key, row.cells.get(key), TOO_LONG, {"max": str(limit)})
                    self.findings.append(Finding(row.row, "error", problem))
                    flagged.add(row.row)
                    blocked.add(row.row)
                    values = {**values, key: None}
            if packer is not None:
                packer.add(row.row, values)
            same_as = None
            if sieve is not None:
                same_as = sieve.same_as(values, row.row not in flagged)
            if same_as is not None:
                assert sieve is not None
                entry: Mapping[str, object] | tuple[object, ...] = tuple(
                    map(values.__getitem__, sieve.kept_fields)
                )
            elif tuple(values) == fields:
                entry = tuple(values.values())
            else:
                entry = values
            self._rows.append((row.row, entry, same_as))
            if row.row in flagged:
                kept.append(row)
        self._settle()
        self._report(batch[-1].row)  # never empty (storage.xlsx_read)
        return kept

    def _note_identified(self, results: list[RowResult]) -> None:
        """Until one row has an identifier: whether one of these has."""
        if not self.identified:
            self.identified = any(_identified(self._identifiers, r) for r in results)

    def finish(self) -> Prepared:
        self._reader_problems()
        entries, self._rows = self._rows, []
        pairs = [_as_dict(entry, self._fields, self._sieve) for entry in entries]
        del entries
        duplicates = find_duplicates(self.register, ((r, v) for r, v, _ in pairs))
        self.findings.extend(duplicates)
        blocked = self._blocked
        blocked.update(f.row for f in duplicates if f.row is not None)
        rows = [ImportRow(r, v, r in blocked, same) for r, v, same in pairs]
        packed = self.packer.finish(blocked) if self.packer is not None else None
        return Prepared(rows, self.findings, packed)


def _identified(identifiers: tuple[str, ...], result: RowResult) -> bool:
    """The row has one of the identifiers, or an error in one (the report says which)."""
    values = result.values
    return any(values.get(k) for k in identifiers) or any(
        p.field in identifiers for p in result.errors
    )


def _as_dict(
    entry: tuple[int, Mapping[str, object] | tuple[object, ...], int | None],
    fields: tuple[str, ...],
    sieve: Sieve | None,
) -> tuple[int, Mapping[str, object], int | None]:
    row, values, same_as = entry
    if isinstance(values, tuple):
        keys = sieve.kept_fields if same_as is not None and sieve is not None else fields
        return row, dict(zip(keys, values, strict=True)), same_as
    return row, values, same_as


_NO_CELLS: Final[dict[str, CellValue]] = {}


def report_rows(read: ReadResult, rows: Sequence[ImportRow], findings: Sequence[Finding]) -> None:
    """Give the error report a row for every row with a problem: the rows whose raw
    cells the Preparer dropped (a duplicate, a clash with the directory) are shown with
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


class RowPacker:
    """Compressed JSON of a file's rows, written as they come, one JSON document a line:
    the columns (the file's fields), then the rows batch by batch (each row an array:
    Excel row, values in column order, and a trailing object for a key only some rows
    have, such as a registration number found in the USCC column), then the rows with an
    error. Neither packing nor unpacking ever holds 100k rows' JSON at once."""

    def __init__(self, columns: Sequence[str]) -> None:
        self.columns = tuple(columns)
        self._column_set = frozenset(self.columns)
        self._compressor = zlib.compressobj(1)
        head = orjson.dumps({"format": _FORMAT, "columns": self.columns})
        self._out = [self._compressor.compress(head + b"\n")]
        self._batch: list[list[object]] = []

    def add(self, row: int, values: Mapping[str, object]) -> None:
        # Tuples become JSON arrays by themselves, dates ISO text (as date.isoformat).
        line = [row, *map(values.get, self.columns)]
        if values.keys() != self._column_set:
            line.append({k: v for k, v in values.items() if k not in self.columns})
        self._batch.append(line)
        if len(self._batch) == _BATCH:
            self._flush()

    def _flush(self) -> None:
        if self._batch:
            text = orjson.dumps(self._batch, default=_json_default)
            self._out.append(self._compressor.compress(text + b"\n"))
            self._batch = []

    def finish(self, blocked: Iterable[int]) -> bytes:
        self._flush()
        tail = orjson.dumps({"blocked": sorted(blocked)})
        self._out.append(self._compressor.compress(tail + b"\n"))
        self._out.append(self._compressor.flush())
        return b"".join(self._out)


def unpack_rows(data: bytes) -> list[ImportRow]:
    """The rows of a kept preview, batch by batch (a format 3 preview's JSON tree of 100k
    rows would be twice the rows themselves: 320 MB at its peak)."""
    lines = _lines(data)
    head = orjson.loads(next(lines))
    if head.get("format") != _FORMAT:  # formats 1 and 2: one JSON document
        return _unpack_whole(head)
    columns: list[str] = head["columns"]
    width = len(columns) + 1
    special = [k for k in columns if k in _DATES or k in _TAGS]
    found: list[tuple[int, dict[str, object]]] = []
    blocked: set[int] = set()
    # A few values 100k times (a kind, a class, an area): one string each, not 100k.
    repeated = [k for k in columns if k in _FEW_VALUES]
    for text in lines:
        if not text.startswith(b"["):
            blocked.update(orjson.loads(text)["blocked"])
            continue
        for line in orjson.loads(text):
            values = _values(columns, line, 1, width, special)
            for k in repeated:
                value = values[k]
                if value.__class__ is str:
                    values[k] = intern(value)
            found.append((line[0], values))
    return [ImportRow(row, values, row in blocked) for row, values in found]


def _lines(data: bytes) -> Iterator[bytes]:
    """The lines of the first zlib stream of ``data`` (the rows; the plan follows)."""
    stream = zlib.decompressobj()
    pending, rest = b"", data
    while not stream.eof:
        out = stream.decompress(rest, _PIECE)
        rest = stream.unconsumed_tail
        if not out and not rest:
            break
        *complete, pending = (pending + out).split(b"\n")
        yield from complete
    if pending:
        yield pending


def _values(
    columns: list[str], line: list[Any], first: int, width: int, special: list[str]
) -> dict[str, object]:
    values: dict[str, object] = dict(zip(columns, line[first:width], strict=False))
    for k in special:
        values[k] = _from_json(k, values[k])
    if len(line) > width:
        values.update({k: _from_json(k, v) for k, v in line[width].items()})
    return values


def _unpack_whole(body: dict[str, Any]) -> list[ImportRow]:
    """Formats 1 and 2: format 1 carried each row's blocked flag after its number; format
    2 lists the blocked rows at the end (known only once all are read)."""
    columns: list[str] = body["columns"]
    first = 2 if body.get("format") == 1 else 1
    blocked = set(body.get("blocked") or ())
    width = len(columns) + first
    special = [k for k in columns if k in _DATES or k in _TAGS]
    rows = []
    for line in body["rows"]:
        is_blocked = bool(line[1]) if first == 2 else line[0] in blocked
        rows.append(ImportRow(line[0], _values(columns, line, first, width, special), is_blocked))
    return rows


# --- the plan -------------------------------------------------------------------------------
#
# A kept preview's bytes are two zlib streams: its rows (above), then its plan. Apply by id
# reads the plan and, while the directory's fingerprint is the one the preview's diff saw
# (kept in the preview's counts), writes it as it is: the changes come from the plan and the rows of new records from the
# rows, with no second diff. A preview kept before plans existed has the rows alone.


@dataclass(frozen=True)
class KeptPlan:
    """What a preview's diff decided, as apply needs it."""

    new: list[int]  # rows that create a record, in file order
    links: dict[int, Change]  # those of them that are new views of known entities
    changed: list[Change]
    deactivated: list[Change]

    def changes(self, register: Register, rows: Sequence[ImportRow]) -> list[Change]:
        """The diff's changes again, in its order: ``rows`` give the new records' values
        (they may be all the rows, or none when nothing is new)."""
        values = {r.row: r.values for r in rows} if self.new else {}
        new = [
            self.links.get(row) or Change(row, None, {}, created_values(register, values[row]))
            for row in self.new
        ]
        return [*new, *self.changed, *self.deactivated]


def pack_plan(register: Register, result: Diff) -> bytes:
    """The plan as the second stream of a kept preview's bytes."""
    brief = BRIEF_FIELDS[register]

    def record(r: Record | None) -> list[object] | None:
        if r is None:
            return None
        return [r.id, {k: r.values.get(k) for k in brief}, r.active, r.entity_id, r.shared]

    def change(c: Change) -> list[object]:
        link = c.link
        known = None if link is None else [link.entity_id, {k: link.values.get(k) for k in brief}]
        return [c.row, record(c.record), known, c.before, c.after]

    body = {
        "new": [c.row for c in result.new],
        "links": [change(c) for c in result.new if c.link is not None],
        "changed": [change(c) for c in result.changed],
        "deactivated": [change(c) for c in result.deactivated],
    }
    return zlib.compress(orjson.dumps(body, default=_json_default), 1)


def unpack_plan(data: bytes) -> KeptPlan | None:
    """The plan kept after the rows (None: a preview kept before plans existed)."""
    stream = zlib.decompressobj()
    rest = data
    while rest and not stream.eof:  # the rows: passed over, a piece at a time
        stream.decompress(rest, _PIECE)
        rest = stream.unconsumed_tail
    if not stream.unused_data:
        return None
    body = orjson.loads(zlib.decompress(stream.unused_data))
    links = [_change(line) for line in body["links"]]
    return KeptPlan(
        new=body["new"],
        links={c.row: c for c in links if c.row is not None},
        changed=[_change(line) for line in body["changed"]],
        deactivated=[_change(line) for line in body["deactivated"]],
    )


def _change(line: list[Any]) -> Change:
    row, record, known, before, after = line
    return Change(
        row,
        None if record is None else Record(record[0], record[1], record[2], record[3], record[4]),
        _domain_values(before),
        _domain_values(after),
        None if known is None else KnownEntity(known[0], known[1]),
    )


def _domain_values(values: Mapping[str, object]) -> dict[str, object]:
    return {k: _from_json(k, v) for k, v in values.items()}


def pack_problems(problems: Sequence[ProblemInfo]) -> list[dict[str, Any]]:
    return [p.as_json() for p in problems]


def unpack_problems(data: Sequence[Mapping[str, Any]] | None) -> list[ProblemInfo]:
    return [ProblemInfo.from_json(p) for p in data or ()]
