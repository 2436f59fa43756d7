"""Many rows at once, at the speed of the driver's executemany.

A Core ``session.execute(insert(table), rows)`` builds parameters row by row in Python
(defaults, type processing, a dict per row): for 100k-row imports that costs more than the
database's own work. Here a statement is written once, each column's bind processor (the
one SQLAlchemy itself would apply: UTC datetimes, JSON) is looked up once and applied
only to the columns that have one, and the rows go to the DBAPI's ``executemany`` as
tuples. Ids for new rows are reserved up front (SQLite: above the highest, under the
write lock every writing unit of work holds; PostgreSQL: from the column's sequence), so
no RETURNING is needed: SQLite would have to insert one row per statement to return ids
in order.
"""

from __future__ import annotations

import gc
import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Final

import orjson
from sqlalchemy import Table, any_, bindparam, func, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement, sqltypes

# Chunk size for IN lists and deletes (SQLite allows 32766 parameters, PostgreSQL 65535).
CHUNK: Final = 5000
# Rows per executemany call.
_BATCH: Final = 10_000

_Processor = Callable[[Any], Any]


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _json(value: Any) -> str:
    # What SQLAlchemy's JSON type writes (None as JSON null), without escaping every
    # Chinese character as \uXXXX: a third of the bytes, and read back the same. orjson:
    # a change log of 100k records is 100k documents, ten times faster than json.dumps.
    if value is None:
        return "null"
    return orjson.dumps(value).decode()


def _processor(table: Table, name: str, dialect: Dialect) -> _Processor | None:
    impl = table.c[name].type.dialect_impl(dialect)
    if isinstance(impl, sqltypes.JSON):
        return _json
    process: _Processor | None = impl.bind_processor(dialect)
    if process is None:
        return None
    # Rows of one import share their timestamps: process each distinct object once.
    last: list[Any] = [object(), None]

    def remembering(value: Any) -> Any:
        if value is last[0]:
            return last[1]
        last[0], last[1] = value, process(value)
        return last[1]

    return remembering


def _placeholder(table: Table, name: str, dialect: Dialect, index: int) -> str:
    if dialect.paramstyle == "qmark":
        mark = "?"
    elif dialect.paramstyle == "numeric":
        mark = f":{index + 1}"
    elif dialect.paramstyle == "format":
        mark = "%s"
    else:  # pyformat (psycopg), named
        mark = f"%(p{index})s" if dialect.paramstyle == "pyformat" else f":p{index}"
    impl = table.c[name].type.dialect_impl(dialect)
    if dialect.name == "postgresql" and isinstance(impl, sqltypes.JSON):
        mark += "::JSONB"  # what SQLAlchemy's own statements say for JSONB parameters
    return mark


def _execute(
    session: Session,
    table: Table,
    sql: str,
    names: Sequence[str],
    rows: Iterable[Sequence[object]],
    fixed: Sequence[object] = (),
) -> None:
    """Run ``sql`` for each row; ``fixed`` are the values of the last columns, the same
    for every row (processed once, appended to each)."""
    connection = session.connection()
    dialect = connection.dialect
    varying = len(names) - len(fixed)
    processors = [
        (i, p) for i, name in enumerate(names[:varying]) if (p := _processor(table, name, dialect))
    ]
    tail = tuple(
        p(v) if (p := _processor(table, name, dialect)) else v
        for name, v in zip(names[varying:], fixed, strict=True)
    )
    named = dialect.paramstyle not in ("qmark", "numeric", "format")
    keys = [f"p{i}" for i in range(len(names))]
    rows = iter(rows)
    # In batches: 100k prepared rows (with their JSON text) need not all exist at once.
    while batch := list(itertools.islice(rows, _BATCH)):
        prepared: list[Any] = []
        for row in batch:
            if processors:
                values = list(row)
                for i, process in processors:
                    values[i] = process(values[i])
                line: tuple[object, ...] = (*values, *tail)
            else:
                line = (*row, *tail) if tail else tuple(row)
            prepared.append(dict(zip(keys, line, strict=True)) if named else line)
        connection.exec_driver_sql(sql, prepared)


