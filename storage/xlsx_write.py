"""Writing registers as workbooks with openpyxl: templates, error reports, exports.

The workbooks go back to liaisons who open them in Excel or WPS and upload them again, so
each one is written to survive that round trip: code and phone columns are text ("@"), so
an 18-digit code is not turned into 9.14104E+17; every value goes through
``storage.xlsx_safe``, so no cell is ever a formula and a value from an upload cannot
become executable in the next person's spreadsheet; and the header row reads back through
``storage.xlsx_read``.

Large outputs (an error report or an export of 100k rows) use openpyxl's write-only mode,
which streams rows instead of holding every cell object.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from bot.domain import cells
from bot.domain.reasons import describe as describe_reason
from bot.domain.registers.validation import (
    FieldKind,
    FieldSpec,
    Finding,
    Problem,
    Register,
    RegisterSpec,
    public_fields,
    spec_of,
)
from storage.xlsx_read import Column, ReadResult, ReadRow
from storage.xlsx_safe import cell, put, row_value, save, sheet_title

TEXT_FORMAT: Final = "@"
DATE_FORMAT: Final = "yyyy-mm-dd"
_TEXT_KINDS: Final = frozenset({FieldKind.CODE, FieldKind.USCC, FieldKind.PHONE})
_HEADER_FONT: Final = Font(bold=True)
_REQUIRED_FONT: Final = Font(bold=True, color="C00000")
_NOTE_FONT: Final = Font(italic=True, color="808080", size=9)
_TITLE_FONT: Final = Font(bold=True, size=14)
_FILLS: Final = {
    "error": PatternFill("solid", fgColor="FFC7CE"),
    "warning": PatternFill("solid", fgColor="FFEB9C"),
}
_WRAP: Final = Alignment(wrap_text=True, vertical="top")
# Rows a template's drop-downs and formats cover (Excel's last row).
_LAST_ROW: Final = 1048576
# A data-validation list is limited to 255 characters by Excel.
_LIST_LIMIT: Final = 255


# --- the template -------------------------------------------------------------------------


def template(register: Register | RegisterSpec) -> bytes:
    """The empty register to fill in: a title row, the Chinese headers (required ones in
    red), a notes row saying what each column takes, drop-downs for enumerations, text
    format on code and phone columns, and the top three rows frozen.

    Layout decided here: title in row 1 (merged), headers in row 2, notes in row 3, data
    from row 4. The reader finds the header by name and skips the notes row, so a filled
    template reads back as is.
    """
    spec = spec_of(register)
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = sheet_title(spec.title)
    last = get_column_letter(len(spec.fields))
    put(sheet, 1, 1, f"{spec.title}（导入模板）", font=_TITLE_FONT)
    sheet.merge_cells(f"A1:{last}1")
    for index, f in enumerate(spec.fields, start=1):
        letter = get_column_letter(index)
        put(sheet, 2, index, f.header, font=_REQUIRED_FONT if f.required else _HEADER_FONT)
        put(sheet, 3, index, f.note or None, font=_NOTE_FONT, alignment=_WRAP)
        dimension = sheet.column_dimensions[letter]
        dimension.width = f.width
        # A column style is what Excel and WPS apply to cells typed in later.
        if f.kind in _TEXT_KINDS:
            dimension.number_format = TEXT_FORMAT
        elif f.kind is FieldKind.DATE:
            dimension.number_format = DATE_FORMAT
        validation = _validation(f)
        if validation is not None:
            validation.add(f"{letter}4:{letter}{_LAST_ROW}")
            sheet.add_data_validation(validation)
    sheet.row_dimensions[3].height = 45
    sheet.freeze_panes = "A4"
    return save(workbook)


def _validation(f: FieldSpec) -> DataValidation | None:
    """A drop-down of the Chinese labels. Closed enumerations refuse other text; open ones
    (and multi-value tag columns) only suggest."""
    if f.kind not in (FieldKind.ENUM, FieldKind.BOOL, FieldKind.TAGS) or not f.choices:
        return None
    listed = ",".join(c.zh for c in f.choices)
    if len(listed) + 2 > _LIST_LIMIT:
        return None
    strict = f.closed and f.kind is not FieldKind.TAGS
    return DataValidation(
        type="list",
        formula1=f'"{listed}"',
        allow_blank=True,
        showErrorMessage=strict,
        errorTitle=f.header if strict else None,
        error=f"请从列表中选择：{listed}" if strict else None,
        promptTitle=f.header if f.note else None,
        prompt=f.note[:255] if f.note else None,
        showInputMessage=bool(f.note),
    )


# --- the error report ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReportHeadings:
    """The report's own words; Chinese by default, the caller passes translated ones."""

    sheet: str = "错误报告"
    list_sheet: str = "问题清单"
    sheet_column: str = "工作表"
    row: str = "行号"
    column: str = "列"
    column_letter: str = "列号"
    value: str = "值"
    severity: str = "级别"
    reason: str = "原因"
    errors: str = "错误"
    warnings: str = "警告"
    error: str = "错误"
    warning: str = "警告"
    whole_file: str = "（整个文件）"


