"""Who has access: listing people and removing them (the office anyone; a liaison their unit's)."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.i18n import N_
from bot.services.errors import NotAllowedError, ServiceError
from bot.services.people.membership import (
    ROLE_INSPECTOR,
    ROLE_LIAISON,
    PersonInfo,
    actor_label,
)
from bot.services.people.notices import NoticeContext, refresh_menu, tell
from bot.services.people.profiles import Profile
from storage import audit
from storage.db import Database, reading
from storage.models import Inspector, Unit, User


def list_people(database: Database, actor: Profile) -> list[PersonInfo]:
    """The office sees everyone; a liaison sees the people of their unit."""
    with reading(database) as session:
        query = (
            select(User, Unit.code, Inspector.name)
            .outerjoin(Inspector, Inspector.id == User.inspector_id)
            .outerjoin(Unit, Unit.id == User.liaison_unit_id)
            .where(User.active)
        )
        if not actor.is_office:
            if actor.liaison_unit_id is None:
                raise NotAllowedError(N_("Only the office or a unit's liaison can do this."))
            query = query.where(
                or_(
                    User.liaison_unit_id == actor.liaison_unit_id,
                    Inspector.unit_id == actor.liaison_unit_id,
                )
            )
        people = []
        for user, unit_code, inspector_name in session.execute(query).all():
            roles = tuple(
                role
                for role, held in (
                    ("office", user.is_office),
                    (ROLE_LIAISON, user.liaison_unit_id is not None),
                    (ROLE_INSPECTOR, user.inspector_id is not None),
                )
                if held
            )
            people.append(
                PersonInfo(user.id, user.telegram_id, user.name, roles, unit_code, inspector_name)
            )
    return sorted(people, key=lambda p: (p.unit_code or "", p.name, p.user_id))


def _removable(session: Session, actor: Profile, user_id: int) -> tuple[User, Inspector | None]:
    """The person to remove, if the actor may remove them (else a refusal)."""
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise ServiceError(N_("That person no longer has access."))
    inspector = session.get(Inspector, user.inspector_id) if user.inspector_id else None
    if not actor.is_office:
        unit_id = actor.liaison_unit_id
        mine = user.liaison_unit_id == unit_id or (inspector and inspector.unit_id == unit_id)
        if unit_id is None or not mine:
            raise NotAllowedError(N_("You can only manage your own unit."))
    return user, inspector


def check_removable(database: Database, actor: Profile, user_id: int) -> PersonInfo:
    """Ask before removing: the same checks as ``remove_person``, changing nothing."""
    with reading(database) as session:
        user, inspector = _removable(session, actor, user_id)
        return PersonInfo(
            user.id, user.telegram_id, user.name, (), None, inspector.name if inspector else None
        )


def remove_person(
    database: Database, actor: Profile, user_id: int, notices: NoticeContext
) -> PersonInfo:
    """The office removes anyone; a liaison removes their unit's inspectors' and liaisons'
    access to the unit (the person keeps roles elsewhere, if any)."""
    with database.unit_of_work() as uow:
        session = uow.session
        user, inspector = _removable(session, actor, user_id)
        before = {
            "office": user.is_office,
            "liaison_unit_id": user.liaison_unit_id,
            "inspector_id": user.inspector_id,
        }
        if actor.is_office:
            user.active = False
            user.is_office = False
            user.liaison_unit_id = None
            user.inspector_id = None
        else:
            unit_id = actor.liaison_unit_id
            if user.liaison_unit_id == unit_id:
                user.liaison_unit_id = None
            if inspector is not None and inspector.unit_id == unit_id:
                user.inspector_id = None
            if not (user.is_office or user.liaison_unit_id or user.inspector_id):
                user.active = False
        change = audit.append(
            session,
            actor=actor_label(actor),
            action="person.remove",
            obj=f"user:{user.id}",
            details={"before": before},
            at=notices.now,
        )
        if not user.active:
            tell(
                session,
                user,
                f"removed:{change.id}",
                N_(
                    "Your access to this bot has ended. If this is a mistake, ask the office or your unit's liaison for a new invitation link."
                ),
                notices,
            )
        refresh_menu(session, user, f"menu:removed:{change.id}", notices)
        info = PersonInfo(
            user.id, user.telegram_id, user.name, (), None, inspector.name if inspector else None
        )
        uow.commit()
        return info
