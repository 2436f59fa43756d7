"""Declared conflicts of interest (回避): an inspector and a market entity they must not
inspect. The draw reads the same rows (bot/services/draws/pools.py): a team is never
formed with an inspector and a target they declared.

An entity is found by its code — a unified social credit code or an old registration
number, in the whole city's register of entities, since a joint task draws targets from
other units' directories too — or by a fragment of its name within the inspector's own
unit's directory (another unit's directory is not searched by name). What is shown of an
entity is its name, code and address: never a risk class, which stays with the office and
the owning unit.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import Select, or_, select

from bot.i18n import N_
from bot.services.errors import ServiceError
from bot.services.inspectors.records import (
    actor_label,
    inspector_for,
    may_access,
    refusal,
    require_keeper,
    tell_others,
    unit_codes,
)
from bot.services.people.notices import NoticeContext
from bot.services.people.profiles import Profile
from storage import audit
from storage.db import Database, reading
from storage.models import Conflict, Entity, Inspector, UnitEntity

SHOWN: Final = 8  # matches offered at a time
REASON_MAX: Final = 300
# A USCC (18 characters) or an old registration number (13 or 15 digits).
_CODE: Final = re.compile(r"^(?:[0-9A-Z]{18}|\d{13}|\d{15})$")


@dataclass(frozen=True)
class EntityMatch:
    id: int
    name: str
    code: str | None  # the USCC, else the registration number
    address: str | None


@dataclass(frozen=True)
class Found:
    matches: list[EntityMatch]
    more: bool  # more matched than are shown: ask for a longer fragment


@dataclass(frozen=True)
class Declared:
    id: int
    inspector_id: int
    inspector_name: str
    unit_code: str
    entity_id: int
    entity_name: str
    entity_code: str | None
    reason: str | None


# --- finding the entity -----------------------------------------------------------------------


def find_entities(database: Database, actor: Profile, inspector_id: int, text: str) -> Found:
    """Entities by code (anywhere) or by a name fragment (the inspector's unit's directory)."""
    query = unicodedata.normalize("NFKC", text).strip()
    with reading(database) as session:
        inspector = inspector_for(session, actor, inspector_id, write=True)
        code = query.upper().replace(" ", "")
        if _CODE.match(code):
            found = select(Entity).where(or_(Entity.uscc == code, Entity.regno == code))
        else:
            if len(query) < 2:
                raise ServiceError(
                    N_("Send at least two characters of the name, or the entity's full code.")
                )
            found = _by_name(inspector.unit_id, query)
        rows = session.execute(found.limit(50)).scalars().all()
        matches = sorted((_match(e) for e in rows), key=lambda m: (len(m.name), m.name, m.id))
    return Found(matches[:SHOWN], len(matches) > SHOWN)


def _by_name(unit_id: int, fragment: str) -> Select[Any]:
    escaped = fragment.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return (
        select(Entity)
        .join(UnitEntity, UnitEntity.entity_id == Entity.id)
        .where(
            UnitEntity.unit_id == unit_id,
            UnitEntity.active,
            Entity.name.like(f"%{escaped}%", escape="\\"),
        )
    )


def _match(entity: Entity) -> EntityMatch:
    return EntityMatch(entity.id, entity.name, entity.uscc or entity.regno, entity.address)


# --- declaring and withdrawing ----------------------------------------------------------------


def declare_conflict(
    database: Database,
    actor: Profile,
    inspector_id: int,
    entity_id: int,
    reason: str,
    notices: NoticeContext,
) -> Declared:
    """Record that the inspector must not inspect the entity, and why."""
    cleaned = reason_form(reason)
    with database.unit_of_work() as uow:
        session = uow.session
        inspector = inspector_for(session, actor, inspector_id, write=True)
        entity = session.get(Entity, entity_id)
        if entity is None:
            raise ServiceError(N_("That entity is no longer in the register."))
        taken = session.execute(
            select(Conflict.id).where(
                Conflict.inspector_id == inspector.id, Conflict.entity_id == entity.id
            )
        ).first()
        if taken:
            raise ServiceError(
                N_("A conflict of {name} with {entity} is already recorded."),
                name=inspector.name,
                entity=entity.name,
            )
        row = Conflict(
            inspector_id=inspector.id,
            entity_id=entity.id,
            reason=cleaned,
            created_by=actor.user_id,
            created_at=notices.now,
        )
        session.add(row)
        session.flush()
        change = audit.append(
            session,
            actor=actor_label(actor),
            action="conflict.declare",
            obj=f"inspector:{inspector.id}",
            details={"conflict": row.id, "entity": entity.id, "reason": cleaned},
            at=notices.now,
        )
        tell_others(
            session,
            actor,
            inspector,
            f"conflict:{row.id}:{change.id}",
            (
                N_(
                    "{who} recorded a conflict of interest for you with {entity}: you will not "
                    "be drawn to inspect it. See /conflicts."
                ),
                N_("{name} declared a conflict of interest with {entity}. See /conflicts."),
            ),
            notices,
            who=actor.name,
            name=inspector.name,
            entity=entity.name,
        )
        declared = _declared(row, inspector, entity, unit_codes(session, {inspector.unit_id}))
        uow.commit()
        return declared


def reason_form(reason: str) -> str:
    """The reason as stored, or a refusal (the chat checks it before asking to confirm)."""
    cleaned = " ".join(reason.split())
    if not cleaned or len(cleaned) > REASON_MAX:
        raise ServiceError(
            N_("Say why in a few words (at most {max} characters), like 亲属关系."),
            max=REASON_MAX,
        )
    return cleaned


def conflicts(database: Database, actor: Profile) -> list[Declared]:
    """Declared conflicts the actor may read: their own, their unit's (a liaison), every
    one (the office)."""
    if not actor.is_office:
        require_keeper(actor)
    query = (
        select(Conflict, Inspector, Entity)
        .join(Inspector, Inspector.id == Conflict.inspector_id)
        .join(Entity, Entity.id == Conflict.entity_id)
    )
    if not actor.is_office:
        mine = Inspector.id == actor.inspector_id
        if actor.liaison_unit_id is not None:
            mine = mine | (Inspector.unit_id == actor.liaison_unit_id)
        query = query.where(mine)
    with reading(database) as session:
        rows = session.execute(query).all()
        codes = unit_codes(session, {inspector.unit_id for _, inspector, _ in rows})
        found = [_declared(c, i, e, codes) for c, i, e in rows]
    return sorted(found, key=lambda d: (d.unit_code, d.inspector_name, d.entity_name, d.id))


def withdraw_conflict(
    database: Database, actor: Profile, conflict_id: int, notices: NoticeContext
) -> Declared:
    with database.unit_of_work() as uow:
        session = uow.session
        row = session.get(Conflict, conflict_id)
        if row is None:
            require_keeper(actor)
            raise ServiceError(N_("That declaration is no longer recorded."))
        inspector = session.get(Inspector, row.inspector_id)
        entity = session.get(Entity, row.entity_id)
        if inspector is None or entity is None or not may_access(actor, inspector, write=True):
            raise refusal(actor)
        declared = _declared(row, inspector, entity, unit_codes(session, {inspector.unit_id}))
        session.delete(row)
        change = audit.append(
            session,
            actor=actor_label(actor),
            action="conflict.withdraw",
            obj=f"inspector:{inspector.id}",
            details={"conflict": row.id, "entity": entity.id, "reason": row.reason},
            at=notices.now,
        )
        tell_others(
            session,
            actor,
            inspector,
            f"conflict-withdraw:{declared.id}:{change.id}",
            (
                N_("{who} withdrew your declared conflict of interest with {entity}."),
                N_("{name} withdrew a declared conflict of interest with {entity}."),
            ),
            notices,
            who=actor.name,
            name=inspector.name,
            entity=entity.name,
        )
        uow.commit()
        return declared


def _declared(
    row: Conflict, inspector: Inspector, entity: Entity, codes: dict[int, str]
) -> Declared:
    return Declared(
        row.id,
        inspector.id,
        inspector.name,
        codes[inspector.unit_id],
        entity.id,
        entity.name,
        entity.uscc or entity.regno,
        row.reason,
    )
