"""A year's official schedule as a spreadsheet (节假日安排): one row per day that differs
from Monday-to-Friday, as the State Council's notice lists them — a holiday (休息日) or a
make-up working day on a weekend (调休上班).

The columns are a ``RegisterSpec`` so that the registers' reader (header found by name,
synonyms, Excel's row numbers, hidden rows, the upload guard) reads it; what a schedule
needs beyond cell values — one row per day, a make-up day only on a weekend — is
``check_schedule``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final, cast

from bot.domain.reasons import N_
from bot.domain.registers.specs import Choice, FieldKind, FieldSpec, Register, RegisterSpec

OFF: Final = Choice("off", "休息日", "day off", ("休", "放假", "假", "节假日", "休息", "休假"))
WORK: Final = Choice(
    "work", "工作日", "working day", ("班", "上班", "调休上班", "补班", "调休", "工作")
)

CALENDAR_SPEC: Final = RegisterSpec(
    # Not a register: the reader only uses it in messages.
    cast(Register, "calendar"),
    "节假日安排",
    "holiday schedule",
    (
        FieldSpec(
            "day",
            "日期",
            "date",
            FieldKind.DATE,
            synonyms=("日", "时间", "年月日"),
            required=True,
            note="必填；如2027-01-01",
            width=14,
        ),
        FieldSpec(
            "kind",
            "类型",
            "kind",
            FieldKind.ENUM,
            synonyms=("安排", "放假或上班", "性质", "休/班"),
            choices=(OFF, WORK),
            required=True,
            note="必填；休息日或工作日（调休上班）",
            width=14,
        ),
        FieldSpec(
            "name",
            "名称",
            "name",
            synonyms=("节日", "节假日", "节假日名称", "说明", "备注"),
            max_length=100,
            note="可空；如春节",
            width=14,
        ),
    ),
)

DUPLICATE_DAY: Final = N_("The same day is also in row {row}.")
WORK_ON_WEEKDAY: Final = N_(
    "{day} is a weekday, a working day anyway: only a Saturday or a Sunday can be a make-up"
    " working day (调休)."
)


@dataclass(frozen=True)
class ScheduleRow:
    row: int  # the row number Excel shows
    day: date
    is_workday: bool
    name: str | None


@dataclass(frozen=True)
class ScheduleProblem:
    row: int
    reason: str
    params: dict[str, str]


def check_schedule(rows: Sequence[ScheduleRow]) -> list[ScheduleProblem]:
    """What makes a schedule wrong beyond its cells: a day listed twice, a make-up
    working day that is not a weekend day."""
    problems: list[ScheduleProblem] = []
    seen: dict[date, int] = {}
    for row in rows:
        first = seen.setdefault(row.day, row.row)
        if first != row.row:
            problems.append(ScheduleProblem(row.row, DUPLICATE_DAY, {"row": str(first)}))
        if row.is_workday and row.day.weekday() < 5:
            problems.append(ScheduleProblem(row.row, WORK_ON_WEEKDAY, {"day": row.day.isoformat()}))
    return problems
