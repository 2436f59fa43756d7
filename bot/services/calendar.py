"""The office's working-day calendar: the official schedules, and the office's own.

The State Council publishes each year's holidays and make-up working days (调休) late in the
year before. The ``chinesecalendar`` package carries the published schedules (through 2026
in the version we pin); a year it does not know is loaded by the office (``dsr calendar
set``) into ``calendar_days``, whose rows also correct the package where they differ. A
year known to neither is computed on weekends only and is *provisional*
(bot/domain/calendar.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache

import chinese_calendar
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.calendar import WorkCalendar
from bot.domain.calendar_sheet import CALENDAR_SPEC, WORK, ScheduleRow, check_schedule
from bot.domain.reasons import REASONS
from bot.domain.registers.validation import RowContext, validate_row
from bot.i18n import N_
from bot.services.errors import ServiceError
from storage import audit
from storage.db import Database
from storage.models import CalendarDay
from storage.xlsx_read import UnusableFile, read_register


@cache
def _published() -> tuple[dict[date, bool], dict[date, str], frozenset[int]]:
    """The schedules the package carries: days off (including the weekend days inside a
    holiday, named), make-up working days, and the years covered."""
    worked: dict[date, bool] = {}
    names: dict[date, str] = {}
    for day, holiday in chinese_calendar.holidays.items():
        worked[day] = False
        names[day] = _chinese_name(holiday)
    for day, holiday in chinese_calendar.workdays.items():
        if day.weekday() >= 5:  # a make-up working day (调休)
            worked[day] = True
            names[day] = _chinese_name(holiday)
    return worked, names, frozenset(day.year for day in chinese_calendar.holidays)


def _chinese_name(english: str) -> str:
    for holiday in chinese_calendar.Holiday:
        if holiday.value == english:
            return str(holiday.chinese)
    return english


def work_calendar(session: Session) -> WorkCalendar:
    """The calendar as it stands: the published schedules, then the office's days."""
    published, published_names, years = _published()
    overrides = dict(published)
    names = dict(published_names)
    office_years: set[int] = set()
    for row in session.execute(select(CalendarDay)).scalars():
        overrides[row.day] = row.is_workday
        if row.name:
            names[row.day] = row.name
        office_years.add(row.day.year)
    return WorkCalendar(overrides, years | frozenset(office_years), names)


def load_calendar(database: Database) -> WorkCalendar:
    with database.unit_of_work(write=False) as uow:
        return work_calendar(uow.session)


@dataclass(frozen=True)
class DaySetting:
    day: date
    is_workday: bool
    name: str | None


def set_days(database: Database, actor_label: str, days: Iterable[DaySetting]) -> int:
    """The office records official days (a new year's schedule, or a correction): each
    day's row is written or replaced. Returns how many were written."""
    wanted = list(days)
    if not wanted:
        raise ServiceError(N_("Give at least one day."))
    with database.unit_of_work() as uow:
        session = uow.session
        for setting in wanted:
            row = session.get(CalendarDay, setting.day) or CalendarDay(day=setting.day)
            row.is_workday = setting.is_workday
            row.name = setting.name
            session.add(row)
        audit.append(
            session,
            actor=actor_label,
            action="calendar.set",
            obj="calendar",
            details={
                "days": {s.day.isoformat(): s.is_workday for s in wanted},
            },
        )
        uow.commit()
    return len(wanted)


# --- a year's schedule from a file ---------------------------------------------------------


@dataclass(frozen=True)
class ScheduleFile:
    """A schedule file read and checked: the days it sets, and what is wrong with it (a
    reason msgid and its parameters, per Excel row; None: the file as a whole). Nothing is
    recorded while ``problems`` is not empty."""

    days: tuple[DaySetting, ...]
    problems: tuple[tuple[int | None, str, dict[str, str]], ...]
    ignored_columns: tuple[str, ...]

    @property
    def years(self) -> tuple[int, ...]:
        return tuple(sorted({d.day.year for d in self.days}))


def read_schedule(data: bytes, file_name: str, today: date) -> ScheduleFile:
    """Read a year's official schedule (bot/domain/calendar_sheet.py) from a workbook."""
    try:
        read = read_register(data, file_name, CALENDAR_SPEC)
    except UnusableFile as exc:
        return ScheduleFile(
            (), ((None, REASONS.get(exc.reason, exc.reason), dict(exc.params)),), ()
        )
    problems: list[tuple[int | None, str, dict[str, str]]] = [
        (f.row, REASONS.get(f.problem.reason, f.problem.reason), dict(f.problem.params))
        for f in read.problems
        if f.severity == "error"
    ]
    rows: list[ScheduleRow] = []
    for row in read.rows:
        result = validate_row(CALENDAR_SPEC, row.cells, RowContext(today))
        for problem in result.errors:
            problems.append(
                (row.row, REASONS.get(problem.reason, problem.reason), dict(problem.params))
            )
        values = result.values
        day, kind = values.get("day"), values.get("kind")
        if result.errors or not isinstance(day, date):
            continue
        name = values.get("name")
        rows.append(ScheduleRow(row.row, day, kind == WORK.code, str(name) if name else None))
    problems += [(p.row, p.reason, p.params) for p in check_schedule(rows)]
    days = tuple(DaySetting(r.day, r.is_workday, r.name) for r in rows)
    ignored = tuple(f"{letter} {header}" for letter, header in read.ignored_columns)
    return ScheduleFile(days, tuple(problems), ignored)


def deadline(database: Database, start: date, working_days: int) -> tuple[date, bool]:
    """The ``working_days``-th working day after ``start`` (the day itself not counted),
    and whether it is provisional: some day counted lies in a year with no official
    schedule."""
    cal = load_calendar(database)
    due = cal.add_workdays(start, working_days)
    provisional = any(not cal.is_official(date(y, 1, 1)) for y in range(start.year, due.year + 1))
    return due, provisional
