"""Changing a register by hand in the chat: one field of a record, deactivating or
reactivating it, adding one record.

A value typed in the chat is checked exactly as an Excel cell of the same column is
(``bot.domain.registers.validation``); a date may also be typed as people type them
(``bot.domain.dates``: 6.1, 6月1日, a range whose end is meant). Every change is written
as an import writes its changes (storage.registers_write: the change log with before and
after, source "manual") with an audit entry, in one unit of work. Who may: the office any
unit, a liaison only their own (docs/architecture.md §9).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.domain import dates
from bot.domain.reasons import REASONS
from bot.domain.registers.diff import (
    ENTITY_FACTS,
    STORED,
    TAKEN_ELSEWHERE,
    TAKEN_IN_UNIT,
    UNIQUE_IN_UNIT,
    Change,
    ImportRow,
    Record,
)
from bot.domain.registers.records import BLANK_MEANS, NEVER_BLANK, NEW_DEFAULTS
from bot.domain.registers.specs import FieldKind, FieldSpec, Register
from bot.domain.registers.validation import (
    Problem,
    RowContext,
    kind_from_uscc,
    spec_of,
    validate_row,
)
from bot.i18n import N_
from bot.services.errors import ServiceError
from bot.services.people.membership import unit_for
from bot.services.people.profiles import Profile
from bot.services.registers import lookup
from bot.services.registers.import_support import diff_now, label, lock_registers, register_of
from storage import audit
from storage import registers_repo as repo
from storage import registers_write as writes
from storage.db import Database, reading
from storage.models import Entity, Inspector, Unit

MANUAL: Final = "manual"
# What each register asks when a record is added in the chat, in order (the first is
# required; the others may be skipped). The rest is changed on the record's page.
ASKED: Final[Mapping[Register, tuple[str, ...]]] = {
    Register.ENTITIES: ("name", "uscc", "kind", "address"),
    Register.INSPECTORS: ("name", "cert_no", "cert_expires"),
    Register.MATTERS: ("name", "code", "target_kind", "method"),
}


class InvalidValue(ServiceError):  # noqa: N818 - a refusal, like ServiceError
    """A typed value the column does not accept: ``reason`` (a code of bot.domain.reasons
    or bot.domain.dates) and its parameters; the sentence is the reason's."""

    def __init__(self, reason: str, params: Mapping[str, object]) -> None:
        sentence = REASONS.get(reason) or dates.REASONS.get(reason) or reason
        super().__init__(sentence, **{k: str(v) for k, v in params.items()})
        self.reason = reason


@dataclass(frozen=True)
class Checked:
    """A value ready to be written: the field, the value before and after, and the
    warnings an import would give it (reason, params)."""

    key: str
    before: object
    after: object
    warnings: tuple[tuple[str, Mapping[str, str]], ...] = ()
    shared: bool = False  # an entity's shared fact: other units' directories see it too


@dataclass(frozen=True)
class Done:
    page: lookup.RecordPage
    before: Mapping[str, object]
    after: Mapping[str, object]
    warnings: tuple[tuple[str, Mapping[str, str]], ...] = field(default=())


def editable(kind: str) -> tuple[FieldSpec, ...]:
    """The fields a person may change, in the register's order."""
    register = register_of(kind)
    return tuple(f for f in spec_of(register).fields if f.key in STORED[register])


def clearable(kind: str, key: str) -> bool:
    """Whether a field may be left empty (a blank cell means something for some)."""
    spec = _field(register_of(kind), key)
    return not spec.required and key not in NEVER_BLANK


def unit_code_of(database: Database, actor: Profile, code: str) -> str:
    """The code of a unit whose directory ``actor`` may change, or a refusal."""
    lookup.require_reader(actor)
    with reading(database) as session:
        return unit_for(session, actor, code).code


def _field(register: Register, key: str) -> FieldSpec:
    if key not in STORED[register]:
        raise ServiceError(N_("That field cannot be changed here."))
    return spec_of(register).field(key)


# --- one value, as an import reads a cell ---------------------------------------------------


