"""Replies and notices share Telegram's limits: ``dsr run`` against a fake Bot API that
enforces them strictly (one message a second per chat, five a second overall, 429 beyond).

People write while the outbox is delivering to them and to others. Every reply and every
notice must arrive; a 429, when network jitter provokes one, must be followed by the same
message arriving; the error handler must never fail. The fake's own rate accounting is
the judge, and the test waits on its calls, never on the clock.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from bot.fakeapi import FakeBotApi, RateLimit, RecordedCall
from storage import outbox
from storage.db import Database, reading
from storage.models import OutboxMessage
from tests.e2e.conftest import SPEC, dsr_run

PEOPLE = [7401, 7402, 7403]
OTHERS = [7501 + i for i in range(6)]
QUESTIONS = 3  # /help, per person
NOTICES_EACH = 2  # per person; one per other chat
STRICT = {
    "DSR_SEND_RATE_OVERALL": "4",
    "DSR_SEND_RATE_PER_CHAT": "1",
    "DSR_SENDER_POLL_SECONDS": "0.1",
    "DSR_QUIET_START": "00:00",
    "DSR_QUIET_END": "00:00",
}


def _enqueue_notices(database_url: str) -> int:
    database = Database(database_url)
    count = 0
    with database.unit_of_work() as uow:
        recipients = [c for c in PEOPLE for _ in range(NOTICES_EACH)] + OTHERS
        for index, chat_id in enumerate(recipients):
            count += outbox.enqueue(
                uow.session,
                key=f"limits:{index}",
                chat_id=chat_id,
                method="sendMessage",
                params={"chat_id": chat_id, "text": f"通知 {index}"},
                now=datetime.now(UTC),
            )
        uow.commit()
    database.dispose()
    return count


def _delivered(fake: FakeBotApi) -> list[RecordedCall]:
    return [c for c in fake.calls if c.method == "sendMessage" and c.ok]


def _is_notice(call: RecordedCall) -> bool:
    return (call.text or "").startswith("通知 ")


def _all_arrived(fake: FakeBotApi) -> bool:
    delivered = _delivered(fake)
    replies = Counter(c.chat_id for c in delivered if not _is_notice(c))
    notices = {c.text for c in delivered if _is_notice(c)}
    enough_replies = all(replies[p] >= QUESTIONS for p in PEOPLE)
    return enough_replies and len(notices) == len(PEOPLE) * NOTICES_EACH + len(OTHERS)


async def test_replies_and_notices_together_stay_within_strict_limits(
    database_url: str, tmp_path: Path
) -> None:
    total_notices = _enqueue_notices(database_url)
    fake = FakeBotApi(
        SPEC,
        per_chat_limit=RateLimit(1, 1.0),
        global_limit=RateLimit(5, 1.0),
        enforce_limits=True,
    )
    async with dsr_run(fake, database_url, tmp_path, STRICT):
        # Two flood waits as Telegram might impose them anyway: on a reply or a notice.
        fake.inject("sendMessage", chat_id=PEOPLE[0], status=429, retry_after=1, times=2)
        for _ in range(QUESTIONS):
            for person in PEOPLE:
                fake.user_message(person, "/help", language_code="en")
        await fake.wait_for(lambda _call: _all_arrived(fake), timeout=90)

    delivered = _delivered(fake)
    notices = Counter(c.text for c in delivered if _is_notice(c))
    assert len(notices) == total_notices and set(notices.values()) == {1}
    replies = Counter(c.chat_id for c in delivered if not _is_notice(c))
    assert {p: replies[p] for p in PEOPLE} == dict.fromkeys(PEOPLE, QUESTIONS)
    # Every 429 (the injected ones, and any the limits gave) was followed by that message.
    refusals = [(i, c) for i, c in enumerate(fake.calls) if c.status == 429]
    assert len(refusals) >= 2
    for index, refused in refusals:
        later = fake.calls[index + 1 :]
        assert any(c.ok and (c.chat_id, c.text) == (refused.chat_id, refused.text) for c in later)
    database = Database(database_url)
    with reading(database) as session:
        statuses = set(session.execute(select(OutboxMessage.status)).scalars())
    database.dispose()
    assert statuses == {"sent"}
    log = (tmp_path / "dsr-run.log").read_text(encoding="utf-8", errors="replace")
    assert "uncaught error" not in log and "incident" not in log
    assert fake.violations == []
