"""Invitations: one-time, expiring deep-link codes, and removing people again."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.i18n import DEFAULT_LOCALE, N_
from bot.services.errors import NotAllowedError, ServiceError
from bot.services.outbox import QuietHoursConfig
from bot.services.people.membership import (
    ROLE_INSPECTOR,
    ROLE_LIAISON,
    InviteInfo,
    actor_label,
    new_invite_code,
    require_office,
    require_unit_access,
)
from bot.services.people.notices import NoticeContext
from bot.services.people.profiles import Profile
from storage import audit
from storage.db import Database, reading
from storage.models import Inspector, Invite, Unit, User
from storage.xlsx_invites import invite_workbook


@dataclass(frozen=True)
class InvitePolicy:
    bot_id: int
    days: int
    now: datetime
    quiet: QuietHoursConfig
    default_locale: str = DEFAULT_LOCALE

    @property
    def notices(self) -> NoticeContext:
        return NoticeContext(self.now, self.quiet, self.default_locale)

    @property
    def expires_at(self) -> datetime:
        return self.now + timedelta(days=self.days)


def _info(session: Session, invite: Invite) -> InviteInfo:
    unit = session.get(Unit, invite.unit_id) if invite.unit_id else None
    inspector = session.get(Inspector, invite.inspector_id) if invite.inspector_id else None
    return InviteInfo(
        id=invite.id,
        code=invite.code,
        role=invite.role,
        unit_code=unit.code if unit else "",
        unit_name=unit.name if unit else "",
        inspector_name=inspector.name if inspector else None,
        expires_at=invite.expires_at,
        handover=invite.handover_from is not None,
    )


def _new_invite(
    session: Session,
    actor: Profile,
    policy: InvitePolicy,
    *,
    role: str,
    unit_id: int,
    inspector_id: int | None = None,
    handover_from: int | None = None,
) -> InviteInfo:
    invite = Invite(
        code=new_invite_code(policy.bot_id),
        role=role,
        unit_id=unit_id,
        inspector_id=inspector_id,
        expires_at=policy.expires_at,
        created_by=actor.user_id,
        handover_from=handover_from,
        created_at=policy.now,
    )
    session.add(invite)
    session.flush()
    audit.append(
        session,
        actor=actor_label(actor),
        action="invite.create",
        obj=f"invite:{invite.id}",
        details={
            "role": role,
            "unit_id": unit_id,
            "inspector_id": inspector_id,
            "handover": handover_from is not None,
        },
        at=policy.now,
    )
    return _info(session, invite)


@dataclass(frozen=True)
class LiaisonInvite:
    """A liaison link, and what the office should know before sending it: whether it is the
    live link made earlier (``reused``), and the unit's current liaisons (a second one is a
    deputy)."""

    invite: InviteInfo
    reused: bool
    liaisons: tuple[str, ...]


def invite_liaison(
    database: Database, actor: Profile, unit_id: int, policy: InvitePolicy
) -> InviteInfo:
    """The office invites a liaison for a unit (a unit may have several)."""
    return liaison_invite(database, actor, unit_id, policy).invite


def liaison_invite(
    database: Database, actor: Profile, unit_id: int, policy: InvitePolicy
) -> LiaisonInvite:
    """The office's link for a unit's liaison. A live link made earlier is given again, so
    pressing "invite" twice never leaves two links that each make a liaison."""
    require_office(actor)
    with database.unit_of_work() as uow:
        session = uow.session
        if session.get(Unit, unit_id) is None:
            raise ServiceError(N_("That unit no longer exists."))
        liaisons = _liaison_names(session, unit_id)
        pending = _pending_liaison_invite(session, unit_id, policy.now)
        if pending is not None:
            return LiaisonInvite(_info(session, pending), True, liaisons)
        info = _new_invite(session, actor, policy, role=ROLE_LIAISON, unit_id=unit_id)
        uow.commit()
        return LiaisonInvite(info, False, liaisons)


def invite_missing_liaisons(
    database: Database, actor: Profile, policy: InvitePolicy
) -> list[InviteInfo]:
    """A link for every active unit that has no liaison yet (its live link when it has one),
    in unit code order: the office invites them all at once."""
    require_office(actor)
    with database.unit_of_work() as uow:
        session = uow.session
        served = set(
            session.execute(
                select(User.liaison_unit_id).where(User.active, User.liaison_unit_id.is_not(None))
            ).scalars()
        )
        units = session.execute(select(Unit).where(Unit.active).order_by(Unit.code)).scalars()
        result = []
        for unit in units:
            if unit.id in served:
                continue
            pending = _pending_liaison_invite(session, unit.id, policy.now)
            if pending is not None:
                result.append(_info(session, pending))
            else:
                result.append(
                    _new_invite(session, actor, policy, role=ROLE_LIAISON, unit_id=unit.id)
                )
        uow.commit()
        return result


def _pending_liaison_invite(session: Session, unit_id: int, now: datetime) -> Invite | None:
    """The unit's live liaison link made by the office (not a hand-over), if any."""
    return (
        session.execute(
            select(Invite)
            .where(
                Invite.unit_id == unit_id,
                Invite.role == ROLE_LIAISON,
                Invite.handover_from.is_(None),
                Invite.used_at.is_(None),
                Invite.revoked_at.is_(None),
                Invite.expires_at > now,
            )
            .order_by(Invite.id.desc())
        )
        .scalars()
        .first()
    )


