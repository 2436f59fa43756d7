"""The invitation list as a spreadsheet, for a liaison to hand out links at a meeting."""

from __future__ import annotations

from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.styles import Font

from storage.xlsx_safe import put, save, sheet_title

_BOLD = Font(bold=True)
_WIDTHS = (16, 12, 24, 60, 20)


def invite_workbook(title: str, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = sheet_title(title)
    for column, header in enumerate(headers, 1):
        put(sheet, 1, column, header, font=_BOLD)
    for row, values in enumerate(rows, 2):
        for column, value in enumerate(values, 1):
            put(sheet, row, column, value)
    for letter, width in zip("ABCDE", _WIDTHS, strict=False):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    return save(workbook)
