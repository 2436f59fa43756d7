"""The nudge rule: which periods are due, from the delivery time, now and the delay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.reminders.nudges import NUDGE, REPORT, due_periods, nudge_key

T0 = datetime(2026, 6, 1, 1, 30, tzinfo=UTC)
DAY = timedelta(hours=24)


def test_periods_fall_due_one_delay_apart() -> None:
    assert due_periods(T0, T0 + DAY - timedelta(seconds=1), DAY) == ()
    assert due_periods(T0, T0 + DAY, DAY) == (NUDGE,)
    assert due_periods(T0, T0 + 2 * DAY, DAY) == (NUDGE, REPORT)
    assert due_periods(T0, T0 + 30 * DAY, DAY) == (NUDGE, REPORT)  # caught up at once
    assert due_periods(T0, T0 + 30 * DAY, timedelta(0)) == ()  # nudges off
    with pytest.raises(ValueError, match="aware"):
        due_periods(T0.replace(tzinfo=None), T0, DAY)


@given(st.integers(0, 10**7), st.integers(0, 10**7), st.integers(1, 10**6))
def test_later_never_means_fewer_periods(a: int, b: int, delay: int) -> None:
    early, late = sorted((a, b))
    d = timedelta(seconds=delay)
    before = due_periods(T0, T0 + timedelta(seconds=early), d)
    after = due_periods(T0, T0 + timedelta(seconds=late), d)
    assert set(before) <= set(after)


def test_one_key_per_subject_and_period() -> None:
    keys = {nudge_key(m, p, r) for m in (1, 2) for p in (NUDGE, REPORT) for r in (None, 7)}
    assert len(keys) == 8
    assert nudge_key(5, NUDGE) == "nudge:5:1"
