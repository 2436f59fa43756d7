"""The outbox sender against the fake Bot API, through a real ``telegram.Bot``.

Time is virtual: the sender gets the test's clock and sleep, the fake measures its rate
windows on the same clock, and each test drives ``run_once`` between clock moves. Nothing
here sleeps to synchronise.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from telegram import Bot
from telegram.ext import Application, ExtBot

from bot.config import Settings
from bot.fakeapi import FakeBotApi, RateLimit, RecordedCall
from bot.sender import OutboxSender, backoff_delay, claim_owner_ended, claim_token
from bot.services.outbox import QuietHours, notify
from bot.transport import OfflineRequest
from storage import outbox
from storage.db import Database, reading
from storage.models import OutboxMessage, User
from tests.conftest import FIXTURES, TZ

pytestmark = [
    # PTB 22 reads RetryAfter.retry_after when it builds the exception, which warns about
    # the attribute's coming type change; that is PTB's business, not ours.
    pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning"),
    # bot.sender silences this hint at import; pytest resets warning filters per test.
    pytest.mark.filterwarnings("ignore:Please use 'Bot.:telegram.warnings.PTBUserWarning"),
]

SPEC = FIXTURES / "botapi.json"
TOKEN = "123456789:offline-transport-token-not-real-0000"
SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, outside quiet hours
ALICE, BOB, CAROL = 1001, 1002, 1003


class VirtualClock:
    """The sender's clock and sleep, and the fake's rate clock, all on one virtual time."""

    def __init__(self, start: datetime) -> None:
        self.now = start
        self.origin = start

    def __call__(self) -> datetime:
        return self.now

    def seconds(self) -> float:
        """For the fake's rate windows: seconds since the start (small, exact floats)."""
        return (self.now - self.origin).total_seconds()

    def set(self, at: datetime) -> None:
        assert at >= self.now, "virtual time never goes back"
        self.now = at

    def advance(self, seconds: float) -> None:
        self.set(self.now + timedelta(seconds=seconds))

    async def sleep(self, seconds: float) -> None:
        target = self.now + timedelta(seconds=seconds)
        # Let the sends already under way reach the fake first: virtual time moves only
        # once they are done with the present.
        for _ in range(20):
            await asyncio.sleep(0)
        self.now = max(self.now, target)


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(T0)


@pytest.fixture
def fake(clock: VirtualClock) -> FakeBotApi:
    # Telegram's limits (30/s overall, 1/s per chat), measured on virtual time; each
    # recorded call's ``at`` is the virtual second at which it reached the API.
    return FakeBotApi(SPEC, clock=clock.seconds, wall_clock=clock.seconds)


@pytest.fixture
def sender_settings() -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        send_rate_overall=25.0,
        send_rate_per_chat=1.0,
        sender_concurrency=4,
        sender_poll_seconds=0.01,
    )


@pytest.fixture
async def tg_bot(fake: FakeBotApi) -> AsyncIterator[Bot]:
    bot = Bot(TOKEN, request=OfflineRequest(fake), get_updates_request=OfflineRequest(fake))
    async with bot:
        yield bot
    assert fake.rate_violations == []


def make_sender(
    bot: Bot, db: Database, settings: Settings, clock: VirtualClock, **kwargs: Any
) -> OutboxSender:
    return OutboxSender(bot, db, settings, clock, sleep=clock.sleep, **kwargs)


def enqueue(db: Database, key: str, chat_id: int, text: str = "通知", **params: Any) -> None:
    with db.unit_of_work() as uow:
        outbox.enqueue(
            uow.session,
            key=key,
            chat_id=chat_id,
            method="sendMessage",
            params={"chat_id": chat_id, "text": text, **params},
            now=T0,
        )
        uow.commit()


def row(db: Database, key: str) -> OutboxMessage:
    with reading(db) as session:
        return session.execute(select(OutboxMessage).where(OutboxMessage.key == key)).scalar_one()


def sends(fake: FakeBotApi, chat_id: int | None = None) -> list[RecordedCall]:
    return [
        c
        for c in fake.calls
        if c.method == "sendMessage" and (chat_id is None or c.chat_id == chat_id)
    ]


