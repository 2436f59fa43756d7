"""Writing a directory's changes in bulk, with their change log (record_changes), and
reading that log back for undo.

Values come in the domain's form (bot.domain.registers.diff's changes); the conversion to
columns is storage.registers_repo's. Nothing here commits: the unit of work does.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Table, delete, select, update
from sqlalchemy.orm import Session

from bot.domain.registers.diff import ENTITY_FACTS, Change, record_key
from bot.domain.registers.specs import Register
from storage import bulk
from storage.models import (
    Assignment,
    Conflict,
    Import,
    Invite,
    Task,
    TeamMember,
    Unavailability,
    User,
)
from storage.registers_repo import (
    CHANGES,
    CONVERTED,
    ENTITIES,
    TABLE_OF,
    VIEW_FIELDS,
    VIEWS,
    column,
    stamps,
    to_db,
    to_json,
)

# --- writing an import ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Stamp:
    """Who, when and from where: every change log row carries it."""

    unit_id: int
    actor: str
    source: str  # "import", "undo" or "manual" (one record added by hand)
    import_id: int | None
    at: datetime


_LOG_COLUMNS: Final = (
    "table_name",
    "record_id",
    "unit_id",
    "key",
    "before",
    "after",
    "actor",
    "source",
    "import_id",
    "at",
)
_STAMPED: Final = frozenset({"cert_expires", "updated_at"})


def jsonable(values: Mapping[str, object] | None) -> Mapping[str, object] | None:
    """Values as the change log's JSON holds them (tuples become arrays by themselves):
    a dict of plain values as it is (written once, never changed: no copy of 100k rows)."""
    if values is None:
        return None
    if _STAMPED.isdisjoint(values):
        return values if isinstance(values, dict) else dict(values)
    return {k: to_json(v) for k, v in values.items()}


def log_row(
    stamp: Stamp,
    table: str,
    record_id: int,
    key: str,
    before: Mapping[str, object] | None,
    after: Mapping[str, object] | None,
) -> tuple[object, ...]:
    return (
        str(table),  # a table's name is a quoted_name, which the driver would adapt per row
        record_id,
        stamp.unit_id,
        key,
        jsonable(before),
        jsonable(after),
        stamp.actor,
        stamp.source,
        stamp.import_id,
        stamp.at,
    )


def write_log(session: Session, log: Iterable[tuple[object, ...]]) -> None:
    bulk.insert_many(session, CHANGES, _LOG_COLUMNS, log)


def _db_row(keys: Sequence[str], values: Mapping[str, object]) -> list[object]:
    row = list(map(values.get, keys))
    for i, key in enumerate(keys):
        if key in CONVERTED:
            row[i] = to_db(key, row[i])
    return row


def update_fields(
    session: Session, table: Table, updates: Sequence[tuple[int, Mapping[str, object]]]
) -> None:
    """Set changed fields (domain keys) of many rows, grouped by which fields change."""
    groups: dict[tuple[str, ...], list[list[object]]] = {}
    for record_id, values in updates:
        keys = tuple(sorted(values))
        groups.setdefault(keys, []).append([*_db_row(keys, values), record_id])
    for keys, rows in groups.items():
        bulk.update_many(session, table, [column(k) for k in keys], rows)


def _insert(
    session: Session,
    table: Table,
    ids: Sequence[int],
    rows: Sequence[Mapping[str, object]],
    fixed: Mapping[str, object],
    *,
    only: frozenset[str] | None = None,
    extra: tuple[str, Sequence[object]] | None = None,
) -> None:
    """Insert rows of domain values with the given ids; ``only``: the keys to take from
    each row (all by default); ``extra``: a column and its value for each row; ``fixed``:
    columns set alike for all."""
    keys: dict[str, None] = {}
    last: object = None
    for row in rows:
        if row.keys() != last:  # files give every row the same keys: usually once
            keys.update(dict.fromkeys(row))
            last = row.keys()
    ordered = [k for k in keys if only is None or k in only]
    converted = [i + 1 for i, k in enumerate(ordered) if k in CONVERTED]
    columns = ["id", *(column(k) for k in ordered)]
    extras: Iterable[object] = itertools.repeat(None, len(ids))
    if extra is not None:
        columns.append(extra[0])
        extras = extra[1]

    def lines() -> Iterator[list[object]]:
        # Made as insert_many takes them, batch by batch: 100k lines need not all exist.
        for record_id, row, value in zip(ids, rows, extras, strict=True):
            line = [record_id, *map(row.get, ordered)]
            for i in converted:
                line[i] = to_db(ordered[i - 1], line[i])
            if extra is not None:
                line.append(value)
            yield line

    bulk.insert_many(session, table, columns, lines(), fixed)


def _release_unique(
    session: Session,
    table: Table,
    updates: Sequence[tuple[int, Mapping[str, object], Mapping[str, object], str]],
    unique: Sequence[str],
) -> None:
    """Free the unique values the updates change before setting the new ones, so that two
    records may swap numbers (the constraints are checked row by row)."""
    for key in unique:
        moving = [rid for rid, before, after, _ in updates if key in after and before.get(key)]
        for part in bulk.chunks(moving):
            session.execute(update(table).where(table.c.id.in_(part)).values({column(key): None}))


def apply_changes(
    session: Session,
    register: Register,
    changes: Sequence[Change],
    stamp: Stamp,
    unique: Sequence[str],
) -> int:
    """Write a diff's changes and their change log; return the log rows written.

    One log row per record changed or created. A new entity and the unit's view of it
    are one record of the directory: the unit_entities row logs both (the view's fields,
    the entity's facts, ``entity_id`` and ``new_entity``), which is what undo needs.
    """
    log: list[tuple[object, ...]] = []
    now = stamp.at
    table = TABLE_OF[register]
    facts = frozenset(ENTITY_FACTS) if register is Register.ENTITIES else frozenset()
    # (record id, before, after, key) for the directory's rows, and for shared facts.
    updates: list[tuple[int, Mapping[str, object], Mapping[str, object], str]] = []
    fact_updates: list[tuple[int, Mapping[str, object], Mapping[str, object], str]] = []
    created: list[Change] = []
    for change in changes:
        record, link = change.record, change.link
        if record is None:
            created.append(change)
            if link is not None and change.before:
                key = record_key(register, link.values)
                fact_updates.append(
                    (link.entity_id, change.before, _pick(change.after, facts), key)
                )
            continue
        key = record_key(register, record.values)
        after = change.after
        if facts and not facts.isdisjoint(after):
            assert record.entity_id is not None
            before = _pick(change.before, facts)
            fact_updates.append((record.entity_id, before, _pick(after, facts), key))
            after = _without(after, facts)
            if not after:
                continue
        updates.append((record.id, _without(change.before, facts), after, key))
    # The before-values keep each row's updated_at, so that undo puts that back too.
    fact_stamps = stamps(session, ENTITIES, [eid for eid, _, _, _ in fact_updates])
    row_stamps = stamps(session, table, [rid for rid, _, _, _ in updates])
    fact_updates = [
        (i, {**b, "updated_at": fact_stamps.get(i)}, a, k) for i, b, a, k in fact_updates
    ]
    updates = [(i, {**b, "updated_at": row_stamps.get(i)}, a, k) for i, b, a, k in updates]
    # Shared facts first (a USCC given to an entity that had none), then the directory.
    update_fields(
        session,
        ENTITIES,
        [(eid, {**after, "updated_at": now}) for eid, _, after, _ in fact_updates],
    )
    log.extend(log_row(stamp, "entities", eid, key, b, a) for eid, b, a, key in fact_updates)
    _release_unique(session, table, updates, unique)
    update_fields(
        session, table, [(rid, {**after, "updated_at": now}) for rid, _, after, _ in updates]
    )
    log.extend(log_row(stamp, table.name, rid, key, b, a) for rid, b, a, key in updates)
    write_log(session, log)
    if created:
        _create(session, register, created, stamp)
    return len(log) + len(created)


def _pick(values: Mapping[str, object], keys: frozenset[str]) -> dict[str, object]:
    return {k: v for k, v in values.items() if k in keys}


def _without(values: Mapping[str, object], keys: frozenset[str]) -> dict[str, object]:
    return {k: v for k, v in values.items() if k not in keys} if keys else dict(values)


def _create(session: Session, register: Register, created: Sequence[Change], stamp: Stamp) -> None:
    """Insert the new records, then their change log rows (made batch by batch as they
    are written: 100k of them, each with its values, need not exist at once)."""
    now = stamp.at
    table = TABLE_OF[register]
    fixed = {"active": True, "created_at": now, "updated_at": now}
    if register is not Register.ENTITIES:
        ids = bulk.reserve_ids(session, table, len(created))
        _insert(
            session, table, ids, [c.after for c in created], {"unit_id": stamp.unit_id, **fixed}
        )
        write_log(
            session,
            (
                log_row(stamp, table.name, record_id, record_key(register, c.after), None, c.after)
                for record_id, c in zip(ids, created, strict=True)
            ),
        )
        return
    facts = frozenset(ENTITY_FACTS)
    new_entities = [c.after for c in created if c.link is None]
    entity_ids = bulk.reserve_ids(session, ENTITIES, len(new_entities))
    _insert(
        session,
        ENTITIES,
        entity_ids,
        new_entities,
        {"created_at": now, "updated_at": now},
        only=facts,
    )
    fresh = iter(entity_ids)
    owners = [c.link.entity_id if c.link is not None else next(fresh) for c in created]
    view_ids = bulk.reserve_ids(session, VIEWS, len(created))
    _insert(
        session,
        VIEWS,
        view_ids,
        [c.after for c in created],
        {"unit_id": stamp.unit_id, **fixed},
        only=frozenset(VIEW_FIELDS),
        extra=("entity_id", owners),
    )
    write_log(
        session,
        (
            log_row(
                stamp,
                VIEWS.name,
                vid,
                record_key(register, c.link.values if c.link is not None else c.after),
                None,
                {**c.after, "entity_id": eid, "new_entity": c.link is None},
            )
            for vid, eid, c in zip(view_ids, owners, created, strict=True)
        ),
    )


# --- undo -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LoggedChange:
    id: int
    table: str
    record_id: int
    key: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    actor: str
    source: str
    import_id: int | None
    at: datetime


def _logged(row: Any) -> LoggedChange:
    return LoggedChange(
        row.id,
        row.table_name,
        row.record_id,
        row.key,
        row.before,
        row.after,
        row.actor,
        row.source,
        row.import_id,
        row.at,
    )


def changes_of_import(session: Session, import_id: int) -> list[LoggedChange]:
    """The change log rows an import's apply wrote, in order."""
    c = CHANGES.c
    rows = session.execute(
        select(CHANGES).where(c.import_id == import_id, c.source == "import").order_by(c.id)
    ).all()
    return [_logged(r) for r in rows]


def later_changes(
    session: Session, after_id: int, touched: set[tuple[str, int]]
) -> list[LoggedChange]:
    """Changes logged after ``after_id`` to any of the ``touched`` records, leaving out
    those of imports since undone (their undo put the records back)."""
    c = CHANGES.c
    tables = sorted({t for t, _ in touched})
    rows = session.execute(
        select(CHANGES).where(c.id > after_id, c.table_name.in_(tables)).order_by(c.id)
    ).all()
    found = [_logged(r) for r in rows if (r.table_name, r.record_id) in touched]
    imports = sorted({f.import_id for f in found if f.import_id is not None})
    undone: set[int] = set()
    for part in bulk.chunks(imports):
        undone.update(
            session.execute(
                select(Import.id).where(Import.id.in_(part), Import.status == "undone")
            ).scalars()
        )
    return [f for f in found if f.import_id is None or f.import_id not in undone]


def referenced(session: Session, table: str, ids: Sequence[int]) -> set[int]:
    """Which of these rows something else points at (a draw, a user, a task, another
    unit's directory): undo deactivates those, never deletes them."""
    found: set[int] = set()
    if table == "inspectors":
        sources: list[Any] = [
            User.__table__.c.inspector_id,
            Invite.__table__.c.inspector_id,
            Unavailability.__table__.c.inspector_id,
            Conflict.__table__.c.inspector_id,
            TeamMember.__table__.c.inspector_id,
        ]
    elif table == "entities":
        sources = [
            Assignment.__table__.c.entity_id,
            Conflict.__table__.c.entity_id,
            VIEWS.c.entity_id,
        ]
    elif table == "matters":
        wanted = set(ids)
        for matter_ids in session.execute(select(Task.__table__.c.matter_ids)).scalars():
            found.update(set(matter_ids or ()) & wanted)
        return found
    else:
        return found
    for part in bulk.chunks(list(ids)):
        for source in sources:
            found.update(
                session.execute(select(source).where(source.in_(part)).distinct()).scalars()
            )
    return found


def delete_rows(session: Session, table: Table, ids: Sequence[int]) -> None:
    for part in bulk.chunks(list(ids)):
        session.execute(delete(table).where(table.c.id.in_(part)))
