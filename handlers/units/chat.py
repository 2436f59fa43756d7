"""Member units in the chat (the office): list them, and add one — in one line
(``/addunit SCJG 舞钢市市场监督管理局``) or step by step in a conversation that survives a
restart and that /cancel ends. Texts and keyboards are in views.py beside this module."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler, ConversationHandler, MessageHandler, filters

from bot.services.errors import ServiceError
from bot.services.people import membership
from bot.services.registers import unit_page as pages
from handlers import callbacks
from handlers.common import actor, answer, call, conversation, edit, refuse, reply, requires
from handlers.context import DsrContext
from handlers.units import views

# Conversation states, and where the draft waits between two messages (user_data is
# persisted with the conversation, so a restart in the middle loses nothing).
ASK_CODE, ASK_NAME, CONFIRM = range(3)
DRAFT = "unit_draft"


@requires("office")
async def units(update: Update, context: DsrContext) -> None:
    infos = await call(membership.list_units, context.db)
    if not infos:
        t = context.t
        await reply(update, t._("There are no member units yet. Add one with /addunit CODE name."))
        return
    text, markup = views.unit_list(context.t, infos)
    await reply(update, text, markup=markup, html_mode=True)


@requires("office")
async def unit_page(update: Update, context: DsrContext) -> None:
    unit_id = callbacks.UNIT_PAGE.int_arg(context, "unit")
    tz = context.settings.tz
    page = await call(
        pages.unit_page, context.db, actor(context), unit_id, context.now().astimezone(tz).date()
    )
    await answer(update, context)
    text, markup = views.unit_page(context.t, page, tz)
    await reply(update, text, markup=markup, html_mode=True)


async def start_adding(update: Update, context: DsrContext) -> int:
    """/addunit: with a code and a name, add at once; without, ask for them."""
    try:
        membership.require_office(actor(context))
    except ServiceError as error:
        await refuse(update, context, error)
        return ConversationHandler.END
    args = context.args or []
    if len(args) >= 2:
        await _add(update, context, args[0], " ".join(args[1:]))
        return ConversationHandler.END
    _draft(context).clear()
    if len(args) == 1:
        return await _take_code(update, context, args[0])
    await reply(update, views.ask_code(context.t))
    return ASK_CODE


async def code_given(update: Update, context: DsrContext) -> int:
    text = update.effective_message.text if update.effective_message else None
    return await _take_code(update, context, text or "")


async def _take_code(update: Update, context: DsrContext, code: str) -> int:
    try:
        code = await call(membership.check_new_unit_code, context.db, actor(context), code)
    except ServiceError as error:
        await refuse(update, context, error)
        return ASK_CODE
    _draft(context)["code"] = code
    await reply(update, views.ask_name(context.t, code))
    return ASK_NAME


async def name_given(update: Update, context: DsrContext) -> int:
    text = update.effective_message.text if update.effective_message else None
    try:
        name = membership.unit_name_form(text or "")
    except ServiceError as error:
        await refuse(update, context, error)
        return ASK_NAME
    draft = _draft(context)
    draft["name"] = name
    text, markup = views.confirm(context.t, draft["code"], name)
    await reply(update, text, markup=markup, html_mode=True)
    return CONFIRM


async def confirmed(update: Update, context: DsrContext) -> int:
    await answer(update, context)
    draft = _draft(context)
    await edit(update, None)
    if "code" in draft and "name" in draft:
        await _add(update, context, draft["code"], draft["name"])
    draft.clear()
    return ConversationHandler.END


async def cancel(update: Update, context: DsrContext) -> int:
    await answer(update, context)
    await edit(update, None)
    _draft(context).clear()
    await reply(update, views.cancelled(context.t))
    return ConversationHandler.END


async def _add(update: Update, context: DsrContext, code: str, name: str) -> None:
    try:
        info = await call(membership.add_unit, context.db, actor(context), code, name)
    except ServiceError as error:
        await refuse(update, context, error)
        return
    await reply(update, views.added(context.t, info))


def _draft(context: DsrContext) -> dict[str, str]:
    data = context.user_data if context.user_data is not None else {}
    draft = data.setdefault(DRAFT, {})
    assert isinstance(draft, dict)
    return draft


def add_unit_conversation() -> ConversationHandler[DsrContext]:
    text = filters.TEXT & ~filters.COMMAND
    return conversation(
        "add_unit",
        entry_points=[CommandHandler("addunit", start_adding)],
        states={
            ASK_CODE: [MessageHandler(text, code_given)],
            ASK_NAME: [MessageHandler(text, name_given)],
            CONFIRM: [
                callbacks.UNIT_ADD_CONFIRM.handler(confirmed),
                callbacks.UNIT_ADD_CANCEL.handler(cancel),
            ],
        },
        cancel=cancel,
    )


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("units", units))
    app.add_handler(callbacks.UNIT_PAGE.handler(unit_page))
    app.add_handler(add_unit_conversation())