def _describe_en(problem: Problem) -> str:
    return describe_reason(problem.reason, problem.params)


def error_report(
    read: ReadResult,
    findings: Sequence[Finding],
    *,
    describe: Callable[[Problem], str] = _describe_en,
    headings: ReportHeadings | None = None,
) -> bytes:
    """The user's rows that have problems, as they wrote them, with an errors and a
    warnings column beside them and the problem cells coloured; and a second sheet listing
    every problem with its sheet, row, column and value (the --json shape).

    ``findings`` are every finding of the import (reader's, validation's, duplicates').
    ``describe`` turns a problem into a sentence in the reader's language.
    """
    words = headings or ReportHeadings()
    workbook = Workbook(write_only=True)
    _report_sheet(workbook, read, findings, describe, words)
    _listing_sheet(workbook, read, findings, describe, words)
    return save(workbook)


def _report_sheet(
    workbook: Workbook,
    read: ReadResult,
    findings: Sequence[Finding],
    describe: Callable[[Problem], str],
    words: ReportHeadings,
) -> None:
    """The first sheet: each row with problems beside its errors and warnings."""
    by_row: dict[int | None, list[Finding]] = {}
    for finding in findings:
        by_row.setdefault(finding.row, []).append(finding)
    columns = list(read.columns.values())
    sheet = workbook.create_sheet(sheet_title(words.sheet))
    sheet.freeze_panes = "B2"
    sheet.column_dimensions["A"].width = 8
    for index in range(2, len(columns) + 2):
        sheet.column_dimensions[get_column_letter(index)].width = 18
    for letter in (get_column_letter(len(columns) + 2), get_column_letter(len(columns) + 3)):
        sheet.column_dimensions[letter].width = 50
    headers = [words.row, *(f"{c.header} ({c.letter})" for c in columns)]
    sheet.append(
        [cell(sheet, text, font=_HEADER_FONT) for text in [*headers, words.errors, words.warnings]]
    )
    whole_file = by_row.get(None, [])
    if whole_file:
        sheet.append(
            [cell(sheet, words.whole_file)]
            + [None] * len(columns)
            + _sentences(sheet, whole_file, describe, read)
        )
    for row in read.rows:
        found = by_row.get(row.row)
        if found:
            sheet.append(
                _as_written(sheet, row, found, columns) + _sentences(sheet, found, describe, read)
            )


def _as_written(
    sheet: Worksheet, row: ReadRow, found: Iterable[Finding], columns: Iterable[Column]
) -> list[object]:
    """A row's number and its cells as the user wrote them, each coloured by the worst
    problem found in it."""
    severity_of: dict[str | None, str] = {}
    for finding in found:
        if severity_of.get(finding.problem.field) != "error":
            severity_of[finding.problem.field] = finding.severity
    line: list[object] = [cell(sheet, row.row)]
    for column in columns:
        value = row.cells.get(column.field)
        style: dict[str, object] = {}
        fill = _FILLS.get(severity_of.get(column.field, ""))
        if fill is not None:
            style["fill"] = fill
        if isinstance(value, str):
            style["number_format"] = TEXT_FORMAT
        line.append(cell(sheet, value, **style))
    return line


