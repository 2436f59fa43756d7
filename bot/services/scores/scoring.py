"""Scores of the evaluation: a unit's (its liaison, or the office) and the ranking of all
units (the office only), computed from the database as it is now with the year's rubric
(docs/architecture.md, "The evaluation")."""

from __future__ import annotations

from datetime import date, tzinfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.scores.scoring import UnitScore, ranking, score_unit
from bot.i18n import N_
from bot.services.errors import ServiceError
from bot.services.people.membership import require_office, unit_for
from bot.services.people.profiles import Profile
from bot.services.scores.inputs import gather
from bot.services.scores.rubric import load_rubric
from storage.db import Database, reading
from storage.models import Unit


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
        rubric = load_rubric(session, year)
        units = session.execute(
            select(Unit).where(Unit.active, Unit.is_office.is_(False))
        ).scalars()
        return ranking(
            [score_unit(rubric, gather(session, u, year, today, tz), u.code, u.name) for u in units]
        )
