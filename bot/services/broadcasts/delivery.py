"""A broadcast's delivery: its report from the statuses of its outbox rows, the progress
message the job edits while rows are pending, and the end — the report to the office
(through the outbox, with a button for the workbook) and ``finished_at``.

Counts are per recipient, from the row keyed ``broadcast:<id>:<user id>`` (a long text
before a file has a row of its own, ``…:text``, not counted again): sent, failed, blocked,
pending (not settled: pending or being sent); "not yet joined" is the number of
audience members the bot could not reach when the broadcast was written.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.i18n import N_, Translator, translator
from bot.services.broadcasts.audience import Audience, unreachable
from bot.services.errors import ServiceError
from bot.services.outbox import BROADCAST_REPORT, callback_data, inline_keyboard
from bot.services.people.membership import require_office
from bot.services.people.notices import NoticeContext
from bot.services.people.profiles import Profile
from storage import outbox
from storage.db import Database, reading
from storage.models import Broadcast, Inspector, OutboxMessage, Unit, User
from storage.xlsx_invites import invite_workbook

STATUSES = ("sent", "failed", "blocked", "pending")
STATUS_WORDS = {
    "sent": N_("sent"),
    "failed": N_("failed"),
    "blocked": N_("blocked the bot"),
    "pending": N_("not sent yet"),
    "not_joined": N_("not yet joined"),
}


@dataclass(frozen=True)
class Report:
    id: int
    recipients: int
    sent: int
    failed: int
    blocked: int
    pending: int
    not_joined: int
    finished: bool

    def as_json(self) -> dict[str, int]:
        return {
            "recipients": self.recipients,
            "sent": self.sent,
            "failed": self.failed,
            "blocked": self.blocked,
            "pending": self.pending,
            "not_joined": self.not_joined,
        }


@dataclass(frozen=True)
class ProgressStep:
    """What the job does for one unfinished broadcast: edit the progress message to
    ``text`` (when it changed), or finish it."""

    id: int
    chat_id: int | None
    message_id: int | None
    text: str
    changed: bool
    done: bool


def _row_statuses(session: Session, broadcast_id: int) -> dict[int, str]:
    # LIKE on the prefix, not a range of keys: PostgreSQL's collations may order ':' and
    # ';' by other rules than their code points (docs/architecture.md §12).
    prefix = f"broadcast:{broadcast_id}:"
    rows = session.execute(
        select(OutboxMessage.key, OutboxMessage.status).where(OutboxMessage.key.like(f"{prefix}%"))
    )
    found: dict[int, str] = {}
    for key, status in rows:
        parts = key.split(":")
        if len(parts) == 3 and parts[2].isdigit():
            found[int(parts[2])] = status if status in STATUSES[:3] else "pending"
    return found


def _counts(session: Session, broadcast_id: int) -> Counter[str]:
    """Recipients per status, counted by the database (the job asks every few seconds
    while the sender works: no row crosses into Python)."""
    prefix = f"broadcast:{broadcast_id}:"
    rows = session.execute(
        select(OutboxMessage.status, func.count())
        .where(
            OutboxMessage.key.like(f"{prefix}%"),
            OutboxMessage.key.not_like(f"{prefix}%:%"),  # a long text's own row
        )
        .group_by(OutboxMessage.status)
    )
    counts: Counter[str] = Counter()
    for status, number in rows:
        counts[status if status in STATUSES[:3] else "pending"] += int(number)
    return counts


def _report(session: Session, broadcast: Broadcast) -> Report:
    counts = _counts(session, broadcast.id)
    return Report(
        id=broadcast.id,
        recipients=broadcast.recipients,
        sent=counts["sent"],
        failed=counts["failed"],
        blocked=counts["blocked"],
        pending=counts["pending"],
        not_joined=broadcast.not_joined,
        finished=broadcast.finished_at is not None,
    )


def _load(session: Session, broadcast_id: int) -> Broadcast:
    broadcast = session.get(Broadcast, broadcast_id)
    if broadcast is None:
        raise ServiceError(N_("There is no broadcast {id}."), id=broadcast_id)
    return broadcast


def report(database: Database, actor: Profile | None, broadcast_id: int) -> Report:
    """The delivery report (the office in the chat, or the desk: ``actor`` None)."""
    if actor is not None:
        require_office(actor)
    with reading(database) as session:
        return _report(session, _load(session, broadcast_id))


def report_text(t: Translator, found: Report) -> str:
    lines = [
        t._("Broadcast {id}: delivery report", id=found.id)
        if found.pending == 0
        else t._("Broadcast {id}: sending…", id=found.id),
        t._("Recipients: {count}", count=found.recipients),
        t._("Sent: {count}", count=found.sent),
        t._("Failed: {count}", count=found.failed),
        t._("Blocked the bot: {count}", count=found.blocked),
        t._("Not sent yet: {count}", count=found.pending),
        t._("Not yet joined the bot: {count}", count=found.not_joined),
    ]
    return "\n".join(lines)


def _locale_of(session: Session, broadcast: Broadcast, default: str) -> str:
    user = session.get(User, broadcast.created_by) if broadcast.created_by else None
    return (user.locale if user is not None else None) or default


def progress_steps(database: Database, default_locale: str) -> list[ProgressStep]:
    """One step per unfinished broadcast (the job's work, read-only)."""
    steps: list[ProgressStep] = []
    with reading(database) as session:
        open_ones = session.execute(
            select(Broadcast).where(Broadcast.finished_at.is_(None)).order_by(Broadcast.id)
        ).scalars()
        for broadcast in open_ones:
            found = _report(session, broadcast)
            t = translator(_locale_of(session, broadcast, default_locale))
            text = report_text(t, found)
            steps.append(
                ProgressStep(
                    id=broadcast.id,
                    chat_id=broadcast.progress_chat_id,
                    message_id=broadcast.progress_message_id,
                    text=text,
                    changed=text != broadcast.progress_text,
                    done=found.pending == 0,
                )
            )
    return steps


def record_progress(database: Database, broadcast_id: int, text: str) -> None:
    """The text the progress message shows now (never edited to the same text again)."""
    with database.unit_of_work() as uow:
        uow.session.execute(
            update(Broadcast)
            .where(Broadcast.id == broadcast_id)
            .values(progress_text=text)
            .execution_options(synchronize_session=False)
        )
        uow.commit()


def finish(database: Database, broadcast_id: int, ctx: NoticeContext) -> bool:
    """Nothing is pending: mark the broadcast finished and, when it came from the chat,
    queue the report to its progress chat with the workbook's button — one unit of work,
    once (False when it was finished already or rows are pending again)."""
    with database.unit_of_work() as uow:
        session = uow.session
        broadcast = _load(session, broadcast_id)
        found = _report(session, broadcast)
        if broadcast.finished_at is not None or found.pending:
            return False
        broadcast.finished_at = ctx.now
        if broadcast.progress_chat_id is not None:
            t = translator(_locale_of(session, broadcast, ctx.default_locale))
            button = (t._("Download the report (.xlsx)"), callback_data(BROADCAST_REPORT, found.id))
            outbox.enqueue(
                session,
                key=f"broadcast-report:{found.id}",
                chat_id=broadcast.progress_chat_id,
                method="sendMessage",
                params={
                    "chat_id": broadcast.progress_chat_id,
                    "text": report_text(t, found),
                    "reply_markup": inline_keyboard([[button]]),
                },
                urgent=True,
                now=ctx.now,
            )
        uow.commit()
        return True


def report_workbook(
    database: Database, actor: Profile | None, broadcast_id: int, t: Translator
) -> tuple[str, bytes]:
    """The report as a workbook: every recipient with the status of their message, then
    the members not yet joined. Returns (file name, bytes)."""
    if actor is not None:
        require_office(actor)
    with reading(database) as session:
        broadcast = _load(session, broadcast_id)
        statuses = _row_statuses(session, broadcast_id)
        people = session.execute(
            select(User.id, User.name, Unit.name, Inspector.name)
            .outerjoin(Unit, Unit.id == User.liaison_unit_id)
            .outerjoin(Inspector, Inspector.id == User.inspector_id)
            .where(User.id.in_(list(statuses)))
            .order_by(User.id)
        ).all()
        inspector_units = dict(
            session.execute(
                select(User.id, Unit.name)
                .join(Inspector, Inspector.id == User.inspector_id)
                .join(Unit, Unit.id == Inspector.unit_id)
                .where(User.id.in_(list(statuses)))
            ).all()
        )
        rows: list[list[str]] = []
        for user_id, name, liaison_unit, inspector_name in people:
            unit = liaison_unit or inspector_units.get(user_id) or ""
            role = t._("liaison") if liaison_unit else t._("inspector")
            shown = inspector_name or name
            rows.append([unit, shown, role, t._(STATUS_WORDS[statuses[user_id]])])
        audience = Audience(broadcast.audience, tuple(broadcast.unit_ids or ()))
        for missing in unreachable(session, audience):
            if missing.name is None:
                rows.append([missing.unit, "", t._("liaison"), t._(STATUS_WORDS["not_joined"])])
            else:
                rows.append(
                    [missing.unit, missing.name, t._("inspector"), t._(STATUS_WORDS["not_joined"])]
                )
    headers = [t._("Unit"), t._("Name"), t._("Role"), t._("Delivery")]
    title = t._("Broadcast {id}", id=broadcast_id)
    return f"broadcast-{broadcast_id}.xlsx", invite_workbook(title, headers, rows)