# --------------------------------------------------------------------------- delivery


async def test_sends_and_records_the_message_id(
    db: Database, tg_bot: Bot, fake: FakeBotApi, sender_settings: Settings, clock: VirtualClock
) -> None:
    enqueue(db, "a", ALICE, "任务已分配")
    enqueue(
        db,
        "b",
        BOB,
        "提醒",
        reply_markup={"inline_keyboard": [[{"text": "确认", "callback_data": "ack:7"}]]},
    )
    sender = make_sender(tg_bot, db, sender_settings, clock)
    assert await sender.run_once() == 2
    assert await sender.run_once() == 0
    (to_alice,) = sends(fake, ALICE)
    (to_bob,) = sends(fake, BOB)
    assert to_alice.ok and to_alice.text == "任务已分配"
    assert to_bob.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "ack:7"
    a = row(db, "a")
    assert (a.status, a.message_id, a.sent_at, a.attempts) == (
        "sent",
        to_alice.result["message_id"],
        T0,
        1,
    )
    assert row(db, "b").message_id == to_bob.result["message_id"]
    assert fake.violations == []


async def test_a_sent_message_is_never_sent_again(
    db: Database, tg_bot: Bot, fake: FakeBotApi, sender_settings: Settings, clock: VirtualClock
) -> None:
    enqueue(db, "once", ALICE)
    sender = make_sender(tg_bot, db, sender_settings, clock, stale_after=timedelta(seconds=5))
    assert await sender.run_once() == 1
    clock.advance(3600)
    # A fresh sender, as after a restart: nothing to do.
    restarted = make_sender(tg_bot, db, sender_settings, clock, stale_after=timedelta(seconds=5))
    assert await restarted.run_once() == 0
    assert len(sends(fake)) == 1


async def test_a_claim_left_by_a_crash_is_sent_after_stale_after(
    db: Database, tg_bot: Bot, fake: FakeBotApi, sender_settings: Settings, clock: VirtualClock
) -> None:
    enqueue(db, "in-flight", ALICE)
    # The dead process claimed the row (committed) and never recorded an outcome.
    with db.unit_of_work() as uow:
        assert len(outbox.claim_due(uow.session, T0, 10, timedelta(seconds=5))) == 1
        uow.commit()
    sender = make_sender(tg_bot, db, sender_settings, clock, stale_after=timedelta(seconds=5))
    assert await sender.run_once() == 0
    clock.advance(5.5)
    assert await sender.run_once() == 1
    r = row(db, "in-flight")
    assert r.status == "sent" and r.attempts == 2  # the unknown attempt is counted
    assert len(sends(fake)) == 1


def _claimed_by(db: Database, owner: str) -> None:
    """Another process claims every due row (committed) and never settles them."""
    with db.unit_of_work() as uow:
        assert outbox.claim_due(uow.session, T0, 10, timedelta(seconds=5), owner=owner)
        uow.commit()


def _sibling(pid: int) -> str:
    """The claim token a process with ``pid`` on this machine would carry."""
    machine = claim_token().split("/", 1)[0]
    return f"{machine}/{pid}/0123456789ab"


async def test_an_ended_processs_claims_are_taken_over_at_start(
    db: Database, tg_bot: Bot, fake: FakeBotApi, sender_settings: Settings, clock: VirtualClock
) -> None:
    enqueue(db, "in-flight", ALICE)
    # An earlier process with our process id (a restart in a container, pid 1 again): it
    # cannot be running, since we are.
    ended = _sibling(os.getpid())
    _claimed_by(db, ended)
    sender = make_sender(tg_bot, db, sender_settings, clock, stale_after=timedelta(minutes=15))
    assert claim_owner_ended(ended, sender.owner)
    assert await sender.run_once() == 1  # at once, no stale timeout waited
    r = row(db, "in-flight")
    assert (r.status, r.attempts, r.claimed_by) == ("sent", 2, sender.owner)
    assert len(sends(fake)) == 1


