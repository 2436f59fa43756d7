"""Finding and reading one record of a register in the chat: search by a code, a name
fragment or a certificate number; a record's page; its history from the change log.

Access (the issue "一单两库", parts 3 and 9): the office reads every unit's registers; a
liaison reads only their own unit's; nobody else reads them here. A risk class is shown
only to the office and the unit that owns the record. Writes are
bot.services.registers.edits.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from bot.domain.registers.records import IDENTIFIERS, STORED, Record
from bot.domain.registers.specs import Register
from bot.domain.registers.validation import spec_of
from bot.i18n import N_
from bot.services.errors import NotAllowedError, ServiceError
from bot.services.people.profiles import Profile
from bot.services.registers.import_support import register_of
from storage import registers_repo as repo
from storage.db import Database, reading
from storage.models import Entity, Inspector, Matter, RecordChange, Unit, UnitEntity, User

# How many hits a search returns at most (the chat pages them).
MAX_HITS: Final = 40
# The shortest name fragment searched for (one Chinese character finds too much).
MIN_FRAGMENT: Final = 2
# The change log's sources, in the order a person reads them.
SOURCES: Final = ("import", "undo", "manual")


@dataclass(frozen=True)
class Hit:
    """One record a search found."""

    kind: str
    id: int
    unit_code: str
    name: str
    key: str | None  # its strongest code (USCC, certificate number, matter code), if any
    active: bool


@dataclass(frozen=True)
class RecordPage:
    """One record as its reader may see it: domain values by field key, in the register's
    order (no risk class for a reader outside the office and the owning unit)."""

    kind: str
    id: int
    unit_id: int
    unit_code: str
    unit_name: str
    active: bool
    values: Mapping[str, object]
    shared: bool  # entities: another unit's directory holds the same entity

    @property
    def name(self) -> str:
        return str(self.values.get("name") or "")


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    who: str  # a person's name, or "cli" / the label the log keeps
    source: str  # import, undo, manual
    before: Mapping[str, object] | None  # None: the record was created
    after: Mapping[str, object] | None


# --- access ---------------------------------------------------------------------------------


def require_reader(actor: Profile) -> None:
    """The office or a liaison: the people who keep or read the registers."""
    if not actor.is_office and actor.liaison_unit_id is None:
        raise NotAllowedError(N_("Only the office or a unit's liaison can do this."))


def require_unit(actor: Profile, unit_id: int) -> None:
    if actor.is_office or actor.liaison_unit_id == unit_id:
        return
    raise NotAllowedError(N_("You can only manage your own unit."))


def sees_risk(actor: Profile, unit_id: int) -> bool:
    return actor.is_office or actor.liaison_unit_id == unit_id


# --- searching ------------------------------------------------------------------------------


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def query_form(text: str) -> str:
    """What was typed, as it is compared: NFKC (full-width made half-width), trimmed."""
    return unicodedata.normalize("NFKC", text).strip()


def find_records(
    database: Database, actor: Profile, text: str, kind: str | None = None
) -> list[Hit]:
    """Records whose code (USCC, registration or local number, certificate number, matter
    code) is what was typed, or begins with it, or whose name contains it: the actor's
    unit's for a liaison, every unit's for the office. Exact codes first, then by name."""
    require_reader(actor)
    typed = query_form(text)
    if len(typed) < MIN_FRAGMENT:
        raise ServiceError(
            N_("Type at least {count} characters of a code, a name or a certificate number."),
            count=MIN_FRAGMENT,
        )
    registers = [register_of(kind)] if kind else list(Register)
    unit_id = None if actor.is_office else actor.liaison_unit_id
    hits: list[tuple[int, Hit]] = []
    with reading(database) as session:
        for register in registers:
            hits.extend(_search(session, register, typed, unit_id))
    hits.sort(key=lambda pair: (pair[0], not pair[1].active, pair[1].name, pair[1].id))
    return [hit for _, hit in hits[:MAX_HITS]]


def _search(
    session: Session, register: Register, typed: str, unit_id: int | None
) -> list[tuple[int, Hit]]:
    code = typed.upper().replace(" ", "")
    query, key_columns, name_column = _search_query(register)
    conditions = [name_column.ilike(_like(typed), escape="\\")]
    conditions += [c.like(f"{_like(code)[1:]}", escape="\\") for c in key_columns]
    query = query.where(or_(*conditions))
    if unit_id is not None:
        query = query.where(Unit.id == unit_id)
    found = []
    for row in session.execute(query.limit(MAX_HITS)).all():
        record_id, active, unit_code, name, *keys = row
        exact = any(k == code for k in keys if k)
        key = next((k for k in keys if k), None)
        hit = Hit(register.value, record_id, unit_code, name, key, bool(active))
        found.append((0 if exact else 1, hit))
    return found


def _search_query(register: Register) -> tuple[Select[Any], list[Any], Any]:
    """The query of a register's records with their unit, the key columns and the name."""
    if register is Register.ENTITIES:
        keys: list[Any] = [Entity.uscc, Entity.regno, UnitEntity.local_no]
        query = (
            select(UnitEntity.id, UnitEntity.active, Unit.code, Entity.name, *keys)
            .join(Entity, Entity.id == UnitEntity.entity_id)
            .join(Unit, Unit.id == UnitEntity.unit_id)
        )
        return query, keys, Entity.name
    if register is Register.INSPECTORS:
        keys = [Inspector.cert_no, Inspector.local_no]
        query = select(Inspector.id, Inspector.active, Unit.code, Inspector.name, *keys).join(
            Unit, Unit.id == Inspector.unit_id
        )
        return query, keys, Inspector.name
    keys = [Matter.code]
    query = select(Matter.id, Matter.active, Unit.code, Matter.name, *keys).join(
        Unit, Unit.id == Matter.unit_id
    )
    return query, keys, Matter.name


