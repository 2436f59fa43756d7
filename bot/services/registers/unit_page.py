"""The office's view of one member unit (/units → a unit): its liaisons, its inspectors
joined or not, its registers' sizes and last change, its last filing, who is away today.

Absences are read from their table here rather than through bot.services.inspectors:
service features build on people, never on each other (pyproject's import contracts).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.i18n import N_
from bot.services.errors import ServiceError
from bot.services.people.membership import require_office
from bot.services.people.profiles import Profile
from storage.db import Database, reading
from storage.models import (
    Inspector,
    Invite,
    Matter,
    RecordChange,
    RevisionFiling,
    Unavailability,
    Unit,
    UnitEntity,
    User,
)


@dataclass(frozen=True)
class Filing:
    year: int
    half: str
    filed_at: datetime


@dataclass(frozen=True)
class UnitPage:
    id: int
    code: str
    name: str
    liaisons: tuple[str, ...]
    liaison_invite_pending: bool
    inspectors: int  # active records of the inspector directory
    joined: int  # of them, linked to a Telegram account
    entities: int  # active records of the target directory
    matters: int  # active matters
    last_change: datetime | None  # the registers' latest change, any directory
    last_filing: Filing | None
    away_today: tuple[str, ...]  # inspectors away today

    @property
    def not_joined(self) -> int:
        return self.inspectors - self.joined


def _count(session: Session, model: type[Inspector | UnitEntity | Matter], unit_id: int) -> int:
    return int(
        session.execute(
            select(func.count()).select_from(model).where(model.unit_id == unit_id, model.active)
        ).scalar_one()
    )


def _joined(session: Session, unit_id: int) -> int:
    return int(
        session.execute(
            select(func.count())
            .select_from(User)
            .join(Inspector, Inspector.id == User.inspector_id)
            .where(User.active, Inspector.unit_id == unit_id, Inspector.active)
        ).scalar_one()
    )


def _last_filing(session: Session, unit_id: int) -> Filing | None:
    row = session.execute(
        select(RevisionFiling.year, RevisionFiling.half, RevisionFiling.filed_at)
        .where(RevisionFiling.unit_id == unit_id)
        .order_by(RevisionFiling.filed_at.desc(), RevisionFiling.id.desc())
        .limit(1)
    ).first()
    return Filing(row.year, row.half, row.filed_at) if row is not None else None


def _away(session: Session, unit_id: int, today: date) -> tuple[str, ...]:
    names = session.execute(
        select(Inspector.name)
        .join(Unavailability, Unavailability.inspector_id == Inspector.id)
        .where(
            Inspector.unit_id == unit_id,
            Inspector.active,
            Unavailability.start_date <= today,
            Unavailability.end_date >= today,
        )
        .distinct()
    ).scalars()
    return tuple(sorted(names))


def unit_page(database: Database, actor: Profile, unit_id: int, today: date) -> UnitPage:
    """One unit as the office sees it (``today`` is the office's day, from the caller)."""
    require_office(actor)
    with reading(database) as session:
        unit = session.get(Unit, unit_id)
        if unit is None or not unit.active:
            raise ServiceError(N_("That unit no longer exists."))
        liaisons = session.execute(
            select(User.name).where(User.active, User.liaison_unit_id == unit_id).order_by(User.id)
        ).scalars()
        pending = session.execute(
            select(Invite.id).where(
                Invite.unit_id == unit_id,
                Invite.role == "liaison",
                Invite.used_at.is_(None),
                Invite.revoked_at.is_(None),
            )
        ).first()
        last_change = session.execute(
            select(func.max(RecordChange.at)).where(RecordChange.unit_id == unit_id)
        ).scalar_one()
        return UnitPage(
            id=unit.id,
            code=unit.code,
            name=unit.name,
            liaisons=tuple(name or "?" for name in liaisons),
            liaison_invite_pending=pending is not None,
            inspectors=_count(session, Inspector, unit_id),
            joined=_joined(session, unit_id),
            entities=_count(session, UnitEntity, unit_id),
            matters=_count(session, Matter, unit_id),
            last_change=last_change,
            last_filing=_last_filing(session, unit_id),
            away_today=_away(session, unit_id, today),
        )