async def test_a_live_processs_claims_are_left_alone(
    db: Database, tg_bot: Bot, fake: FakeBotApi, sender_settings: Settings, clock: VirtualClock
) -> None:
    enqueue(db, "theirs", ALICE)
    alive = _sibling(os.getppid())  # our parent is running, whatever it is
    _claimed_by(db, alive)
    elsewhere = "other-host/1/0123456789ab"
    sender = make_sender(tg_bot, db, sender_settings, clock, stale_after=timedelta(seconds=5))
    assert not claim_owner_ended(alive, sender.owner)
    assert not claim_owner_ended(elsewhere, sender.owner)  # another machine: unknowable
    assert not claim_owner_ended("garbage", sender.owner)
    assert await sender.run_once() == 0
    assert row(db, "theirs").status == "sending"
    # Only the stale timeout takes it, as for a claim whose owner cannot be seen.
    clock.advance(5.5)
    assert await sender.run_once() == 1
    assert sends(fake)[0].chat_id == ALICE


async def test_the_token_is_never_kept_on_a_row(
    db: Database, tg_bot: Bot, fake: FakeBotApi, sender_settings: Settings, clock: VirtualClock
) -> None:
    enqueue(db, "a", ALICE)
    # An error text that quotes the URL, as some httpx errors do.
    fake.inject("sendMessage", status=502, description=f"Bad Gateway at /bot{TOKEN}/sendMessage")
    sender = make_sender(tg_bot, db, sender_settings, clock)
    assert await sender.run_once() == 1
    error = row(db, "a").last_error or ""
    assert "Bad Gateway" in error and TOKEN not in error and TOKEN.split(":")[1] not in error


# --------------------------------------------------------------------------- limits


async def test_per_chat_limit_spaces_a_chats_messages(
    db: Database, tg_bot: Bot, fake: FakeBotApi, sender_settings: Settings, clock: VirtualClock
) -> None:
    for i in range(3):
        enqueue(db, f"alice-{i}", ALICE, f"第{i}条")
    enqueue(db, "bob", BOB)
    sender = make_sender(tg_bot, db, sender_settings, clock)
    assert await sender.run_once() == 2  # one per chat
    # The rest of Alice's queue was given back, one per-chat interval apart.
    assert row(db, "alice-1").status == "pending"
    assert row(db, "alice-1").next_attempt_at == T0 + timedelta(seconds=1)
    assert row(db, "alice-2").next_attempt_at == T0 + timedelta(seconds=2)
    assert await sender.run_once() == 0
    clock.set(T0 + timedelta(seconds=0.5))
    assert await sender.run_once() == 0
    clock.set(T0 + timedelta(seconds=1))
    assert await sender.run_once() == 1
    clock.set(T0 + timedelta(seconds=2))
    assert await sender.run_once() == 1
    assert [(c.text, c.at) for c in sends(fake, ALICE)] == [
        ("第0条", 0.0),
        ("第1条", 1.0),
        ("第2条", 2.0),
    ]


async def test_overall_rate_paces_every_send(
    db: Database, tg_bot: Bot, fake: FakeBotApi, clock: VirtualClock
) -> None:
    # One at a time, so that virtual time moves only between sends.
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, send_rate_overall=4.0, sender_concurrency=1, sender_poll_seconds=1.0
    )
    fake.global_limit = RateLimit(4, 1.0)  # the fake flags a fifth message in any second
    for chat in range(1, 11):
        enqueue(db, f"m{chat}", chat)
    sender = make_sender(tg_bot, db, settings, clock)
    total = 0
    while handled := await sender.run_once():
        total += handled
    assert total == 10
    times = [c.at for c in sends(fake)]
    assert times == [0.25 * i for i in range(10)]


async def test_concurrency_never_exceeds_the_setting(
    db: Database, tg_bot: Bot, fake: FakeBotApi, clock: VirtualClock
) -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, send_rate_overall=1000.0, sender_concurrency=3
    )
    in_flight = peak = 0
    full = asyncio.Event()
    answer = asyncio.Event()
    original = fake.handle

    async def held_handle(*args: Any, **kwargs: Any) -> Any:
        # The API holds every call until the test lets them through.
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        if in_flight >= 3:
            full.set()
        try:
            await answer.wait()
            return await original(*args, **kwargs)
        finally:
            in_flight -= 1

    fake.handle = held_handle  # type: ignore[method-assign]
    for chat in range(1, 13):
        enqueue(db, f"m{chat}", chat)
    sender = make_sender(tg_bot, db, settings, clock, batch_size=12)
    running = asyncio.create_task(sender.run_once())
    await asyncio.wait_for(full.wait(), timeout=10)
    for _ in range(200):  # ample turns for a fourth send to start, were it allowed to
        await asyncio.sleep(0)
    assert in_flight == 3
    answer.set()
    assert await running == 12
    assert peak == 3


