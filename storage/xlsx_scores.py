"""The score sheet (评分表) as a workbook, in the city's layout: one sheet per unit (项目 |
考核内容 | 考核标准 | 得分, the section merged down its items, 汇总得分 last, and the figures
each score was computed from beside it), then a summary sheet ranking the units.

It takes plain values already worded in the reader's language
(bot.services.scores.sheets builds them); points are written as numbers, so the sheet
can be summed, and the total is the sum of the items as they are shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from storage.xlsx_safe import put, save, sheet_title

_TITLE: Final = Font(bold=True, size=14)
_BOLD: Final = Font(bold=True)
_WRAP: Final = Alignment(wrap_text=True, vertical="center")
_WIDTHS: Final = (("A", 26), ("B", 34), ("C", 40), ("D", 8), ("E", 60))
# Where the items start on a unit's sheet: title, unit, headings.
FIRST_ITEM_ROW: Final = 4


@dataclass(frozen=True)
class SheetItem:
    section: str  # (一)“双随机、一公开”制度建立情况(共20分)
    content: str  # 1、组织机构建立情况(5分)
    standard: str
    points: Decimal
    basis: str  # the figures behind the points, one per line


@dataclass(frozen=True)
class UnitSheet:
    code: str
    name: str
    total: Decimal
    items: Sequence[SheetItem]


@dataclass(frozen=True)
class SheetWords:
    title: str  # “双随机、一公开”监管工作绩效考核评分表（2026年度）
    unit: str  # 被考核单位：{name}
    headings: tuple[str, str, str, str, str]  # 项目, 考核内容, 考核标准, 得分, 计分依据
    total: str  # 汇总得分
    ranking_sheet: str
    ranking_headings: tuple[str, ...]  # 名次, 单位代码, 单位名称, <item codes…>, 总分


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _unit_sheet(sheet: Worksheet, words: SheetWords, unit: UnitSheet) -> None:
    put(sheet, 1, 1, words.title, font=_TITLE)
    put(sheet, 2, 1, words.unit.format(name=unit.name))
    for column, heading in enumerate(words.headings, 1):
        put(sheet, 3, column, heading, font=_BOLD)
    row = FIRST_ITEM_ROW
    start = row
    for index, item in enumerate(unit.items):
        if index == 0 or item.section != unit.items[index - 1].section:
            if row > start:
                sheet.merge_cells(start_row=start, end_row=row - 1, start_column=1, end_column=1)
            start = row
            put(sheet, row, 1, item.section, alignment=_WRAP)
        put(sheet, row, 2, item.content, alignment=_WRAP)
        put(sheet, row, 3, item.standard, alignment=_WRAP)
        put(sheet, row, 4, _number(item.points))
        put(sheet, row, 5, item.basis, alignment=_WRAP)
        row += 1
    if row - 1 > start:
        sheet.merge_cells(start_row=start, end_row=row - 1, start_column=1, end_column=1)
    put(sheet, row, 1, words.total, font=_BOLD)
    put(sheet, row, 4, _number(unit.total), font=_BOLD)
    for letter, width in _WIDTHS:
        sheet.column_dimensions[letter].width = width


def _ranking(sheet: Worksheet, words: SheetWords, units: Sequence[UnitSheet]) -> None:
    put(sheet, 1, 1, words.title, font=_TITLE)
    for column, heading in enumerate(words.ranking_headings, 1):
        put(sheet, 2, column, heading, font=_BOLD)
    for place, unit in enumerate(units, start=1):
        values: list[object] = [place, unit.code, unit.name]
        values += [_number(item.points) for item in unit.items]
        values.append(_number(unit.total))
        for column, value in enumerate(values, 1):
            put(sheet, place + 2, column, value)
    sheet.column_dimensions["C"].width = 24


def score_workbook(words: SheetWords, units: Sequence[UnitSheet]) -> bytes:
    """The ranking first (the office reads it first), then one sheet per unit, in order."""
    workbook = Workbook()
    ranking = workbook.active
    assert ranking is not None
    ranking.title = sheet_title(words.ranking_sheet)
    _ranking(ranking, words, units)
    for unit in units:
        _unit_sheet(workbook.create_sheet(sheet_title(unit.code)), words, unit)
    return save(workbook)
