"""When the half-year revision is chased: weekly from the window's first working day, the
office mid-window and on its last working day; only the latest due occurrence."""

from __future__ import annotations

from datetime import date

from bot.domain.calendar import WorkCalendar
from bot.domain.registers.halves import Period, Window, default_window
from bot.domain.reminders import revisions as rule

WEEKENDS = WorkCalendar()
# June 2026: the Dragon Boat Festival, Jun 19 (Fri) off.
JUNE = WorkCalendar({date(2026, 6, 19): False}, frozenset({2026}))


def test_december_weekly_from_the_first_working_day() -> None:
    days = rule.unit_reminder_days(default_window(2026, "H2"), WEEKENDS)
    assert days == [date(2026, 12, d) for d in (1, 8, 15, 22, 29)]


def test_a_reminder_day_off_moves_to_the_next_working_day() -> None:
    # A window opening on a Saturday starts on Monday; a holiday moves that week's day.
    days = rule.unit_reminder_days(Window(date(2026, 6, 13), date(2026, 6, 30)), JUNE)
    assert days == [date(2026, 6, 15), date(2026, 6, 22), date(2026, 6, 29)]
    holiday = WorkCalendar({date(2026, 6, 8): False})
    assert rule.unit_reminder_days(default_window(2026, "H1"), holiday)[:2] == [
        date(2026, 6, 1),
        date(2026, 6, 9),
    ]


def test_a_window_of_days_off_only_has_no_reminder() -> None:
    assert rule.unit_reminder_days(Window(date(2026, 6, 20), date(2026, 6, 21)), JUNE) == []


def test_office_reports_mid_window_and_on_the_last_working_day() -> None:
    assert rule.office_report_days(default_window(2026, "H2"), WEEKENDS) == {
        rule.MID: date(2026, 12, 16),
        rule.END: date(2026, 12, 31),
    }
    # June 30 2026 is a Tuesday; the middle (Jun 15.5 -> Jun 15) is a Monday.
    assert rule.office_report_days(default_window(2026, "H1"), JUNE) == {
        rule.MID: date(2026, 6, 15),
        rule.END: date(2026, 6, 30),
    }
    # A window of two days: only the last day's list.
    short = Window(date(2026, 12, 30), date(2026, 12, 31))
    assert rule.office_report_days(short, WEEKENDS) == {rule.END: date(2026, 12, 31)}


def test_only_the_latest_due_occurrence() -> None:
    days = [date(2026, 12, d) for d in (1, 8, 15)]
    assert rule.latest_due(days, date(2026, 11, 30)) is None
    assert rule.latest_due(days, date(2026, 12, 1)) == 0
    assert rule.latest_due(days, date(2026, 12, 14)) == 1
    assert rule.latest_due(days, date(2027, 1, 5)) == 2


def test_keys_name_the_half_the_unit_the_occurrence_and_the_reader() -> None:
    period = Period(2026, "H2")
    key = rule.unit_key(period, 7, 2, 31)
    assert key == "revision:2026H2:7:2:31" and key.startswith(rule.unit_prefix(period, 7))
    assert not rule.unit_key(period, 70, 2, 31).startswith(rule.unit_prefix(period, 7))
    assert rule.office_key(period, rule.MID, 5) == "revision-office:2026H2:mid:5"
