"""One send budget for everything the bot says: direct replies and the outbox together.

Telegram counts every message a bot sends against the same limits, whether it answers a
command or delivers a notice: about one message a second in a chat, twenty a minute in a
group, about thirty a second overall. Two pacers that each keep a limit break it together
(the outbox sends a notice to a chat, a reply follows 0.2 s later: 429). So a process has
one ``SendBudget``, and both sides book their turns in it:

- **Replies**, and every other call a handler makes, go through PTB's own extension point:
  the budget is the ``BaseRateLimiter`` given to the ApplicationBuilder (bot/app.py), so
  ``ExtBot`` hands every request but getUpdates to ``process_request``. There a new message
  waits for its turn in its chat and overall, any call waits out a flood hold, and a 429
  holds the chat (or, for a call without a chat, the whole bot) for ``retry_after`` and is
  tried again — at most ``max_retries`` times and only for waits up to ``max_wait``, since
  updates are handled one at a time and a long wait would hold up everyone.
- **The outbox sender** (bot/sender.py) books its turns with ``reserve`` and reads the
  holds and busy chats before it claims rows: it must decide what to claim and what to leave
  in the database, not wait in memory with rows claimed. Its calls carry ``OUTBOX`` as
  ``rate_limit_args``, so ``process_request`` lets them straight through (no second
  booking); the sender records a 429 here and in the database itself.

Why not PTB's ``AIORateLimiter``: nothing outside it can ask which chats are busy (the
sender must), it allows bursts per chat, and it needs the aiolimiter extra.

Only new messages (``send…`` but sendChatAction, copies, forwards) are paced, as Telegram
counts them; edits, button answers and menus respect flood holds and are retried, unpaced.
Times come from an injectable clock and sleep, so tests run the budget on virtual time.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import warnings
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter
from telegram.warnings import PTBDeprecationWarning

from bot.config import Settings

__all__ = ["GROUP_INTERVAL", "OUTBOX", "SendBudget", "retry_after"]

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Sleep = Callable[[float], Awaitable[None]]

# rate_limit_args of the outbox sender's calls: already paced, 429s handled by the sender.
# ``max_retries`` keeps it meaningful to PTB's AIORateLimiter, were that ever configured.
OUTBOX: Final[dict[str, Any]] = {"outbox": True, "max_retries": 0}
# Telegram allows about 20 messages a minute in a group; the bot lives in private chats,
# but a negative chat id must not be paced like a private one.
GROUP_INTERVAL = timedelta(seconds=3)
REPLY_MAX_RETRIES = 2
# Telegram counts a message when it arrives, the budget when it leaves: two messages that
# leave exactly a second apart may arrive 0.999 s apart after unequal trips. Over the
# network every second of the limits gets this much more (bot/app.py): a chat's interval
# and the span of a second's worth of messages overall; on virtual time, none.
NETWORK_MARGIN = timedelta(milliseconds=50)
REPLY_MAX_WAIT = timedelta(seconds=30)
_UNPACED_SENDS = frozenset({"sendChatAction"})
_PACED_OTHERS = frozenset({"copyMessage", "copyMessages", "forwardMessage", "forwardMessages"})


def _utcnow() -> datetime:
    return datetime.now(UTC)


def interval(rate_per_second: float) -> timedelta:
    """1/rate, rounded up to datetime's resolution: rounding down could exceed the rate."""
    if rate_per_second <= 0:
        raise ValueError("a send rate must be positive")
    return timedelta(microseconds=math.ceil(1_000_000 / rate_per_second))


def retry_after(exc: RetryAfter) -> timedelta:
    """Telegram's wait, at least a second."""
    # PTB 22 returns int seconds (with a deprecation warning) or a timedelta (PTB_TIMEDELTA).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    delay = value if isinstance(value, timedelta) else timedelta(seconds=float(value))
    return max(delay, timedelta(seconds=1))


def is_message(endpoint: str) -> bool:
    """Whether Telegram counts this call as a message against its limits."""
    if endpoint in _PACED_OTHERS:
        return True
    return endpoint.startswith("send") and endpoint not in _UNPACED_SENDS


def chat_of(data: dict[str, Any]) -> int | None:
    """The numeric chat a call addresses, if any (an ``@channel`` name counts as none)."""
    value = data.get("chat_id")
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d{1,20}", value):
        return int(value)
    return None


