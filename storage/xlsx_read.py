"""Reading a register from an uploaded workbook (.xlsx, .xls) with python-calamine.

What real uploads look like, and what this module does about it (docs/architecture.md §6 and §12):

- a merged title row or two above the header, columns in any order and under many names:
  the header row is found by name (``registers.match_header``) in the first rows of the
  first worksheet that has every required header;
- python-calamine drops leading empty rows and columns: the sheet's ``start`` offset is
  added back so every row number and column letter is the one Excel shows;
- calamine knows nothing of hidden rows, nor of formulas whose result was never computed
  (files written by scripts): for .xlsx both are read from the sheet's XML; for .xls
  hidden rows cannot be known and a warning says so;
- files that are not workbooks at all (a web page saved as .xls, a password-protected
  workbook, a broken download) raise ``UnusableFile`` with a reason code.

Cells are returned raw (as calamine gives them); ``bot.domain.registers.validation.validate_row``
normalises and validates them.
"""

from __future__ import annotations

import io
import itertools
import operator
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from sys import intern
from types import MappingProxyType
from typing import Any, Final, Protocol

from python_calamine import (
    CalamineError,
    CalamineSheet,
    CalamineWorkbook,
    PasswordError,
    SheetTypeEnum,
)
from python_calamine import SheetVisibleEnum as Visible

from bot.domain import cells
from bot.domain.cells import CellValue
from bot.domain.registers.validation import (
    FieldKind,
    FieldSpec,
    Finding,
    Problem,
    Register,
    RegisterSpec,
    match_header,
    spec_of,
)
from storage.xlsx_sheet_xml import SheetXml

# Reason codes (sentences in bot.domain.reasons).
NOT_SPREADSHEET: Final = "file.not_spreadsheet"
TOO_LARGE: Final = "file.too_large"
HTML_DISGUISED: Final = "file.html_disguised"
ENCRYPTED: Final = "file.encrypted"
CORRUPT: Final = "file.corrupt"
NO_SHEETS: Final = "file.no_sheets"
EMPTY: Final = "file.empty"
NO_HEADER: Final = "file.no_header"
DUPLICATE_COLUMN: Final = "file.duplicate_column"
HIDDEN_UNKNOWN: Final = "file.hidden_unknown"
ROW_HIDDEN: Final = "row.hidden"
FORMULA_NO_VALUE: Final = "cell.formula_no_value"

# Free-text columns that hold a few values over and over (see _read_rows).
_GROUPING: Final = frozenset({"industry", "area", "frequency", "unit_name"})
# How far down a header row may be (title rows, notes, a blank line or two).
HEADER_SCAN_ROWS: Final = 30
# What a workbook may unpack to. A 100k-row directory is about 80 MB of XML; the limit
# keeps a zip bomb (a few MB that inflate to gigabytes) away from calamine and zipfile.
MAX_UNPACKED: Final = 512 * 2**20

_ZIP_MAGIC: Final = (b"PK\x03\x04", b"PK\x05\x06")
_OLE_MAGIC: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# An encrypted .xlsx is an OLE compound file holding an "EncryptionInfo" stream (MS-OFFCRYPTO);
# directory entry names are UTF-16LE.
_ENCRYPTION_INFO: Final = "EncryptionInfo".encode("utf-16-le")
# An encrypted .xls has a FILEPASS record (0x002F) right after the workbook globals' BOF
# record (0x0809, 16 bytes, BIFF8 0x0600, type 0x0005). python-calamine reports it only when
# it opens a path, not bytes, so it is looked for here.
_BIFF8_GLOBALS_BOF: Final = b"\x09\x08\x10\x00\x00\x06\x05\x00"
_FILEPASS: Final = b"\x2f\x00"


class UnusableFile(Exception):  # noqa: N818 - it is what the service catches and says
    """The upload cannot be read as this register at all; ``reason`` is a reason code."""

    def __init__(self, reason: str, params: Mapping[str, str] | None = None) -> None:
        self.reason = reason
        self.params: Mapping[str, str] = MappingProxyType(dict(params or {}))
        super().__init__(f"{reason} {dict(self.params)}" if self.params else reason)


