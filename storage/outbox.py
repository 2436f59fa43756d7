"""The outbox repository: messages the bot sends on its own (docs/architecture.md §8).

A row's life: ``pending`` → ``sending`` (claimed by the sender, committed before the Bot API
call) → ``sent`` | ``failed`` | ``blocked``, or back to ``pending`` for a retry. Because the
claim is committed before the call and the result after it, a crash can only leave rows in
``sending``. Each claim names its owner (the claiming process's token, ``claimed_by``):
a sender that starts releases at once the claims of owners it can tell have ended
(``release_claims_of``), and ``claim_due`` hands out any other claim once it is older than
``stale_after``. Those are the messages "in flight at the crash" that may reach the user
twice; a row recorded as ``sent`` is never selected again.

Nothing here commits: the caller's unit of work does.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.models import OutboxMessage, User

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
BLOCKED = "blocked"

KEY_MAX_LENGTH = 200  # the column's width; PostgreSQL would refuse a longer key
OWNER_MAX_LENGTH = 120  # the width of claimed_by


@dataclass(frozen=True)
class ClaimedMessage:
    """A row handed to the sender: plain values, so it can cross from the DB thread."""

    id: int
    key: str
    chat_id: int
    method: str
    params: dict[str, Any]
    urgent: bool
    attempts: int  # failed or unconfirmed attempts so far (429s do not count)
    reclaimed: bool  # it was stuck in 'sending': a crashed process may have sent it already


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _rowcount(result: Any) -> int:
    return cast(CursorResult[Any], result).rowcount


def enqueue(
    session: Session,
    *,
    key: str,
    chat_id: int,
    method: str,
    params: Mapping[str, Any],
    urgent: bool = False,
    not_before: datetime | None = None,
    now: datetime | None = None,
) -> bool:
    """Add a message unless one with ``key`` exists; True when a row was inserted.

    INSERT … ON CONFLICT DO NOTHING rather than catching IntegrityError: on PostgreSQL the
    error would abort the caller's whole transaction (docs/architecture.md §12), and the caller is
    usually committing the change that caused the notice in the same unit of work.
    """
    if not key or len(key) > KEY_MAX_LENGTH:
        raise ValueError(f"an outbox key must have 1 to {KEY_MAX_LENGTH} characters")
    if not method:
        raise ValueError("an outbox message needs a Bot API method")
    now = now or _utcnow()
    # next_attempt_at carries the hold too, so the due-rows index alone finds what is due.
    first_attempt = not_before if not_before is not None and not_before > now else now
    values = {
        "key": key,
        "chat_id": chat_id,
        "payload": {"method": method, "params": dict(params)},
        "urgent": urgent,
        "not_before": not_before,
        "status": PENDING,
        "attempts": 0,
        "next_attempt_at": first_attempt,
        "created_at": now,
    }
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        pg_stmt = postgresql.insert(OutboxMessage).values(values)
        stmt: Any = pg_stmt.on_conflict_do_nothing(index_elements=["key"])
    elif dialect == "sqlite":
        lite_stmt = sqlite.insert(OutboxMessage).values(values)
        stmt = lite_stmt.on_conflict_do_nothing(index_elements=["key"])
    else:  # pragma: no cover - the project supports these two only (docs/architecture.md §8)
        raise NotImplementedError(f"outbox.enqueue does not support {dialect}")
    # RETURNING says whether a row went in; rowcount is not reliable here (psycopg reports
    # -1 for this statement through SQLAlchemy).
    inserted = session.execute(stmt.returning(OutboxMessage.id)).scalar_one_or_none()
    return inserted is not None


def claim_due(
    session: Session,
    now: datetime,
    limit: int,
    stale_after: timedelta,
    *,
    exclude_chat_ids: Collection[int] = (),
    owner: str | None = None,
) -> list[ClaimedMessage]:
    """Mark up to ``limit`` due rows ``sending`` under ``owner`` and return them.

    Due: ``pending`` with ``next_attempt_at`` and ``not_before`` passed, or ``sending`` with
    a claim older than ``stale_after`` (a crashed sender's; those come first, they are the
    oldest work). Urgent rows go before the rest, then first due, first out.
    ``exclude_chat_ids``: chats the sender is holding (429, per-chat limit), left alone so
    that they are not claimed only to be put back.

    On PostgreSQL the rows are locked with FOR UPDATE SKIP LOCKED, so two claimers never
    get the same row; on SQLite the caller's BEGIN IMMEDIATE serialises claimers.
    """
    if limit <= 0:
        return []
    skip_locked = session.get_bind().dialect.name == "postgresql"
    excluded = list(exclude_chat_ids)

    def locked(stmt: Any) -> Any:
        if excluded:
            stmt = stmt.where(OutboxMessage.chat_id.not_in(excluded))
        if skip_locked:
            stmt = stmt.with_for_update(skip_locked=True)
        return stmt

    stale = list(
        session.execute(
            locked(
                select(OutboxMessage)
                .where(
                    OutboxMessage.status == SENDING,
                    OutboxMessage.claimed_at < now - stale_after,
                )
                .order_by(OutboxMessage.claimed_at, OutboxMessage.id)
                .limit(limit)
            )
        ).scalars()
    )
    fresh: list[OutboxMessage] = []
    if len(stale) < limit:
        fresh = list(
            session.execute(
                locked(
                    select(OutboxMessage)
                    .where(
                        OutboxMessage.status == PENDING,
                        OutboxMessage.next_attempt_at <= now,
                        (OutboxMessage.not_before.is_(None)) | (OutboxMessage.not_before <= now),
                    )
                    .order_by(OutboxMessage.urgent.desc(), OutboxMessage.id)
                    .limit(limit - len(stale))
                )
            ).scalars()
        )

    claimed: list[ClaimedMessage] = []
    for row, reclaimed in [(r, True) for r in stale] + [(r, False) for r in fresh]:
        if reclaimed:
            # The outcome of that attempt is unknown: count it, and leave a trace for the
            # operator looking for possible duplicates.
            row.attempts += 1
            row.last_error = "reclaimed: the claim was never confirmed (crash or hang)"
        row.status = SENDING
        row.claimed_at = now
        row.claimed_by = owner[:OWNER_MAX_LENGTH] if owner else None
        payload = row.payload or {}
        claimed.append(
            ClaimedMessage(
                id=row.id,
                key=row.key,
                chat_id=row.chat_id,
                method=str(payload.get("method", "")),
                params=dict(payload.get("params") or {}),
                urgent=row.urgent,
                attempts=row.attempts,
                reclaimed=reclaimed,
            )
        )
    session.flush()
    return claimed


def _settle(session: Session, row_id: int, **values: Any) -> bool:
    """Update a row only while it is still ours ('sending'); True when it was.

    The guard keeps a late answer from undoing a final state: a row recorded as ``sent``
    never goes back to ``pending``, so it can never be claimed (and sent) again.
    """
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id, OutboxMessage.status == SENDING)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result) == 1


def mark_sent(session: Session, id: int, message_id: int | None, now: datetime) -> bool:
    return _settle(
        session,
        id,
        status=SENT,
        sent_at=now,
        message_id=message_id,
        attempts=OutboxMessage.attempts + 1,
    )


def mark_retry(
    session: Session,
    id: int,
    next_attempt_at: datetime,
    error: str,
    *,
    count_attempt: bool = True,
) -> bool:
    """Back to ``pending`` until ``next_attempt_at``.

    ``count_attempt=False`` for flood control (429): waiting is Telegram's instruction, not
    a failure of the message, so it must not bring the row closer to ``failed``.
    """
    attempts: Any = OutboxMessage.attempts + 1 if count_attempt else OutboxMessage.attempts
    return _settle(
        session,
        id,
        status=PENDING,
        next_attempt_at=next_attempt_at,
        last_error=error,
        claimed_at=None,
        claimed_by=None,
        attempts=attempts,
    )


def release(session: Session, releases: Iterable[tuple[int, datetime]]) -> int:
    """Give claimed rows back unsent, each due again at its time; no attempt is counted.

    The sender does this for rows it claimed but must not send yet (per-chat limit, a hold
    that began during the pass, shutdown), so that no row sits in ``sending`` waiting.
    """
    count = 0
    for row_id, at in releases:
        count += _settle(
            session, row_id, status=PENDING, next_attempt_at=at, claimed_at=None, claimed_by=None
        )
    return count


def claim_owners(session: Session) -> list[str]:
    """The owners of the claims not settled yet (a claim from before owners were recorded
    has none, and waits for ``stale_after``)."""
    stmt = (
        select(OutboxMessage.claimed_by)
        .where(OutboxMessage.status == SENDING, OutboxMessage.claimed_by.is_not(None))
        .distinct()
    )
    return [owner for owner in session.execute(stmt).scalars() if owner]


def release_claims_of(session: Session, owners: Collection[str], now: datetime) -> int:
    """Give back, due ``now``, every unsettled claim of ``owners`` — processes the caller
    knows have ended. Returns how many rows were released.

    The outcome of such a claim is unknown, so the attempt counts, as for a stale claim.
    The owner is part of the WHERE clause: a row released and claimed again meanwhile by a
    live sender (its owner changed) is left alone, on PostgreSQL too, where the UPDATE
    re-reads the row once another transaction's lock on it is gone.
    """
    if not owners:
        return 0
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == SENDING, OutboxMessage.claimed_by.in_(list(owners)))
        .values(
            status=PENDING,
            next_attempt_at=now,
            claimed_at=None,
            claimed_by=None,
            attempts=OutboxMessage.attempts + 1,
            last_error="reclaimed: the process that claimed it ended before confirming",
        )
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result)


def hold_chat(session: Session, chat_id: int, until: datetime) -> int:
    """Push every pending row of a chat to ``until`` at the earliest (Telegram's 429).

    Held in the database as well as in the sender's memory, so that a restart during a long
    flood wait does not hammer the chat again.
    """
    result = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.chat_id == chat_id,
            OutboxMessage.status == PENDING,
            OutboxMessage.next_attempt_at < until,
        )
        .values(next_attempt_at=until)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result)


def mark_failed(session: Session, id: int, error: str) -> bool:
    return _settle(
        session, id, status=FAILED, last_error=error, attempts=OutboxMessage.attempts + 1
    )


def mark_blocked(
    session: Session,
    id: int,
    chat_id: int,
    error: str,
    now: datetime,
) -> int:
    """The recipient blocked the bot (403): settle this row, remember it on the user, and
    block that chat's other pending rows, which Telegram would refuse as well.

    Returns how many other rows were blocked. Rows written later are still tried: the user
    may unblock without writing to us, and one 403 is cheap.
    """
    _settle(session, id, status=BLOCKED, last_error=error, attempts=OutboxMessage.attempts + 1)
    # A private chat's id is the user's id; keep the first time we saw the block.
    session.execute(
        update(User)
        .where(User.telegram_id == chat_id, User.blocked_at.is_(None))
        .values(blocked_at=now)
        .execution_options(synchronize_session=False)
    )
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.chat_id == chat_id, OutboxMessage.status == PENDING)
        .values(status=BLOCKED, last_error=f"not sent: the recipient blocked the bot ({error})")
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result)


def pending_count(session: Session, *, chat_id: int | None = None) -> int:
    """Rows not settled yet (``pending`` or ``sending``), in all chats or in one."""
    stmt = (
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.status.in_((PENDING, SENDING)))
    )
    if chat_id is not None:
        stmt = stmt.where(OutboxMessage.chat_id == chat_id)
    return int(session.execute(stmt).scalar_one())


def statuses(session: Session, keys: Collection[str]) -> dict[str, str]:
    """The status of each row among ``keys`` that exists (a key absent was never written)."""
    if not keys:
        return {}
    rows = session.execute(
        select(OutboxMessage.key, OutboxMessage.status).where(OutboxMessage.key.in_(list(keys)))
    )
    return {key: status for key, status in rows}


def drop_pending(session: Session, *, keys: Collection[str] = (), prefix: str | None = None) -> int:
    """Delete rows among ``keys`` (or whose key starts with ``prefix``) that are still
    ``pending``: a notice that has become pointless before anyone saw it (an assignment
    withdrawn while it waited for the morning, a nudge for a notice acknowledged meanwhile).
    A row already claimed or sent is left alone: what may have reached someone is answered
    by another notice, never unsaid. Returns how many rows were deleted."""
    if not keys and prefix is None:
        return 0
    stmt = delete(OutboxMessage).where(OutboxMessage.status == PENDING)
    if prefix is not None:
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(OutboxMessage.key.like(f"{escaped}%", escape="\\"))
    else:
        stmt = stmt.where(OutboxMessage.key.in_(list(keys)))
    return _rowcount(session.execute(stmt.execution_options(synchronize_session=False)))
