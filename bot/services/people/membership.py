"""Units, office admins, inspectors (minimal), invites and removal: who may use the bot."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.domain.registers.records import record_key
from bot.domain.registers.specs import Register
from bot.i18n import N_
from bot.services.errors import NotAllowedError, ServiceError
from bot.services.people.profiles import Profile
from storage import audit
from storage import registers_write as writes
from storage.db import Database, reading
from storage.models import Inspector, Invite, Unit, User

UNIT_CODE = re.compile(r"^[A-Z0-9_-]{1,32}$")
ROLE_LIAISON = "liaison"
ROLE_INSPECTOR = "inspector"
# Telegram deep-link payloads allow [A-Za-z0-9_-] up to 64 characters.
_CODE_RANDOM_BYTES = 12


def bot_tag(bot_id: int) -> str:
    """Four characters that tie an invite code to one bot, so a link made for another
    bot (a test bot, an old bot) is recognised as such instead of as "unknown"."""
    digest = hashlib.sha256(f"dsr-bot:{bot_id}".encode()).hexdigest()
    return digest[:4]


def new_invite_code(bot_id: int) -> str:
    return bot_tag(bot_id) + secrets.token_urlsafe(_CODE_RANDOM_BYTES)


@dataclass(frozen=True)
class UnitInfo:
    id: int
    code: str
    name: str
    liaisons: int
    inspectors: int


@dataclass(frozen=True)
class InspectorInfo:
    id: int
    unit_code: str
    name: str
    cert_no: str | None
    linked: bool
    pending_invite: str | None


@dataclass(frozen=True)
class InviteInfo:
    id: int
    code: str
    role: str
    unit_code: str
    unit_name: str
    inspector_name: str | None
    expires_at: datetime
    handover: bool


@dataclass(frozen=True)
class Joined:
    role: str
    unit_code: str
    unit_name: str
    inspector_name: str | None
    handed_over_by: int | None  # telegram id of the former liaison, for a handover


@dataclass(frozen=True)
class PersonInfo:
    user_id: int
    telegram_id: int
    name: str
    roles: tuple[str, ...]
    unit_code: str | None
    inspector_name: str | None


# --- authorisation ------------------------------------------------------------------------


def require_office(actor: Profile) -> None:
    if not actor.is_office:
        raise NotAllowedError(N_("Only the office can do this."))


def require_unit_access(actor: Profile, unit_id: int) -> None:
    """The office sees every unit; a liaison only their own."""
    if actor.is_office:
        return
    if actor.liaison_unit_id != unit_id:
        raise NotAllowedError(N_("You can only manage your own unit."))


def actor_label(actor: Profile) -> str:
    return f"tg:{actor.telegram_id}"


# --- units and admins ---------------------------------------------------------------------


def add_unit(database: Database, actor: Profile | None, code: str, name: str) -> UnitInfo:
    """Create a member unit. ``actor`` None means the command line (an operator)."""
    if actor is not None:
        require_office(actor)
    code = _unit_code_form(code)
    name = unit_name_form(name)
    with database.unit_of_work() as uow:
        session = uow.session
        _refuse_taken_code(session, code)
        unit = Unit(code=code, name=name)
        session.add(unit)
        session.flush()
        audit.append(
            session,
            actor=actor_label(actor) if actor else "cli",
            action="unit.add",
            obj=f"unit:{code}",
            details={"name": name},
        )
        uow.commit()
        return UnitInfo(unit.id, unit.code, unit.name, 0, 0)


def check_new_unit_code(database: Database, actor: Profile, code: str) -> str:
    """The code as it would be stored, or a refusal: for a chat that asks the code first
    and the name after (add_unit checks both again when it writes)."""
    require_office(actor)
    code = _unit_code_form(code)
    with reading(database) as session:
        _refuse_taken_code(session, code)
    return code


def _unit_code_form(code: str) -> str:
    code = code.strip().upper()
    if not UNIT_CODE.match(code):
        raise ServiceError(
            N_("A unit code is 1–32 letters, digits, “-” or “_”, like SCJG; “{code}” is not."),
            code=code,
        )
    return code


def unit_name_form(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 200:
        raise ServiceError(N_("A unit needs a name of at most 200 characters."))
    return name


def _refuse_taken_code(session: Session, code: str) -> None:
    if session.execute(select(Unit.id).where(Unit.code == code)).first():
        raise ServiceError(N_("A unit with the code {code} already exists."), code=code)


def list_units(database: Database) -> list[UnitInfo]:
    with reading(database) as session:
        liaisons = dict(
            session.execute(
                select(User.liaison_unit_id, func.count())
                .where(User.active, User.liaison_unit_id.is_not(None))
                .group_by(User.liaison_unit_id)
            ).all()
        )
        inspectors = dict(
            session.execute(
                select(Inspector.unit_id, func.count())
                .where(Inspector.active)
                .group_by(Inspector.unit_id)
            ).all()
        )
        units = session.execute(select(Unit).where(Unit.active)).scalars().all()
        infos = [
            UnitInfo(u.id, u.code, u.name, liaisons.get(u.id, 0), inspectors.get(u.id, 0))
            for u in units
        ]
    return sorted(infos, key=lambda info: info.code)


def unit_by_code(database: Database, code: str) -> UnitInfo:
    for info in list_units(database):
        if info.code == code.strip().upper():
            return info
    raise ServiceError(N_("There is no unit with the code {code}."), code=code)


def add_admin(database: Database, telegram_id: int, name: str = "") -> None:
    """Make a Telegram user an office admin (the command line's ``dsr admin add``)."""
    with database.unit_of_work() as uow:
        user = user_row(uow.session, telegram_id, name)
        user.is_office = True
        user.active = True
        audit.append(
            uow.session, actor="cli", action="admin.add", obj=f"user:{telegram_id}", details={}
        )
        uow.commit()


def user_row(session: Session, telegram_id: int, name: str) -> User:
    user = session.execute(select(User).where(User.telegram_id == telegram_id)).scalar_one_or_none()
    if user is None:
        user = User(telegram_id=telegram_id, name=name)
        session.add(user)
        session.flush()
    elif name and user.name != name:
        user.name = name
    return user


# --- inspectors (the registers issue brings the full directory) ------------------------------


def add_inspector(
    database: Database,
    actor: Profile | None,
    unit_code: str,
    name: str,
    cert_no: str | None = None,
    now: datetime | None = None,
    valid_until: date | None = None,
) -> InspectorInfo:
    """One inspector added by hand (the command line), logged as a directory change like
    an import's: record_changes (who, when, "manual", no before, the values) and audit.
    ``valid_until`` is the certificate's last day: without it the draw leaves him out."""
    now = now or datetime.now(UTC)
    with database.unit_of_work() as uow:
        session = uow.session
        unit = unit_for(session, actor, unit_code)
        cert = cert_no.strip().upper() if cert_no and cert_no.strip() else None
        if cert and session.execute(select(Inspector.id).where(Inspector.cert_no == cert)).first():
            raise ServiceError(
                N_("An inspector with the certificate number {cert_no} already exists."),
                cert_no=cert,
            )
        inspector = Inspector(
            unit_id=unit.id,
            name=name.strip(),
            cert_no=cert,
            cert_expires=valid_until,
            created_at=now,
            updated_at=now,
        )
        session.add(inspector)
        session.flush()
        who = actor_label(actor) if actor else "cli"
        values: dict[str, object] = {"name": inspector.name, "cert_no": cert}
        if valid_until is not None:
            values["cert_expires"] = valid_until
        writes.write_log(
            session,
            [
                writes.log_row(
                    writes.Stamp(unit.id, who, "manual", None, now),
                    Inspector.__tablename__,
                    inspector.id,
                    record_key(Register.INSPECTORS, values),
                    None,
                    values,
                )
            ],
        )
        audit.append(
            session,
            actor=who,
            action="inspector.add",
            obj=f"inspector:{inspector.id}",
            details={"unit": unit.code},
            at=now,
        )
        uow.commit()
        return InspectorInfo(inspector.id, unit.code, inspector.name, cert, False, None)


def list_inspectors(database: Database, actor: Profile, unit_id: int) -> list[InspectorInfo]:
    require_unit_access(actor, unit_id)
    with reading(database) as session:
        unit_code = session.execute(select(Unit.code).where(Unit.id == unit_id)).scalar_one()
        linked = set(
            session.execute(
                select(User.inspector_id).where(User.inspector_id.is_not(None), User.active)
            ).scalars()
        )
        pending = dict(
            session.execute(
                select(Invite.inspector_id, Invite.code).where(
                    Invite.unit_id == unit_id,
                    Invite.role == ROLE_INSPECTOR,
                    Invite.used_at.is_(None),
                    Invite.revoked_at.is_(None),
                )
            ).all()
        )
        rows = session.execute(
            select(Inspector).where(Inspector.unit_id == unit_id, Inspector.active)
        ).scalars()
        result = [
            InspectorInfo(i.id, unit_code, i.name, i.cert_no, i.id in linked, pending.get(i.id))
            for i in rows
        ]
    return sorted(result, key=lambda info: (info.name, info.id))


def unit_for(session: Session, actor: Profile | None, unit_code: str) -> Unit:
    """The unit by code, if the actor may manage it (the command line may: actor None)."""
    unit = session.execute(
        select(Unit).where(Unit.code == unit_code.strip().upper())
    ).scalar_one_or_none()
    if unit is None:
        raise ServiceError(N_("There is no unit with the code {code}."), code=unit_code)
    if actor is not None:
        require_unit_access(actor, unit.id)
    return unit