# --------------------------------------------------------------------------- failures


async def test_429_retries_after_retry_after_and_holds_the_chat(
    db: Database, tg_bot: Bot, fake: FakeBotApi, sender_settings: Settings, clock: VirtualClock
) -> None:
    enqueue(db, "alice-1", ALICE, "一")
    enqueue(db, "alice-2", ALICE, "二")
    enqueue(db, "bob", BOB)
    fake.inject("sendMessage", chat_id=ALICE, status=429, retry_after=5)
    sender = make_sender(tg_bot, db, sender_settings, clock)
    assert await sender.run_once() == 2  # Alice's first (429) and Bob's
    first = row(db, "alice-1")
    assert first.status == "pending" and first.attempts == 0  # flood waits are not failures
    assert first.next_attempt_at == T0 + timedelta(seconds=5)
    assert first.last_error is not None and "Flood control" in first.last_error
    # The whole chat waits, including the row that was due in a second.
    assert row(db, "alice-2").next_attempt_at == T0 + timedelta(seconds=5)
    assert row(db, "bob").status == "sent"
    # An Alice notice written during the hold waits too (held in memory, not only in rows).
    enqueue(db, "alice-3", ALICE, "三")
    for at in (1, 2, 4.9):
        clock.set(T0 + timedelta(seconds=at))
        assert await sender.run_once() == 0
    clock.set(T0 + timedelta(seconds=5))
    assert await sender.run_once() == 1
    clock.advance(1)
    assert await sender.run_once() == 1
    clock.advance(1)
    assert await sender.run_once() == 1
    assert [c.text for c in sends(fake, ALICE) if c.ok] == ["一", "二", "三"]
    assert row(db, "alice-1").attempts == 1


async def test_429_without_a_chat_holds_everything(
    db: Database, tg_bot: Bot, fake: FakeBotApi, sender_settings: Settings, clock: VirtualClock
) -> None:
    with db.unit_of_work() as uow:
        outbox.enqueue(
            uow.session,
            key="menu",
            chat_id=ALICE,
            method="setMyCommands",
            params={"commands": [{"command": "start", "description": "开始"}]},
            now=T0,
        )
        uow.commit()
    fake.inject("setMyCommands", status=429, retry_after=7)
    sender = make_sender(tg_bot, db, sender_settings, clock)
    assert await sender.run_once() == 1
    enqueue(db, "bob", BOB)
    clock.set(T0 + timedelta(seconds=6))
    assert await sender.run_once() == 0
    assert sends(fake) == []
    clock.set(T0 + timedelta(seconds=7))
    assert await sender.run_once() == 2
    assert row(db, "menu").status == "sent" and row(db, "bob").status == "sent"


async def test_5xx_backs_off_then_succeeds(
    db: Database, tg_bot: Bot, fake: FakeBotApi, sender_settings: Settings, clock: VirtualClock
) -> None:
    enqueue(db, "a", ALICE)
    fake.inject("sendMessage", status=500, times=2)
    sender = make_sender(tg_bot, db, sender_settings, clock)
    assert await sender.run_once() == 1
    r = row(db, "a")
    assert (r.status, r.attempts, r.next_attempt_at) == ("pending", 1, T0 + timedelta(seconds=2))
    assert r.last_error == "Internal Server Error"
    clock.set(T0 + timedelta(seconds=1.9))
    assert await sender.run_once() == 0
    clock.set(T0 + timedelta(seconds=2))
    assert await sender.run_once() == 1
    assert row(db, "a").next_attempt_at == T0 + timedelta(seconds=2 + 4)
    clock.set(T0 + timedelta(seconds=6))
    assert await sender.run_once() == 1
    r = row(db, "a")
    assert (r.status, r.attempts) == ("sent", 3)
    assert r.message_id is not None


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff_delay(n).total_seconds() for n in range(1, 11)] == [
        2,
        4,
        8,
        16,
        32,
        64,
        128,
        256,
        300,
        300,
    ]


