"""Engine, session factory and the unit of work: the one commit point of the project."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

# SQLite writers take the write lock at BEGIN, so "check, then write" cannot race
# (pysqlite would otherwise begin only at the first write: docs/architecture.md §12).
_BEGIN_OPTION = "dsr_sqlite_begin"


def normalise_url(url: str) -> str:
    """PostgreSQL always through psycopg 3, whatever spelling the operator used."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _install_sqlite_events(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from pysqlite; we emit BEGIN ourselves.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get(_BEGIN_OPTION, "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


class Database:
    """An engine plus its session factory; one per process and database URL."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = normalise_url(url)
        parsed = make_url(self.url)
        self.dialect = parsed.get_backend_name()
        kwargs: dict[str, Any] = {"echo": echo, "future": True}
        if self.dialect == "sqlite":
            if parsed.database in (None, "", ":memory:"):
                # Each thread would get its own empty database (docs/architecture.md §11).
                raise ValueError("an in-memory SQLite database is not supported: use a file")
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        else:
            kwargs["pool_pre_ping"] = True
        self.engine = create_engine(self.url, **kwargs)
        if self.dialect == "sqlite":
            _install_sqlite_events(self.engine)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    def unit_of_work(self, *, write: bool = True) -> UnitOfWork:
        return UnitOfWork(self, write=write)

    def dispose(self) -> None:
        self.engine.dispose()


class UnitOfWork:
    """One transaction; ``commit()`` is the only place anything is committed.

    ``with db.unit_of_work() as uow: ...; uow.commit()``. Leaving the block without a
    commit rolls back, so an exception never half-writes.
    """

    session: Session

    def __init__(self, database: Database, *, write: bool = True) -> None:
        self.database = database
        self.write = write
        self._committed = False

    def __enter__(self) -> UnitOfWork:
        self.session = self.database.sessions()
        if self.database.is_sqlite:
            mode = "IMMEDIATE" if self.write else "DEFERRED"
            self.session.connection(execution_options={_BEGIN_OPTION: mode})
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            # A reader's objects stay readable after the block (close() detaches them
            # without expiring); a writer that did not commit must forget what it changed.
            if self.write and not self._committed:
                self.session.rollback()
        finally:
            self.session.close()

    def commit(self) -> None:
        if not self.write:
            raise RuntimeError("a read-only unit of work cannot commit")
        self.session.commit()
        self._committed = True

    def flush(self) -> None:
        self.session.flush()


@contextmanager
def reading(database: Database) -> Iterator[Session]:
    """A read-only session for queries that change nothing."""
    with database.unit_of_work(write=False) as uow:
        yield uow.session
