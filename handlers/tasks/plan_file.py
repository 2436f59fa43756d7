"""A liaison's annual plan as a workbook (issue #12, part 1): /planfile sends the template
and waits for the filled-in file (/cancel stops); the file is checked in the background
(a child process reads it, bot/services/draws/plan_upload.py) and answered with the
tasks it holds, its first problems and the error report; "Import" reads it again and
imports it when no row has an error. Registered before the registers' uploads, which
take every other file."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from telegram import InputFile, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import Application, CommandHandler, ConversationHandler, MessageHandler, filters

from bot.i18n import Translator
from bot.services.draws import plan_upload
from bot.services.errors import ServiceError
from bot.services.people.profiles import Profile
from handlers import callbacks
from handlers.common import (
    actor,
    answer,
    call,
    conversation,
    edit,
    in_background,
    refuse,
    reply,
    role_refusal,
)
from handlers.context import DsrContext
from handlers.tasks import views

WAIT_FILE: Final = 0
CONFIRM: Final = 1
KEPT: Final = "plan_file"
END: Final = ConversationHandler.END
DOWNLOAD_LIMIT: Final = 20 * 2**20  # Telegram lets a bot download at most 20 MB
SPREADSHEETS: Final = (
    filters.Document.FileExtension("xlsx")
    | filters.Document.FileExtension("xlsm")
    | filters.Document.FileExtension("xls")
)


@dataclass(frozen=True)
class Job:
    chat_id: int
    who: Profile
    t: Translator
    file_id: str
    file_name: str
    apply: bool


async def ask_file(update: Update, context: DsrContext) -> int:
    if actor(context).liaison_unit_code is None:
        await refuse(update, context, role_refusal(("liaison",)))
        return END
    await reply(update, views.ask_plan_file(context.t))
    chat = update.effective_chat
    if chat is not None:
        data = await call(plan_upload.template)
        name = views.plan_template_name(context.t)
        await context.bot.send_document(chat.id, InputFile(data, filename=name))
    return WAIT_FILE


async def file_received(update: Update, context: DsrContext) -> int:
    message = update.effective_message
    document = message.document if message is not None else None
    chat = update.effective_chat
    if document is None or chat is None:
        return WAIT_FILE
    if document.file_size is not None and document.file_size > DOWNLOAD_LIMIT:
        await reply(update, views.plan_too_big(context.t))
        return WAIT_FILE
    name = document.file_name or "plan.xlsx"
    if context.user_data is not None:
        context.user_data[KEPT] = {"file_id": document.file_id, "file_name": name}
    job = Job(chat.id, actor(context), context.t, document.file_id, name, apply=False)
    in_background(context, _check(context, job))
    return CONFIRM  # the check's buttons, or a corrected file


async def not_a_workbook(update: Update, context: DsrContext) -> int:
    await reply(update, views.ask_plan_file(context.t))
    return WAIT_FILE


async def cancel(update: Update, context: DsrContext) -> int:
    await reply(update, views.plan_file_cancelled(context.t))
    return END


async def import_pressed(update: Update, context: DsrContext) -> int:
    kept = context.user_data.pop(KEPT, None) if context.user_data is not None else None
    chat = update.effective_chat
    await answer(update, context)
    await edit(update, None)
    if not isinstance(kept, dict) or chat is None:
        return END
    job = Job(chat.id, actor(context), context.t, kept["file_id"], kept["file_name"], apply=True)
    in_background(context, _check(context, job))
    return END


async def discard_pressed(update: Update, context: DsrContext) -> int:
    await answer(update, context)
    await edit(update, None)
    if context.user_data is not None:
        context.user_data.pop(KEPT, None)
    await reply(update, views.plan_file_cancelled(context.t))
    return END


async def _check(context: DsrContext, job: Job) -> None:
    t = job.t
    status = await context.bot.send_message(
        job.chat_id, views.plan_checking(t, job.file_name, job.apply)
    )
    try:
        file = await context.bot.get_file(job.file_id)
        data = bytes(await file.download_as_bytearray())
        found = await call(
            plan_upload.check_plan,
            context.db,
            job.who,
            data,
            job.file_name,
            context.now().astimezone(context.settings.tz).date(),
            context.settings,
            locale=t.locale,
            apply=job.apply,
        )
    except ServiceError as error:
        await _say(status, t._(error.message, **error.params))
        return
    text, markup = views.plan_checked(t, found)
    await _say(status, text, markup=markup)
    if found.report is not None and not found.applied:
        name = views.plan_report_name(t, job.file_name)
        await context.bot.send_document(job.chat_id, InputFile(found.report, filename=name))


async def _say(status: Message, text: str, *, markup: object = None) -> None:
    try:
        await status.edit_text(text, reply_markup=markup, parse_mode=ParseMode.HTML)  # type: ignore[arg-type]
    except BadRequest as error:
        if "not modified" not in error.message.lower():
            raise


def plan_file_conversation() -> ConversationHandler[DsrContext]:
    return conversation(
        "planfile",
        entry_points=[CommandHandler("planfile", ask_file)],
        states={
            WAIT_FILE: [
                MessageHandler(SPREADSHEETS, file_received),
                MessageHandler(
                    (filters.TEXT & ~filters.COMMAND) | filters.Document.ALL, not_a_workbook
                ),
            ],
            CONFIRM: [
                callbacks.PLAN_IMPORT.handler(import_pressed),
                callbacks.PLAN_DISCARD.handler(discard_pressed),
                MessageHandler(SPREADSHEETS, file_received),
            ],
        },
        cancel=cancel,
    )


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(plan_file_conversation())
