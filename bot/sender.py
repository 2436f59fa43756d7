"""The outbox sender: the one task that delivers what services wrote (docs/architecture.md §8).

How a message travels: ``claim_due`` marks a batch ``sending`` and commits; each message
waits for its slot (overall pace, per-chat pace, flood holds), goes to the Bot API, and its
outcome is committed in its own unit of work. So after a crash at any point:

- nothing committed is lost (rows are only ever settled, never deleted);
- a row recorded ``sent`` is never claimed again;
- a row claimed but not settled stays ``sending`` and is claimed again after
  ``stale_after``: only the messages whose API call had started (at most
  ``sender_concurrency``, because a send holds its slot until its outcome is committed) may
  reach the user twice.

Limits live here and nowhere else, in memory: an even overall pace (no burst), a per-chat
pace, and flood holds from 429s. The clock and the sleep are injectable so tests drive
``run_once`` on virtual time.

Message text is personal data: logs carry row ids, chat ids and statuses only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import warnings
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session
from telegram import Bot
from telegram.error import (
    BadRequest,
    ChatMigrated,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    RetryAfter,
)
from telegram.warnings import PTBDeprecationWarning, PTBUserWarning

from bot.config import Settings
from storage import outbox
from storage.db import Database
from storage.outbox import ClaimedMessage

__all__ = ["OutboxSender", "backoff_delay"]

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Sleep = Callable[[float], Awaitable[None]]

# After this many failed attempts (5xx, network) a row is given up as failed. With the
# backoff below that is about 13 minutes of continuous failure.
MAX_ATTEMPTS = 10
BACKOFF_FIRST = timedelta(seconds=2)
BACKOFF_CAP = timedelta(minutes=5)
# How long a claim may stay unsettled before it is taken for a dead process's. It must
# exceed the longest pass of a live sender: a batch of ~25 at concurrency 4 where every call
# runs into PTB's default timeouts (~16 s each) takes about 2 minutes. Only a second process
# would reclaim a live one's rows (one process runs one pass at a time), but that is the
# case the claim protocol exists for. It is also how long a crash delays those messages.
DEFAULT_STALE_AFTER = timedelta(minutes=5)
# Telegram allows about 20 messages a minute in a group; the bot lives in private chats,
# but a negative chat id must not be paced like a private one.
GROUP_INTERVAL = timedelta(seconds=3)
STOP_TIMEOUT_SECONDS = 30.0
_DB_WRITE_TRIES = 3
_ERROR_MAX_CHARS = 500

# The payload is Bot API JSON, so the generic entry point is the right one; PTB's hint to
# use its typed methods instead would otherwise be printed for every kind of method.
warnings.filterwarnings(
    "ignore",
    message=r"Please use 'Bot\.\w+' instead of 'Bot\.do_api_request",
    category=PTBUserWarning,
)


def _utcnow() -> datetime:
    return datetime.now(UTC)


def backoff_delay(failed_attempts: int) -> timedelta:
    """2 s after the first failure, then 4, 8, … capped at 5 minutes (deterministic)."""
    exponent = min(max(failed_attempts, 1) - 1, 20)
    return min(BACKOFF_FIRST * (1 << exponent), BACKOFF_CAP)


def _interval(rate_per_second: float) -> timedelta:
    """1/rate, rounded up to datetime's resolution: rounding down could exceed the rate."""
    if rate_per_second <= 0:
        raise ValueError("a send rate must be positive")
    return timedelta(microseconds=math.ceil(1_000_000 / rate_per_second))


def _retry_after(exc: RetryAfter) -> timedelta:
    # PTB 22 returns int seconds (with a deprecation warning) or a timedelta (PTB_TIMEDELTA).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    delay = value if isinstance(value, timedelta) else timedelta(seconds=float(value))
    return max(delay, timedelta(seconds=1))


