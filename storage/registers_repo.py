"""The registers' tables in bulk: one SELECT for a unit's directory, Core executemany for
the writes, and the change log (record_changes) that undo reads back.

Values cross this module's boundary in the domain's form (bot.domain.registers.diff: field
keys of bot.domain.registers.columns, tags as tuples, dates as dates); the columns and
their types are this module's business. Nothing here commits: the unit of work does.
"""

from __future__ import annotations

import operator
import sys
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, Final

from sqlalchemy import Select, Table, case, func, select
from sqlalchemy.orm import Session

from bot.domain.registers.diff import (
    BRIEF_FIELDS,
    ENTITY_FACTS,
    KnownEntity,
    Record,
    values_digest,
)
from bot.domain.registers.records import STORED
from bot.domain.registers.specs import Register
from storage import bulk
from storage.models import (
    Entity,
    Inspector,
    Matter,
    RecordChange,
    Unit,
    UnitEntity,
)

ENTITIES: Final[Table] = Entity.__table__  # type: ignore[assignment]
VIEWS: Final[Table] = UnitEntity.__table__  # type: ignore[assignment]
INSPECTORS: Final[Table] = Inspector.__table__  # type: ignore[assignment]
MATTERS: Final[Table] = Matter.__table__  # type: ignore[assignment]
CHANGES: Final[Table] = RecordChange.__table__  # type: ignore[assignment]
# The table holding a register's directory rows (the record ids of register_diff).
TABLE_OF: Final[Mapping[Register, Table]] = {
    Register.ENTITIES: VIEWS,
    Register.INSPECTORS: INSPECTORS,
    Register.MATTERS: MATTERS,
}
# Domain field key -> column, where they differ.
_COLUMN: Final[Mapping[str, str]] = {
    "reg_no": "regno",
    "authority": "registration_authority",
    "ratio": "ratio_permille",
}
_TAGS_AS_TEXT: Final = frozenset({"target_kind", "method"})  # matters: "a,b" in a String
_TAGS_AS_JSON: Final = frozenset({"expertise", "areas"})  # inspectors: JSON lists
_DATES: Final = frozenset({"cert_expires"})
CONVERTED: Final = _TAGS_AS_TEXT | _TAGS_AS_JSON


def column(key: str) -> str:
    return _COLUMN.get(key, key)


def to_db(key: str, value: object) -> object:
    if key in _TAGS_AS_TEXT:
        return ",".join(value) if isinstance(value, tuple | list) and value else None
    if key in _TAGS_AS_JSON:
        return list(value) if isinstance(value, tuple | list) else []
    return value


def from_db(key: str, value: object) -> object:
    if key in _TAGS_AS_TEXT:
        return tuple(value.split(",")) if isinstance(value, str) and value else None
    if key in _TAGS_AS_JSON:
        return tuple(value) if isinstance(value, list) and value else ()
    return value


