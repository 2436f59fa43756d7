"""Telling people about changes someone else made to them, through the outbox.

Written in the same transaction as the change (docs/architecture.md §8), rendered in the
recipient's language, with a key that makes a second write of the same notice a no-op.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.domain.calendar import WorkCalendar
from bot.i18n import DEFAULT_LOCALE, translator
from bot.services.outbox import QuietHoursConfig, notify
from bot.services.people import menus
from storage import outbox
from storage.models import User


@dataclass(frozen=True)
class NoticeContext:
    now: datetime
    quiet: QuietHoursConfig
    default_locale: str = DEFAULT_LOCALE
    # Reminders set it: what they write on a day off waits for the next working morning.
    workdays: WorkCalendar | None = None


def roles_of(user: User) -> frozenset[str]:
    if not user.active:
        return frozenset()
    held = (
        ("office", user.is_office),
        ("liaison", user.liaison_unit_id is not None),
        ("inspector", user.inspector_id is not None),
    )
    return frozenset(role for role, has in held if has)


def tell(
    session: Session, user: User, key: str, message: str, ctx: NoticeContext, **params: Any
) -> bool:
    """Queue ``message`` (an msgid) for ``user`` in their language; False when a notice
    with ``key`` was written before (nothing is written again). Values in ``params`` that
    are callables of a Translator (a date, a kind's name) are rendered in that language."""
    t = translator(user.locale or ctx.default_locale)
    words = {name: value(t) if callable(value) else value for name, value in params.items()}
    return notify(
        session,
        key=key,
        chat_id=user.telegram_id,
        text=t._(message, **words),
        now=ctx.now,
        quiet=ctx.quiet,
        workdays=ctx.workdays,
    )


def refresh_menu(session: Session, user: User, key: str, ctx: NoticeContext) -> None:
    """Queue the menu that fits the user's roles now, if it is not the one they have."""
    roles = roles_of(user)
    locale = user.locale or ctx.default_locale
    wanted = menus.signature(roles, locale)
    if user.menu_signature == wanted:
        return
    outbox.enqueue(
        session,
        key=key,
        chat_id=user.telegram_id,
        method="setMyCommands",
        params=menus.set_commands_params(user.telegram_id, roles, locale),
        now=ctx.now,
    )
    user.menu_signature = wanted