class SendBudget(BaseRateLimiter[dict[str, Any]]):
    """Per-chat and overall pacing plus flood holds, shared by replies and the outbox."""

    def __init__(
        self,
        overall_per_second: float,
        per_chat_per_second: float,
        *,
        clock: Clock = _utcnow,
        sleep: Sleep = asyncio.sleep,
        max_retries: int = REPLY_MAX_RETRIES,
        max_wait: timedelta = REPLY_MAX_WAIT,
        margin: timedelta = timedelta(0),
    ) -> None:
        # Telegram counts the overall limit over a second: message k and message k+N (N a
        # second's worth) must arrive a second apart, so the margin is spread over the N
        # intervals between them, not added to each (that cost a third of the rate at 30/s).
        self._overall_interval = interval(overall_per_second) + margin / max(
            1.0, overall_per_second
        )
        self._chat_interval = interval(per_chat_per_second) + margin
        self._group_interval = GROUP_INTERVAL + margin
        self._clock = clock
        self._sleep = sleep
        self._max_retries = max(0, max_retries)
        self._max_wait = max_wait
        self._overall_next: datetime | None = None  # the next free overall slot
        self._chat_next: dict[int, datetime] = {}  # each chat's next free slot
        self._chat_hold: dict[int, datetime] = {}  # 429 for one chat
        self._global_hold: datetime | None = None  # 429 for a call without a chat

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        clock: Clock = _utcnow,
        sleep: Sleep = asyncio.sleep,
        margin: timedelta = timedelta(0),
    ) -> SendBudget:
        return cls(
            settings.send_rate_overall,
            settings.send_rate_per_chat,
            clock=clock,
            sleep=sleep,
            margin=margin,
        )

    # ------------------------------------------------------------------ the shared state

    def now(self) -> datetime:
        return self._clock()

    def chat_interval(self, chat_id: int) -> timedelta:
        return self._group_interval if chat_id < 0 else self._chat_interval

    def reserve(self, chat_id: int | None, now: datetime | None = None) -> datetime:
        """Book the next message's slot: the chat's next free time and the overall one.

        Reads and writes without an await in between, so tasks on the loop never book the
        same slot. Returns when the message may go (``now`` or later).
        """
        slot = now or self._clock()
        if chat_id is not None:
            slot = max(slot, self._chat_next.get(chat_id, slot))
        if self._overall_next is not None:
            slot = max(slot, self._overall_next)
        self._overall_next = slot + self._overall_interval
        if chat_id is not None:
            self._chat_next[chat_id] = slot + self.chat_interval(chat_id)
        return slot

    def rebook_if_late(
        self, chat_id: int | None, slot: datetime, tolerance: timedelta
    ) -> datetime | None:
        """A message that wakes well after its slot (the event loop stalled: a busy
        machine, a long commit) would leave together with every other one that woke with
        it, and Telegram counts them arriving together. Such a message takes the next free
        overall slot instead (its chat keeps its turn); None when it is on time."""
        now = self._clock()
        if now - slot <= tolerance:
            return None
        new = max(now, self._overall_next or now)
        self._overall_next = new + self._overall_interval
        if chat_id is not None:
            after = new + self.chat_interval(chat_id)
            self._chat_next[chat_id] = max(self._chat_next.get(chat_id, after), after)
        return new

    async def wait_for_slot(self, chat_id: int | None, tolerance: timedelta) -> None:
        """Book a slot and wait for it; booked again while woken late (at most a few
        times: each new slot is the next free one, so a late wake-up is rare)."""
        slot = self.reserve(chat_id)
        for _ in range(4):
            await self.wait_until(slot)
            later = self.rebook_if_late(chat_id, slot, tolerance)
            if later is None:
                return
            slot = later

    def hold(self, chat_id: int | None, until: datetime) -> None:
        """Telegram's 429: nothing more to ``chat_id`` (None: to anyone) before ``until``."""
        if chat_id is None:
            self._global_hold = max(self._global_hold or until, until)
        else:
            self._chat_hold[chat_id] = max(self._chat_hold.get(chat_id, until), until)

    def global_hold(self, now: datetime) -> datetime | None:
        hold = self._global_hold
        return hold if hold is not None and hold > now else None

    def held_until(self, chat_id: int | None, now: datetime) -> datetime | None:
        """The end of the flood hold that applies to ``chat_id`` now, if any."""
        holds = [self._global_hold]
        if chat_id is not None:
            holds.append(self._chat_hold.get(chat_id))
        active = [h for h in holds if h is not None and h > now]
        return max(active) if active else None

    def busy_chats(self, now: datetime) -> set[int]:
        """Chats that may not get a message now (paced or held); forgets what is past."""
        self._chat_next = {c: t for c, t in self._chat_next.items() if t > now}
        self._chat_hold = {c: t for c, t in self._chat_hold.items() if t > now}
        return set(self._chat_next) | set(self._chat_hold)

    async def wait_until(self, at: datetime) -> None:
        delay = (at - self._clock()).total_seconds()
        if delay > 0:
            await self._sleep(delay)

    # ------------------------------------------------------------------ PTB's interface

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: dict[str, Any] | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        if rate_limit_args and rate_limit_args.get("outbox"):
            return await callback(*args, **kwargs)
        chat_id = chat_of(data)
        failures = 0
        while True:
            await self._wait_turn(endpoint, chat_id)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                delay = retry_after(exc)
                self.hold(chat_id, self._clock() + delay)
                failures += 1
                if failures > self._max_retries or delay > self._max_wait:
                    log.warning(
                        "%s to chat %s: flood control (429, %ss), not tried again",
                        endpoint,
                        chat_id if chat_id is not None else "-",
                        delay.total_seconds(),
                    )
                    raise
                log.info(
                    "%s to chat %s: flood control (429), trying again in %ss",
                    endpoint,
                    chat_id if chat_id is not None else "-",
                    delay.total_seconds(),
                )

    async def _wait_turn(self, endpoint: str, chat_id: int | None) -> None:
        """Wait out the holds that apply, then, for a message, its booked slot."""
        while (until := self.held_until(chat_id, self._clock())) is not None:
            await self.wait_until(until)
        if is_message(endpoint):
            await self.wait_until(self.reserve(chat_id))
