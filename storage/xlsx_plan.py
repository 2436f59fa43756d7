"""The annual plan's spreadsheet (年度抽查计划): the template and the reader.

Both are the registers' own machinery (storage.xlsx_write.template and
storage.xlsx_read.read_register) driven by the plan's columns, bot.domain.draws.plan_sheet.
"""

from __future__ import annotations

from bot.domain.draws.plan_sheet import PLAN_SPEC
from storage.xlsx_read import ReadResult, read_register
from storage.xlsx_write import template


def plan_template() -> bytes:
    """Title row, Chinese headers (required ones in red), a notes row, drop-downs for the
    target kinds, risk classes and 是/否, text format on the code column."""
    return template(PLAN_SPEC)


def read_plan(data: bytes, file_name: str) -> ReadResult:
    """The plan's rows; raises storage.xlsx_read.UnusableFile for a file that cannot be
    read as a plan at all."""
    return read_register(data, file_name, PLAN_SPEC)
