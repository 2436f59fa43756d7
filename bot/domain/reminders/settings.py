"""The office's controls over each kind of reminder: paused or not, the time of day it goes
out, and its interval — with the defaults that hold until the office changes them, and the
limits a change must keep (docs/architecture.md, "Reminders")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from typing import Final

NUDGE: Final = "nudge"  # an assignment not acknowledged
REVISION: Final = "revision"  # the June/December revision not filed
KINDS: Final = (NUDGE, REVISION)

DEFAULT_SEND_AT: Final = time(9, 0)
DEFAULT_EVERY_DAYS: Final = 7
EVERY_DAYS_RANGE: Final = (1, 31)
AFTER_HOURS_RANGE: Final = (1.0, 24.0 * 14)


@dataclass(frozen=True)
class KindSettings:
    """One kind's settings. ``send_at`` is the earliest local time of day a revision
    reminder goes out; ``every_days`` its interval; ``after_hours`` how long an assignment
    waits for its acknowledgement before the nudge (the liaison is told after twice that)."""

    kind: str
    paused: bool = False
    send_at: time = DEFAULT_SEND_AT
    every_days: int = DEFAULT_EVERY_DAYS
    after_hours: float = 24.0
    changed: bool = False  # the office changed something: not only defaults


class SettingError(ValueError):
    """A value the office typed that a setting cannot take; ``field`` says which."""

    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


def check_every_days(days: int) -> int:
    low, high = EVERY_DAYS_RANGE
    if not low <= days <= high:
        raise SettingError("every_days")
    return days


def check_after_hours(hours: float) -> float:
    low, high = AFTER_HOURS_RANGE
    if not low <= hours <= high:
        raise SettingError("after_hours")
    return hours
