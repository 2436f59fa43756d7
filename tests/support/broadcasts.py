"""A city of many liaisons for the broadcast tests and bench: ``count`` liaisons spread
over member units, inserted with Core (fast), and a broadcast to all of them queued as
the desk does (``dsr broadcast --to liaisons --yes``)."""

from __future__ import annotations

from datetime import UTC, datetime, time

from sqlalchemy import insert

from bot.services.broadcasts import sending
from bot.services.broadcasts.audience import Audience
from bot.services.outbox import QuietHours
from bot.services.people.menus import signature
from bot.services.people.notices import NoticeContext
from storage.db import Database
from storage.models import Unit, User
from tests.conftest import TZ

FIRST_CHAT = 20_000_000
TEXT = "关于报送2027年度抽查计划的通知：请各单位于12月20日前报送。"


def seed_liaisons(database: Database, count: int, units: int = 100) -> list[int]:
    """``count`` liaisons of ``units`` units; returns their chat ids."""
    with database.unit_of_work() as uow:
        uow.session.execute(
            insert(Unit), [{"code": f"B{i:03d}", "name": f"成员单位{i}"} for i in range(units)]
        )
        uow.commit()
    chats = [FIRST_CHAT + i for i in range(count)]
    rows = [
        {
            "telegram_id": chat,
            "name": f"联络员{i}",
            "liaison_unit_id": 1 + i % units,
            "locale": "zh_Hans",
            "menu_signature": signature({"liaison"}, "zh_Hans"),
        }
        for i, chat in enumerate(chats)
    ]
    with database.unit_of_work() as uow:
        uow.session.execute(insert(User), rows)
        uow.commit()
    return chats


def queue_broadcast(database: Database) -> sending.Queued:
    """The desk's broadcast to every liaison, quiet hours off (the time of day must not
    matter to a test or a bench run)."""
    quiet = QuietHours(TZ, quiet_start=time(0), quiet_end=time(0))
    ctx = NoticeContext(datetime.now(UTC), quiet)
    return sending.start_broadcast(database, None, Audience("liaisons"), sending.Content(TEXT), ctx)
