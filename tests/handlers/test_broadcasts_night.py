"""/broadcast at 22:00: the preview says the messages wait for the end of quiet hours, and
nothing reaches anyone before then (an announcement is not urgent)."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import datetime

import pytest

from bot.config import Settings
from bot.demo_city import OFFICE
from bot.fakeapi import FakeBotApi
from bot.offline import OfflineBot
from bot.services.people import membership
from storage.db import Database
from tests.conftest import TZ
from tests.handlers.conftest import SPEC
from tests.handlers.test_broadcasts import LIAISON, OTHER_LIAISON, T, city, to
from tests.handlers.test_start import texts
from tests.support.people import outbox_rows

NIGHT = datetime(2026, 12, 3, 22, 0, tzinfo=TZ)
__all__ = ["city"]  # the fixture, shared with test_broadcasts


@pytest.fixture
def settings() -> Settings:
    return Settings(admin_ids=[OFFICE.telegram_id], _env_file=None)  # type: ignore[call-arg]


@pytest.fixture
async def bot(db: Database, settings: Settings) -> AsyncIterator[OfflineBot]:
    membership.add_admin(db, OFFICE.telegram_id, OFFICE.name)
    session = OfflineBot(
        settings, db, fake=FakeBotApi(SPEC), out=io.StringIO(), clock=lambda: NIGHT
    )
    await session.start()
    yield session
    await session.stop()
    assert session.fake.violations == []


async def test_at_night_the_broadcast_waits_for_the_morning(
    bot: OfflineBot, db: Database, city: dict[str, int]
) -> None:
    await bot.say(OFFICE, "/broadcast")
    await bot.say(OFFICE, "明天上午九点开会。")
    preview = texts(await bot.press_label(OFFICE, T._("All liaisons")))[-1]
    assert T._("It is quiet hours now: the messages wait until {time}.", time="08:00") in preview
    calls = await bot.press_label(OFFICE, T._("Send"))
    assert to(calls, LIAISON) == [] and to(calls, OTHER_LIAISON) == []
    rows = outbox_rows(db, "broadcast:1:")
    assert len(rows) == 2 and {r.not_before for r in rows} == {
        datetime(2026, 12, 4, 8, 0, tzinfo=TZ)
    }
