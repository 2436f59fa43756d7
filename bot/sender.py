"""The outbox sender: the one task that delivers what services wrote (docs/architecture.md §8).

How a message travels: ``claim_due`` marks a batch ``sending`` under this process's claim
token and commits; each message waits for its turn in the send budget (bot/ratelimit.py,
shared with the bot's direct replies), goes to the Bot API, and its outcome is committed in
its own unit of work. So after a crash at any point:

- nothing committed is lost (rows are only ever settled, never deleted);
- a row recorded ``sent`` is never claimed again;
- a row claimed but not settled stays ``sending``. The next sender to start releases the
  claims of a process it can tell has ended (same machine, that process id is gone: see
  ``claim_owner_ended``) at once, and any other claim once it is older than ``stale_after``.
  Only the messages whose API call had started (at most ``sender_concurrency``: a send holds
  its slot until its outcome is committed) may reach the user twice.
- a send that timed out (no answer within DSR_READ_TIMEOUT) may still have been delivered:
  Telegram often delivers and answers late through a slow proxy. It is retried like any
  network failure, so that message may arrive twice as well; long timeouts make this rare.

A file the bot uploads itself (storage/stored_files.py) is named in the params by
reference: the first send uploads its bytes and records the returned file_id with that
row's outcome; every other send (under a lock per file, so only one uploads) uses the
file_id. A crash loses at most that record: the next process uploads once more.

Message text is personal data: logs carry row ids, chat ids and statuses only, and an error
kept on a row never holds the token.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import re
import secrets
import socket
import warnings
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session
from telegram import Bot, InputFile
from telegram.error import (
    BadRequest,
    ChatMigrated,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    RetryAfter,
)
from telegram.warnings import PTBUserWarning

from bot.config import Settings
from bot.logs import scrub
from bot.ratelimit import OUTBOX, SendBudget, retry_after
from storage import outbox, stored_files
from storage.db import Database
from storage.outbox import OWNER_MAX_LENGTH, ClaimedMessage

__all__ = ["OutboxSender", "backoff_delay", "claim_owner_ended", "claim_token"]

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Sleep = Callable[[float], Awaitable[None]]

# After this many failed attempts (5xx, network) a row is given up as failed. With the
# backoff below that is about 13 minutes of continuous failure.
MAX_ATTEMPTS = 10
BACKOFF_FIRST = timedelta(seconds=2)
BACKOFF_CAP = timedelta(minutes=5)
# How long a claim may stay unsettled before it is taken for a dead process's, when the
# owner's death cannot be seen (another machine). It must exceed the longest pass of a
# live sender: a batch of ~25 at concurrency 4 where every call runs into the timeouts
# (30 s to connect, write and read each by default) takes about 10 minutes.
DEFAULT_STALE_AFTER = timedelta(minutes=15)
STOP_TIMEOUT_SECONDS = 30.0
# A send woken this long after its slot books a new one (bot/ratelimit.py rebook_if_late):
# the sends held up by the same stall would otherwise reach Telegram together.
LATE_WAKE = timedelta(milliseconds=20)
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


def _file_id_of(result: Any, kind: str) -> str | None:
    """The file_id Telegram gave a file just uploaded as ``kind`` (document, photo)."""
    if not isinstance(result, dict):
        return None
    found = result.get(kind)
    if isinstance(found, list) and found:  # a photo: its sizes, the largest last
        found = found[-1]
    file_id = found.get("file_id") if isinstance(found, dict) else None
    return file_id if isinstance(file_id, str) else None


def backoff_delay(failed_attempts: int) -> timedelta:
    """2 s after the first failure, then 4, 8, … capped at 5 minutes (deterministic)."""
    exponent = min(max(failed_attempts, 1) - 1, 20)
    return min(BACKOFF_FIRST * (1 << exponent), BACKOFF_CAP)


def _machine() -> str:
    """Where a process id means something: this host and its PID namespace (containers)."""
    try:
        namespace = re.sub(r"\D", "", str(Path("/proc/self/ns/pid").readlink()))
    except OSError:  # not Linux
        namespace = ""
    host = socket.gethostname()[:64]
    return f"{host}~{namespace}" if namespace else host


def claim_token() -> str:
    """This process's claim token: machine, process id and a random part (a restarted
    process may get the same id, but never the same token)."""
    token = f"{_machine()}/{os.getpid()}/{secrets.token_hex(6)}"
    return token[-OWNER_MAX_LENGTH:]


def claim_owner_ended(owner: str, own_token: str) -> bool:
    """True only when the process that holds claims under ``owner`` has surely ended.

    Sure means: the same machine and PID namespace, and either its process id is ours (so it
    was an earlier process: two cannot share an id at once) or no process has that id now.
    Anything else — another machine, a process that exists, a token that does not parse —
    counts as alive, and its claims wait for ``stale_after``. Two live senders therefore
    never take each other's claims, whichever database they share.
    """
    machine, _, rest = owner.partition("/")
    pid_text, _, _ = rest.partition("/")
    if owner == own_token or machine != _machine() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return True
    except OSError:  # it exists but is not ours to signal
        return False
    return False


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
        budget: SendBudget | None = None,
        owner: str | None = None,
    ) -> None:
        """``budget``: the send budget shared with the bot's replies (bot/app.py passes the
        application's); without one the sender paces alone, on ``clock`` and ``sleep``.
        ``owner``: the claim token (tests play other processes with it)."""
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
        self._budget = budget or SendBudget.from_settings(settings, clock=clock, sleep=sleep)
        # The budget passes calls marked OUTBOX straight through: they are paced here.
        self._call_options: dict[str, Any] = (
            {"rate_limit_args": OUTBOX} if getattr(bot, "rate_limiter", None) else {}
        )
        self.owner = owner or claim_token()
        self._claims_checked = False
        self._pass_lock = asyncio.Lock()
        # Files the bot uploads itself (storage/stored_files.py): the file_id once known,
        # and a lock per file so that its first upload happens once, the others waiting.
        self._file_ids: dict[int, str] = {}
        self._file_locks: dict[int, asyncio.Lock] = {}
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
            if not self._claims_checked:
                await asyncio.to_thread(self._take_over_ended_claims, now)
                self._claims_checked = True
            if self._budget.global_hold(self._budget.now()) is not None:
                return 0
            # Chats held or paced are left in the table rather than claimed and put back.
            excluded = self._budget.busy_chats(self._budget.now())
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

    def _take_over_ended_claims(self, now: datetime) -> int:
        """Release, at start, the claims of senders that have surely ended (a crash), so
        their messages go now rather than after ``stale_after``."""
        with self._db.unit_of_work() as uow:
            owners = outbox.claim_owners(uow.session)
            ended = [o for o in owners if claim_owner_ended(o, self.owner)]
            released = outbox.release_claims_of(uow.session, ended, now) if ended else 0
            uow.commit()
        if released:
            log.warning(
                "outbox: took over %d claims of %d ended sender(s); those already on the "
                "wire when it ended may arrive twice",
                released,
                len(ended),
            )
        return released

    def _claim(self, now: datetime, excluded: set[int]) -> list[ClaimedMessage]:
        with self._db.unit_of_work() as uow:
            claimed = outbox.claim_due(
                uow.session,
                now,
                self._batch_size,
                self._stale_after,
                exclude_chat_ids=excluded,
                owner=self.owner,
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
                turn[chat] += self._budget.chat_interval(chat)
            else:
                to_send.append(message)
                turn[chat] = now + self._budget.chat_interval(chat)
        return to_send, deferred

    def _hold(self, message: ClaimedMessage, now: datetime) -> datetime | None:
        """A flood hold that began during this pass (a send's or a reply's 429), as a time
        on the sender's clock."""
        budget_now = self._budget.now()
        hold = self._budget.held_until(message.chat_id, budget_now)
        return None if hold is None else now + (hold - budget_now)

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
            # A reply may have taken this chat's turn since the claim: wait for the next.
            # Woken late (a stall), it books again rather than leave in a bunch.
            await self._budget.wait_for_slot(message.chat_id, LATE_WAKE)
            try:
                if not message.method:
                    raise EndPointNotFound("the outbox payload names no Bot API method")
                result, uploaded = await self._call(message)
            except Exception as exc:
                await self._on_error(message, exc)
            else:
                await self._on_sent(message, result, uploaded)
            return 1

    async def _request(self, message: ClaimedMessage, params: dict[str, Any]) -> Any:
        return await self._bot.do_api_request(
            message.method, api_kwargs=params, **self._call_options
        )

    async def _call(self, message: ClaimedMessage) -> tuple[Any, tuple[int, str] | None]:
        """The API call; a stored file's reference is replaced by its file_id, or by its
        bytes for the first upload (then ``(stored file, new file_id)`` comes back too)."""
        params = dict(message.params)
        ref = next(
            ((name, ident) for name, v in params.items() if (ident := stored_files.parse_ref(v))),
            None,
        )
        if ref is None:
            return await self._request(message, params), None
        name, stored_id = ref
        lock = self._file_locks.setdefault(stored_id, asyncio.Lock())
        async with lock:
            known = self._file_ids.get(stored_id)
            if known is None:
                found = await asyncio.to_thread(self._read_file, stored_id)
                if found is None:
                    raise BadRequest("the stored file of this message is gone")
                known = found.telegram_file_id
                if known is None:
                    params[name] = InputFile(found.data or b"", filename=found.name)
                    result = await self._request(message, params)
                    new_id = _file_id_of(result, name)
                    if new_id is not None:
                        self._file_ids[stored_id] = new_id
                    return result, (stored_id, new_id) if new_id else None
                self._file_ids[stored_id] = known
        params[name] = known
        return await self._request(message, params), None

    def _read_file(self, stored_id: int) -> stored_files.FileToSend | None:
        with self._db.unit_of_work() as uow:
            return stored_files.for_send(uow.session, stored_id)

    async def _on_sent(
        self, message: ClaimedMessage, result: Any, uploaded: tuple[int, str] | None = None
    ) -> None:
        message_id = result.get("message_id") if isinstance(result, dict) else None
        if not isinstance(message_id, int):
            message_id = None
        now = self._clock()

        def sent(session: Session) -> None:
            outbox.mark_sent(session, message.id, message_id, now)
            if uploaded is not None:  # the upload's file_id, with the row that made it
                stored_files.record_telegram_file_id(session, *uploaded)

        await self._write("sent", sent)
        log.debug("outbox %d sent to chat %d (message %s)", message.id, message.chat_id, message_id)

    async def _on_error(self, message: ClaimedMessage, exc: Exception) -> None:
        now = self._clock()
        chat = message.chat_id
        reason = self._reason(exc)
        if isinstance(exc, RetryAfter):
            delay = retry_after(exc)
            until = now + delay
            # Telegram's flood wait for a call without a chat applies to the whole bot.
            held = chat if "chat_id" in message.params else None
            self._budget.hold(held, self._budget.now() + delay)

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

    def _reason(self, exc: BaseException) -> str:
        """What is kept on the row: the error's text, never the token (an httpx error may
        quote the URL, and the URL holds it)."""
        text = scrub(str(exc), [self._bot.token]) or type(exc).__name__
        return text[:_ERROR_MAX_CHARS]

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
