"""Working days: Monday to Friday but the official overrides, and counting across a holiday."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.calendar import WorkCalendar

# National Day 2026: Oct 1-7 off, Saturday Oct 10 worked (the published schedule).
NATIONAL_DAY = {date(2026, 10, d): False for d in range(1, 8)} | {date(2026, 10, 10): True}
CAL = WorkCalendar(NATIONAL_DAY, frozenset({2026}))


def test_weekdays_work_weekends_rest_unless_overridden() -> None:
    assert CAL.is_workday(date(2026, 9, 30))  # Wednesday
    assert not CAL.is_workday(date(2026, 10, 3))  # Saturday
    assert not CAL.is_workday(date(2026, 10, 1))  # Thursday, a holiday
    assert CAL.is_workday(date(2026, 10, 10))  # Saturday, a make-up working day


def test_next_and_last_working_day() -> None:
    assert CAL.next_workday(date(2026, 10, 1)) == date(2026, 10, 8)
    assert CAL.next_workday(date(2026, 9, 30)) == date(2026, 9, 30)
    assert CAL.last_workday(date(2026, 10, 7)) == date(2026, 9, 30)
    assert CAL.last_workday(date(2026, 10, 11)) == date(2026, 10, 10)


def test_adding_working_days_skips_the_holiday_and_counts_the_make_up_day() -> None:
    # A check on Sep 29: the 1st working day after is Sep 30, the 2nd Oct 8, ... Oct 10 is
    # the 4th (Oct 8 Thu, 9 Fri, 10 Sat worked).
    assert CAL.add_workdays(date(2026, 9, 29), 1) == date(2026, 9, 30)
    assert CAL.add_workdays(date(2026, 9, 29), 4) == date(2026, 10, 10)
    assert CAL.add_workdays(date(2026, 9, 29), 0) == date(2026, 9, 29)
    # 20 working days after Dec 1 (no holiday in between): Dec 29.
    assert CAL.add_workdays(date(2026, 12, 1), 20) == date(2026, 12, 29)
    with pytest.raises(ValueError):
        CAL.add_workdays(date(2026, 12, 1), -1)


def test_working_days_between() -> None:
    assert CAL.workdays_between(date(2026, 9, 29), date(2026, 10, 10)) == 4
    assert CAL.workdays_between(date(2026, 10, 10), date(2026, 10, 1)) == 0
    first = date(2026, 12, 1)
    assert CAL.workdays_between(first, CAL.add_workdays(first, 20)) == 20


def test_a_year_without_an_official_schedule_is_provisional() -> None:
    assert CAL.is_official(date(2026, 5, 1))
    assert not CAL.is_official(date(2027, 1, 1))
    assert CAL.is_workday(date(2027, 1, 1))  # a Friday: weekends only, as far as we know


def test_a_broken_calendar_is_an_error_not_a_hang() -> None:
    closed = WorkCalendar(
        {date.fromordinal(date(2026, 1, 1).toordinal() + n): False for n in range(100)}
    )
    with pytest.raises(ValueError):
        closed.next_workday(date(2026, 1, 1))
