"""Shared fixtures: a migrated database per test, on SQLite or on PostgreSQL.

SQLite: a file (never ``sqlite://`` in memory: each thread would see its own empty
database), copied from one migrated template per session. PostgreSQL: when
DSR_TEST_DATABASE_URL is set (CI sets it), that database is migrated once and emptied
before each test; set but unreachable is a failure, not a skip.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from storage import migrate
from storage.db import Database
from storage.models import Base

PG_URL = os.environ.get("DSR_TEST_DATABASE_URL")
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    database = Database(f"sqlite:///{path}")
    migrate.upgrade(database)
    database.dispose()
    return path


@pytest.fixture(scope="session")
def _pg_database() -> Iterator[Database | None]:
    if not PG_URL:
        yield None
        return
    database = Database(PG_URL)
    with database.engine.connect() as conn:  # fails loudly when the server is unreachable
        conn.execute(text("SELECT 1"))
    migrate.upgrade(database)
    yield database
    database.dispose()


def _empty_pg(database: Database) -> None:
    # DELETE plus resetting the sequences is much faster than TRUNCATE on small tables.
    with database.engine.begin() as conn:
        # Replica mode skips triggers, so the append-only draw records can be emptied too.
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
        sequences = conn.execute(
            text("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'")
        ).scalars()
        for name in sequences:
            conn.execute(text(f'ALTER SEQUENCE "{name}" RESTART WITH 1'))


@pytest.fixture
def database_url(tmp_path: Path, _sqlite_template: Path, _pg_database: Database | None) -> str:
    """A migrated, empty database for this test, as a URL (for code that opens its own)."""
    if _pg_database is not None:
        _empty_pg(_pg_database)
        return _pg_database.url
    path = tmp_path / "dsr.sqlite3"
    shutil.copy(_sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.dispose()


@pytest.fixture
def sqlite_db(tmp_path: Path, _sqlite_template: Path) -> Iterator[Database]:
    """Always SQLite, for what is SQLite-specific (online backup, PRAGMAs)."""
    path = tmp_path / "dsr.sqlite3"
    shutil.copy(_sqlite_template, path)
    database = Database(f"sqlite:///{path}")
    yield database
    database.dispose()


# The office's time zone in tests (DSR_TIMEZONE's default); services take it from callers.
TZ = ZoneInfo("Asia/Shanghai")
