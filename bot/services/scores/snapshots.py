"""Freezing a year's scores: the snapshot the office reports, after which the year's
scores, parameters and judgments no longer change (until the office unfreezes it)."""

from __future__ import annotations

from datetime import date, datetime, tzinfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.scores import snapshot
from bot.domain.scores.scoring import UnitScore
from bot.i18n import N_
from bot.services.errors import ServiceError
from storage.models import ScoreSnapshot


def frozen(session: Session, year: int) -> list[UnitScore] | None:
    """The year's frozen scores, in their ranking, or None while it is open."""
    row = session.execute(
        select(ScoreSnapshot).where(ScoreSnapshot.year == year)
    ).scalar_one_or_none()
    if row is None:
        return None
    return [snapshot.from_json(year, data, row.frozen_at) for data in row.scores]


def refuse_if_frozen(session: Session, year: int, tz: tzinfo | None = None) -> None:
    row = session.execute(
        select(ScoreSnapshot.frozen_at).where(ScoreSnapshot.year == year)
    ).scalar_one_or_none()
    if row is not None:
        day: date | datetime = row.astimezone(tz).date() if tz else row.date()
        raise ServiceError(
            N_(
                "The scores of {year} were frozen on {day}: they no longer change"
                " (the office can unfreeze them with dsr score --unfreeze)."
            ),
            year=year,
            day=day.isoformat(),
        )
