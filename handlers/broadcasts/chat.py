"""/broadcast: the office's announcement (a persistent conversation that /cancel ends):
the message as text or a file, the audience (buttons; chosen units toggled on and off),
the preview with the number of recipients, and Send. The message that then says
"sending…" is edited by the job in bot/jobs/broadcasts.py until the report arrives, with
its button for the workbook (handled here too). Rules: bot/services/broadcasts/."""

from __future__ import annotations

from typing import Any, Final

from telegram import InputFile, Update
from telegram.ext import Application, CommandHandler, ConversationHandler, MessageHandler, filters

from bot.i18n import N_
from bot.services.broadcasts import delivery, sending
from bot.services.broadcasts.audience import Audience
from bot.services.errors import ServiceError
from bot.services.people.notices import NoticeContext
from handlers import callbacks
from handlers.broadcasts import views
from handlers.common import (
    actor,
    answer,
    call,
    conversation,
    edit,
    refuse,
    reply,
    requires,
    role_refusal,
)
from handlers.context import DsrContext

ASK_MESSAGE, ASK_AUDIENCE, ASK_UNITS, CONFIRM = range(4)
DRAFT: Final = "broadcast_draft"
END: Final = ConversationHandler.END


def _draft(context: DsrContext) -> dict[str, Any]:
    data = context.user_data if context.user_data is not None else {}
    draft = data.setdefault(DRAFT, {})
    assert isinstance(draft, dict)
    return draft


def _notices(context: DsrContext) -> NoticeContext:
    settings = context.settings
    return NoticeContext(context.now(), settings, settings.default_locale)


def _audience(draft: dict[str, Any]) -> Audience:
    kind = str(draft.get("audience", ""))
    units = tuple(int(u) for u in draft.get("units", [])) if kind == "units" else ()
    return Audience(kind, units)


def _content(draft: dict[str, Any]) -> sending.Content:
    return sending.Content(str(draft.get("text", "")), draft.get("file_id"), draft.get("file_name"))


async def start(update: Update, context: DsrContext) -> int:
    _draft(context).clear()
    if not actor(context).is_office:
        await refuse(update, context, role_refusal(("office",)))
        return END
    await reply(update, views.ask_message(context.t))
    return ASK_MESSAGE


async def _take_message(update: Update, context: DsrContext, content: sending.Content) -> int:
    try:
        checked = sending.check_content(content)
    except ServiceError as error:
        await refuse(update, context, error)
        return ASK_MESSAGE
    _draft(context).update(text=checked.text, file_id=checked.file_id, file_name=checked.file_name)
    text, markup = views.audience_choice(context.t)
    await reply(update, text, markup=markup)
    return ASK_AUDIENCE


async def text_given(update: Update, context: DsrContext) -> int:
    message = update.effective_message
    return await _take_message(
        update, context, sending.Content(message.text or "" if message else "")
    )


async def file_given(update: Update, context: DsrContext) -> int:
    message = update.effective_message
    document = message.document if message is not None else None
    if message is None or document is None:
        return ASK_MESSAGE
    content = sending.Content(message.caption or "", document.file_id, document.file_name)
    return await _take_message(update, context, content)


async def not_a_message(update: Update, context: DsrContext) -> int:
    await reply(update, views.not_a_message(context.t))
    return ASK_MESSAGE


async def audience_chosen(update: Update, context: DsrContext) -> int:
    kind = callbacks.BROADCAST_AUDIENCE.word_arg(context, "kind")
    await answer(update, context)
    if kind not in views.AUDIENCE_LABELS:
        return ASK_AUDIENCE
    draft = _draft(context)
    draft.update(audience=kind, units=[])
    if kind == "units":
        return await _show_units(update, context, fresh=True)
    await edit(update, None)
    return await _preview(update, context)


async def _show_units(update: Update, context: DsrContext, *, fresh: bool) -> int:
    units = await call(sending.unit_choices_for, context.db, actor(context))
    if not units:
        await reply(update, views.no_units(context.t))
        return ASK_AUDIENCE
    text, markup = views.unit_picker(context.t, units, set(_draft(context).get("units", [])))
    if fresh:
        await edit(update, None)
        await reply(update, text, markup=markup)
    else:
        await edit(update, text, markup=markup)
    return ASK_UNITS