async def test_repeated_5xx_end_in_failed(
    db: Database, tg_bot: Bot, fake: FakeBotApi, sender_settings: Settings, clock: VirtualClock
) -> None:
    enqueue(db, "a", ALICE)
    fake.inject("sendMessage", status=502, times=3)
    sender = make_sender(tg_bot, db, sender_settings, clock, max_attempts=3)
    for _ in range(3):
        assert await sender.run_once() == 1
        clock.advance(600)
    r = row(db, "a")
    assert r.status == "failed" and r.attempts == 3
    assert r.last_error is not None and r.last_error.startswith("gave up after 3 attempts")
    assert await sender.run_once() == 0


async def test_403_blocks_the_user_and_the_rest_of_the_chat(
    db: Database, tg_bot: Bot, fake: FakeBotApi, sender_settings: Settings, clock: VirtualClock
) -> None:
    with db.unit_of_work() as uow:
        uow.session.add_all([User(telegram_id=ALICE, name="甲"), User(telegram_id=BOB, name="乙")])
        uow.commit()
    for i in range(3):
        enqueue(db, f"alice-{i}", ALICE)
    enqueue(db, "bob", BOB)
    fake.block_user(ALICE, notify=False)
    sender = make_sender(tg_bot, db, sender_settings, clock)
    assert await sender.run_once() == 2
    assert {row(db, f"alice-{i}").status for i in range(3)} == {"blocked"}
    assert row(db, "alice-0").last_error == "Forbidden: bot was blocked by the user"
    clock.advance(60)
    assert await sender.run_once() == 0
    assert len(sends(fake, ALICE)) == 1  # only the one that found out
    assert row(db, "bob").status == "sent"
    with reading(db) as session:
        blocked = dict(session.execute(select(User.telegram_id, User.blocked_at)).all())
    assert blocked == {ALICE: T0, BOB: None}


async def test_400_fails_with_the_reason(
    db: Database, tg_bot: Bot, fake: FakeBotApi, sender_settings: Settings, clock: VirtualClock
) -> None:
    enqueue(db, "long", ALICE, "字" * 5000)
    sender = make_sender(tg_bot, db, sender_settings, clock)
    assert await sender.run_once() == 1
    r = row(db, "long")
    assert r.status == "failed" and r.attempts == 1
    assert r.last_error is not None and "too long" in r.last_error
    clock.advance(3600)
    assert await sender.run_once() == 0
    # The fake noted the bad call, as Telegram would have refused it.
    assert len(fake.violations) == 1
    fake.violations.clear()


# --------------------------------------------------------------------------- quiet hours


async def test_quiet_hours_hold_ordinary_notices_and_silence_urgent_ones(
    db: Database, tg_bot: Bot, fake: FakeBotApi, sender_settings: Settings, clock: VirtualClock
) -> None:
    night = datetime(2026, 3, 2, 22, 30, tzinfo=SHANGHAI).astimezone(UTC)
    morning = datetime(2026, 3, 3, 8, 0, tzinfo=SHANGHAI).astimezone(UTC)
    clock.set(night)
    with db.unit_of_work() as uow:
        notify(
            uow.session, key="plan", chat_id=ALICE, text="明日计划", now=night, quiet=QuietHours(TZ)
        )
        notify(
            uow.session,
            key="recusal",
            chat_id=BOB,
            text="紧急：回避",
            urgent=True,
            now=night,
            quiet=sender_settings,
        )
        uow.commit()
    sender = make_sender(tg_bot, db, sender_settings, clock)
    assert await sender.run_once() == 1
    (urgent,) = sends(fake)
    assert urgent.chat_id == BOB and urgent.params["disable_notification"] is True
    clock.set(morning - timedelta(minutes=1))
    assert await sender.run_once() == 0
    clock.set(morning)
    assert await sender.run_once() == 1
    (ordinary,) = sends(fake, ALICE)
    assert "disable_notification" not in ordinary.params
    assert row(db, "plan").sent_at == morning


