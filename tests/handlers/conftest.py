"""The real Application on the offline transport: updates in, recorded Bot API calls out."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import pytest

from bot.config import Settings
from bot.demo_city import OFFICE
from bot.fakeapi import FakeBotApi
from bot.offline import OfflineBot
from bot.services.people import membership
from storage.db import Database
from tests.conftest import FIXTURES

SPEC = FIXTURES / "botapi.json"


@pytest.fixture
def settings() -> Settings:
    return Settings(admin_ids=[OFFICE.telegram_id], _env_file=None)  # type: ignore[call-arg]


@pytest.fixture
async def bot(db: Database, settings: Settings) -> AsyncIterator[OfflineBot]:
    membership.add_admin(db, OFFICE.telegram_id, OFFICE.name)
    session = OfflineBot(settings, db, fake=FakeBotApi(SPEC), out=io.StringIO())
    await session.start()
    yield session
    await session.stop()
    # Every call the bot made must be one Telegram would accept.
    assert session.fake.violations == []
