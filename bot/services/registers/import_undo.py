"""Undoing the last applied import of a directory, from its change log.

Every change an import made is in record_changes with the values before and after, so
undo puts the before-values back, deletes what the import created (deactivates it when
something points at it: a draw, a user, a task), and leaves an entity another unit's
directory also holds alone: only this unit's view of it goes. It refuses when anything
changed one of those records since (another import, an edit): undoing would silently
throw that change away. Undo writes its own change log rows (source ``undo``) and one
audit entry; the import is then ``undone``, and the import before it becomes the last.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.registers.diff import UNIQUE_IN_UNIT
from bot.domain.registers.validation import Register
from bot.i18n import N_
from bot.services.people.membership import unit_for
from bot.services.people.profiles import Profile
from bot.services.registers.import_support import ImportRefused, label, lock_registers, register_of
from storage import audit, bulk
from storage import registers_repo as repo
from storage import registers_write as writes
from storage.db import Database
from storage.models import Import
from storage.registers_write import LoggedChange


@dataclass(frozen=True)
class UndoResult:
    import_id: int
    unit_code: str
    kind: str
    file_name: str
    restored: int  # changed records (and shared entity facts) put back as they were
    deleted: int  # records the import had created, now gone
    deactivated: int  # records it had created that something points at: kept, inactive
    undone_at: datetime


def undo_last_import(
    database: Database, actor: Profile | None, unit_code: str, kind: str, now: datetime
) -> UndoResult:
    register = register_of(kind)
    with database.unit_of_work() as uow:
        session = uow.session
        lock_registers(session)
        unit = unit_for(session, actor, unit_code)
        row = session.execute(
            select(Import)
            .where(
                Import.unit_id == unit.id,
                Import.kind == register.value,
                Import.status == "applied",
            )
            .order_by(Import.applied_at.desc(), Import.id.desc())
            .limit(1)
            .with_for_update()
        ).scalar_one_or_none()
        if row is None:
            raise ImportRefused(
                "nothing",
                N_("No import of this directory of {unit} is left to undo."),
                unit=unit.code,
            )
        changes = writes.changes_of_import(session, row.id)
        if changes:
            later = writes.later_changes(session, max(c.id for c in changes), _touched(changes))
            if later:
                first = later[0]
                raise ImportRefused(
                    "changed_since",
                    N_(
                        "The import of {file} cannot be undone: {count} of its records"
                        " changed since, first {key} (by {actor} on {at}). Change them back"
                        " by hand or import the directory again."
                    ),
                    file=row.file_name,
                    count=len({(c.table, c.record_id) for c in later}),
                    key=first.key,
                    actor=first.actor,
                    at=first.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"),
                )
        stamp = writes.Stamp(unit.id, label(actor), "undo", row.id, now)
        restored, deleted, deactivated = _revert(session, register, changes, stamp)
        row.status = "undone"
        audit.append(
            session,
            actor=stamp.actor,
            action="import.undo",
            obj=f"import:{row.id}",
            details={
                "unit": unit.code,
                "kind": register.value,
                "file": row.file_name,
                "restored": restored,
                "deleted": deleted,
                "deactivated": deactivated,
            },
            at=now,
        )
        result = UndoResult(
            row.id,
            unit.code,
            register.value,
            row.file_name,
            restored,
            deleted,
            deactivated,
            now,
        )
        uow.commit()
        return result


def _touched(changes: Sequence[LoggedChange]) -> set[tuple[str, int]]:
    """The records an import changed: its log rows' records, and the entities it
    created (logged in the row of the unit's view of them)."""
    touched = {(c.table, c.record_id) for c in changes}
    for c in changes:
        if c.before is None and c.after and c.after.get("new_entity"):
            touched.add(("entities", int(c.after["entity_id"])))
    return touched


def _domain(values: dict[str, Any]) -> dict[str, object]:
    return {k: repo.from_json(k, v) for k, v in values.items()}


def _revert(
    session: Session, register: Register, changes: Sequence[LoggedChange], stamp: writes.Stamp
) -> tuple[int, int, int]:
    """Put the import's changes back; return (restored, deleted, deactivated)."""
    log: list[tuple[object, ...]] = []
    table = repo.TABLE_OF[register]
    updates = [c for c in changes if c.before is not None and c.after is not None]
    created = [c for c in changes if c.before is None and c.after is not None]
    # Free the unique values first: the import may have swapped numbers between records.
    for key in UNIQUE_IN_UNIT[register]:
        moving = [c.record_id for c in updates if c.table == table.name and key in (c.before or {})]
        for part in bulk.chunks(moving):
            session.execute(
                table.update().where(table.c.id.in_(part)).values({repo.column(key): None})
            )
    for name in {c.table for c in updates}:
        target = repo.ENTITIES if name == "entities" else table
        writes.update_fields(
            session,
            target,
            [(c.record_id, _domain(c.before or {})) for c in updates if c.table == name],
        )
    for c in updates:
        before = {k: v for k, v in (c.before or {}).items() if k != "updated_at"}
        log.append(writes.log_row(stamp, c.table, c.record_id, c.key, c.after, before))
    ids = [c.record_id for c in created]
    keep = set() if register is Register.ENTITIES else writes.referenced(session, table.name, ids)
    writes.delete_rows(session, table, [i for i in ids if i not in keep])
    if keep:
        session.execute(
            table.update()
            .where(table.c.id.in_(sorted(keep)))
            .values(active=False, updated_at=stamp.at)
        )
    for c in created:
        if c.record_id in keep:
            log.append(
                writes.log_row(
                    stamp, c.table, c.record_id, c.key, {"active": True}, {"active": False}
                )
            )
        else:
            log.append(writes.log_row(stamp, c.table, c.record_id, c.key, c.after, None))
    if register is Register.ENTITIES:
        # An entity the import created goes with the unit's view of it, unless another
        # unit's directory (or a draw, or a declared conflict) holds it by now.
        entities = [
            int(c.after["entity_id"]) for c in created if c.after and c.after.get("new_entity")
        ]
        held = writes.referenced(session, "entities", entities)
        writes.delete_rows(session, repo.ENTITIES, [e for e in entities if e not in held])
    writes.write_log(session, log)
    return len(updates), len(created) - len(keep), len(keep)