@dataclass(frozen=True, slots=True)
class Column:
    field: str
    index: int  # 0-based, absolute (A = 0)
    letter: str
    header: str  # as written in the file


@dataclass(slots=True)
class ReadRow:
    row: int  # the row number Excel shows
    hidden: bool
    cells: dict[str, CellValue]  # field key -> raw cell, for every mapped column


@dataclass(slots=True)
class ReadResult:
    file_name: str
    file_format: str  # "xlsx", "xlsb", "xls" or "ods"
    sheet: str
    header_row: int
    columns: dict[str, Column]  # field key -> column, in the file's column order
    rows: list[ReadRow]
    problems: list[Finding] = field(default_factory=list)
    ignored_columns: list[tuple[str, str]] = field(default_factory=list)  # (letter, header)
    hidden_rows_known: bool = True
    # The last row of the sheet's used range (as Excel numbers it): how far reading goes.
    last_row: int | None = None

    def column_of(self, field_key: str | None) -> Column | None:
        return None if field_key is None else self.columns.get(field_key)


class RowSink(Protocol):
    """Takes the rows as they are read, in batches, instead of the whole sheet at once:
    a 100k-row sheet's raw cells need not all exist at the same time."""

    def start(self, read: ReadResult) -> None:
        """The header is known (``read.rows`` is empty; ``read.problems`` grows as rows
        are read, each row's before its batch is taken)."""

    def take(self, rows: list[ReadRow]) -> list[ReadRow]:
        """A batch of rows, in order; what it returns is kept in ``read.rows``."""
        ...


class _SinkFailed(Exception):  # noqa: N818 - carries the sink's own exception through
    """A sink's exception, kept apart from calamine's (which mean a broken file)."""


_BATCH: Final = 5000


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


# --- sniffing ------------------------------------------------------------------------------


def container_format(data: bytes) -> str:
    """ "xlsx", "xlsb", "ods", "xls" (or "encrypted"); UnusableFile for what no reader opens."""
    return _sniff(data)


