"""The half-year revision (备案) of the directories: halves, their filing windows, and what
changed since the last filing (docs/architecture.md §6, "June and December").

Pure: the day, the windows the office set and the change log come in as values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Final, Literal, NamedTuple

Half = Literal["H1", "H2"]
HALVES: Final[tuple[Half, ...]] = ("H1", "H2")


class Window(NamedTuple):
    """The days a half's revision may be filed, both included."""

    opens: date
    closes: date

    def holds(self, day: date) -> bool:
        return self.opens <= day <= self.closes


class Period(NamedTuple):
    year: int
    half: Half


def default_window(year: int, half: Half) -> Window:
    """June 1–30 for the first half, December 1–31 for the second (the city's rule)."""
    if half == "H1":
        return Window(date(year, 6, 1), date(year, 6, 30))
    return Window(date(year, 12, 1), date(year, 12, 31))


def half_of(day: date) -> Period:
    return Period(day.year, "H1" if day.month <= 6 else "H2")


def candidates(day: date) -> tuple[Period, ...]:
    """The halves whose window may hold ``day``, most recent first: a window the office
    moved may run into the next half (December's into January)."""
    return (
        Period(day.year, "H2"),
        Period(day.year, "H1"),
        Period(day.year - 1, "H2"),
    )


def open_period(day: date, window_of: Callable[[Period], Window]) -> Period | None:
    """The half whose filing window holds ``day``, or None outside every window."""
    for period in candidates(day):
        if window_of(period).holds(day):
            return period
    return None


def next_window(day: date, window_of: Callable[[Period], Window]) -> tuple[Period, Window]:
    """The window that opens next after ``day`` (for a refusal that says when)."""
    periods = [Period(y, h) for y in (day.year, day.year + 1) for h in HALVES]
    later = [(p, window_of(p)) for p in periods if window_of(p).opens > day]
    return min(later, key=lambda pw: pw[1].opens)


@dataclass(frozen=True)
class ChangeCounts:
    new: int = 0
    changed: int = 0
    deactivated: int = 0

    @property
    def total(self) -> int:
        return self.new + self.changed + self.deactivated


class LoggedChange(NamedTuple):
    """One change-log row of a directory, as counting needs it, in the order written."""

    key: str
    before: Mapping[str, object] | None
    after: Mapping[str, object] | None


def _active(values: Mapping[str, object] | None) -> bool:
    return values is not None and values.get("active", True) is not False


def count_changes(changes: Iterable[LoggedChange]) -> ChangeCounts:
    """Net changes per record (by its key): added, changed or deactivated since then. A
    record added and undone again, or changed back and forth, is still counted once."""
    first: dict[str, Mapping[str, object] | None] = {}
    last: dict[str, Mapping[str, object] | None] = {}
    for change in changes:
        first.setdefault(change.key, change.before)
        last[change.key] = change.after
    new = changed = deactivated = 0
    for key, before in first.items():
        after = last[key]
        if before is None and after is None:
            continue
        if before is None:
            new += _active(after)
        elif _active(before) and not _active(after):
            deactivated += 1
        else:
            changed += 1
    return ChangeCounts(new, changed, deactivated)
