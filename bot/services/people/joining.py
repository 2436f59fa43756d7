"""Joining: opening an invitation link binds a Telegram user to a unit or an inspector record."""

from __future__ import annotations

import re

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.i18n import N_
from bot.services.errors import ServiceError
from bot.services.people.invites import InvitePolicy
from bot.services.people.membership import (
    ROLE_LIAISON,
    Joined,
    bot_tag,
    user_row,
)
from bot.services.people.notices import NoticeContext, refresh_menu, tell
from storage import audit
from storage.db import Database
from storage.models import Inspector, Invite, Unit, User

# What new_invite_code makes: the bot's four-character tag, then 16 random characters.
_INVITE_CODE = re.compile(r"[0-9a-f]{4}[A-Za-z0-9_-]{16}")
_USED_BY_SOMEONE_ELSE = N_(
    "This invitation has already been used by someone else. Ask for a new link."
)


def redeem(
    database: Database, code: str, telegram_id: int, name: str, policy: InvitePolicy
) -> Joined:
    """Bind the Telegram user to the invite's role. Safe under concurrency: the invite is
    claimed with ``UPDATE … WHERE used_at IS NULL`` and a row-count check, so of two
    people opening one link at once exactly one gets in."""
    code = code.strip()
    display_name = name or str(telegram_id)
    with database.unit_of_work() as uow:
        session = uow.session
        invite = _find_invite(session, code, policy.bot_id)
        user = user_row(session, telegram_id, name)
        _check_still_open(invite, user, policy)
        unit = session.get(Unit, invite.unit_id) if invite.unit_id else None
        if unit is None:
            raise ServiceError(N_("That unit no longer exists."))
        inspector: Inspector | None = None
        if invite.role == ROLE_LIAISON:
            _check_may_become_liaison(user, unit)
        else:
            inspector = _inspector_free_for(session, invite, user)
        _claim(session, invite, user, policy)
        if not user.active:
            # A removed person invited again starts afresh.
            user.active = True
            user.liaison_unit_id = None
            user.inspector_id = None
        handed_over_by = None
        notices = policy.notices
        if invite.role == ROLE_LIAISON:
            user.liaison_unit_id = unit.id
            handed_over_by = _hand_over(session, invite, user, unit, display_name, notices)
        else:
            user.inspector_id = invite.inspector_id
        _tell_inviter(session, invite, user, unit, inspector, display_name, notices)
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


def _find_invite(session: Session, code: str, bot_id: int) -> Invite:
    invite = session.execute(select(Invite).where(Invite.code == code)).scalar_one_or_none()
    if invite is not None:
        return invite
    if _INVITE_CODE.fullmatch(code) and not code.startswith(bot_tag(bot_id)):
        # Shaped like one of our codes, but tied to another bot (a test bot, an old one).
        raise ServiceError(
            N_("This invitation link was made for another bot. Ask for a new link for this one.")
        )
    raise ServiceError(
        N_(
            "This invitation link is not valid. Check that you opened the whole link, or ask for a new one."
        )
    )


def _check_still_open(invite: Invite, user: User, policy: InvitePolicy) -> None:
    """Refuse an invite that was used, withdrawn or has expired (used by this very user
    gets its own answer: they are in already)."""
    if invite.used_at is not None:
        if invite.used_by == user.id:
            raise ServiceError(N_("You have already used this invitation: you are in."))
        raise ServiceError(_USED_BY_SOMEONE_ELSE)
    if invite.revoked_at is not None:
        raise ServiceError(N_("This invitation was withdrawn. Ask for a new link."))
    if invite.expires_at <= policy.now:
        raise ServiceError(N_("This invitation has expired. Ask for a new link."))


def _check_may_become_liaison(user: User, unit: Unit) -> None:
    if user.liaison_unit_id not in (None, unit.id) and user.active:
        raise ServiceError(
            N_(
                "You are already the liaison of another unit. A person can be the liaison of one unit only."
            )
        )


def _inspector_free_for(session: Session, invite: Invite, user: User) -> Inspector:
    """The invite's inspector record, when it exists and neither it nor the user is linked
    to someone or something else."""
    inspector = session.get(Inspector, invite.inspector_id)
    if inspector is None or not inspector.active:
        raise ServiceError(N_("That inspector record no longer exists."))
    holder = session.execute(
        select(User.id).where(User.inspector_id == inspector.id, User.active, User.id != user.id)
    ).first()
    if holder is not None:
        raise ServiceError(N_("That inspector record is already linked to another account."))
    if user.inspector_id not in (None, inspector.id) and user.active:
        raise ServiceError(N_("Your account is already linked to another inspector record."))
    return inspector


def _claim(session: Session, invite: Invite, user: User, policy: InvitePolicy) -> None:
    """Mark the invite used, unless a concurrent redeemer (or a revocation) got there first."""
    claimed = session.execute(
        update(Invite)
        .where(Invite.id == invite.id, Invite.used_at.is_(None), Invite.revoked_at.is_(None))
        .values(used_at=policy.now, used_by=user.id)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise ServiceError(_USED_BY_SOMEONE_ELSE)


def _hand_over(
    session: Session,
    invite: Invite,
    user: User,
    unit: Unit,
    display_name: str,
    notices: NoticeContext,
) -> int | None:
    """For a handover invite, release the former liaison of ``unit`` (deactivated when the
    liaison role was their only one) and tell them; return their Telegram id, or None when
    there was nobody to hand over from."""
    if invite.handover_from is None or invite.handover_from == user.id:
        return None
    former = session.get(User, invite.handover_from)
    if former is None or former.liaison_unit_id != unit.id:
        return None
    former.liaison_unit_id = None
    if not (former.is_office or former.inspector_id):
        former.active = False
    tell(
        session,
        former,
        f"handover:{invite.id}",
        N_("{name} has taken over as liaison of {unit}. Thank you for your work."),
        notices,
        name=display_name,
        unit=unit.name,
    )
    refresh_menu(session, former, f"menu:handover:{invite.id}", notices)
    return former.telegram_id


def _tell_inviter(
    session: Session,
    invite: Invite,
    user: User,
    unit: Unit,
    inspector: Inspector | None,
    display_name: str,
    notices: NoticeContext,
) -> None:
    """Let whoever made the invite know it was used (not when they used it themselves, nor
    the former liaison of a handover, who has been told already)."""
    inviter = session.get(User, invite.created_by) if invite.created_by else None
    if inviter is None or not inviter.active or inviter.id in (user.id, invite.handover_from):
        return
    joined_as = (
        N_("{name} opened your invitation and is now linked to the inspector record {inspector}.")
        if inspector is not None
        else N_("{name} opened your invitation and is now a liaison of {unit}.")
    )
    tell(
        session,
        inviter,
        f"joined:{invite.id}",
        joined_as,
        notices,
        name=display_name,
        inspector=inspector.name if inspector else "",
        unit=unit.name,
    )
