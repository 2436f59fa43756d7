"""The one way a value gets into a workbook this project writes.

Every writer (templates, error reports, exports, draw certificates, invitation lists)
puts its cells through here, because what they write comes, sooner or later, from an
upload or a chat, and goes to someone who opens it in Excel or WPS:

- **No formula, ever.** openpyxl stores any text starting with "=" as a formula and a
  text such as "#N/A" as an error value; a text cell is forced back to the string type.
- **Control characters go first**, before any other check: a cell written
  ``_x0001_=cmd|' /C calc'!A0`` (OOXML's escape for U+0001) is read as "\\x01=cmd…",
  and a check for a leading "=" that ran before the cleaning would miss it. Removed: the
  Unicode control characters except tab and line feed, lone surrogates and U+FFFE/U+FFFF
  (XML cannot carry them and Excel refuses the file; nobody types them on purpose).
  Tab and line feed stay: they are legal XML, a multi-line address or our own report
  sentences need the line feed, and both are whitespace that the checks below look past.
  A carriage return becomes a line feed (Excel's line break in a cell; XML parsers would
  turn a raw CR into LF anyway, so keeping it would not read back the same). Text of
  nothing but spaces, tabs and line feeds is no value: openpyxl writes it without
  xml:space="preserve" and every reader sees an empty cell.
- **OOXML escapes stay literal text.** Excel, WPS and calamine decode ``_xHHHH_`` in a
  cell's text, so a value that literally contains ``_x0001_`` would come back as a control
  character; its underscore is written as ``_x005F_`` (the escaped underscore) and the
  reader sees exactly the text we meant.
- **Text that a spreadsheet would read as a formula when it is edited** (first character
  after leading whitespace one of = + - @, or their full-width forms, which Excel accepts
  from a Chinese input method) gets Excel's quote prefix (the style flag that a typed
  apostrophe sets): Excel and WPS show the text and keep it text when the cell is edited.
- Text is cut to what a cell holds (32,767 UTF-16 units); numbers, booleans and dates are
  written as they are, so they stay numbers and dates.
"""

from __future__ import annotations

import io
import re
from datetime import date, datetime, time
from decimal import Decimal
from typing import Final

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, Cell
from openpyxl.worksheet.worksheet import Worksheet

EXCEL_CELL_LIMIT: Final = 32767
_SHEET_TITLE_LIMIT: Final = 31
# Unicode control characters but tab and line feed (a CR is turned into LF before this
# runs), lone surrogates, and the two non-characters XML 1.0 excludes.
_UNWRITABLE: Final = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# An underscore that starts an OOXML escape (the lookahead finds overlapping ones, such as
# both in "_x0041_x0042_", as a decoder reading left to right would after the first one).
_ESCAPE_START: Final = re.compile("_(?=x[0-9A-Fa-f]{4}_)")
_ESCAPED_UNDERSCORE: Final = "_x005F_"
_XML_WHITESPACE: Final = " \t\n"
_FORMULA_STARTS: Final = ("=", "+", "-", "@", "＝", "＋", "－", "＠")
# Characters Excel refuses in a sheet's name.
_NOT_IN_TITLES: Final = re.compile(r"[\\*?:/\[\]]")
# What openpyxl binds as it is (anything else is written as its text).
_AS_IS: Final = (bool, int, float, Decimal, date, datetime, time)


def clean_text(text: str) -> str:
    """The text a cell will hold and every reader will see: line breaks as LF, the
    characters that cannot be written removed, nothing if only spaces, tabs and line
    breaks are left, cut to what a cell holds."""
    text = _UNWRITABLE.sub("", str(text).replace("\r\n", "\n").replace("\r", "\n"))
    if not text.strip(_XML_WHITESPACE):
        return ""  # openpyxl writes it without xml:space="preserve": readers see no text
    return _fit(text)


def needs_quote_prefix(text: str) -> bool:
    """Whether a spreadsheet would take ``text`` for a formula (or a DDE call) once
    someone edits the cell: leading whitespace does not hide the first character."""
    return text.lstrip().startswith(_FORMULA_STARTS)


def _escaped(text: str) -> str:
    return _ESCAPE_START.sub(_ESCAPED_UNDERSCORE, text)


def _written_units(text: str) -> int:
    """The UTF-16 units of ``text`` as written (escapes included): what a cell's limit
    counts."""
    return len(_escaped(text).encode("utf-16-le")) // 2


def _fit(text: str) -> str:
    """The longest start of ``text`` that fits in one cell once written. No character
    takes more than two units written (an astral one; an escaped underscore adds six
    after at least six characters), so a text of at most half the limit fits as it is;
    a longer one is measured, and cut by bisection (the written length only grows with
    the length of the start)."""
    if 2 * len(text) <= EXCEL_CELL_LIMIT or _written_units(text) <= EXCEL_CELL_LIMIT:
        return text
    fits, too_long = EXCEL_CELL_LIMIT // 2, len(text)
    while too_long - fits > 1:
        middle = (fits + too_long) // 2
        if _written_units(text[:middle]) <= EXCEL_CELL_LIMIT:
            fits = middle
        else:
            too_long = middle
    return text[:fits]


def _prepared(value: object) -> tuple[object, str | None]:
    """What openpyxl is given for ``value``, and the text a reader will see if it is text
    (empty text is no value: openpyxl would write an empty cell anyway)."""
    if value is None or isinstance(value, _AS_IS):
        return value, None
    text = clean_text(value if isinstance(value, str) else str(value))
    return (_escaped(text), text) if text else (None, None)


def _bind(cell: Cell, value: object, style: dict[str, object]) -> Cell:
    """The single place a value is set on a cell."""
    shown, text = _prepared(value)
    cell.value = shown
    if text is not None:
        cell.data_type = "s"  # openpyxl made "=…" a formula and "#N/A" an error
        if needs_quote_prefix(text):
            cell.quotePrefix = True
    for name, setting in style.items():
        setattr(cell, name, setting)
    return cell


def cell(sheet: Worksheet, value: object, **style: object) -> Cell:
    """A cell for a write-only sheet's ``append``, with openpyxl style attributes
    (``font=``, ``fill=``, ``number_format=``, ``alignment=``)."""
    return _bind(WriteOnlyCell(sheet), value, style)


def row_value(sheet: Worksheet, value: object) -> object:
    """An unstyled value for a write-only sheet's ``append``: the plain value where
    openpyxl would store it unchanged (cheaper than a cell object in a 100k-row export),
    else a cell made by ``cell``."""
    shown, text = _prepared(value)
    if text is not None and (text in ERROR_CODES or needs_quote_prefix(text)):
        return _bind(WriteOnlyCell(sheet), value, {})
    return shown


def put(sheet: Worksheet, row: int, column: int, value: object, **style: object) -> Cell:
    """Set one cell of an ordinary (not write-only) sheet, with style attributes."""
    return _bind(sheet.cell(row=row, column=column), value, style)


def sheet_title(text: str) -> str:
    """A name Excel accepts for a sheet: writable characters, none of \\ * ? : / [ ],
    no apostrophe at either end, at most 31 characters."""
    title = _NOT_IN_TITLES.sub("", clean_text(text).replace("\n", " ").replace("\t", " "))
    return title.strip("' ")[:_SHEET_TITLE_LIMIT].strip("' ") or "Sheet"


def save(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