def to_json(value: object) -> object:
    """A domain value as the change log stores it."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


def from_json(key: str, value: object) -> object:
    if value is None:
        return None
    if key in _DATES and isinstance(value, str):
        return date.fromisoformat(value)
    if key.endswith("updated_at") and isinstance(value, str):
        return datetime.fromisoformat(value)
    if isinstance(value, list):
        return tuple(value)
    return value


# --- reading the directory ------------------------------------------------------------------

# Entities read their shared facts here; the unit's view is read with the view row.
_FIELDS: Final[Mapping[Register, tuple[str, ...]]] = {
    Register.ENTITIES: ENTITY_FACTS,
    Register.INSPECTORS: STORED[Register.INSPECTORS],
    Register.MATTERS: STORED[Register.MATTERS],
}
# Columns of few distinct values (codes, and what offices group by).
_FEW_VALUES: Final = frozenset({"kind", "status", "risk_class", "industry", "area"})
_FETCH: Final = 5000  # rows per fetchmany
VIEW_FIELDS: Final = ("local_no", "contact_name", "phone", "industry", "area", "risk_class")


def load_records(
    session: Session,
    register: Register,
    unit_id: int,
    *,
    with_shared: bool = False,
    brief: Sequence[str] | None = None,
    ids: Collection[int] | None = None,
) -> list[Record]:
    """The unit's directory, active or not, in one SELECT. ``with_shared``: also mark the
    entities another unit's directory holds (whole-directory mode needs it). ``brief``
    (entities): brief records, their digest over these fields (register_diff.Brief): a
    100k-entity directory is then a few MB rather than a hundred. ``ids``: only these."""
    if register is Register.ENTITIES:
        return _load_entities(session, unit_id, with_shared, brief, ids)
    table = TABLE_OF[register]
    keys = _FIELDS[register]
    converted = [k for k in keys if k in _TAGS_AS_TEXT or k in _TAGS_AS_JSON]
    # No timestamps: parsing 100k of them costs more than the rest of the row (apply reads
    # the few it needs, of the records it changes).
    query = select(table.c.id, table.c.active, *(table.c[column(k)] for k in keys)).where(
        table.c.unit_id == unit_id
    )
    records = []
    for row in _rows(session, query, table.c.id, ids):
        values = dict(zip(keys, row[2:], strict=True))
        for k in converted:
            values[k] = from_db(k, values[k])
        records.append(Record(row[0], values, bool(row[1])))
    return records


def _rows(
    session: Session, query: Select[Any], id_column: Any, ids: Collection[int] | None
) -> Iterable[Sequence[Any]]:
    # Core on the session's connection, fetched in batches: 100k rows one fetchone()
    # at a time cost more than reading them.
    connection = session.connection()
    queries = (
        [query]
        if ids is None
        else [query.where(id_column.in_(part)) for part in bulk.chunks(sorted(ids))]
    )
    for statement in queries:
        for batch in connection.execute(statement).partitions(_FETCH):
            yield from batch


def _load_entities(
    session: Session,
    unit_id: int,
    with_shared: bool,
    brief: Sequence[str] | None,
    ids: Collection[int] | None,
) -> list[Record]:
    e, v = ENTITIES.c, VIEWS.c
    query = (
        select(
            v.id,
            v.active,
            v.entity_id,
            *(e[column(k)] for k in ENTITY_FACTS),
            *(v[k] for k in VIEW_FIELDS),
        )
        .select_from(VIEWS.join(ENTITIES, e.id == v.entity_id))
        .where(v.unit_id == unit_id)
    )
    shared: set[int] = set()
    if with_shared:
        mine = select(v.entity_id).where(v.unit_id == unit_id).scalar_subquery()
        shared = set(
            session.execute(
                select(v.entity_id).where(v.unit_id != unit_id, v.entity_id.in_(mine)).distinct()
            ).scalars()
        )
    keys = ENTITY_FACTS + VIEW_FIELDS
    records = []
    if brief is not None:
        position = {k: i for i, k in enumerate(keys, start=3)}
        kept = [(k, position[k]) for k in BRIEF_FIELDS[Register.ENTITIES]]
        digested = operator.itemgetter(*(position[k] for k in brief))
        single = len(brief) == 1
        for row in _rows(session, query, v.id, ids):
            part = digested(row)
            records.append(
                Record(
                    row[0],
                    {k: row[i] for k, i in kept},
                    bool(row[1]),
                    row[2],
                    row[2] in shared,
                    values_digest((part,) if single else part),
                )
            )
        return records
    repeated = [i for i, k in enumerate(keys) if k in _FEW_VALUES]
    for row in _rows(session, query, v.id, ids):
        values = list(row[3:])
        for i in repeated:  # a few distinct values, 100k times: one string each
            if values[i].__class__ is str:
                values[i] = sys.intern(values[i])
        records.append(
            Record(
                row[0], dict(zip(keys, values, strict=True)), bool(row[1]), row[2], row[2] in shared
            )
        )
    return records


def column_limits(register: Register) -> dict[str, int]:
    """Field key -> the length its column holds, for the string columns (tags kept as
    text included: their joined form must fit)."""
    tables = [ENTITIES, VIEWS] if register is Register.ENTITIES else [TABLE_OF[register]]
    keys = _FIELDS[register] + (VIEW_FIELDS if register is Register.ENTITIES else ())
    limits: dict[str, int] = {}
    for key in keys:
        for table in tables:
            col = table.c.get(column(key))
            length = getattr(col.type, "length", None) if col is not None else None
            if isinstance(length, int) and key not in _TAGS_AS_JSON:
                limits[key] = length
    return limits


def fingerprint(session: Session, register: Register, unit_id: int) -> list[object]:
    """A cheap summary of what a diff of the unit's directory reads, which any change to
    it alters: the last change logged anywhere (imports, undos and edits all log theirs);
    for what is written without a log (an inspector added by hand), the unit's rows (how
    many, the highest id, the sum of ids, how many are active, the latest updated_at, the
    entities' too) and the whole table's (the highest id and latest updated_at: the
    entities and certificate numbers of other units that a diff looks up)."""
    table = TABLE_OF[register]
    c = table.c
    columns: list[Any] = [
        func.count(),
        func.max(c.id),
        func.sum(c.id),
        func.sum(case((c.active.is_(True), 1), else_=0)),
        func.max(c.updated_at),
    ]
    query = select(*columns).where(c.unit_id == unit_id)
    shared = ENTITIES if register is Register.ENTITIES else table
    if register is Register.ENTITIES:
        query = query.add_columns(func.max(ENTITIES.c.updated_at)).select_from(
            VIEWS.join(ENTITIES, ENTITIES.c.id == c.entity_id)
        )
    row = session.execute(query).one()
    last_change = session.execute(select(func.max(CHANGES.c.id))).scalar_one()
    everyone = session.execute(select(func.max(shared.c.id), func.max(shared.c.updated_at))).one()
    return [
        last_change,
        *(v.isoformat() if isinstance(v, datetime) else v for v in (*row, *everyone)),
    ]


def known_entities(session: Session, codes: Iterable[str]) -> dict[str, KnownEntity]:
    """Entities by USCC, for the given codes (one statement, whatever their number)."""
    e = ENTITIES.c
    wanted = sorted(set(codes))
    found: dict[str, KnownEntity] = {}
    if not wanted:
        return found
    rows = session.execute(
        select(e.id, *(e[column(k)] for k in ENTITY_FACTS)).where(
            bulk.in_values(session, e.uscc, wanted)
        )
    ).all()
    for row in rows:
        values = dict(zip(ENTITY_FACTS, row[1:], strict=True))
        found[str(values["uscc"])] = KnownEntity(row[0], values)
    return found


def stamps(session: Session, table: Table, ids: Sequence[int]) -> dict[int, object]:
    """updated_at of some rows (a change log's before-values keep it, for undo)."""
    found: dict[int, object] = {}
    for part in bulk.chunks(sorted(set(ids))):
        rows = session.execute(select(table.c.id, table.c.updated_at).where(table.c.id.in_(part)))
        found.update((row[0], row[1]) for row in rows)
    return found


def taken_cert_nos(session: Session, unit_id: int, cert_nos: Iterable[str]) -> dict[str, str]:
    """Certificate numbers held by inspectors of other units -> that unit's code."""
    i, u = INSPECTORS.c, Unit.__table__.c
    wanted = sorted(set(cert_nos))
    if not wanted:
        return {}
    rows = session.execute(
        select(i.cert_no, u.code)
        .select_from(INSPECTORS.join(Unit.__table__, u.id == i.unit_id))
        .where(bulk.in_values(session, i.cert_no, wanted), i.unit_id != unit_id)
    ).all()
    return {str(cert): str(code) for cert, code in rows}


def directory_rows(
    session: Session, register: Register, unit_id: int, *, active_only: bool = True
) -> list[dict[str, object]]:
    """The unit's directory for an export: domain values by field key (plus ``kind`` for
    entities, which the public export needs), in a stable order."""
    records = sorted(load_records(session, register, unit_id), key=lambda r: r.id)
    return [dict(r.values) for r in records if r.active or not active_only]
