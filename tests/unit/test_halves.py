"""Half-year windows and the net count of a directory's changes since a filing."""

from __future__ import annotations

from datetime import date

from bot.domain.registers.halves import (
    LoggedChange,
    Period,
    Window,
    count_changes,
    default_window,
    next_window,
    open_period,
)


def _default(period: Period) -> Window:
    return default_window(*period)


def test_default_windows_are_june_and_december() -> None:
    assert default_window(2026, "H1") == Window(date(2026, 6, 1), date(2026, 6, 30))
    assert default_window(2026, "H2") == Window(date(2026, 12, 1), date(2026, 12, 31))
    assert open_period(date(2026, 6, 30), _default) == Period(2026, "H1")
    assert open_period(date(2026, 12, 1), _default) == Period(2026, "H2")
    assert open_period(date(2026, 7, 1), _default) is None
    assert next_window(date(2026, 7, 1), _default)[0] == Period(2026, "H2")
    assert next_window(date(2026, 12, 31), _default)[0] == Period(2027, "H1")


def test_a_december_window_moved_into_january_files_the_year_before() -> None:
    def moved(period: Period) -> Window:
        if period == (2026, "H2"):
            return Window(date(2026, 12, 15), date(2027, 1, 15))
        return default_window(*period)

    assert open_period(date(2027, 1, 10), moved) == Period(2026, "H2")
    assert open_period(date(2026, 12, 5), moved) is None


def test_changes_are_counted_once_per_record_by_their_net_effect() -> None:
    log = [
        LoggedChange("a", None, {"name": "甲"}),  # new
        LoggedChange("a", {"name": "甲"}, {"name": "甲2"}),  # …then changed: still new
        LoggedChange("b", {"phone": "1"}, {"phone": "2"}),  # changed
        LoggedChange("b", {"phone": "2"}, {"phone": "3"}),
        LoggedChange("c", {"active": True}, {"active": False}),  # deactivated
        LoggedChange("d", None, {"name": "丁"}),  # added, then undone
        LoggedChange("d", {"name": "丁"}, None),
        LoggedChange("e", {"active": False}, {"active": True}),  # reactivated: a change
    ]
    counts = count_changes(log)
    assert (counts.new, counts.changed, counts.deactivated) == (1, 2, 1)
    assert counts.total == 4
    assert count_changes([]).total == 0
