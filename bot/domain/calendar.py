"""Working days on the office's calendar (docs/architecture.md, "Working days").

Monday to Friday work, Saturday and Sunday rest, except where the official schedule says
otherwise: a weekday holiday (国庆节) or a weekend made a working day (调休). The overrides
and the years whose official schedule is known come in as values; the services assemble
them from the published schedules and the office's own corrections.

A day in a year with no official schedule (the State Council publishes each year's late in
the year before) is computed on weekends only, and ``is_official`` says so, so a deadline
computed from it can be shown as provisional.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

_DAY = timedelta(days=1)
# Longer than any run of days off in an official schedule (the Spring Festival's nine):
# a search for a working day that goes further has met a broken calendar.
_LONGEST_BREAK = 60


@dataclass(frozen=True)
class WorkCalendar:
    """Which days are working days. ``overrides`` maps a day to whether it is worked,
    where that differs from (or names) Monday-to-Friday; ``names`` gives a holiday's name."""

    overrides: Mapping[date, bool] = field(default_factory=dict)
    official_years: frozenset[int] = frozenset()
    names: Mapping[date, str] = field(default_factory=dict)

    def is_workday(self, day: date) -> bool:
        worked = self.overrides.get(day)
        return day.weekday() < 5 if worked is None else worked

    def is_official(self, day: date) -> bool:
        """Whether ``day``'s year has an official schedule (else weekends only)."""
        return day.year in self.official_years

    def next_workday(self, day: date) -> date:
        """``day`` itself when it is a working day, else the first working day after it."""
        for _ in range(_LONGEST_BREAK):
            if self.is_workday(day):
                return day
            day += _DAY
        raise ValueError(f"no working day within {_LONGEST_BREAK} days of {day}")

    def last_workday(self, day: date) -> date:
        """``day`` itself when it is a working day, else the last working day before it."""
        for _ in range(_LONGEST_BREAK):
            if self.is_workday(day):
                return day
            day -= _DAY
        raise ValueError(f"no working day within {_LONGEST_BREAK} days before {day}")

    def add_workdays(self, day: date, count: int) -> date:
        """The ``count``-th working day after ``day`` (``day`` itself is not counted): a
        result due "within 20 working days" of a check on ``day`` is due on this day."""
        if count < 0:
            raise ValueError("count must not be negative")
        for _ in range(count):
            day = self.next_workday(day + _DAY)
        return day

    def workdays_between(self, first: date, last: date) -> int:
        """Working days after ``first`` up to and including ``last`` (0 when last <= first)."""
        count, day = 0, first + _DAY
        while day <= last:
            count += self.is_workday(day)
            day += _DAY
        return count
