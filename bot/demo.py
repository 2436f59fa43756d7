"""The demo city (舞钢市) and its scripted session: what a newcomer runs first.

Every step is an Update fed to the real Application; the transcript is rendered from the
Bot API calls the bot made. It grows with every capability.
"""

from __future__ import annotations

import asyncio
from datetime import time
from pathlib import Path
from typing import TextIO

from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from bot.config import Settings
from bot.console import OfflineBot, Person
from bot.services import membership
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


def play(settings: Settings, *, database_url: str | None, reset: bool, out: TextIO) -> int:
    url = database_url or DEFAULT_DEMO_URL
    try:
        database, demo_settings = prepare_city(settings, url, reset=reset)
    except DemoDatabaseNotEmptyError:
        out.write(f"dsr demo: {url} is not empty; add --reset to replace its contents\n")
        return 2
    try:
        asyncio.run(_script(OfflineBot(demo_settings, database, out=out), database, out))
    finally:
        database.dispose()
    return 0


def _title(out: TextIO, text_: str) -> None:
    out.write(f"\n══ {text_} ══\n")


async def _script(bot: OfflineBot, database: Database, out: TextIO) -> None:
    await bot.start()
    try:
        _title(out, "1. 陌生人打开机器人 / a stranger opens the bot")
        await bot.say(GUEST, "/start")
        await bot.say(GUEST, "/units")
        await bot.say(VISITOR, "/start")
        await bot.say(VISITOR, "/lang")
        await bot.press_label(VISITOR, "中文")

        _title(out, "2. 办公室建立成员单位 / the office adds member units")
        await bot.say(OFFICE, "/start")
        await bot.say(OFFICE, "/help")
        await bot.say(OFFICE, "/addunit SCJG 舞钢市市场监督管理局")
        await bot.say(OFFICE, "/addunit SW 国家税务总局舞钢市税务局")
        await bot.say(OFFICE, "/addunit 税务 重复的单位")
        # The registers issue brings the Excel import; until then the directory is seeded.
        for unit, name, cert in INSPECTORS:
            await asyncio.to_thread(membership.add_inspector, database, None, unit, name, cert)
        await bot.say(OFFICE, "/units")

        _title(out, "3. 邀请联络员 / the office invites a liaison")
        calls = await bot.press_label(OFFICE, "SCJG")
        code = _invite_code(calls)
        await bot.say(LIAISON, f"/start {code}")
        await bot.say(LIAISON, f"/start {code}")

        _title(out, "4. 联络员邀请执法检查人员 / the liaison invites the inspectors")
        await bot.say(LIAISON, "/inspectors")
        calls = await bot.press_label(LIAISON, "全部")
        inspector_code = _invite_code(calls)
        await bot.say(INSPECTOR, f"/start {inspector_code}")
        await bot.say(INSPECTOR, "/help")
        await bot.say(INSPECTOR, "/units")

        _title(out, "5. 人员与邀请 / people and pending invitations")
        await bot.say(LIAISON, "/people")
        await bot.say(LIAISON, "/invites")

        _title(out, "6. 群聊 / someone adds the bot to a group")
        await bot.group_add(LIAISON, -100123)
    finally:
        await bot.stop()


def _invite_code(calls: list) -> str:  # type: ignore[type-arg]
    for call in calls:
        text_ = call.text or ""
        if "?start=" in text_:
            return text_.split("?start=", 1)[1].split()[0]
    raise LookupError("the bot sent no invitation link")