def parse_value(kind: str, key: str, typed: str | None, today: date) -> Checked:
    """The value of one field as typed (None: clear it), or InvalidValue with the reason
    an import would give the same cell. ``before`` is left None."""
    register = register_of(kind)
    spec = _field(register, key)
    raw: object = typed.strip() if typed is not None else None
    if raw == "":
        raw = None
    if raw is None:
        return _blank(spec)
    ctx = RowContext(today)
    result = validate_row(register, {key: raw}, ctx)  # type: ignore[dict-item]
    if result.errors and spec.kind is FieldKind.DATE and isinstance(raw, str):
        # As people type a day (6.1, 6月1日) or a validity period (its end is meant).
        try:
            span = dates.parse_span(raw, today)
        except dates.TypedDateError as error:
            raise InvalidValue(error.reason, error.params) from None
        result = validate_row(register, {key: span.end}, ctx)
    if result.errors:
        problem = result.errors[0]
        raise InvalidValue(problem.reason, problem.params)
    value = result.values.get(key)
    if value is None and key == "uscc":
        # An old registration number typed where the code goes: an import keeps it as
        # the registration number; here the person says which field they meant.
        raise ServiceError(
            N_(
                "This is a 15-digit registration number, not a unified social credit code:"
                " change the registration number (注册号) instead."
            )
        )
    return Checked(key, None, value, _warnings(result.warnings))


def _blank(spec: FieldSpec) -> Checked:
    if spec.required or spec.key in NEVER_BLANK:
        raise InvalidValue("field.required", {})
    return Checked(spec.key, None, BLANK_MEANS.get(spec.key))


def _warnings(problems: list[Problem]) -> tuple[tuple[str, Mapping[str, str]], ...]:
    return tuple((p.reason, dict(p.params)) for p in problems)


# --- changing one field ---------------------------------------------------------------------


def check_change(
    database: Database,
    actor: Profile,
    kind: str,
    record_id: int,
    key: str,
    typed: str | None,
    today: date,
) -> Checked:
    """What changing the field to the typed value would do (nothing is written)."""
    register = register_of(kind)
    with reading(database) as session:
        record, unit = lookup.load_record(session, actor, register, record_id)
        return _checked(session, actor, register, record, unit, key, typed, today)


def _checked(
    session: Session,
    actor: Profile,
    register: Register,
    record: Record,
    unit: Unit,
    key: str,
    typed: str | None,
    today: date,
) -> Checked:
    if key == "risk_class" and not lookup.sees_risk(actor, unit.id):
        raise ServiceError(N_("That field cannot be changed here."))
    checked = parse_value(register.value, key, typed, today)
    before = record.values.get(key)
    if checked.after == before:
        raise ServiceError(N_("That is the value it already has: nothing to change."))
    if checked.after is not None:
        _refuse_taken(session, register, unit, record, key, checked.after)
    shared = record.shared and key in ENTITY_FACTS
    return Checked(key, before, checked.after, checked.warnings, shared)


def _refuse_taken(
    session: Session, register: Register, unit: Unit, record: Record | None, key: str, value: object
) -> None:
    """A value the database keeps unique, held by another record."""
    own = record.id if record is not None else None
    if key in UNIQUE_IN_UNIT[register]:
        table = repo.TABLE_OF[register]
        holder = session.execute(
            select(table.c.id).where(
                table.c.unit_id == unit.id, table.c[repo.column(key)] == value, table.c.id != own
            )
        ).scalar()
        if holder is not None:
            held = repo.load_records(session, register, unit.id, ids={int(holder)})[0]
            raise InvalidValue(TAKEN_IN_UNIT, {"holder": held.values.get("name") or holder})
    if register is Register.INSPECTORS and key == "cert_no":
        other = session.execute(
            select(Unit.code)
            .join(Inspector, Inspector.unit_id == Unit.id)
            .where(Inspector.cert_no == value, Inspector.id != own)
        ).scalar()
        if other is not None:
            raise InvalidValue(TAKEN_ELSEWHERE, {"unit": other})
    if register is Register.ENTITIES and key == "uscc" and record is not None:
        # (A new record with a known USCC is linked to that entity by the diff.)
        mine = record.entity_id
        holder_name = session.execute(
            select(Entity.name).where(Entity.uscc == value, Entity.id != mine)
        ).scalar()
        if holder_name is not None:
            raise ServiceError(
                N_("This code already belongs to “{holder}”: add that entity instead."),
                holder=holder_name,
            )


def change_field(
    database: Database,
    actor: Profile,
    kind: str,
    record_id: int,
    key: str,
    typed: str | None,
    now: datetime,
    today: date,
) -> Done:
    """Change one field: checked again as it is now, written with the change log (before
    and after) and an audit entry."""
    register = register_of(kind)
    with database.unit_of_work() as uow:
        session = uow.session
        lock_registers(session)
        record, unit = lookup.load_record(session, actor, register, record_id)
        checked = _checked(session, actor, register, record, unit, key, typed, today)
        change = Change(None, record, {key: checked.before}, {key: checked.after})
        _write(session, actor, register, unit, change, "record.change", now)
        fresh, _ = lookup.load_record(session, actor, register, record_id)
        page = lookup.page_of(actor, register, fresh, unit)
        uow.commit()
    return Done(page, change.before, change.after, checked.warnings)