# --------------------------------------------------------------------------- lifecycle


async def test_start_delivers_and_stop_leaves_no_task(
    db: Database, fake: FakeBotApi, sender_settings: Settings
) -> None:
    # The app passes its ExtBot and the real clock; the loop runs on its own.
    bot: ExtBot[None] = ExtBot(TOKEN, request=OfflineRequest(fake))
    async with bot:
        sender = OutboxSender(bot, db, sender_settings)
        enqueue(db, "a", ALICE)
        await sender.start()
        assert sender.running
        with pytest.raises(RuntimeError, match="already running"):
            await sender.start()
        call = await fake.wait_for(lambda c: c.method == "sendMessage", timeout=10)
        assert call.chat_id == ALICE
        await sender.stop()
        assert not sender.running
        assert not [t for t in asyncio.all_tasks() if t.get_name() == "dsr-outbox-sender"]
        assert row(db, "a").status == "sent"  # the outcome was recorded before stop returned
        await sender.stop()  # idempotent


async def test_stop_gives_unstarted_rows_back(
    db: Database, tg_bot: Bot, fake: FakeBotApi, sender_settings: Settings, clock: VirtualClock
) -> None:
    for chat in range(1, 6):
        enqueue(db, f"m{chat}", chat)
    settings = sender_settings.model_copy(update={"sender_concurrency": 1})
    sender = make_sender(tg_bot, db, settings, clock)
    entered = asyncio.Event()
    release = asyncio.Event()
    original = fake.handle

    async def gated_handle(*args: Any, **kwargs: Any) -> Any:
        entered.set()
        await release.wait()
        return await original(*args, **kwargs)

    fake.handle = gated_handle  # type: ignore[method-assign]
    running = asyncio.create_task(sender.run_once())
    await entered.wait()  # the first send is on the wire
    sender._stopping.set()  # what stop() does first
    release.set()
    assert await running == 1
    statuses = sorted(row(db, f"m{chat}").status for chat in range(1, 6))
    assert statuses == ["pending"] * 4 + ["sent"]
    with reading(db) as session:
        assert outbox.pending_count(session) == 4


async def test_a_hung_send_is_cancelled_at_stop_and_left_for_reclaim(
    db: Database, tg_bot: Bot, fake: FakeBotApi, sender_settings: Settings
) -> None:
    enqueue(db, "hung", ALICE)
    entered = asyncio.Event()
    never = asyncio.Event()

    async def hung_handle(*args: Any, **kwargs: Any) -> Any:
        entered.set()
        await never.wait()

    fake.handle = hung_handle  # type: ignore[method-assign]
    sender = OutboxSender(tg_bot, db, sender_settings)
    await sender.start()
    await asyncio.wait_for(entered.wait(), timeout=10)
    await sender.stop(timeout=0.05)
    assert not sender.running
    # Its outcome is unknown: the row stays claimed, for the stale-claim path to resend.
    assert row(db, "hung").status == "sending"


async def test_runs_in_a_ptb_application_between_post_init_and_post_stop(
    db: Database, fake: FakeBotApi, sender_settings: Settings
) -> None:
    """The wiring bot.app uses: start in post_init, stop in post_stop (HTTP still open)."""
    holder: dict[str, OutboxSender] = {}

    async def post_init(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        holder["sender"] = OutboxSender(app.bot, db, sender_settings)
        await holder["sender"].start()

    async def post_stop(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        await holder["sender"].stop()

    request = OfflineRequest(fake)
    app = (
        Application.builder()
        .token(TOKEN)
        .request(request)
        .get_updates_request(request)
        .post_init(post_init)
        .post_stop(post_stop)
        .build()
    )
    enqueue(db, "a", ALICE)
    # What run_polling does, minus the polling: initialize, post_init, start … stop,
    # post_stop, shutdown.
    async with app:
        assert app.post_init is not None and app.post_stop is not None
        await app.post_init(app)
        await app.start()
        await fake.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == ALICE)
        enqueue(db, "b", BOB)
        await fake.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == BOB)
        await app.stop()
        await app.post_stop(app)
    assert not holder["sender"].running
    assert row(db, "a").status == row(db, "b").status == "sent"
