"""Scores of the evaluation: a unit's (its liaison, or the office) and the ranking of all
units (the office only), computed from the database as it is now with the year's rubric
(docs/architecture.md, "The evaluation")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.scores import snapshot
from bot.domain.scores.scoring import UnitScore, ranking, score_unit
from bot.i18n import N_
from bot.services.errors import ServiceError
from bot.services.people.membership import require_office, unit_for
from bot.services.people.profiles import Profile
from bot.services.scores.inputs import gather
from bot.services.scores.rubric import load_rubric
from bot.services.scores.snapshots import frozen, refuse_if_frozen
from storage import audit
from storage.db import Database, reading
from storage.models import ScoreSnapshot, Unit


def check_year(year: int) -> int:
    if not 2000 <= year <= 2100:
        raise ServiceError(N_("{year} is not a plausible year."), year=year)
    return year


def _member_unit(session: Session, actor: Profile | None, unit_code: str) -> Unit:
    unit = unit_for(session, actor, unit_code)
    if unit.is_office:
        raise ServiceError(N_("The office is not scored: choose a member unit."))
    return unit


def unit_score(
    database: Database,
    actor: Profile | None,
    year: int,
    unit_code: str,
    today: date,
    tz: tzinfo,
) -> UnitScore:
    """One unit's score: its own liaison or the office (the command line: actor None)."""
    check_year(year)
    with reading(database) as session:
        unit = _member_unit(session, actor, unit_code)
        kept = frozen(session, year)
        if kept is not None:
            found = next((s for s in kept if s.unit == unit.code), None)
            if found is None:
                raise ServiceError(
                    N_("{unit} was not a member unit when the scores of {year} were frozen."),
                    unit=unit.code,
                    year=year,
                )
            return found
        rubric = load_rubric(session, year)
        return score_unit(rubric, gather(session, unit, year, today, tz), unit.code, unit.name)


def all_scores(
    database: Database, actor: Profile | None, year: int, today: date, tz: tzinfo
) -> list[UnitScore]:
    """Every active member unit's score, highest first (the office's ranking)."""
    check_year(year)
    if actor is not None:
        require_office(actor)
    with reading(database) as session:
        kept = frozen(session, year)
        return kept if kept is not None else _compute(session, year, today, tz)


def _compute(session: Session, year: int, today: date, tz: tzinfo) -> list[UnitScore]:
    rubric = load_rubric(session, year)
    units = session.execute(select(Unit).where(Unit.active, Unit.is_office.is_(False))).scalars()
    return ranking(
        [score_unit(rubric, gather(session, u, year, today, tz), u.code, u.name) for u in units]
    )


@dataclass(frozen=True)
class Frozen:
    year: int
    units: int
    frozen_at: datetime


def freeze(
    database: Database,
    actor: Profile | None,
    year: int,
    today: date,
    tz: tzinfo,
    now: datetime,
) -> Frozen:
    """The office freezes the year's scores as they are now (what it reports)."""
    check_year(year)
    if actor is not None:
        require_office(actor)
    with database.unit_of_work() as uow:
        session = uow.session
        refuse_if_frozen(session, year, tz)
        scores = _compute(session, year, today, tz)
        session.add(
            ScoreSnapshot(
                year=year,
                scores=[snapshot.to_json(s) for s in scores],
                frozen_by=actor.user_id if actor else None,
                frozen_at=now,
            )
        )
        audit.append(
            session,
            actor=f"tg:{actor.telegram_id}" if actor else "cli",
            action="score.freeze",
            obj=f"scores:{year}",
            details={"totals": {s.unit: str(s.total) for s in scores}},
            at=now,
        )
        uow.commit()
    return Frozen(year, len(scores), now)


def unfreeze(database: Database, actor: Profile | None, year: int, now: datetime) -> None:
    """Open a frozen year again (a correction): its scores are computed live once more."""
    if actor is not None:
        require_office(actor)
    with database.unit_of_work() as uow:
        session = uow.session
        row = session.execute(
            select(ScoreSnapshot).where(ScoreSnapshot.year == year)
        ).scalar_one_or_none()
        if row is None:
            raise ServiceError(N_("The scores of {year} are not frozen."), year=year)
        session.delete(row)
        audit.append(
            session,
            actor=f"tg:{actor.telegram_id}" if actor else "cli",
            action="score.unfreeze",
            obj=f"scores:{year}",
            details={"frozen_at": row.frozen_at.isoformat()},
            at=now,
        )
        uow.commit()