# --- one record -----------------------------------------------------------------------------


def unit_of_record(session: Session, register: Register, record_id: int) -> int | None:
    table = repo.TABLE_OF[register]
    found = session.execute(select(table.c.unit_id).where(table.c.id == record_id)).scalar()
    return int(found) if found is not None else None


def load_record(
    session: Session, actor: Profile, register: Register, record_id: int
) -> tuple[Record, Unit]:
    """The record and its unit, if ``actor`` may read it (never saying whose it is
    otherwise)."""
    require_reader(actor)
    unit_id = unit_of_record(session, register, record_id)
    if unit_id is None:
        raise ServiceError(N_("That record is no longer in the directory."))
    require_unit(actor, unit_id)
    unit = session.get(Unit, unit_id)
    assert unit is not None
    with_shared = register is Register.ENTITIES
    records = repo.load_records(
        session, register, unit_id, with_shared=with_shared, ids={record_id}
    )
    return records[0], unit


def page_of(actor: Profile, register: Register, record: Record, unit: Unit) -> RecordPage:
    keys = [f.key for f in spec_of(register).fields if f.key in STORED[register]]
    values = {k: record.values.get(k) for k in keys}
    if not sees_risk(actor, unit.id):
        values.pop("risk_class", None)
    return RecordPage(
        register.value,
        record.id,
        unit.id,
        unit.code,
        unit.name,
        record.active,
        values,
        record.shared,
    )


def view_record(database: Database, actor: Profile, kind: str, record_id: int) -> RecordPage:
    register = register_of(kind)
    with reading(database) as session:
        record, unit = load_record(session, actor, register, record_id)
        return page_of(actor, register, record, unit)


# --- history --------------------------------------------------------------------------------


def history(
    database: Database, actor: Profile, kind: str, record_id: int, limit: int = 20
) -> tuple[RecordPage, list[HistoryEntry]]:
    """The record's changes, newest first: its own rows in the change log and, for an
    entity, the changes to the entity's shared facts."""
    register = register_of(kind)
    with reading(database) as session:
        record, unit = load_record(session, actor, register, record_id)
        page = page_of(actor, register, record, unit)
        table = repo.TABLE_OF[register].name
        wanted = [(RecordChange.table_name == table) & (RecordChange.record_id == record_id)]
        if record.entity_id is not None:
            wanted.append(
                (RecordChange.table_name == repo.ENTITIES.name)
                & (RecordChange.record_id == record.entity_id)
            )
        rows = (
            session.execute(
                select(RecordChange)
                .where(or_(*wanted))
                .order_by(RecordChange.id.desc())
                .limit(limit)
            )
            .scalars()
            .all()
        )
        names = _names(session, [r.actor for r in rows])
        hidden = () if sees_risk(actor, unit.id) else ("risk_class",)
        entries = [
            HistoryEntry(
                r.at,
                names.get(r.actor, r.actor),
                r.source,
                _shown(r.before, hidden),
                _shown(r.after, hidden),
            )
            for r in rows
        ]
    return page, entries


_NOT_FIELDS: Final = frozenset({"updated_at", "entity_id", "new_entity"})


def _shown(values: Mapping[str, Any] | None, hidden: Sequence[str]) -> dict[str, object] | None:
    if values is None:
        return None
    return {
        k: repo.from_json(k, v)
        for k, v in values.items()
        if k not in _NOT_FIELDS and k not in hidden
    }


def _names(session: Session, labels: Sequence[str]) -> dict[str, str]:
    """tg:<id> labels of the change log -> the people's names."""
    ids = {int(label[3:]) for label in labels if label.startswith("tg:") and label[3:].isdigit()}
    if not ids:
        return {}
    rows = session.execute(select(User.telegram_id, User.name).where(User.telegram_id.in_(ids)))
    return {f"tg:{tid}": name for tid, name in rows if name}


def key_of(register: Register, values: Mapping[str, object]) -> str | None:
    for key in IDENTIFIERS[register]:
        value = values.get(key)
        if value:
            return str(value)
    return None