def set_active(
    database: Database, actor: Profile, kind: str, record_id: int, active: bool, now: datetime
) -> Done:
    """Deactivate a record (it stays, out of every draw) or reactivate it."""
    register = register_of(kind)
    with database.unit_of_work() as uow:
        session = uow.session
        lock_registers(session)
        record, unit = lookup.load_record(session, actor, register, record_id)
        if record.active == active:
            raise ServiceError(
                N_("This record is already active.")
                if active
                else N_("This record is already deactivated.")
            )
        change = Change(None, record, {"active": record.active}, {"active": active})
        action = "record.activate" if active else "record.deactivate"
        _write(session, actor, register, unit, change, action, now)
        fresh, _ = lookup.load_record(session, actor, register, record_id)
        page = lookup.page_of(actor, register, fresh, unit)
        uow.commit()
    return Done(page, change.before, change.after)


def _write(
    session: Session,
    actor: Profile,
    register: Register,
    unit: Unit,
    change: Change,
    action: str,
    now: datetime,
) -> None:
    stamp = writes.Stamp(unit.id, label(actor), MANUAL, None, now)
    writes.apply_changes(session, register, [change], stamp, UNIQUE_IN_UNIT[register])
    record = change.record
    audit.append(
        session,
        actor=label(actor),
        action=action,
        obj=f"{repo.TABLE_OF[register].name}:{record.id if record else '?'}",
        details={"unit": unit.code, "fields": sorted(change.after)},
        at=now,
    )


# --- adding a record ------------------------------------------------------------------------


def add_record(
    database: Database,
    actor: Profile,
    kind: str,
    unit_code: str,
    typed: Mapping[str, str | None],
    now: datetime,
    today: date,
) -> Done:
    """Add one record from typed values (field key -> text, None skipped): validated as
    an import row, diffed against the unit's directory as an import is (an entity whose
    USCC another unit holds is linked, never doubled), written with the change log."""
    register = register_of(kind)
    values = _row_values(register, typed, today)
    with database.unit_of_work() as uow:
        session = uow.session
        lock_registers(session)
        lookup.require_reader(actor)
        unit = unit_for(session, actor, unit_code)
        change = _new_change(session, register, unit, values)
        _write(session, actor, register, unit, change, "record.add", now)
        record_id = _created_id(session, register, unit)
        record, _ = lookup.load_record(session, actor, register, record_id)
        page = lookup.page_of(actor, register, record, unit)
        uow.commit()
    return Done(page, {}, dict(change.after))


def _row_values(
    register: Register, typed: Mapping[str, str | None], today: date
) -> dict[str, object]:
    values: dict[str, object] = {}
    for key, text in typed.items():
        if text is None or not text.strip():
            continue
        values[key] = parse_value(register.value, key, text, today).after
    if not values.get("name"):
        raise InvalidValue("field.required", {})
    if register is Register.ENTITIES and not values.get("kind"):
        uscc = values.get("uscc")
        values["kind"] = kind_from_uscc(uscc if isinstance(uscc, str) else None)
        if values["kind"] is None:
            raise ServiceError(
                N_("Say what kind of target this is: it has no unified social credit code to tell.")
            )
    return values


def _new_change(
    session: Session, register: Register, unit: Unit, values: dict[str, object]
) -> Change:
    for key, value in values.items():
        _refuse_taken(session, register, unit, None, key, value)
    row = ImportRow(1, {**NEW_DEFAULTS[register], **values}, False)
    found = diff_now(session, register, "update", unit.id, [row])
    errors = [p for p in found.problems if p.severity == "error"]
    if errors:
        problem = errors[0].problem
        raise InvalidValue(problem.reason, problem.params)
    if not found.new:
        raise ServiceError(
            N_("This record is already in the directory: find it with /find and change it there.")
        )
    return found.new[0]


def _created_id(session: Session, register: Register, unit: Unit) -> int:
    """The record just added: ids are reserved upwards, so the unit's highest."""
    table = repo.TABLE_OF[register]
    found = session.execute(select(func.max(table.c.id)).where(table.c.unit_id == unit.id)).scalar()
    assert found is not None
    return int(found)
