"""The send budget shared by replies and the outbox (bot/ratelimit.py), on virtual time.

A real ``ExtBot`` carries the budget as its rate limiter, as bot/app.py builds it; the fake
enforces Telegram's limits on the same virtual clock and answers 429 beyond them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from telegram.error import RetryAfter
from telegram.ext import ExtBot

from bot.config import Settings
from bot.fakeapi import FakeBotApi
from bot.ratelimit import SendBudget, chat_of, is_message
from bot.sender import OutboxSender
from bot.transport import OfflineRequest
from storage.db import Database
from tests.handlers.test_sender import (
    ALICE,
    BOB,
    SPEC,
    T0,
    TOKEN,
    VirtualClock,
    enqueue,
    row,
    sends,
)

pytestmark = [
    pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning"),
    pytest.mark.filterwarnings("ignore:Please use 'Bot.:telegram.warnings.PTBUserWarning"),
]


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(T0)


@pytest.fixture
def fake(clock: VirtualClock) -> FakeBotApi:
    return FakeBotApi(SPEC, clock=clock.seconds, wall_clock=clock.seconds, enforce_limits=True)


@pytest.fixture
def settings() -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None, send_rate_overall=25.0, send_rate_per_chat=1.0, sender_poll_seconds=0.01
    )


@pytest.fixture
def budget(clock: VirtualClock, settings: Settings) -> SendBudget:
    return SendBudget.from_settings(settings, clock=clock, sleep=clock.sleep)


@pytest.fixture
async def bot(fake: FakeBotApi, budget: SendBudget) -> AsyncIterator[ExtBot[dict[str, object]]]:
    request = OfflineRequest(fake)
    ext_bot: ExtBot[dict[str, object]] = ExtBot(
        TOKEN, request=request, get_updates_request=request, rate_limiter=budget
    )
    async with ext_bot:
        yield ext_bot


async def test_a_reply_waits_for_the_turn_a_notice_took(
    db: Database,
    bot: ExtBot[dict[str, object]],
    fake: FakeBotApi,
    settings: Settings,
    clock: VirtualClock,
    budget: SendBudget,
) -> None:
    enqueue(db, "notice", ALICE, "通知")
    sender = OutboxSender(bot, db, settings, clock, sleep=clock.sleep, budget=budget)
    assert await sender.run_once() == 1
    await bot.send_message(ALICE, "回复")  # a direct reply in the same chat
    await bot.send_message(BOB, "另一个聊天")  # another chat need not wait
    assert [(c.chat_id, c.text, c.at) for c in sends(fake)] == [
        (ALICE, "通知", 0.0),
        (ALICE, "回复", 1.0),
        (BOB, "另一个聊天", 1.04),  # only the overall pace (25 a second) after it
    ]
    # And a notice written now waits behind the reply: the chat is busy until 2.0.
    enqueue(db, "second", ALICE, "第二条")
    assert await sender.run_once() == 0
    clock.set(T0 + timedelta(seconds=2))
    assert await sender.run_once() == 1
    assert sends(fake)[-1].at == 2.0
    assert fake.rate_violations == []


async def test_a_reply_refused_with_429_is_sent_after_retry_after(
    db: Database,
    bot: ExtBot[dict[str, object]],
    fake: FakeBotApi,
    settings: Settings,
    clock: VirtualClock,
    budget: SendBudget,
) -> None:
    fake.inject("sendMessage", chat_id=ALICE, status=429, retry_after=3)
    message = await bot.send_message(ALICE, "回复")
    assert message.text == "回复"
    assert [(c.status, c.at) for c in sends(fake, ALICE)] == [(429, 0.0), (200, 3.0)]
    # The hold was the budget's: the outbox left the chat alone meanwhile.
    assert budget.busy_chats(clock()) == {ALICE}


async def test_retries_of_a_reply_are_bounded(
    bot: ExtBot[dict[str, object]], fake: FakeBotApi, clock: VirtualClock
) -> None:
    fake.inject("sendMessage", chat_id=ALICE, status=429, retry_after=2, times=3)
    with pytest.raises(RetryAfter):
        await bot.send_message(ALICE, "回复")
    assert len(sends(fake, ALICE)) == 3  # the first try and two more
    assert clock() == T0 + timedelta(seconds=4)


async def test_a_long_flood_wait_is_not_waited_out_in_a_handler(
    bot: ExtBot[dict[str, object]], fake: FakeBotApi, budget: SendBudget, clock: VirtualClock
) -> None:
    fake.inject("sendMessage", chat_id=ALICE, status=429, retry_after=600)
    with pytest.raises(RetryAfter):
        await bot.send_message(ALICE, "回复")
    assert clock() == T0
    assert budget.held_until(ALICE, clock()) == T0 + timedelta(seconds=600)


async def test_outbox_calls_are_not_paced_twice(
    db: Database,
    bot: ExtBot[dict[str, object]],
    fake: FakeBotApi,
    settings: Settings,
    clock: VirtualClock,
    budget: SendBudget,
) -> None:
    for chat in range(1, 6):
        enqueue(db, f"m{chat}", chat)
    # One at a time, so that virtual time moves only between sends.
    one_by_one = settings.model_copy(update={"sender_concurrency": 1})
    sender = OutboxSender(
        bot, db, one_by_one, clock, sleep=clock.sleep, budget=budget, batch_size=5
    )
    assert await sender.run_once() == 5
    # 25 a second overall: one slot each, booked by the sender alone.
    assert [c.at for c in sends(fake)] == [0.0, 0.04, 0.08, 0.12, 0.16]
    assert {row(db, f"m{chat}").status for chat in range(1, 6)} == {"sent"}


def test_what_counts_as_a_message_and_which_chat() -> None:
    assert is_message("sendMessage") and is_message("sendDocument") and is_message("copyMessage")
    assert not is_message("sendChatAction") and not is_message("editMessageText")
    assert not is_message("answerCallbackQuery")
    assert chat_of({"chat_id": 7}) == 7 and chat_of({"chat_id": "-100123"}) == -100123
    assert chat_of({"chat_id": "@channel"}) is None and chat_of({}) is None


def test_a_send_woken_late_takes_the_next_slot_instead_of_bunching(clock: VirtualClock) -> None:
    """Three sends booked 40 ms apart; the loop stalls 200 ms: woken together, each takes
    a new slot in turn instead of all three leaving at once (a burst Telegram counts)."""
    budget = SendBudget(25.0, 1.0, clock=clock, sleep=clock.sleep)
    step = timedelta(milliseconds=40)
    slots = [budget.reserve(chat) for chat in (1, 2, 3)]
    assert slots == [clock.now, clock.now + step, clock.now + 2 * step]
    clock.advance(0.2)
    tolerance = timedelta(milliseconds=20)
    new = [
        budget.rebook_if_late(chat, slot, tolerance)
        for chat, slot in zip((1, 2, 3), slots, strict=True)
    ]
    assert new == [clock.now, clock.now + step, clock.now + 2 * step]
    # On time: nothing changes.
    assert budget.rebook_if_late(4, budget.reserve(4), tolerance) is None


def test_the_overall_margin_is_spread_over_a_seconds_worth() -> None:
    """Over the network a second of the limits gets 50 ms more: a chat's interval, and the
    span of 30 messages overall — not 50 ms more between every two (11 a second)."""
    budget = SendBudget(30.0, 1.0, margin=timedelta(milliseconds=50))
    first = budget.reserve(1)
    thirty_one = [budget.reserve(100 + i) for i in range(30)][-1]
    assert thirty_one - first >= timedelta(seconds=1.05)
    assert thirty_one - first < timedelta(seconds=1.06)
    assert budget.reserve(1) - first >= timedelta(seconds=1.05)