def _sniff(data: bytes) -> str:
    """The container format, or raise UnusableFile for what no reader can open."""
    head = data[:8]
    if head.startswith(_ZIP_MAGIC):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
                unpacked = sum(info.file_size for info in archive.infolist())
                mimetype = archive.read("mimetype") if "mimetype" in names else b""
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise UnusableFile(CORRUPT) from exc
        if unpacked > MAX_UNPACKED:
            raise UnusableFile(TOO_LARGE, {"megabytes": str(MAX_UNPACKED // 2**20)})
        if "[Content_Types].xml" in names and "xl/workbook.bin" in names:
            return "xlsb"  # binary parts: calamine reads it; no XML to find hidden rows in
        if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names):
            return "xlsx"
        if b"opendocument.spreadsheet" in mimetype:
            return "ods"
        raise UnusableFile(NOT_SPREADSHEET)
    if head == _OLE_MAGIC:
        if _ENCRYPTION_INFO in data:
            return "encrypted"
        bof = data.find(_BIFF8_GLOBALS_BOF)
        if bof >= 0 and data[bof + 20 : bof + 22] == _FILEPASS:
            return "encrypted"
        return "xls"
    sample = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if sample.startswith((b"<", b"mime-version")) and (
        b"<html" in sample or b"<table" in sample or b"mime-version" in sample
    ):
        raise UnusableFile(HTML_DISGUISED)
    raise UnusableFile(NOT_SPREADSHEET)


# --- the header ---------------------------------------------------------------------------


@dataclass(slots=True)
class _Header:
    sheet: str
    row: int  # Excel row
    offset: int  # index into the sheet's rows
    mapped: dict[str, list[tuple[int, str]]]  # field -> [(absolute column, header text)]
    ignored: list[tuple[int, str]]
    texts: list[str]


def _find_header(
    spec: RegisterSpec, sheet: str, rows: Sequence[Sequence[CellValue]], start: tuple[int, int]
) -> _Header | None:
    """The best header row among the first rows: one naming every required field before
    one that does not (a group label such as 联系方式 above the real header), then the one
    naming most fields, then the first."""
    required = {f.key for f in spec.required}
    best: _Header | None = None
    best_score = (False, 0)
    for offset, values in enumerate(rows[:HEADER_SCAN_ROWS]):
        mapped: dict[str, list[tuple[int, str]]] = {}
        ignored: list[tuple[int, str]] = []
        texts: list[str] = []
        for j, value in enumerate(values):
            text = cells.clean_text(value) if isinstance(value, str) else None
            if text is None:
                continue
            texts.append(text)
            key = match_header(spec, text)
            if key is None:
                ignored.append((start[1] + j, text))
            else:
                mapped.setdefault(key, []).append((start[1] + j, text))
        score = (required <= mapped.keys(), len(mapped))
        if mapped and score > best_score:
            best, best_score = (
                _Header(sheet, start[0] + offset + 1, offset, mapped, ignored, texts),
                score,
            )
    return best


def _is_notes_row(spec: RegisterSpec, values: Mapping[str, CellValue]) -> bool:
    """The template's notes row (right under the header): every filled cell is its
    column's note."""
    filled = [(key, cells.clean_text(v)) for key, v in values.items() if not cells.is_blank(v)]
    return bool(filled) and all(text == spec.field(key).note for key, text in filled)


# --- reading ----------------------------------------------------------------------------------


def _open(data: bytes, file_format: str) -> CalamineWorkbook:
    if file_format == "encrypted":
        raise UnusableFile(ENCRYPTED)
    try:
        return CalamineWorkbook.from_filelike(io.BytesIO(data))
    except PasswordError as exc:
        raise UnusableFile(ENCRYPTED) from exc
    except (CalamineError, ValueError, OSError) as exc:
        raise UnusableFile(CORRUPT) from exc


def read_register(
    data: bytes,
    file_name: str,
    register: Register | RegisterSpec,
    sink: RowSink | None = None,
) -> ReadResult:
    """Read the rows of ``register`` from an uploaded workbook.

    Raises ``UnusableFile`` when the file cannot be read as this register at all. Problems
    of single rows or cells (a hidden row, a formula without a value) are in
    ``ReadResult.problems``; validating the values is ``validate_row``'s job. ``sink``:
    the rows go to it as they are read, and ``rows`` keeps what it gives back.
    """
    spec = spec_of(register)
    from storage.xlsx_guard import check_workbook  # builds on this module: imported here

    checked = check_workbook(data)  # before calamine sees it: sizes, zip bombs, used ranges
    file_format = _sniff(data)
    workbook = _open(data, file_format)
    try:
        # The guard scanned every sheet's XML: its hidden rows and formulas are the reader's.
        scanned = checked.sheets if file_format == "xlsx" else None
        return _read(workbook, scanned, file_name, file_format, spec, sink)
    except _SinkFailed as failed:
        raise failed.__cause__ from None  # type: ignore[misc]
    except PasswordError as exc:  # .xls encryption shows only when a sheet is read
        raise UnusableFile(ENCRYPTED) from exc
    except (CalamineError, ValueError) as exc:
        raise UnusableFile(CORRUPT) from exc
    finally:
        workbook.close()


def _read(
    workbook: CalamineWorkbook,
    scanned: Mapping[str, SheetXml] | None,
    file_name: str,
    file_format: str,
    spec: RegisterSpec,
    sink: RowSink | None,
) -> ReadResult:
    """``scanned``: an .xlsx's sheets' hidden rows and formulas (None: not an .xlsx, they
    cannot be known)."""
    # Worksheets only (no chart or macro sheets); visible ones before hidden ones, so a
    # forgotten hidden copy does not win over the sheet the person sees.
    sheets = [m for m in workbook.sheets_metadata if m.typ == SheetTypeEnum.WorkSheet]
    if not sheets:
        raise UnusableFile(NO_SHEETS)
    sheets.sort(key=lambda m: m.visible != Visible.Visible)
    header, sheet = _choose_sheet(workbook, spec, sheets)
    xml = None
    if scanned is not None:  # a sheet without a part of its own has nothing to find
        xml = scanned.get(header.sheet) or SheetXml(frozenset(), frozenset())
    return _read_rows(file_name, file_format, spec, header, sheet, xml, sink)


def _choose_sheet(
    workbook: CalamineWorkbook, spec: RegisterSpec, sheets: Sequence[Any]
) -> tuple[_Header, CalamineSheet]:
    """The first sheet with the register's header; else why none will do."""
    required = {f.key for f in spec.required}
    closest: _Header | None = None  # for the message when no sheet has the header
    chosen: tuple[_Header, CalamineSheet] | None = None
    for meta in sheets:
        sheet = workbook.get_sheet_by_name(meta.name)
        start = sheet.start
        if start is None:
            continue
        top = sheet.to_python(nrows=HEADER_SCAN_ROWS)
        filled = [i for i, row in enumerate(top) if not all(cells.is_blank(v) for v in row)]
        if not filled:
            continue
        header = _find_header(spec, meta.name, top, start)
        if header is not None and required <= header.mapped.keys():
            chosen = header, sheet
            break
        if header is None:
            texts = [t for v in top[filled[0]] if (t := cells.clean_text(v))]
            header = _Header(meta.name, start[0] + filled[0] + 1, filled[0], {}, [], texts)
        if closest is None or len(header.mapped) > len(closest.mapped):
            closest = header
    if chosen is None:
        if closest is None:
            raise UnusableFile(EMPTY)
        raise UnusableFile(
            NO_HEADER,
            {
                "expected": "、".join(f.header for f in spec.required),
                "found": "、".join(closest.texts[:12]),
                "sheet": closest.sheet,
                "row": str(closest.row),
            },
        )
    return chosen


def _few_values(f: FieldSpec) -> bool:
    return f.kind in (FieldKind.ENUM, FieldKind.BOOL, FieldKind.RATIO) or f.key in _GROUPING


def _rows_from(sheet: CalamineSheet, first: int) -> Iterator[list[Any]]:
    """``sheet.to_python()[first:]``, one row at a time: a 100k-row sheet as one list of
    lists would be another 60 MB held while the rows are built."""
    start_row = (sheet.start or (0, 0))[0]
    rows: Iterator[list[Any]] = iter(sheet.iter_rows())
    if start_row:
        # python-calamine's iter_rows also yields the empty rows above the data, which
        # to_python leaves out: skip them, checking rather than assuming.
        head = list(itertools.islice(rows, start_row))
        top = sheet.to_python(nrows=1)
        if head and top and head[0] == top[0]:
            rows = itertools.chain(head, rows)  # it started at the data after all
    return itertools.islice(rows, first, None)


def _read_rows(
    file_name: str,
    file_format: str,
    spec: RegisterSpec,
    header: _Header,
    sheet: CalamineSheet,
    xml: SheetXml | None,
    sink: RowSink | None,
) -> ReadResult:
    """The rows under the header; ``xml``: the sheet's hidden rows and formulas (None:
    not an .xlsx, they cannot be known)."""
    _refuse_duplicate_columns(spec, header)
    columns = {
        key: Column(key, col, column_letter(col), text)
        for key, [(col, text)] in sorted(header.mapped.items(), key=lambda kv: kv[1][0][0])
    }
    read = ReadResult(
        file_name=file_name,
        file_format=file_format,
        sheet=header.sheet,
        header_row=header.row,
        columns=columns,
        rows=[],
        problems=[],
        ignored_columns=[(column_letter(col), text) for col, text in header.ignored],
        hidden_rows_known=xml is not None,
        last_row=sheet.end[0] + 1 if sheet.end is not None else None,
    )
    if xml is None:
        xml = SheetXml(frozenset(), frozenset())
        read.problems.append(Finding(None, "warning", Problem(None, None, HIDDEN_UNKNOWN)))
    layout = _Layout.of(spec, header, sheet, columns, xml)
    if sink is not None:
        _to_sink(sink.start, read)
    _collect_rows(read, spec, sheet, layout, sink)
    return read


def _refuse_duplicate_columns(spec: RegisterSpec, header: _Header) -> None:
    for key, places in header.mapped.items():
        if len(places) > 1:
            raise UnusableFile(
                DUPLICATE_COLUMN,
                {
                    "header": spec.field(key).header,
                    "columns": ", ".join(column_letter(col) for col, _ in places),
                },
            )


@dataclass(frozen=True)
class _Layout:
    """Where a register's columns sit in calamine's rows, and what the sheet's XML said."""

    keys: tuple[str, ...]
    pick: Callable[[Any], Any]
    width: int
    first_data: int  # calamine's index of the first row under the header
    base: int  # Excel's row number of calamine's row 0
    repeated: tuple[str, ...]  # columns of a few values, interned
    hidden_rows: frozenset[int]
    formula_cells: dict[int, list[str]]  # row -> fields whose formula has no value

    @classmethod
    def of(
        cls,
        spec: RegisterSpec,
        header: _Header,
        sheet: CalamineSheet,
        columns: dict[str, Column],
        xml: SheetXml,
    ) -> _Layout:
        start = sheet.start or (0, 0)
        # Positions within calamine's rows (which begin at the start offset). Calamine's
        # rows are as wide as the used range, and the header lies inside it, so every
        # position exists; itemgetter then builds each row in C rather than cell by cell.
        positions = [c.index - start[1] for c in columns.values()]
        keys = tuple(columns)
        by_column = {c.index: key for key, c in columns.items()}
        formula_cells: dict[int, list[str]] = {}
        for row_no, col in sorted(xml.formulas_without_value):
            if row_no > header.row and col in by_column:
                formula_cells.setdefault(row_no, []).append(by_column[col])
        return cls(
            keys=keys,
            pick=operator.itemgetter(*positions),
            width=max(positions) + 1,
            first_data=header.offset + 1,
            base=start[0] + 1,
            # Columns of a few values (a type, a class, 是/否, an area) come 100k times
            # from calamine as 100k strings each: keep one of each.
            repeated=tuple(k for k in keys if _few_values(spec.field(k))),
            hidden_rows=xml.hidden_rows,
            formula_cells=formula_cells,
        )

    def picked(self, values: list[Any]) -> tuple[Any, ...]:
        # Never seen shorter, but a short row must not raise.
        picked = self.pick(values if len(values) >= self.width else [*values, *[""] * self.width])
        return (picked,) if len(self.keys) == 1 else picked


def _is_blank(picked: tuple[Any, ...], strip: str) -> bool:
    for v in picked:
        if v.__class__ is str:
            if v.strip(strip):
                return False
        elif v is not None:
            return False
    return True


def _collect_rows(
    read: ReadResult,
    spec: RegisterSpec,
    sheet: CalamineSheet,
    layout: _Layout,
    sink: RowSink | None,
) -> None:
    """Runs for every row of a 100k-row sheet: locals, no calls where a method will do."""
    rows = read.rows if sink is None else []
    strip = cells.STRIP_CHARS
    notes_checked = False
    for i, values in enumerate(_rows_from(sheet, layout.first_data), layout.first_data):
        picked = layout.picked(values)
        row_no = layout.base + i
        if _is_blank(picked, strip) and row_no not in layout.formula_cells:
            continue
        raw = dict(zip(layout.keys, picked, strict=False))  # as long by construction
        for key in layout.repeated:
            value = raw[key]
            if value.__class__ is str:
                raw[key] = intern(value)
        if not notes_checked:
            notes_checked = True
            if _is_notes_row(spec, raw):
                continue
        rows.append(_row(read, layout, row_no, raw))
        if sink is not None and len(rows) == _BATCH:
            read.rows.extend(_to_sink(sink.take, rows))
            rows = []
    if sink is not None and rows:
        read.rows.extend(_to_sink(sink.take, rows))


def _row(read: ReadResult, layout: _Layout, row_no: int, raw: dict[str, Any]) -> ReadRow:
    """A row as read, its hidden-row warning and formula errors noted."""
    hidden = row_no in layout.hidden_rows
    if hidden:
        read.problems.append(Finding(row_no, "warning", Problem(None, None, ROW_HIDDEN)))
    for key in layout.formula_cells.get(row_no, ()):
        read.problems.append(Finding(row_no, "error", Problem(key, None, FORMULA_NO_VALUE)))
    return ReadRow(row_no, hidden, raw)


def _to_sink(call: Callable[[Any], Any], argument: Any) -> Any:
    try:
        return call(argument)
    except Exception as exc:
        raise _SinkFailed from exc
