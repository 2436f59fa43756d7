"""The office's reminders in the chat. /reminders shows each kind, its rule and its next
firing, with buttons to pause or resume it and to change its time of day or its interval
(a short persistent conversation: the bot asks, the office types, /cancel cancels).
Texts and keyboards are in views.py; the services decide and check everything."""

from __future__ import annotations

import unicodedata
from typing import Final

from telegram import Update
from telegram.ext import Application, CommandHandler, ConversationHandler, MessageHandler, filters

from bot.domain.dates import TypedDateError, parse_time_of_day
from bot.domain.reminders.settings import NUDGE
from bot.services.errors import ServiceError
from bot.services.people.membership import require_office
from bot.services.reminders import schedule
from bot.services.reminders import settings as reminder_settings
from bot.services.reminders.settings import Change
from handlers import callbacks
from handlers.common import actor, answer, call, conversation, edit, refuse, reply, requires
from handlers.context import DsrContext
from handlers.reminders import views

END: Final = ConversationHandler.END
ASK_TIME, ASK_EVERY = range(2)
DRAFT: Final = "reminder_change"


async def _planned(context: DsrContext) -> list[schedule.Planned]:
    return await call(
        schedule.reminder_schedule, context.db, actor(context), context.now(), context.settings
    )


@requires("office")
async def show(update: Update, context: DsrContext) -> None:
    text, markup = views.overview(context.t, await _planned(context), context.settings.tz)
    await reply(update, text, markup=markup, html_mode=True)


async def _save(update: Update, context: DsrContext, kind: str, change: Change) -> None:
    await call(
        reminder_settings.change_kind,
        context.db,
        actor(context),
        kind,
        change,
        context.now(),
        context.settings,
    )
    planned = [p for p in await _planned(context) if p.settings.kind == kind]
    await reply(update, views.changed(context.t, planned[0], context.settings.tz))


@requires("office")
async def pause(update: Update, context: DsrContext) -> None:
    await _toggle(update, context, callbacks.REMINDER_PAUSE, paused=True)


@requires("office")
async def resume(update: Update, context: DsrContext) -> None:
    await _toggle(update, context, callbacks.REMINDER_RESUME, paused=False)


async def _toggle(
    update: Update, context: DsrContext, button: callbacks.Button, *, paused: bool
) -> None:
    kind = button.word_arg(context, "kind")
    await answer(update, context)
    await _save(update, context, kind, Change(paused=paused))
    text, markup = views.overview(context.t, await _planned(context), context.settings.tz)
    await edit(update, text, markup=markup, html_mode=True)


# --- the conversation: a time of day, an interval -------------------------------------------


async def _start(update: Update, context: DsrContext, button: callbacks.Button) -> str | None:
    """The kind to change, once the office is confirmed (else refused: None)."""
    await answer(update, context)
    try:
        require_office(actor(context))
    except ServiceError as error:
        await refuse(update, context, error)
        return None
    kind = button.word_arg(context, "kind")
    if context.user_data is not None:
        context.user_data[DRAFT] = kind
    return kind


async def ask_time(update: Update, context: DsrContext) -> int:
    kind = await _start(update, context, callbacks.REMINDER_TIME)
    if kind is None:
        return END
    await reply(update, views.ask_time(context.t, kind))
    return ASK_TIME


async def ask_every(update: Update, context: DsrContext) -> int:
    kind = await _start(update, context, callbacks.REMINDER_EVERY)
    if kind is None:
        return END
    await reply(update, views.ask_every(context.t, kind))
    return ASK_EVERY


def _typed(update: Update) -> str:
    message = update.effective_message
    return (message.text or "").strip() if message is not None else ""


def _kind(context: DsrContext) -> str:
    data = context.user_data or {}
    return str(data.get(DRAFT, ""))


async def time_typed(update: Update, context: DsrContext) -> int:
    typed = _typed(update)
    try:
        send_at = parse_time_of_day(typed)
    except TypedDateError as error:
        await reply(update, views.time_problem(context.t, error))
        return ASK_TIME
    return await _finish(update, context, Change(send_at=send_at))


async def every_typed(update: Update, context: DsrContext) -> int:
    typed = _typed(update)
    try:
        change = _every(_kind(context), typed)
    except ValueError:
        await reply(update, views.number_problem(context.t, typed))
        return ASK_EVERY
    try:
        return await _finish(update, context, change)
    except ServiceError as error:  # out of range: say so and ask again
        await refuse(update, context, error)
        return ASK_EVERY


def _every(kind: str, typed: str) -> Change:
    """The interval typed: hours before a nudge, days between revision reminders."""
    number = unicodedata.normalize("NFKC", typed)
    if kind == NUDGE:
        return Change(after_hours=float(number))
    return Change(every_days=int(number))


async def _finish(update: Update, context: DsrContext, change: Change) -> int:
    kind = _kind(context)
    await _save(update, context, kind, change)
    if context.user_data is not None:
        context.user_data.pop(DRAFT, None)
    return END


async def cancel(update: Update, context: DsrContext) -> int:
    if context.user_data is not None:
        context.user_data.pop(DRAFT, None)
    await reply(update, views.cancelled(context.t))
    return END


def change_conversation() -> ConversationHandler[DsrContext]:
    text = filters.TEXT & ~filters.COMMAND
    return conversation(
        "reminders",
        entry_points=[
            callbacks.REMINDER_TIME.handler(ask_time),
            callbacks.REMINDER_EVERY.handler(ask_every),
        ],
        states={
            ASK_TIME: [MessageHandler(text, time_typed)],
            ASK_EVERY: [MessageHandler(text, every_typed)],
        },
        cancel=cancel,
    )


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(change_conversation())
    app.add_handler(CommandHandler("reminders", show))
    app.add_handler(callbacks.REMINDER_PAUSE.handler(pause))
    app.add_handler(callbacks.REMINDER_RESUME.handler(resume))
