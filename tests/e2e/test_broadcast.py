"""A broadcast to 3,000 liaisons through ``dsr run`` against the fake Bot API served over
HTTP with Telegram's limits enforced (30 messages a second overall, one a second per chat,
429 with retry_after beyond them). The process is SIGKILLed half-way and started again:
every recipient gets the message, none recorded as sent gets it again, and at most the
sender's concurrency (the sends in flight at the kill) get it twice."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from sqlalchemy import select

from bot.fakeapi import FakeBotApi, RecordedCall
from bot.services.broadcasts import delivery
from storage.db import Database, reading
from storage.models import OutboxMessage
from tests.e2e.conftest import SPEC, dsr_run
from tests.support.broadcasts import TEXT, queue_broadcast, seed_liaisons

RECIPIENTS = 3000
CONCURRENCY = 4  # the default DSR_SENDER_CONCURRENCY
NORMAL = {
    # The defaults (30 a second overall, 1 per chat, concurrency 4), quiet hours off so the
    # test does not depend on the time of day, and a short stale time as in test_kill.
    "DSR_QUIET_START": "00:00",
    "DSR_QUIET_END": "00:00",
    "DSR_SENDER_STALE_SECONDS": "1",
}


class Delivered:
    """The broadcast's messages the fake accepted, counted as calls arrive (a predicate
    that rescans every call would be quadratic over 3,000 messages)."""

    def __init__(self, fake: FakeBotApi) -> None:
        self.fake = fake
        self.seen = 0
        self.per_chat: Counter[int] = Counter()

    def update(self, _call: RecordedCall | None = None) -> int:
        calls = self.fake.calls
        for call in calls[self.seen :]:
            if call.method == "sendMessage" and call.ok and TEXT in (call.text or ""):
                assert call.chat_id is not None
                self.per_chat[call.chat_id] += 1
        self.seen = len(calls)
        return len(self.per_chat)


def _statuses(database: Database, broadcast_id: int) -> dict[int, str]:
    with reading(database) as session:
        rows = session.execute(
            select(OutboxMessage.chat_id, OutboxMessage.status).where(
                OutboxMessage.key.like(f"broadcast:{broadcast_id}:%")
            )
        ).all()
    return dict(rows)


async def test_a_broadcast_to_3000_survives_a_kill(database_url: str, tmp_path: Path) -> None:
    database = Database(database_url)
    chats = seed_liaisons(database, RECIPIENTS)
    queued = queue_broadcast(database)
    assert queued.recipients == RECIPIENTS

    fake = FakeBotApi(SPEC, enforce_limits=True)  # Telegram's limits, the fake's defaults
    delivered = Delivered(fake)
    async with dsr_run(fake, database_url, tmp_path / "first", NORMAL) as first:
        await fake.wait_for(lambda c: delivered.update(c) >= RECIPIENTS // 2, timeout=240)
        first.kill()  # SIGKILL: no cleanup of any kind
        await first.wait()
    delivered.update()
    before = dict(delivered.per_chat)
    recorded_sent = {c for c, s in _statuses(database, queued.id).items() if s == "sent"}
    assert RECIPIENTS // 2 <= len(before) < RECIPIENTS, "the kill came half-way"

    async with dsr_run(fake, database_url, tmp_path / "second", NORMAL):
        await fake.wait_for(lambda c: delivered.update(c) >= RECIPIENTS, timeout=240)
        # The job finishes the broadcast once nothing is pending (every few seconds).
        await fake.wait_for(
            lambda _c: delivery.report(database, None, queued.id).finished, timeout=30
        )
    delivered.update()
    report = delivery.report(database, None, queued.id)
    statuses = _statuses(database, queued.id)
    database.dispose()

    per_chat = delivered.per_chat
    assert set(per_chat) == set(chats)  # none lost
    for chat in recorded_sent:  # none recorded as sent is sent again
        assert per_chat[chat] == 1, chat
    assert sum(n - 1 for n in per_chat.values()) <= CONCURRENCY
    assert set(statuses.values()) == {"sent"}
    assert report.as_json() == {
        "recipients": RECIPIENTS,
        "sent": RECIPIENTS,
        "failed": 0,
        "blocked": 0,
        "pending": 0,
        "not_joined": 0,
    }
    # Every 429 the limits gave (network jitter may provoke one) was followed by delivery.
    assert fake.violations == []
