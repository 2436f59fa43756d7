"""Assignments in the chat: /mytasks (an inspector's own, current and past), the notices'
buttons — acknowledge, ask for recusal (a persistent conversation for the reason, /cancel
stops it), approve or refuse a recusal (refusing asks a reason the same way). The rules
and who may do what are in bot/services/draws/assignments.py and recusals.py; texts in
views.py beside this module."""

from __future__ import annotations

from datetime import date
from typing import Any, Final

from telegram import Update
from telegram.ext import Application, CommandHandler, ConversationHandler, MessageHandler, filters

from bot.services.draws import assignments, recusals
from bot.services.draws import views as draw_views
from bot.services.errors import ServiceError
from bot.services.people.notices import NoticeContext
from handlers import callbacks
from handlers.assignments import views
from handlers.common import actor, answer, call, conversation, edit, refuse, reply, requires
from handlers.context import DsrContext

ASK_REASON: Final = 0
END: Final = ConversationHandler.END
DRAFT: Final = "recusal_draft"
REFUSAL: Final = "refusal_draft"

# Any member: the services decide who may do what.
members = requires("office", "liaison", "inspector")


def _today(context: DsrContext) -> date:
    return context.now().astimezone(context.settings.tz).date()


def _notices(context: DsrContext) -> NoticeContext:
    settings = context.settings
    return NoticeContext(context.now(), settings, settings.default_locale)


def _draft(context: DsrContext, name: str) -> dict[str, Any]:
    data = context.user_data if context.user_data is not None else {}
    draft = data.setdefault(name, {})
    assert isinstance(draft, dict)
    return draft


def _text(update: Update) -> str:
    message = update.effective_message
    return (message.text or "") if message is not None else ""


@members
async def my_tasks(update: Update, context: DsrContext) -> None:
    mine = await call(assignments.my_assignments, context.db, actor(context), _today(context))
    text, markup = views.my_tasks(context.t, mine)
    await reply(update, text, markup=markup)


@members
async def acknowledge(update: Update, context: DsrContext) -> None:
    member_id = callbacks.ASSIGNMENT_ACK.int_arg(context, "member")
    info = await call(
        assignments.acknowledge,
        context.db,
        actor(context),
        member_id,
        context.now(),
        tz=context.settings.tz,
    )
    await answer(update, context, views.acknowledged(context.t, info))
    # The notice (one row: acknowledge, recusal) keeps its recusal button; a /mytasks list
    # of several tasks keeps its other rows as they are.
    query = update.callback_query
    markup = getattr(query.message, "reply_markup", None) if query is not None else None
    if markup is not None and len(markup.inline_keyboard) == 1:
        await edit(update, None, markup=views.recusal_only(context.t, member_id))


@members
async def approve(update: Update, context: DsrContext) -> None:
    member_id = callbacks.RECUSAL_APPROVE.int_arg(context, "member")
    result = await call(
        recusals.approve_recusal,
        context.db,
        actor(context),
        member_id,
        tz=context.settings.tz,
        notices=_notices(context),
    )
    names = await call(draw_views.draw_names, context.db, result.task_code)
    await answer(update, context)
    await edit(update, None)
    await reply(update, views.approved(context.t, result, names))


# --- asking for recusal -------------------------------------------------------------------------


async def start_recusal(update: Update, context: DsrContext) -> int:
    member_id = callbacks.RECUSAL_ASK.int_arg(context, "member")
    try:
        info = await call(recusals.can_ask, context.db, actor(context), member_id, _today(context))
    except ServiceError as error:
        await refuse(update, context, error)
        return END
    await answer(update, context)
    _draft(context, DRAFT).update(member=member_id)
    await reply(update, views.ask_recusal_reason(context.t, info))
    return ASK_REASON


async def recusal_reason(update: Update, context: DsrContext) -> int:
    draft = _draft(context, DRAFT)
    try:
        info = await call(
            recusals.request_recusal,
            context.db,
            actor(context),
            int(draft.get("member", 0)),
            _text(update),
            _notices(context),
        )
    except ServiceError as error:
        await refuse(update, context, error)
        # A reason that is empty or too long is asked again; anything else ends it.
        return ASK_REASON if error.message in recusals.REASON_PROBLEMS else END
    draft.clear()
    await reply(update, views.recusal_sent(context.t, info))
    return END


async def keep_assignment(update: Update, context: DsrContext) -> int:
    _draft(context, DRAFT).clear()
    await reply(update, views.recusal_kept(context.t))
    return END


# --- refusing a recusal ---------------------------------------------------------------------------


async def start_refusal(update: Update, context: DsrContext) -> int:
    member_id = callbacks.RECUSAL_REFUSE.int_arg(context, "member")
    try:
        case = await call(recusals.recusal_case, context.db, actor(context), member_id)
    except ServiceError as error:
        await refuse(update, context, error)
        return END
    await answer(update, context)
    _draft(context, REFUSAL).update(member=member_id)
    await reply(update, views.ask_refusal_reason(context.t, case))
    return ASK_REASON


async def refusal_reason(update: Update, context: DsrContext) -> int:
    draft = _draft(context, REFUSAL)
    try:
        case = await call(
            recusals.refuse_recusal,
            context.db,
            actor(context),
            int(draft.get("member", 0)),
            _text(update),
            _notices(context),
        )
    except ServiceError as error:
        await refuse(update, context, error)
        return ASK_REASON if error.message in recusals.REASON_PROBLEMS else END
    draft.clear()
    await reply(update, views.refused(context.t, case))
    return END


async def drop_refusal(update: Update, context: DsrContext) -> int:
    _draft(context, REFUSAL).clear()
    await reply(update, views.refusal_dropped(context.t))
    return END


def _conversation(
    name: str, entry: Any, reason: Any, cancel: Any
) -> ConversationHandler[DsrContext]:
    text = filters.TEXT & ~filters.COMMAND
    return conversation(
        name,
        entry_points=[entry],
        states={ASK_REASON: [MessageHandler(text, reason)]},
        cancel=cancel,
    )


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("mytasks", my_tasks))
    app.add_handler(callbacks.ASSIGNMENT_ACK.handler(acknowledge))
    app.add_handler(callbacks.RECUSAL_APPROVE.handler(approve))
    app.add_handler(
        _conversation(
            "recusal_request",
            callbacks.RECUSAL_ASK.handler(start_recusal),
            recusal_reason,
            keep_assignment,
        )
    )
    app.add_handler(
        _conversation(
            "recusal_refusal",
            callbacks.RECUSAL_REFUSE.handler(start_refusal),
            refusal_reason,
            drop_refusal,
        )
    )
