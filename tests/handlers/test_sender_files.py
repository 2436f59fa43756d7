"""A file given at the desk is stored, not yet on Telegram: the sender uploads it for the
first recipient, records the file_id Telegram returns with that row's outcome, and sends
the same file_id to everyone else — in that process and in the next one."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select
from telegram import Bot

from bot.config import Settings
from bot.fakeapi import FakeBotApi
from bot.sender import OutboxSender
from bot.services.broadcasts import sending
from bot.services.broadcasts.audience import Audience
from bot.services.outbox import QuietHours
from bot.services.people.notices import NoticeContext
from bot.transport import OfflineRequest
from storage import outbox, stored_files
from storage.db import Database, reading
from storage.models import StoredFile
from tests.conftest import FIXTURES, TZ
from tests.support.city import NOW, build_city
from tests.support.people import add_people, outbox_rows

pytestmark = [
    pytest.mark.filterwarnings("ignore:Please use 'Bot.:telegram.warnings.PTBUserWarning"),
]

TOKEN = "123456789:offline-transport-token-not-real-0000"
CTX = NoticeContext(NOW, QuietHours(TZ))
SETTINGS = Settings(  # type: ignore[call-arg]
    _env_file=None, send_rate_overall=1000.0, sender_concurrency=4, sender_poll_seconds=0.01
)


@pytest.fixture
def fake() -> FakeBotApi:
    return FakeBotApi(FIXTURES / "botapi.json")


@pytest.fixture
async def tg_bot(fake: FakeBotApi) -> AsyncIterator[Bot]:
    bot = Bot(TOKEN, request=OfflineRequest(fake), get_updates_request=OfflineRequest(fake))
    async with bot:
        yield bot


def _documents(fake: FakeBotApi) -> list[str]:
    return [
        c.result["document"]["file_id"] for c in fake.calls if c.method == "sendDocument" and c.ok
    ]


async def test_a_stored_file_is_uploaded_once(db: Database, fake: FakeBotApi, tg_bot: Bot) -> None:
    add_people(db, build_city(db))
    content = sending.Content(
        "会议材料", file_name="材料.pdf", file_data=b"%PDF-1.4 " + b"x" * 1000
    )
    first = sending.start_broadcast(db, None, Audience("all"), content, CTX)
    assert first.recipients == 23

    sender = OutboxSender(tg_bot, db, SETTINGS)
    while await sender.run_once():
        pass
    sent = _documents(fake)
    assert len(sent) == 23 and len(set(sent)) == 1
    assert len(fake.files) == 1  # one upload; the others reused its file_id
    with reading(db) as session:
        stored = session.execute(select(StoredFile)).scalar_one()
    assert stored.telegram_file_id == sent[0]
    assert {r.status for r in outbox_rows(db, "broadcast:")} == {"sent"}
    uploaded = [c for c in fake.calls if c.method == "sendDocument" and c.params.get("caption")]
    assert all("会议材料" in c.params["caption"] for c in uploaded)

    # The same file again, sent by a new process (nothing in memory): no upload at all.
    with db.unit_of_work() as uow:
        row = uow.session.execute(select(StoredFile)).scalar_one()
        uow.commit()
    second = sending.start_broadcast(
        db, None, Audience("liaisons"), sending.Content("再发一次"), CTX
    )
    with db.unit_of_work() as uow:
        outbox.enqueue(
            uow.session,
            key="again",
            chat_id=2001,
            method="sendDocument",
            params={"chat_id": 2001, "document": stored_files.stored_file_ref(row.id)},
            now=NOW,
        )
        uow.commit()
    fresh = OutboxSender(tg_bot, db, SETTINGS)
    while await fresh.run_once():
        pass
    assert len(fake.files) == 1
    assert _documents(fake)[-1] == sent[0]
    assert second.recipients == 3


async def test_a_file_that_is_gone_fails_its_row(
    db: Database, fake: FakeBotApi, tg_bot: Bot
) -> None:
    with db.unit_of_work() as uow:
        outbox.enqueue(
            uow.session,
            key="gone",
            chat_id=2001,
            method="sendDocument",
            params={"chat_id": 2001, "document": stored_files.stored_file_ref(999)},
            now=NOW,
        )
        uow.commit()
    sender = OutboxSender(tg_bot, db, SETTINGS)
    await sender.run_once()
    (row,) = outbox_rows(db, "gone")
    assert row.status == "failed"
    assert [c for c in fake.calls if c.method == "sendDocument"] == []
