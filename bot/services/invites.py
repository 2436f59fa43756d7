"""Invitations: one-time, expiring deep-link codes, and removing people again."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from bot.i18n import DEFAULT_LOCALE, N_
from bot.services.errors import NotAllowedError, ServiceError
from bot.services.membership import (
    ROLE_INSPECTOR,
    ROLE_LIAISON,
    InviteInfo,
    Joined,
    PersonInfo,
    actor_label,
    bot_tag,
    new_invite_code,
    require_office,
    require_unit_access,
    user_row,
)
from bot.services.notices import NoticeContext, refresh_menu, tell
from bot.services.outbox import QuietHours, QuietHoursConfig
from bot.services.people import Profile
from storage import audit
from storage.db import Database, reading
from storage.models import Inspector, Invite, Unit, User


@dataclass(frozen=True)
class InvitePolicy:
    bot_id: int
    days: int
    now: datetime
    quiet: QuietHoursConfig = field(default_factory=QuietHours)
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


def invite_liaison(
    database: Database, actor: Profile, unit_id: int, policy: InvitePolicy
) -> InviteInfo:
    """The office invites a liaison for a unit (a unit may have several)."""
    require_office(actor)
    with database.unit_of_work() as uow:
        if uow.session.get(Unit, unit_id) is None:
            raise ServiceError(N_("That unit no longer exists."))
        info = _new_invite(uow.session, actor, policy, role=ROLE_LIAISON, unit_id=unit_id)
        uow.commit()
        return info


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


# --- joining ------------------------------------------------------------------------------


def redeem(
    database: Database, code: str, telegram_id: int, name: str, policy: InvitePolicy
) -> Joined:
    """Bind the Telegram user to the invite's role. Safe under concurrency: the invite is
    claimed with ``UPDATE … WHERE used_at IS NULL`` and a row-count check, so of two
    people opening one link at once exactly one gets in."""
    code = code.strip()
    with database.unit_of_work() as uow:
        session = uow.session
        invite = session.execute(select(Invite).where(Invite.code == code)).scalar_one_or_none()
        if invite is None:
            if not code.startswith(bot_tag(policy.bot_id)):
                raise ServiceError(
                    N_(
                        "This invitation link was made for another bot. Ask for a new link for this one."
                    )
                )
            raise ServiceError(
                N_(
                    "This invitation link is not valid. Check that you opened the whole link, or ask for a new one."
                )
            )
        user = user_row(session, telegram_id, name)
        if invite.used_at is not None:
            if invite.used_by == user.id:
                raise ServiceError(N_("You have already used this invitation: you are in."))
            raise ServiceError(
                N_("This invitation has already been used by someone else. Ask for a new link.")
            )
        if invite.revoked_at is not None:
            raise ServiceError(N_("This invitation was withdrawn. Ask for a new link."))
        if invite.expires_at <= policy.now:
            raise ServiceError(N_("This invitation has expired. Ask for a new link."))
        unit = session.get(Unit, invite.unit_id) if invite.unit_id else None
        if unit is None:
            raise ServiceError(N_("That unit no longer exists."))
        inspector: Inspector | None = None
        if invite.role == ROLE_LIAISON:
            if user.liaison_unit_id not in (None, unit.id) and user.active:
                raise ServiceError(
                    N_(
                        "You are already the liaison of another unit. A person can be the liaison of one unit only."
                    )
                )
        else:
            inspector = session.get(Inspector, invite.inspector_id)
            if inspector is None or not inspector.active:
                raise ServiceError(N_("That inspector record no longer exists."))
            holder = session.execute(
                select(User.id).where(
                    User.inspector_id == inspector.id, User.active, User.id != user.id
                )
            ).first()
            if holder is not None:
                raise ServiceError(
                    N_("That inspector record is already linked to another account.")
                )
            if user.inspector_id not in (None, inspector.id) and user.active:
                raise ServiceError(
                    N_("Your account is already linked to another inspector record.")
                )
        claimed = session.execute(
            update(Invite)
            .where(Invite.id == invite.id, Invite.used_at.is_(None), Invite.revoked_at.is_(None))
            .values(used_at=policy.now, used_by=user.id)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            raise ServiceError(
                N_("This invitation has already been used by someone else. Ask for a new link.")
            )
        if not user.active:
            # A removed person invited again starts afresh.
            user.active = True
            user.liaison_unit_id = None
            user.inspector_id = None
        handed_over_by = None
        notices = policy.notices
        if invite.role == ROLE_LIAISON:
            user.liaison_unit_id = unit.id
            if invite.handover_from is not None and invite.handover_from != user.id:
                former = session.get(User, invite.handover_from)
                if former is not None and former.liaison_unit_id == unit.id:
                    former.liaison_unit_id = None
                    if not (former.is_office or former.inspector_id):
                        former.active = False
                    handed_over_by = former.telegram_id
                    tell(
                        session,
                        former,
                        f"handover:{invite.id}",
                        N_("{name} has taken over as liaison of {unit}. Thank you for your work."),
                        notices,
                        name=name or str(telegram_id),
                        unit=unit.name,
                    )
                    refresh_menu(session, former, f"menu:handover:{invite.id}", notices)
        else:
            user.inspector_id = invite.inspector_id
        inviter = session.get(User, invite.created_by) if invite.created_by else None
        if (
            inviter is not None
            and inviter.active
            and inviter.id not in (user.id, invite.handover_from)
        ):
            tell(
                session,
                inviter,
                f"joined:{invite.id}",
                N_("{name} has joined with your invitation ({who})."),
                notices,
                name=name or str(telegram_id),
                who=inspector.name if inspector else unit.name,
            )
        audit.append(
            session,
            actor=f"tg:{telegram_id}",
            action="invite.redeem",
            obj=f"invite:{invite.id}",
            details={"role": invite.role, "user": user.id},
            at=policy.now,
        )
        uow.commit()
        return Joined(
            invite.role, unit.code, unit.name, inspector.name if inspector else None, handed_over_by
        )


# --- people -------------------------------------------------------------------------------


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
