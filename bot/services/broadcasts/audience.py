"""Who a broadcast reaches, and who it cannot reach yet.

Recipients are active users holding the audience's role: liaisons of active units,
inspectors linked to an active directory record, both for everyone; for chosen units
their liaisons and their inspectors. The office's own people get it only through such a
role. "Not yet joined" are the members the bot cannot reach: active directory inspectors
with no active user, and active units with no liaison.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from bot.i18n import N_
from bot.services.errors import ServiceError
from storage.models import Inspector, Unit, User

AUDIENCES = ("liaisons", "inspectors", "all", "units")


@dataclass(frozen=True)
class Audience:
    kind: str  # one of AUDIENCES
    unit_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class UnitChoice:
    id: int
    code: str
    name: str


@dataclass(frozen=True)
class Recipient:
    user_id: int
    telegram_id: int
    name: str
    locale: str | None
    role: str  # "liaison", "inspector" or "liaison+inspector"
    unit: str  # the unit's name (the liaison's, else the inspector's)


@dataclass(frozen=True)
class Unreachable:
    unit: str
    name: str | None  # the inspector; None: the unit has no liaison


def active_units(session: Session) -> list[Unit]:
    stmt = select(Unit).where(Unit.active, Unit.is_office.is_(False)).order_by(Unit.code)
    return list(session.execute(stmt).scalars())


def unit_choices(session: Session) -> list[UnitChoice]:
    return [UnitChoice(u.id, u.code, u.name) for u in active_units(session)]


def resolve_units(session: Session, codes: Sequence[str]) -> tuple[int, ...]:
    """Unit codes as typed at the desk, to ids; an unknown code is refused by name."""
    by_code = {u.code.upper(): u.id for u in active_units(session)}
    ids: list[int] = []
    for code in codes:
        unit_id = by_code.get(code.strip().upper())
        if unit_id is None:
            raise ServiceError(N_("There is no active unit {code}."), code=code.strip())
        if unit_id not in ids:
            ids.append(unit_id)
    return tuple(ids)


def check_audience(session: Session, audience: Audience) -> None:
    if audience.kind not in AUDIENCES:
        raise ServiceError(N_("Choose who the message goes to."))
    if audience.kind == "units":
        if not audience.unit_ids:
            raise ServiceError(N_("Choose at least one unit."))
        known = {u.id for u in active_units(session)}
        if not set(audience.unit_ids) <= known:
            raise ServiceError(N_("One of the chosen units is no longer active."))


def _wants(audience: Audience) -> tuple[bool, bool]:
    liaisons = audience.kind in ("liaisons", "all", "units")
    inspectors = audience.kind in ("inspectors", "all", "units")
    return liaisons, inspectors


def recipients(session: Session, audience: Audience) -> list[Recipient]:
    units = {u.id: u for u in active_units(session)}
    chosen = set(audience.unit_ids) if audience.kind == "units" else set(units)
    liaisons, inspectors = _wants(audience)
    conditions: list[ColumnElement[bool]] = []
    if liaisons:
        conditions.append(User.liaison_unit_id.in_(chosen))
    if inspectors:
        conditions.append(and_(Inspector.active, Inspector.unit_id.in_(chosen)))
    stmt = (
        select(User, Inspector.unit_id)
        .outerjoin(Inspector, Inspector.id == User.inspector_id)
        .where(User.active, or_(*conditions))
        .order_by(User.id)
    )
    found: list[Recipient] = []
    for user, inspector_unit in session.execute(stmt):
        is_liaison = liaisons and user.liaison_unit_id in chosen
        is_inspector = inspectors and inspector_unit in chosen
        roles = [r for r, held in (("liaison", is_liaison), ("inspector", is_inspector)) if held]
        unit_id = user.liaison_unit_id if is_liaison else inspector_unit
        found.append(
            Recipient(
                user_id=user.id,
                telegram_id=user.telegram_id,
                name=user.name,
                locale=user.locale,
                role="+".join(roles),
                unit=units[unit_id].name if unit_id in units else "",
            )
        )
    return found


def unreachable(session: Session, audience: Audience) -> list[Unreachable]:
    units = {u.id: u for u in active_units(session)}
    chosen = set(audience.unit_ids) if audience.kind == "units" else set(units)
    liaisons, inspectors = _wants(audience)
    missing: list[Unreachable] = []
    if liaisons:
        with_liaison = set(
            session.execute(
                select(User.liaison_unit_id).where(User.active, User.liaison_unit_id.in_(chosen))
            ).scalars()
        )
        missing += [
            Unreachable(units[u].name, None)
            for u in sorted(chosen - with_liaison, key=lambda u: units[u].code)
        ]
    if inspectors:
        linked = select(User.inspector_id).where(User.active, User.inspector_id.is_not(None))
        stmt = (
            select(Inspector.unit_id, Inspector.name)
            .where(Inspector.active, Inspector.unit_id.in_(chosen), Inspector.id.not_in(linked))
            .order_by(Inspector.unit_id, Inspector.id)
        )
        missing += [Unreachable(units[u].name, name) for u, name in session.execute(stmt)]
    return missing