def _reason(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text[:_ERROR_MAX_CHARS]


class _Pace:
    """Next-free-slot pacing: each send starts at least ``interval`` after the previous.

    ``reserve`` reads and writes without an await in between, so concurrent tasks on the
    loop can never book the same slot.
    """

    def __init__(self, interval: timedelta) -> None:
        self._interval = interval
        self._next: datetime | None = None

    def reserve(self, now: datetime) -> datetime:
        slot = now if self._next is None or self._next < now else self._next
        self._next = slot + self._interval
        return slot


class OutboxSender:
    """Delivers outbox rows through ``bot``; start it in post_init, stop it in post_stop."""

    def __init__(
        self,
        bot: Bot,
        database: Database,
        settings: Settings,
        clock: Clock = _utcnow,
        *,
        sleep: Sleep = asyncio.sleep,
        stale_after: timedelta = DEFAULT_STALE_AFTER,
        max_attempts: int = MAX_ATTEMPTS,
        batch_size: int | None = None,
    ) -> None:
        self._bot = bot
        self._db = database
        self._clock = clock
        self._sleep = sleep
        self._stale_after = stale_after
        self._max_attempts = max(1, max_attempts)
        self._concurrency = max(1, settings.sender_concurrency)
        self._poll_seconds = max(0.01, settings.sender_poll_seconds)
        # About one poll interval of work per pass: claimed rows never wait long for their
        # slot, which keeps them far from looking stale.
        self._batch_size = batch_size or max(
            self._concurrency,
            min(100, math.ceil(settings.send_rate_overall * self._poll_seconds)),
        )
        self._overall = _Pace(_interval(settings.send_rate_overall))
        self._chat_interval = _interval(settings.send_rate_per_chat)
        self._chat_free: dict[int, datetime] = {}  # earliest next send per chat
        self._chat_hold: dict[int, datetime] = {}  # 429 for one chat
        self._global_hold: datetime | None = None  # 429 for a call without a chat
        self._pass_lock = asyncio.Lock()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        if self._task is not None and not self._task.done():
            raise RuntimeError("the outbox sender is already running")
        self._stopping.clear()
        self._task = asyncio.create_task(self._loop(), name="dsr-outbox-sender")
        log.info(
            "outbox sender started (concurrency %d, batch %d)", self._concurrency, self._batch_size
        )

    async def stop(self, timeout: float = STOP_TIMEOUT_SECONDS) -> None:
        """Stop taking work, let the sends in flight finish and record their outcome, and
        return once the task is gone. Call it while the bot's HTTP client is still open."""
        self._stopping.set()
        task, self._task = self._task, None
        if task is None:
            return
        try:
            await asyncio.wait({task}, timeout=timeout)
        finally:
            if not task.done():
                # A hung send: cancelling leaves its row 'sending', reclaimed after
                # stale_after — the crash path, which is safe.
                log.warning("outbox sender did not stop within %.0fs; cancelling it", timeout)
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if not task.cancelled() and task.exception() is not None:
            log.error("outbox sender ended with an error", exc_info=task.exception())
        log.info("outbox sender stopped")

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def _loop(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            try:
                handled = await self.run_once()
                failures = 0
            except Exception:
                # The database is down or similar: keep the task alive, back off, retry.
                failures += 1
                handled = 0
                log.exception("outbox sender pass failed (%d in a row)", failures)
            if handled and not self._stopping.is_set():
                continue  # there may be more due right now; run_once paces itself
            delay = min(self._poll_seconds * 2 ** min(failures, 6), 60.0)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), delay)

    # ------------------------------------------------------------------ one pass

    async def run_once(self) -> int:
        """Claim due rows, deliver those whose slot is now, and give the others back.

        Returns how many messages went to the Bot API (whatever the answer). Tests call it
        directly, moving the injected clock between calls.
        """
        async with self._pass_lock:
            if self._stopping.is_set():
                return 0
            now = self._clock()
            if self._global_hold is not None:
                if now < self._global_hold:
                    return 0
                self._global_hold = None
            self._forget_past(now)
            # Chats held or paced are left in the table rather than claimed and put back.
            excluded = set(self._chat_hold) | set(self._chat_free)
            claimed = await asyncio.to_thread(self._claim, now, excluded)
            if not claimed:
                return 0
            to_send, deferred = self._plan(claimed, now)
            if deferred:
                await self._write("deferral", lambda s: outbox.release(s, deferred))
            gate = asyncio.Semaphore(self._concurrency)
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(self._deliver(m, gate)) for m in to_send]
            return sum(task.result() for task in tasks)

    def _forget_past(self, now: datetime) -> None:
        self._chat_free = {c: t for c, t in self._chat_free.items() if t > now}
        self._chat_hold = {c: t for c, t in self._chat_hold.items() if t > now}

    def _claim(self, now: datetime, excluded: set[int]) -> list[ClaimedMessage]:
        with self._db.unit_of_work() as uow:
            claimed = outbox.claim_due(
                uow.session, now, self._batch_size, self._stale_after, exclude_chat_ids=excluded
            )
            uow.commit()
        for message in claimed:
            if message.reclaimed:
                log.warning(
                    "outbox %d reclaimed after an unconfirmed send (chat %d): it may arrive twice",
                    message.id,
                    message.chat_id,
                )
        return claimed

    def _pace_interval(self, chat_id: int) -> timedelta:
        return GROUP_INTERVAL if chat_id < 0 else self._chat_interval

    def _plan(
        self, claimed: list[ClaimedMessage], now: datetime
    ) -> tuple[list[ClaimedMessage], list[tuple[int, datetime]]]:
        """One message per chat goes now; a chat's later ones are given back spaced by the
        per-chat interval, so each comes due at its turn instead of being claimed again and
        again (they keep their order: claims come oldest first)."""
        to_send: list[ClaimedMessage] = []
        deferred: list[tuple[int, datetime]] = []
        turn: dict[int, datetime] = {}
        for message in claimed:
            chat = message.chat_id
            if chat in turn:
                deferred.append((message.id, turn[chat]))
                turn[chat] += self._pace_interval(chat)
            else:
                to_send.append(message)
                turn[chat] = now + self._pace_interval(chat)
        return to_send, deferred

    def _hold(self, message: ClaimedMessage, now: datetime) -> datetime | None:
        """A flood hold that began during this pass (another send's 429)."""
        holds = [self._global_hold, self._chat_hold.get(message.chat_id)]
        active = [h for h in holds if h is not None and h > now]
        return max(active) if active else None

    async def _deliver(self, message: ClaimedMessage, gate: asyncio.Semaphore) -> int:
        # The gate is held until the outcome is committed: at most `concurrency` messages
        # are ever sent-but-unrecorded, which bounds the duplicates after a crash.
        async with gate:
            now = self._clock()
            if self._stopping.is_set():
                await self._write("release", lambda s: outbox.release(s, [(message.id, now)]))
                return 0
            hold = self._hold(message, now)
            if hold is not None:
                await self._write("hold", lambda s: outbox.release(s, [(message.id, hold)]))
                return 0
            slot = self._overall.reserve(now)
            if slot > now:
                await self._sleep((slot - now).total_seconds())
            chat = message.chat_id
            self._chat_free[chat] = max(
                self._chat_free.get(chat, slot), slot + self._pace_interval(chat)
            )
            try:
                if not message.method:
                    raise EndPointNotFound("the outbox payload names no Bot API method")
                result = await self._bot.do_api_request(
                    message.method, api_kwargs=dict(message.params)
                )
            except Exception as exc:
                await self._on_error(message, exc)
            else:
                await self._on_sent(message, result)
            return 1

    async def _on_sent(self, message: ClaimedMessage, result: Any) -> None:
        message_id = result.get("message_id") if isinstance(result, dict) else None
        if not isinstance(message_id, int):
            message_id = None
        now = self._clock()
        await self._write("sent", lambda s: outbox.mark_sent(s, message.id, message_id, now))
        log.debug("outbox %d sent to chat %d (message %s)", message.id, message.chat_id, message_id)

    async def _on_error(self, message: ClaimedMessage, exc: Exception) -> None:
        now = self._clock()
        chat = message.chat_id
        reason = _reason(exc)
        if isinstance(exc, RetryAfter):
            until = now + _retry_after(exc)
            if "chat_id" in message.params:
                self._chat_hold[chat] = max(self._chat_hold.get(chat, until), until)
            else:
                # Telegram's flood wait for a call without a chat applies to the whole bot.
                self._global_hold = max(self._global_hold or until, until)

            def flood(session: Session) -> None:
                outbox.mark_retry(session, message.id, until, reason, count_attempt=False)
                if "chat_id" in message.params:
                    outbox.hold_chat(session, chat, until)

            await self._write("flood wait", flood)
            log.warning(
                "outbox %d: flood control (429), %s held until %s",
                message.id,
                f"chat {chat}" if "chat_id" in message.params else "every chat",
                until.isoformat(),
            )
        elif isinstance(exc, Forbidden):
            blocked: list[int] = []

            def block(session: Session) -> None:
                blocked.append(outbox.mark_blocked(session, message.id, chat, reason, now))

            await self._write("blocked", block)
            log.info(
                "outbox %d: chat %d blocked the bot; %d more of its messages not sent",
                message.id,
                chat,
                blocked[0] if blocked else 0,
            )
        elif isinstance(exc, BadRequest | ChatMigrated | EndPointNotFound):
            # Telegram refuses this message as it is: retrying cannot help.
            await self._write("failed", lambda s: outbox.mark_failed(s, message.id, reason))
            log.error("outbox %d to chat %d failed: %s", message.id, chat, reason)
        else:
            # 5xx, network trouble, time-outs, a revoked token, or a surprise: back off.
            if isinstance(exc, InvalidToken):
                log.error("outbox %d: the Bot API refused the token", message.id)
            failed_attempts = message.attempts + 1
            if failed_attempts >= self._max_attempts:
                final = f"gave up after {failed_attempts} attempts: {reason}"
                await self._write("failed", lambda s: outbox.mark_failed(s, message.id, final))
                log.error("outbox %d to chat %d failed: %s", message.id, chat, final)
                return
            at = now + backoff_delay(failed_attempts)
            await self._write("retry", lambda s: outbox.mark_retry(s, message.id, at, reason))
            log.warning(
                "outbox %d to chat %d: %s (%s); attempt %d, retry at %s",
                message.id,
                chat,
                type(exc).__name__,
                reason,
                failed_attempts,
                at.isoformat(),
            )

    # ------------------------------------------------------------------ database writes

    def _transaction(self, work: Callable[[Session], object]) -> None:
        with self._db.unit_of_work() as uow:
            work(uow.session)
            uow.commit()

    async def _write(self, what: str, work: Callable[[Session], object]) -> bool:
        """One unit of work in a worker thread, tried a few times: losing an outcome would
        leave the row 'sending' until stale_after, and a sent one would go out again."""
        for attempt in range(1, _DB_WRITE_TRIES + 1):
            try:
                await asyncio.to_thread(self._transaction, work)
            except Exception:
                if attempt == _DB_WRITE_TRIES:
                    log.exception(
                        "outbox: could not record %s; the row is claimed again after %s",
                        what,
                        self._stale_after,
                    )
                    return False
                await self._sleep(0.5 * attempt)
            else:
                return True
        return False  # pragma: no cover - the loop always returns
