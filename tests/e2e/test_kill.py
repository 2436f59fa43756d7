"""Crash safety of the outbox: a ``dsr run`` process is SIGKILLed mid-delivery, a second
one finishes the job. Per chat: none lost, none recorded as sent sent again, and at most
the sender's concurrency delivered twice."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from bot.fakeapi import FakeBotApi, RecordedCall
from storage import outbox
from storage.db import Database, reading
from storage.models import OutboxMessage
from tests.e2e.conftest import SPEC, dsr_run

CHATS = [8_000_000 + i for i in range(100)]
CONCURRENCY = 4
FAST_SENDER = {
    "DSR_SEND_RATE_OVERALL": "25",
    "DSR_SEND_RATE_PER_CHAT": "1",
    "DSR_SENDER_CONCURRENCY": str(CONCURRENCY),
    "DSR_SENDER_POLL_SECONDS": "0.1",
    "DSR_SENDER_STALE_SECONDS": "1",
    # Quiet hours off, so the test does not depend on the time of day.
    "DSR_QUIET_START": "00:00",
    "DSR_QUIET_END": "00:00",
}


def _notices(fake: FakeBotApi) -> list[RecordedCall]:
    return [c for c in fake.calls if c.method == "sendMessage" and c.ok and c.chat_id in set(CHATS)]


def _sent_rows(database: Database) -> dict[int, str]:
    with reading(database) as session:
        rows = session.execute(select(OutboxMessage.chat_id, OutboxMessage.status)).all()
    return {chat_id: status for chat_id, status in rows}


async def test_kill_during_delivery_loses_nothing(database_url: str, tmp_path: Path) -> None:
    database = Database(database_url)
    with database.unit_of_work() as uow:
        for chat_id in CHATS:
            outbox.enqueue(
                uow.session,
                key=f"kill-test:{chat_id}",
                chat_id=chat_id,
                method="sendMessage",
                params={"chat_id": chat_id, "text": f"通知 {chat_id}"},
                now=datetime.now(UTC),
            )
        uow.commit()

    fake = FakeBotApi(SPEC)
    async with dsr_run(fake, database_url, tmp_path / "first", FAST_SENDER) as first:
        await fake.wait_for(lambda _call: len(_notices(fake)) >= 30, timeout=60)
        first.kill()  # SIGKILL: no cleanup of any kind
        await first.wait()
    delivered_before = Counter(c.chat_id for c in _notices(fake))
    recorded_sent = {chat for chat, status in _sent_rows(database).items() if status == "sent"}
    assert 30 <= len(delivered_before) < len(CHATS), "the kill came mid-delivery"

    async with dsr_run(fake, database_url, tmp_path / "second", FAST_SENDER):
        await fake.wait_for(
            lambda _call: {c.chat_id for c in _notices(fake)} >= set(CHATS), timeout=60
        )
    statuses = _sent_rows(database)
    database.dispose()

    per_chat = Counter(c.chat_id for c in _notices(fake))
    assert set(per_chat) == set(CHATS)  # none lost
    for chat in recorded_sent:  # none recorded as sent is sent again
        assert per_chat[chat] == 1, chat
    duplicates = sum(n - 1 for n in per_chat.values())
    assert duplicates <= CONCURRENCY
    assert set(statuses.values()) == {"sent"}
    assert fake.violations == []
