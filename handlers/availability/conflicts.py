"""Declared conflicts of interest, in the chat: /conflict (a persistent conversation: who —
for a liaison —, the entity found by code or name fragment and picked from the results,
the reason, confirm; /cancel cancels) and /conflicts (the declarations one may read, with a
withdraw button on each one keeps). The rules are in bot/services/inspectors/conflicts.py."""

from __future__ import annotations

from typing import Final

from telegram import Update
from telegram.ext import Application, CommandHandler, ConversationHandler, MessageHandler, filters

from bot.services.errors import ServiceError
from bot.services.inspectors import conflicts, records
from handlers import callbacks
from handlers.availability import views
from handlers.availability.chat import draft_of, members, notices, pick_inspector, text_of
from handlers.common import actor, answer, call, conversation, edit, refuse, reply
from handlers.context import DsrContext

ASK_WHO, ASK_ENTITY, ASK_REASON, CONFIRM = range(4)
DRAFT: Final = "conflict_draft"
END: Final = ConversationHandler.END
PICKER: Final = (callbacks.CONFLICT_WHO, callbacks.CONFLICT_PAGE)


async def start_declaring(update: Update, context: DsrContext) -> int:
    who = actor(context)
    draft = draft_of(context, DRAFT)
    draft.clear()
    try:
        records.require_keeper(who)
    except ServiceError as error:
        await refuse(update, context, error)
        return END
    if who.liaison_unit_id is not None:
        return ASK_WHO if await pick_inspector(update, context, 0, PICKER) else END
    draft.update(inspector=who.inspector_id, name=None)
    await reply(update, views.ask_entity(context.t, None), html_mode=True)
    return ASK_ENTITY


async def turn_page(update: Update, context: DsrContext) -> int:
    await pick_inspector(update, context, callbacks.CONFLICT_PAGE.int_arg(context, "page"), PICKER)
    return ASK_WHO


async def inspector_chosen(update: Update, context: DsrContext) -> int:
    inspector_id = callbacks.CONFLICT_WHO.int_arg(context, "inspector")
    who = actor(context)
    try:
        name = await call(records.inspector_name, context.db, who, inspector_id)
    except ServiceError as error:
        await refuse(update, context, error)
        return ASK_WHO
    await answer(update, context)
    await edit(update, None)
    shown = None if inspector_id == who.inspector_id else name
    draft_of(context, DRAFT).update(inspector=inspector_id, name=shown)
    await reply(update, views.ask_entity(context.t, shown), html_mode=True)
    return ASK_ENTITY


async def search(update: Update, context: DsrContext) -> int:
    draft = draft_of(context, DRAFT)
    query = text_of(update)
    try:
        found = await call(
            conflicts.find_entities, context.db, actor(context), int(draft["inspector"]), query
        )
    except ServiceError as error:
        await refuse(update, context, error)
        return ASK_ENTITY
    # The buttons may pick only what this search offered.
    draft["found"] = {str(m.id): m.name for m in found.matches}
    text, markup = views.found_entities(context.t, query, found)
    await reply(update, text, markup=markup, html_mode=True)
    return ASK_ENTITY


async def entity_chosen(update: Update, context: DsrContext) -> int:
    entity_id = callbacks.CONFLICT_ENTITY.int_arg(context, "entity")
    await answer(update, context)
    draft = draft_of(context, DRAFT)
    name = draft.get("found", {}).get(str(entity_id))
    if name is None:
        return ASK_ENTITY
    await edit(update, None)
    draft.update(entity=entity_id, entity_name=name)
    await reply(update, views.ask_reason(context.t, name), html_mode=True)
    return ASK_REASON


async def reason_given(update: Update, context: DsrContext) -> int:
    draft = draft_of(context, DRAFT)
    try:
        reason = conflicts.reason_form(text_of(update))
    except ServiceError as error:
        await refuse(update, context, error)
        return ASK_REASON
    draft["reason"] = reason
    text, markup = views.confirm_conflict(
        context.t, draft.get("name"), draft["entity_name"], reason
    )
    await reply(update, text, markup=markup, html_mode=True)
    return CONFIRM


async def confirmed(update: Update, context: DsrContext) -> int:
    await answer(update, context)
    await edit(update, None)
    draft = dict(draft_of(context, DRAFT))
    draft_of(context, DRAFT).clear()
    if not {"inspector", "entity", "reason"} <= draft.keys():
        return END
    try:
        done = await call(
            conflicts.declare_conflict,
            context.db,
            actor(context),
            int(draft["inspector"]),
            int(draft["entity"]),
            draft["reason"],
            notices(context),
        )
    except ServiceError as error:
        await refuse(update, context, error)
        return END
    await reply(update, views.declared(context.t, done))
    return END


async def cancel(update: Update, context: DsrContext) -> int:
    await answer(update, context)
    await edit(update, None)
    draft_of(context, DRAFT).clear()
    await reply(update, views.conflict_cancelled(context.t))
    return END


@members
async def list_conflicts(update: Update, context: DsrContext) -> None:
    who = actor(context)
    found = await call(conflicts.conflicts, context.db, who)
    text, markup = views.conflict_list(context.t, who, found)
    await reply(update, text, markup=markup, html_mode=True)


@members
async def withdraw(update: Update, context: DsrContext) -> None:
    conflict_id = callbacks.CONFLICT_WITHDRAW.int_arg(context, "conflict")
    who = actor(context)
    gone = await call(conflicts.withdraw_conflict, context.db, who, conflict_id, notices(context))
    await answer(update, context, views.conflict_withdrawn(context.t, gone))
    found = await call(conflicts.conflicts, context.db, who)
    text, markup = views.conflict_list(context.t, who, found)
    await edit(update, text, markup=markup, html_mode=True)


def conflict_conversation() -> ConversationHandler[DsrContext]:
    text = filters.TEXT & ~filters.COMMAND
    return conversation(
        "conflict",
        entry_points=[CommandHandler("conflict", start_declaring)],
        states={
            ASK_WHO: [
                callbacks.CONFLICT_WHO.handler(inspector_chosen),
                callbacks.CONFLICT_PAGE.handler(turn_page),
            ],
            ASK_ENTITY: [
                MessageHandler(text, search),
                callbacks.CONFLICT_ENTITY.handler(entity_chosen),
            ],
            ASK_REASON: [MessageHandler(text, reason_given)],
            CONFIRM: [
                callbacks.CONFLICT_OK.handler(confirmed),
                callbacks.CONFLICT_NO.handler(cancel),
            ],
        },
        cancel=cancel,
    )


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(conflict_conversation())
    app.add_handler(CommandHandler("conflicts", list_conflicts))
    app.add_handler(callbacks.CONFLICT_WITHDRAW.handler(withdraw))
