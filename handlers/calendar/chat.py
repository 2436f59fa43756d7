"""/calendar for the office: whether this year and next have an official schedule, and a
year's schedule loaded from a spreadsheet sent in the chat (checked whole, shown, recorded
only when confirmed; /cancel cancels). Texts and keyboards are in views.py.

The wait for the file begins with a button and takes documents only, for ten minutes: a
file the office sends later, or text, goes where it would without /calendar."""

from __future__ import annotations

from datetime import date
from typing import Any, Final

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import Application, CommandHandler, ConversationHandler, MessageHandler, filters

from bot.i18n import N_
from bot.services import calendar
from bot.services.errors import ServiceError
from bot.services.people.membership import actor_label, require_office
from handlers import callbacks
from handlers.calendar import views
from handlers.common import actor, answer, call, conversation, edit, refuse, reply, requires
from handlers.context import DsrContext

END: Final = ConversationHandler.END
WAIT_FILE, CONFIRM = range(2)
DRAFT: Final = "calendar_days"
# A year's schedule is a few dozen rows: anything much bigger is not one.
MAX_BYTES: Final = 1_000_000
WAIT_SECONDS: Final = 600
_TOO_BIG: Final = ServiceError(N_("This file is too big for a holiday schedule (at most 1 MB)."))


def _today(context: DsrContext) -> date:
    return context.now().astimezone(context.settings.tz).date()


@requires("office")
async def show(update: Update, context: DsrContext) -> None:
    cal = await call(calendar.load_calendar, context.db)
    year = _today(context).year
    text, markup = views.overview(context.t, cal, (year, year + 1))
    await reply(update, text, markup=markup, html_mode=True)


async def start(update: Update, context: DsrContext) -> int:
    await answer(update, context)
    try:
        require_office(actor(context))
    except ServiceError as error:
        await refuse(update, context, error)
        return END
    await reply(update, views.ask_file(context.t))
    return WAIT_FILE


async def file_given(update: Update, context: DsrContext) -> int:
    message = update.effective_message
    document = message.document if message is not None else None
    if document is None:
        return WAIT_FILE
    try:
        data = await _download(context, document.file_id, document.file_size)
    except ServiceError as error:
        await refuse(update, context, error)
        return WAIT_FILE
    found = await call(calendar.read_schedule, data, document.file_name or "", _today(context))
    if found.problems or not found.days:
        await reply(update, views.problems(context.t, found), html_mode=True)
        return WAIT_FILE
    _set_draft(context, [[d.day.isoformat(), d.is_workday, d.name] for d in found.days])
    text, markup = views.preview(context.t, found)
    await reply(update, text, markup=markup, html_mode=True)
    return CONFIRM


async def _download(context: DsrContext, file_id: str, size: int | None) -> bytes:
    if size is not None and size > MAX_BYTES:
        raise _TOO_BIG
    try:
        file = await context.bot.get_file(file_id)
    except BadRequest as error:
        if "too big" in error.message.lower():
            raise _TOO_BIG from None
        raise
    return bytes(await file.download_as_bytearray())


async def confirmed(update: Update, context: DsrContext) -> int:
    await answer(update, context)
    await edit(update, None)
    days = [
        calendar.DaySetting(date.fromisoformat(day), bool(work), name)
        for day, work, name in _draft(context)
    ]
    _set_draft(context, [])
    who = actor(context)
    try:
        require_office(who)
        written = await call(calendar.set_days, context.db, actor_label(who), days)
    except ServiceError as error:
        await refuse(update, context, error)
        return END
    await reply(update, views.recorded(context.t, written))
    return END


async def cancel(update: Update, context: DsrContext) -> int:
    await answer(update, context)
    await edit(update, None)
    _set_draft(context, [])
    await reply(update, views.cancelled(context.t))
    return END


def _draft(context: DsrContext) -> list[Any]:
    data = context.user_data if context.user_data is not None else {}
    draft = data.get(DRAFT, [])
    return list(draft) if isinstance(draft, list) else []


def _set_draft(context: DsrContext, days: list[Any]) -> None:
    if context.user_data is not None:
        context.user_data[DRAFT] = days


def calendar_conversation() -> ConversationHandler[DsrContext]:
    return conversation(
        "calendar",
        entry_points=[callbacks.CALENDAR_LOAD.handler(start)],
        states={
            WAIT_FILE: [MessageHandler(filters.Document.ALL, file_given)],
            CONFIRM: [
                callbacks.CALENDAR_OK.handler(confirmed),
                callbacks.CALENDAR_NO.handler(cancel),
            ],
        },
        conversation_timeout=WAIT_SECONDS,
        cancel=cancel,
    )


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(calendar_conversation())
    app.add_handler(CommandHandler("calendar", show))