async def unit_toggled(update: Update, context: DsrContext) -> int:
    unit_id = callbacks.BROADCAST_UNIT.int_arg(context, "unit")
    await answer(update, context)
    draft = _draft(context)
    chosen = [int(u) for u in draft.get("units", [])]
    draft["units"] = (
        [u for u in chosen if u != unit_id] if unit_id in chosen else [*chosen, unit_id]
    )
    return await _show_units(update, context, fresh=False)


async def units_done(update: Update, context: DsrContext) -> int:
    if not _draft(context).get("units"):
        await refuse(update, context, ServiceError(N_("Choose at least one unit.")))
        return ASK_UNITS
    await answer(update, context)
    await edit(update, None)
    return await _preview(update, context)


async def _preview(update: Update, context: DsrContext) -> int:
    draft = _draft(context)
    audience = _audience(draft)
    try:
        found = await call(sending.preview, context.db, actor(context), audience, _notices(context))
    except ServiceError as error:
        await refuse(update, context, error)
        return ASK_AUDIENCE
    if found.recipients == 0:
        await reply(update, views.nobody(context.t))
        text, markup = views.audience_choice(context.t)
        await reply(update, text, markup=markup)
        return ASK_AUDIENCE
    names: list[str] = []
    if audience.kind == "units":
        units = await call(sending.unit_choices_for, context.db, actor(context))
        names = [u.name for u in units if u.id in audience.unit_ids]
    words = views.audience_words(context.t, audience.kind, names)
    text, markup = views.preview(
        context.t, found, words, draft.get("file_name"), context.settings.tz
    )
    await reply(update, text, markup=markup)
    return CONFIRM


async def confirmed(update: Update, context: DsrContext) -> int:
    await answer(update, context)
    await edit(update, None)
    draft = dict(_draft(context))
    _draft(context).clear()
    chat = update.effective_chat
    if "audience" not in draft or chat is None:
        return END
    who = actor(context)
    try:
        queued = await call(
            sending.start_broadcast,
            context.db,
            who,
            _audience(draft),
            _content(draft),
            _notices(context),
            progress_chat_id=chat.id,
        )
    except ServiceError as error:
        await refuse(update, context, error)
        return END
    shown = await reply(update, views.starting(context.t, queued.id, queued.recipients))
    if shown is not None:
        await call(
            sending.set_progress_message, context.db, who, queued.id, chat.id, shown.message_id
        )
    return END


async def cancel(update: Update, context: DsrContext) -> int:
    await answer(update, context)
    await edit(update, None)
    _draft(context).clear()
    await reply(update, views.cancelled(context.t))
    return END


@requires("office")
async def download_report(update: Update, context: DsrContext) -> None:
    broadcast_id = callbacks.BROADCAST_REPORT.int_arg(context, "broadcast")
    name, data = await call(
        delivery.report_workbook, context.db, actor(context), broadcast_id, context.t
    )
    await answer(update, context)
    chat = update.effective_chat
    if chat is not None:
        await context.bot.send_document(chat.id, InputFile(data, filename=name))


def broadcast_conversation() -> ConversationHandler[DsrContext]:
    return conversation(
        "broadcast",
        entry_points=[CommandHandler("broadcast", start)],
        states={
            ASK_MESSAGE: [
                MessageHandler(filters.TEXT & ~filters.COMMAND, text_given),
                MessageHandler(filters.Document.ALL, file_given),
                MessageHandler(~filters.COMMAND, not_a_message),
            ],
            ASK_AUDIENCE: [callbacks.BROADCAST_AUDIENCE.handler(audience_chosen)],
            ASK_UNITS: [
                callbacks.BROADCAST_UNIT.handler(unit_toggled),
                callbacks.BROADCAST_UNITS_DONE.handler(units_done),
            ],
            CONFIRM: [
                callbacks.BROADCAST_OK.handler(confirmed),
                callbacks.BROADCAST_NO.handler(cancel),
            ],
        },
        cancel=cancel,
    )


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(broadcast_conversation())
    app.add_handler(callbacks.BROADCAST_REPORT.handler(download_report))