def insert_many(
    session: Session,
    table: Table,
    columns: Sequence[str],
    rows: Iterable[Sequence[object]],
    fixed: Mapping[str, object] | None = None,
) -> None:
    """INSERT rows (tuples in ``columns`` order, values of the columns' Python types) with
    one executemany; ``fixed`` columns take the same value in every row."""
    fixed = fixed or {}
    names = [*columns, *fixed]
    dialect = session.connection().dialect
    marks = ", ".join(_placeholder(table, c, dialect, i) for i, c in enumerate(names))
    quote = dialect.identifier_preparer.quote
    listed = ", ".join(quote(c) for c in names)
    sql = f"INSERT INTO {quote(table.name)} ({listed}) VALUES ({marks})"
    _execute(session, table, sql, names, rows, list(fixed.values()))


def update_many(
    session: Session, table: Table, columns: Sequence[str], rows: Iterable[Sequence[object]]
) -> None:
    """UPDATE … SET columns WHERE id = … for many rows: each row is the new values in
    ``columns`` order followed by the id."""
    dialect = session.connection().dialect
    quote = dialect.identifier_preparer.quote
    names = [*columns, "id"]
    sets = ", ".join(
        f"{quote(c)} = {_placeholder(table, c, dialect, i)}" for i, c in enumerate(columns)
    )
    where = _placeholder(table, "id", dialect, len(columns))
    sql = f"UPDATE {quote(table.name)} SET {sets} WHERE {quote('id')} = {where}"
    _execute(session, table, sql, names, rows)


def reserve_ids(session: Session, table: Table, count: int) -> list[int]:
    """``count`` fresh primary keys for ``table``."""
    if count <= 0:
        return []
    if session.get_bind().dialect.name == "postgresql":
        sequence = session.execute(
            text("SELECT pg_get_serial_sequence(:table, 'id')"), {"table": table.name}
        ).scalar_one()
        return list(
            session.execute(
                text("SELECT nextval(:sequence) FROM generate_series(1, :count)"),
                {"sequence": sequence, "count": count},
            ).scalars()
        )
    # SQLite: every writing unit of work holds the database's write lock (BEGIN
    # IMMEDIATE), so nobody else can take these between this SELECT and the INSERT.
    highest = session.execute(select(func.max(table.c.id))).scalar_one() or 0
    return list(range(highest + 1, highest + 1 + count))


def in_values(session: Session, column: ColumnElement[Any], values: Sequence[str]) -> Any:
    """``column IN values`` with one parameter however many values there are: a JSON array
    read by json_each on SQLite, an array on PostgreSQL (an IN list of 100k parameters
    costs more to build than to run)."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam("values", list(values), type_=ARRAY(sqltypes.String)))
    listed = select(text("value")).select_from(
        func.json_each(bindparam("values", _json(list(values)), type_=sqltypes.String))
    )
    return column.in_(listed)


@contextmanager
def gc_settling() -> Iterator[Callable[[], None]]:
    """Cyclic garbage collection that does not walk again and again what a large unit of
    work builds (an import's 100k rows, records and changes: none of them holds a cycle).
    ``settle()``, given to the block, moves every object that exists into the collector's
    permanent generation (gc.freeze), which later collections skip; when the block ends
    they go back (gc.unfreeze) and are collected as usual. The collector is never switched
    off, in this thread or another: what is frozen is only collected after the block."""
    gc.freeze()
    try:
        yield gc.freeze
    finally:
        gc.unfreeze()


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a unit of work builds 100k-1M small objects (an
    import's rows, a draw's pool): they hold no cycles, so reference counting frees them,
    but every collection on the way would walk all of them again (about a third of a
    draw's time, bench/bench_draw.py). Collection resumes when the block ends. It is
    process-wide, so other threads skip cyclic collection for those seconds too."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
