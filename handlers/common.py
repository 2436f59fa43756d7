"""Small helpers every handler module uses: replying, running services, rendering refusals."""

from __future__ import annotations

import asyncio
import html
import warnings
from collections.abc import Callable, Coroutine
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CommandHandler, ConversationHandler
from telegram.warnings import PTBUserWarning

from bot.i18n import N_
from bot.services.errors import ServiceError
from bot.services.people.profiles import Profile
from handlers.context import DsrContext

P = ParamSpec("P")
R = TypeVar("R")

# Telegram's limit for one message; longer lists are split on line boundaries.
MESSAGE_LIMIT = 4096


async def call(func: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Run a (synchronous) service off the event loop."""
    return await asyncio.to_thread(func, *args, **kwargs)


def esc(value: object) -> str:
    """Escape a value for HTML parse mode (names like ``A&B<商行>``)."""
    return html.escape(str(value), quote=False)


def split_text(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) <= limit:
            current = candidate
            continue
        if current:
            parts.append(current)
        rest = line
        while len(rest) > limit:
            parts.append(rest[:limit])
            rest = rest[limit:]
        current = rest
    if current:
        parts.append(current)
    return parts or [""]


async def reply(
    update: Update,
    text: str,
    *,
    markup: InlineKeyboardMarkup | None = None,
    html_mode: bool = False,
) -> Message | None:
    """Answer in the chat the update came from; long texts go out in several messages,
    the buttons on the last one."""
    message = update.effective_message
    if message is None:
        return None
    parts = split_text(text)
    sent: Message | None = None
    for index, part in enumerate(parts):
        sent = await message.reply_text(
            part,
            reply_markup=markup if index == len(parts) - 1 else None,
            parse_mode=ParseMode.HTML if html_mode else None,
        )
    return sent


async def edit(
    update: Update,
    text: str | None,
    *,
    markup: InlineKeyboardMarkup | None = None,
    html_mode: bool = False,
) -> None:
    """Change the message whose button was pressed: its text (None keeps the text and
    changes only the buttons). Pressing the same button twice asks for the same message
    again; Telegram answers "message is not modified", which is what we wanted anyway."""
    query = update.callback_query
    if query is None:
        return
    try:
        if text is None:
            await query.edit_message_reply_markup(markup)
        else:
            await query.edit_message_text(
                text, reply_markup=markup, parse_mode=ParseMode.HTML if html_mode else None
            )
    except BadRequest as error:
        if "not modified" not in error.message.lower():
            raise


async def answer(
    update: Update, context: DsrContext, text: str | None = None, *, alert: bool = False
) -> bool:
    """Answer a button press once (Telegram refuses a second answer); False if already done."""
    query = update.callback_query
    if query is None or context.callback_answered:
        return False
    context.callback_answered = True
    await query.answer(text[:200] if text else None, show_alert=alert)
    return True


async def refuse(update: Update, context: DsrContext, error: ServiceError) -> None:
    """A service's refusal in the reader's language; for a button press, also as its answer."""
    text = context.t._(error.message, **error.params)
    await answer(update, context, text, alert=True)
    await reply(update, text)


def in_background(context: DsrContext, work: Coroutine[Any, Any, None]) -> None:
    """Run long work after the handler returns: the update is done, the bot answers
    everyone else meanwhile (updates are handled one at a time, see bot/app.py)."""
    task: asyncio.Task[None] = context.application.create_task(work)
    tasks = context.bot_data.background
    tasks.add(task)
    task.add_done_callback(tasks.discard)


def actor(context: DsrContext) -> Profile:
    """The member the gate let through (handlers behind the gate can rely on it)."""
    if context.actor is None:
        raise RuntimeError("handler reached without an actor: the access gate is missing")
    return context.actor


def user_label(update: Update) -> str:
    user = update.effective_user
    return user.full_name if user else ""


Handler = Callable[[Update, DsrContext], Coroutine[Any, Any, None]]


def requires(*roles: str) -> Callable[[Handler], Handler]:
    """Refuse (translated) unless the actor holds one of ``roles``; services check again."""

    def decorate(func: Handler) -> Handler:
        @wraps(func)
        async def wrapper(update: Update, context: DsrContext) -> None:
            if not actor(context).roles & set(roles):
                await refuse(update, context, role_refusal(roles))
                return
            try:
                await func(update, context)
            except ServiceError as error:
                await refuse(update, context, error)

        return wrapper

    return decorate


def role_refusal(roles: tuple[str, ...]) -> ServiceError:
    if roles == ("office",):
        return ServiceError(N_("Only the office can do this."))
    if roles == ("liaison",):
        return ServiceError(N_("Only a unit's liaison can do this."))
    return ServiceError(N_("Only the office or a unit's liaison can do this."))


def conversation(
    name: str,
    *,
    entry_points: list[BaseHandler[Update, DsrContext, Any]],
    states: dict[object, list[BaseHandler[Update, DsrContext, Any]]],
    cancel: Callable[[Update, DsrContext], Coroutine[Any, Any, object]],
    **options: Any,
) -> ConversationHandler[DsrContext]:
    """A chat feature's conversation as every one here is built: persistent under
    ``name`` (it survives a restart), re-entered by its entry points, /cancel among its
    fallbacks (docs/architecture.md, "Chat patterns"). Buttons are tracked per chat, not
    per message: the questions belong to this chat's one conversation of the kind, which
    is what we want, so PTB's warning about per_message=False is silenced here once."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "If 'per_message=False'", PTBUserWarning)
        return ConversationHandler(
            entry_points=entry_points,
            states=states,
            fallbacks=[CommandHandler("cancel", cancel)],
            allow_reentry=True,
            name=name,
            persistent=True,
            **options,
        )
