"""When the half-year revision (备案) is chased: the units that have not filed, weekly from the
window's first working day, and the office, with the list of laggards, mid-window and on the
window's last working day (docs/architecture.md, "Reminders").

Computed, never scheduled (the rule bot/domain/reminders/nudges.py set): from the window,
the calendar and today, the rule says which occurrence is due now. Only the latest due one
is sent — after an outage of two weeks a unit gets one reminder, not three — and its key
names the occurrence, so computing again writes nothing twice.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Final

from bot.domain.calendar import WorkCalendar
from bot.domain.registers.halves import Period, Window

WEEK: Final = timedelta(days=7)
MID: Final = "mid"
END: Final = "end"


def unit_reminder_days(
    window: Window, calendar: WorkCalendar, every: timedelta = WEEK
) -> list[date]:
    """The days a unit that has not filed is reminded: the window's first working day,
    then ``every`` (a week by default) later each time, moved on to a working day, while
    the window is open."""
    days: list[date] = []
    anchor = window.opens
    while True:
        day = calendar.next_workday(anchor)
        if day > window.closes:
            return days
        days.append(day)
        anchor += every


def reminder_day(local_now: datetime, send_at: time) -> date:
    """The last day whose reminders are due at ``local_now``: today once the time of day
    the office chose has come, else yesterday."""
    today = local_now.date()
    return today if local_now.time() >= send_at else today - timedelta(days=1)


def office_report_days(window: Window, calendar: WorkCalendar) -> dict[str, date]:
    """The days the office gets the list of units that have not filed: the first working
    day from the middle of the window on, and the window's last working day. A window
    shorter than a week has the last day's list only."""
    middle = window.opens + (window.closes - window.opens) / 2
    end = calendar.last_workday(window.closes)
    mid = calendar.next_workday(middle)
    if window.closes - window.opens < WEEK or mid >= end:
        return {END: end}
    return {MID: mid, END: end}


def latest_due(days: list[date], today: date) -> int | None:
    """The index of the latest of ``days`` on or before ``today``, or None before the first."""
    due = [n for n, day in enumerate(days) if day <= today]
    return due[-1] if due else None


def period_tag(period: Period) -> str:
    return f"{period.year}{period.half}"


def unit_key(period: Period, unit_id: int, occurrence: int, recipient: int) -> str:
    return f"{unit_prefix(period, unit_id)}{occurrence}:{recipient}"


def unit_prefix(period: Period, unit_id: int) -> str:
    """Every reminder of one unit in one half starts so (a filing drops those not sent)."""
    return f"revision:{period_tag(period)}:{unit_id}:"


def office_key(period: Period, which: str, recipient: int) -> str:
    return f"revision-office:{period_tag(period)}:{which}:{recipient}"
