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
from bot.i18n import N_
from bot.services.errors import ServiceError
from storage import audit
from storage.db import Database
from storage.models import CalendarDay


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