def _liaison_names(session: Session, unit_id: int) -> tuple[str, ...]:
    names = session.execute(
        select(User.name).where(User.active, User.liaison_unit_id == unit_id).order_by(User.id)
    ).scalars()
    return tuple(name or "?" for name in names)


def handover_liaison(database: Database, actor: Profile, policy: InvitePolicy) -> InviteInfo:
    """A liaison hands the role over: whoever opens the link takes it, and the giver loses it."""
    if actor.liaison_unit_id is None or actor.user_id is None:
        raise NotAllowedError(N_("Only a unit's liaison can hand the role over."))
    with database.unit_of_work() as uow:
        info = _new_invite(
            uow.session,
            actor,
            policy,
            role=ROLE_LIAISON,
            unit_id=actor.liaison_unit_id,
            handover_from=actor.user_id,
        )
        uow.commit()
        return info


def invite_inspectors(
    database: Database,
    actor: Profile,
    unit_id: int,
    policy: InvitePolicy,
    inspector_ids: list[int] | None = None,
) -> list[InviteInfo]:
    """Invite some or all (None) of a unit's inspectors who are not linked yet.

    An inspector with a pending invite keeps it (the same link is listed again), so
    "invite all" twice never leaves two live links for one person.
    """
    require_unit_access(actor, unit_id)
    with database.unit_of_work() as uow:
        session = uow.session
        query = select(Inspector).where(Inspector.unit_id == unit_id, Inspector.active)
        if inspector_ids is not None:
            query = query.where(Inspector.id.in_(inspector_ids))
        inspectors = session.execute(query.order_by(Inspector.id)).scalars().all()
        if inspector_ids is not None and len(inspectors) != len(set(inspector_ids)):
            raise NotAllowedError(N_("You can only manage your own unit."))
        linked = set(
            session.execute(
                select(User.inspector_id).where(User.inspector_id.is_not(None), User.active)
            ).scalars()
        )
        result = []
        for inspector in inspectors:
            if inspector.id in linked:
                continue
            pending = session.execute(
                select(Invite).where(
                    Invite.inspector_id == inspector.id,
                    Invite.used_at.is_(None),
                    Invite.revoked_at.is_(None),
                    Invite.expires_at > policy.now,
                )
            ).scalar_one_or_none()
            if pending is not None:
                result.append(_info(session, pending))
                continue
            result.append(
                _new_invite(
                    session,
                    actor,
                    policy,
                    role=ROLE_INSPECTOR,
                    unit_id=unit_id,
                    inspector_id=inspector.id,
                )
            )
        uow.commit()
        return result


def pending_invites(database: Database, actor: Profile, now: datetime) -> list[InviteInfo]:
    """Unused, unrevoked invites the actor may manage (expired ones included, to resend)."""
    with reading(database) as session:
        query = select(Invite).where(Invite.used_at.is_(None), Invite.revoked_at.is_(None))
        if not actor.is_office:
            if actor.liaison_unit_id is None:
                raise NotAllowedError(N_("Only the office or a unit's liaison can do this."))
            query = query.where(Invite.unit_id == actor.liaison_unit_id)
        invites = session.execute(query.order_by(Invite.id)).scalars().all()
        return [_info(session, invite) for invite in invites]


def _managed_invite(session: Session, actor: Profile, invite_id: int) -> Invite:
    invite = session.get(Invite, invite_id)
    if invite is None:
        raise ServiceError(N_("That invitation no longer exists."))
    if invite.unit_id is None:
        require_office(actor)
    else:
        require_unit_access(actor, invite.unit_id)
    if invite.used_at is not None:
        raise ServiceError(N_("That invitation has already been used."))
    if invite.revoked_at is not None:
        raise ServiceError(N_("That invitation was revoked."))
    return invite


def revoke_invite(database: Database, actor: Profile, invite_id: int, now: datetime) -> InviteInfo:
    with database.unit_of_work() as uow:
        invite = _managed_invite(uow.session, actor, invite_id)
        invite.revoked_at = now
        audit.append(
            uow.session,
            actor=actor_label(actor),
            action="invite.revoke",
            obj=f"invite:{invite.id}",
            details={},
            at=now,
        )
        info = _info(uow.session, invite)
        uow.commit()
        return info


def resend_invite(
    database: Database, actor: Profile, invite_id: int, policy: InvitePolicy
) -> InviteInfo:
    """The same link again, valid for another full period from now."""
    with database.unit_of_work() as uow:
        invite = _managed_invite(uow.session, actor, invite_id)
        invite.expires_at = policy.expires_at
        audit.append(
            uow.session,
            actor=actor_label(actor),
            action="invite.resend",
            obj=f"invite:{invite.id}",
            details={},
            at=policy.now,
        )
        info = _info(uow.session, invite)
        uow.commit()
        return info


def invite_list_workbook(
    title: str, headers: Sequence[str], rows: Sequence[Sequence[str]]
) -> bytes:
    """The invitation list as a spreadsheet (already in the reader's words), for a liaison
    to hand out links at a meeting."""
    return invite_workbook(title, headers, rows)
