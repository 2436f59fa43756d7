"""The filing windows of the half-year revisions as they stand: the office's where it moved
one (``filing_windows``), else the default (bot/domain/registers/halves.py). Shared by the
filings' use cases and the reminders that chase them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.registers import halves
from bot.domain.registers.halves import Half, Period, Window
from storage.models import FilingWindow


class FilingWindows:
    """The window of any half; callable as ``window_of(period)`` (the table is small)."""

    def __init__(self, session: Session) -> None:
        self.moved: dict[Period, Window] = {
            Period(row.year, _half(row.half)): Window(row.opens, row.closes)
            for row in session.execute(select(FilingWindow)).scalars()
        }

    def __call__(self, period: Period) -> Window:
        return self.moved.get(period) or halves.default_window(*period)


def _half(stored: str) -> Half:
    return "H1" if stored == "H1" else "H2"