def _listing_sheet(
    workbook: Workbook,
    read: ReadResult,
    findings: Sequence[Finding],
    describe: Callable[[Problem], str],
    words: ReportHeadings,
) -> None:
    """The second sheet: one line per problem, errors before warnings within a row."""
    listing = workbook.create_sheet(sheet_title(words.list_sheet))
    listing.freeze_panes = "A2"
    for letter, width in zip("ABCDEFG", (14, 8, 18, 8, 24, 8, 60), strict=True):
        listing.column_dimensions[letter].width = width
    headers = (
        words.sheet_column,
        words.row,
        words.column,
        words.column_letter,
        words.value,
        words.severity,
        words.reason,
    )
    listing.append([cell(listing, text, font=_HEADER_FONT) for text in headers])
    for finding in sorted(findings, key=lambda f: (f.row or 0, f.severity != "error")):
        where = read.column_of(finding.problem.field)
        values = (
            read.sheet,
            finding.row,
            where.header if where else None,
            where.letter if where else None,
            finding.problem.value,
            words.error if finding.severity == "error" else words.warning,
            describe(finding.problem),
        )
        listing.append([cell(listing, value) for value in values])


def _sentences(
    sheet: Worksheet,
    found: Iterable[Finding],
    describe: Callable[[Problem], str],
    read: ReadResult,
) -> list[object]:
    """The errors cell and the warnings cell of one report row: one line per problem,
    each starting with the column it concerns."""
    texts: dict[str, list[str]] = {"error": [], "warning": []}
    for finding in found:
        column = read.column_of(finding.problem.field)
        where = f"{column.letter} {column.header}：" if column else ""
        texts[finding.severity].append(where + describe(finding.problem))
    return [
        cell(sheet, "\n".join(texts["error"]), alignment=_WRAP),
        cell(sheet, "\n".join(texts["warning"]), alignment=_WRAP),
    ]


# --- exports --------------------------------------------------------------------------------


def _export_value(f: FieldSpec, value: object) -> object:
    """A stored value as a person reads it in the spreadsheet (and as the reader takes it
    back): labels for codes, 是/否, joined tags, a percentage."""
    if value is None:
        return None
    if f.kind is FieldKind.ENUM and isinstance(value, str):
        return f.label(value)
    if f.kind is FieldKind.TAGS and isinstance(value, Iterable) and not isinstance(value, str):
        return "、".join(f.label(str(v)) for v in value)
    if f.kind is FieldKind.BOOL:
        return "是" if value else "否"
    if f.kind is FieldKind.RATIO and isinstance(value, int):
        return f"{value / 10:g}%"
    if f.kind is FieldKind.DATE and value == cells.OPEN_ENDED:
        return "长期"
    return value


def export_register(
    rows: Iterable[Mapping[str, object]],
    register: Register | RegisterSpec,
    public: bool,
    *,
    title: str | None = None,
) -> bytes:
    """A register as a workbook: one row per record (values keyed by field key).

    ``public`` (公示): no risk class, phone or contact person (``FieldSpec.public``), and no
    address for an individual business, whose address is its keeper's home. The headers
    are the template's, so an export can be edited and uploaded again.
    """
    spec = spec_of(register)
    fields = tuple(public_fields(spec)) if public else spec.fields
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title(spec.title))
    for index, f in enumerate(fields, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = f.width
    if title:
        sheet.append([cell(sheet, title, font=_TITLE_FONT)])
    sheet.append([cell(sheet, f.header, font=_HEADER_FONT) for f in fields])
    sheet.freeze_panes = "A3" if title else "A2"
    for values in rows:
        private_address = public and values.get("kind") == "individual"
        line: list[object] = []
        for f in fields:
            value = None if private_address and f.key == "address" else values.get(f.key)
            shown = _export_value(f, value)
            if f.kind in _TEXT_KINDS and shown is not None:
                line.append(cell(sheet, str(shown), number_format=TEXT_FORMAT))
            elif isinstance(shown, date):
                line.append(cell(sheet, shown, number_format=DATE_FORMAT))
            else:  # unstyled: a plain value where openpyxl can make the cell itself
                line.append(row_value(sheet, shown))
        sheet.append(line)
    return save(workbook)
