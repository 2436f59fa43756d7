"""The access gate's lookup of a user, on the raw driver connection.

It runs for every update, so it skips SQLAlchemy's statement and result machinery: on a
small machine that machinery costs about 20 times the indexed lookup itself (bench/). The
SQL is fixed and takes one bound parameter, so nothing is gained by building it each time.
"""

from __future__ import annotations

from typing import NamedTuple

from storage.db import Database

_COLUMNS = (
    "users.id, users.name, users.locale, users.is_office, users.liaison_unit_id, "
    "units.code, units.name, users.inspector_id, users.active, users.menu_signature"
)
_SQL = (
    f"SELECT {_COLUMNS} FROM users LEFT OUTER JOIN units ON units.id = users.liaison_unit_id "
    "WHERE users.telegram_id = {param}"
)
# The drivers' parameter styles: sqlite3 "qmark", psycopg "format".
_PARAM = {"sqlite": "?", "postgresql": "%s"}


class ProfileRow(NamedTuple):
    user_id: int
    name: str
    locale: str | None
    is_office: bool
    liaison_unit_id: int | None
    unit_code: str | None
    unit_name: str | None
    inspector_id: int | None
    active: bool
    menu_signature: str | None


def fetch_profile_row(database: Database, telegram_id: int) -> ProfileRow | None:
    sql = _SQL.format(param=_PARAM[database.dialect])
    connection = database.engine.raw_connection()
    try:
        cursor = connection.cursor()
        try:
            cursor.execute(sql, (telegram_id,))
            row = cursor.fetchone()
        finally:
            cursor.close()
    finally:
        connection.close()  # back to the pool, which rolls back any open read
    if row is None:
        return None
    user_id, name, locale, office, unit_id, code, unit_name, inspector_id, active, menu = row
    return ProfileRow(
        user_id,
        name,
        locale,
        bool(office),
        unit_id,
        code,
        unit_name,
        inspector_id,
        bool(active),
        menu,
    )
