"""The demo city (舞钢市): its people, its inspectors and a database to hold it. The scripted
demo (bot.demo) and the console (bot.console) both start from it."""

from __future__ import annotations

from datetime import time
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from bot.config import Settings
from bot.offline import Person
from bot.services.people import membership
from storage import migrate
from storage.db import Database
from storage.models import Base

DEFAULT_DEMO_URL = "sqlite:///data/demo.sqlite3"

OFFICE = Person(1001, "刘主任", "zh-hans", "office")
LIAISON = Person(2001, "王芳", "zh-hans", "liaison, 市场监管局")
INSPECTOR = Person(3001, "李强", "zh-hans", "inspector")
GUEST = Person(9001, "陈先生", "zh-hans", "not a member")
VISITOR = Person(9002, "Alex", "en", "not a member, English")

DEMO_PEOPLE = {
    "office": OFFICE,
    "liaison": LIAISON,
    "inspector": INSPECTOR,
    "guest": GUEST,
}

INSPECTORS = [
    ("SCJG", "李强", "41048100101"),
    ("SCJG", "赵敏", "41048100102"),
    ("SCJG", "孙浩", "41048100103"),
    ("SW", "周洁", "41048100201"),
]


class DemoDatabaseNotEmptyError(Exception):
    """Refuse to touch someone's data without --reset."""


def _is_empty(database: Database) -> bool:
    names = set(inspect(database.engine).get_table_names())
    if not names:
        return True
    if "units" not in names:
        return False
    with database.engine.connect() as conn:
        count: int = conn.execute(text("SELECT COUNT(*) FROM units")).scalar_one()
        return count == 0


def _wipe(database: Database) -> None:
    Base.metadata.drop_all(database.engine)
    with database.engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


def prepare_city(
    settings: Settings, url: str, *, reset: bool, only_if_empty: bool = False
) -> tuple[Database, Settings]:
    """A migrated database for the demo. The default file is recreated; another database
    is used only when it is empty or ``reset`` is given. With ``only_if_empty`` (the console),
    an existing city is kept as it is."""
    parsed = make_url(url)
    if url == DEFAULT_DEMO_URL and parsed.database and not only_if_empty:
        for suffix in ("", "-wal", "-shm"):
            Path(parsed.database + suffix).unlink(missing_ok=True)
    database = Database(url)
    empty = _is_empty(database)
    if not empty and not only_if_empty:
        if not reset:
            database.dispose()
            raise DemoDatabaseNotEmptyError(url)
        _wipe(database)
        empty = True
    migrate.upgrade(database)
    # No quiet hours in the demo: a newcomer trying it at night should still see the
    # notices that would otherwise wait for the morning.
    demo_settings = settings.model_copy(
        update={"admin_ids": [OFFICE.telegram_id], "quiet_start": time(0), "quiet_end": time(0)}
    )
    if empty:
        membership.add_admin(database, OFFICE.telegram_id, OFFICE.name)
    return database, demo_settings
