"""Writing a broadcast: the preview the office confirms, then one unit of work that
stores the broadcast and one outbox row per recipient (key ``broadcast:<id>:<user id>``).

Quiet hours are the outbox's (bot/services/outbox.py): an announcement written at 22:00
is not urgent, so every row waits for the morning; the preview says so. The message is
the office's own words, under a heading in each recipient's language; no parse mode, so
nothing in it is taken for markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from bot.i18n import N_, translator
from bot.services.broadcasts.audience import (
    Audience,
    Recipient,
    check_audience,
    recipients,
    resolve_units,
    unit_choices,
    unreachable,
)
from bot.services.errors import ServiceError
from bot.services.outbox import quiet_hours_not_before
from bot.services.people.membership import actor_label, require_office
from bot.services.people.notices import NoticeContext
from bot.services.people.profiles import Profile
from storage import audit, outbox, stored_files
from storage.db import Database, reading
from storage.models import Broadcast

TEXT_MAX = 3500  # with the heading, well inside a message's 4096 characters
CAPTION_MAX = 1024  # Telegram's limit for a document's caption
FILE_MAX_BYTES = stored_files.MAX_BYTES
HEADING = N_("📢 Notice from the office")

__all__ = [
    "Audience",
    "Content",
    "Preview",
    "Queued",
    "check_content",
    "desk_audience",
    "key_of",
    "preview",
    "resolve_units",
    "set_progress_message",
    "start_broadcast",
    "unit_choices_for",
]


@dataclass(frozen=True)
class Content:
    """What the office says: text, and optionally a file — a Telegram file_id (sent in
    the chat) or bytes (given at the desk)."""

    text: str
    file_id: str | None = None
    file_name: str | None = None
    file_data: bytes | None = None


@dataclass(frozen=True)
class Preview:
    recipients: int
    not_joined: int
    quiet_until: datetime | None  # quiet hours now: nothing goes before this (UTC)


@dataclass(frozen=True)
class Queued:
    id: int
    recipients: int
    not_joined: int
    quiet_until: datetime | None


def key_of(broadcast_id: int, user_id: int) -> str:
    return f"broadcast:{broadcast_id}:{user_id}"


def _require(actor: Profile | None) -> None:
    """The office in the chat, or an operator at the desk (None)."""
    if actor is not None:
        require_office(actor)


def check_content(content: Content) -> Content:
    text = content.text.strip()
    has_file = content.file_id is not None or content.file_data is not None
    if not text and not has_file:
        raise ServiceError(N_("Write the message, or send a file with it."))
    if len(text) > TEXT_MAX:
        raise ServiceError(
            N_("The message has {count} characters; at most {limit} fit."),
            count=len(text),
            limit=TEXT_MAX,
        )
    if content.file_data is not None and len(content.file_data) > FILE_MAX_BYTES:
        raise ServiceError(N_("The file is larger than 50 MB, Telegram's limit for a bot."))
    return Content(text, content.file_id, content.file_name, content.file_data)


def desk_audience(database: Database, to: str) -> Audience:
    """``--to`` as typed at the desk: liaisons, inspectors, all, or unit codes joined by
    commas."""
    word = to.strip().lower()
    if word in ("liaisons", "inspectors", "all"):
        return Audience(word)
    codes = [c for c in re.split(r"[,，、]", to) if c.strip()]
    if not codes:
        raise ServiceError(N_("Choose who the message goes to."))
    with reading(database) as session:
        return Audience("units", resolve_units(session, codes))


def unit_choices_for(database: Database, actor: Profile) -> list[Any]:
    require_office(actor)
    with reading(database) as session:
        return list(unit_choices(session))


def preview(
    database: Database, actor: Profile | None, audience: Audience, ctx: NoticeContext
) -> Preview:
    _require(actor)
    with reading(database) as session:
        check_audience(session, audience)
        return Preview(
            recipients=len(recipients(session, audience)),
            not_joined=len(unreachable(session, audience)),
            quiet_until=quiet_hours_not_before(ctx.now, ctx.quiet),
        )


def _message(content: Content, locale: str | None, default: str) -> str:
    heading = translator(locale or default)._(HEADING)
    return f"{heading}\n\n{content.text}" if content.text else heading


def _enqueue(
    session: Session,
    key: str,
    method: str,
    params: dict[str, Any],
    ctx: NoticeContext,
    wake: datetime | None,
) -> None:
    outbox.enqueue(
        session,
        key=key,
        chat_id=params["chat_id"],
        method=method,
        params=params,
        not_before=wake,
        now=ctx.now,
    )


def _write_one(
    session: Session,
    broadcast: Broadcast,
    person: Recipient,
    content: Content,
    ctx: NoticeContext,
    wake: datetime | None,
) -> None:
    key = key_of(broadcast.id, person.user_id)
    text = _message(content, person.locale, ctx.default_locale)
    chat = person.telegram_id
    document = broadcast.file_id or (
        stored_files.stored_file_ref(broadcast.stored_file_id)
        if broadcast.stored_file_id is not None
        else None
    )
    if document is None:
        _enqueue(session, key, "sendMessage", {"chat_id": chat, "text": text}, ctx, wake)
        return
    params: dict[str, Any] = {"chat_id": chat, "document": document}
    if len(text) <= CAPTION_MAX:
        params["caption"] = text
    else:
        # Too long for a caption: the text goes first, as a message of its own (its row is
        # older, so the sender delivers it first in that chat).
        _enqueue(session, f"{key}:text", "sendMessage", {"chat_id": chat, "text": text}, ctx, wake)
    _enqueue(session, key, "sendDocument", params, ctx, wake)


def start_broadcast(
    database: Database,
    actor: Profile | None,
    audience: Audience,
    content: Content,
    ctx: NoticeContext,
    *,
    progress_chat_id: int | None = None,
) -> Queued:
    """Store the broadcast and queue it for every recipient, in one unit of work."""
    _require(actor)
    content = check_content(content)
    wake = quiet_hours_not_before(ctx.now, ctx.quiet)
    with database.unit_of_work() as uow:
        session = uow.session
        check_audience(session, audience)
        people = recipients(session, audience)
        if not people:
            raise ServiceError(N_("Nobody in this audience has joined the bot yet."))
        missing = unreachable(session, audience)
        stored = None
        if content.file_data is not None:
            name = content.file_name or "file"
            stored = stored_files.store(session, name, content.file_data, ctx.now)
        broadcast = Broadcast(
            created_by=actor.user_id if actor is not None else None,
            source="chat" if actor is not None else "desk",
            audience=audience.kind,
            unit_ids=list(audience.unit_ids),
            text=content.text,
            file_id=content.file_id,
            file_name=content.file_name,
            stored_file_id=stored,
            recipients=len(people),
            not_joined=len(missing),
            progress_chat_id=progress_chat_id,
            created_at=ctx.now,
        )
        session.add(broadcast)
        session.flush()
        for person in people:
            _write_one(session, broadcast, person, content, ctx, wake)
        audit.append(
            session,
            actor=actor_label(actor) if actor is not None else "cli",
            action="broadcast.send",
            obj=f"broadcast:{broadcast.id}",
            details={
                "audience": audience.kind,
                "units": list(audience.unit_ids),
                "recipients": len(people),
                "not_joined": len(missing),
                "file": content.file_name,
            },
            at=ctx.now,
        )
        uow.commit()
        return Queued(broadcast.id, len(people), len(missing), wake)


def set_progress_message(
    database: Database, actor: Profile, broadcast_id: int, chat_id: int, message_id: int
) -> None:
    """Remember the message that shows the broadcast's progress (the job edits it)."""
    require_office(actor)
    with database.unit_of_work() as uow:
        uow.session.execute(
            update(Broadcast)
            .where(Broadcast.id == broadcast_id, Broadcast.finished_at.is_(None))
            .values(progress_chat_id=chat_id, progress_message_id=message_id)
            .execution_options(synchronize_session=False)
        )
        uow.commit()
