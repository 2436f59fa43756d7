"""Register records in the chat (the issue "一单两库", part 3): /find TEXT (or /records,
then a register) finds records by a code, part of a name or a certificate number; a
record's page has buttons to change a field, deactivate or reactivate it and read its
history; /records also adds a record. Changing and adding are a persistent conversation
(a question at a time, a confirmation, a summary; /cancel cancels). Texts and keyboards
are in views.py and questions.py (adding: adding.py); the rules in bot/services/registers/lookup.py and edits.py, which
authorise every step again (the office any unit, a liaison their own)."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, CommandHandler, ConversationHandler, MessageHandler, filters

from bot.domain.registers.specs import Register
from bot.services.errors import ServiceError
from bot.services.registers import edits, lookup
from bot.services.registers.edits import InvalidValue
from handlers import callbacks
from handlers.common import actor, answer, call, conversation, edit, refuse, reply, requires
from handlers.context import DsrContext
from handlers.records import adding, questions, views
from handlers.records.steps import (
    ASK_NEW,
    ASK_QUERY,
    ASK_UNIT,
    ASK_VALUE,
    CONFIRM,
    END,
    PICK_FIELD,
    PICK_KIND,
    RESULTS,
    draft_of,
    text_of,
    today,
)

readers = requires("office", "liaison")


async def _show(update: Update, text: str, markup: Any, *, html: bool = True) -> None:
    """Edit the pressed message, or answer a typed one."""
    if update.callback_query is not None:
        await edit(update, text, markup=markup, html_mode=html)
    else:
        await reply(update, text, markup=markup, html_mode=html)


# --- finding ----------------------------------------------------------------------------------


async def start_find(update: Update, context: DsrContext) -> int:
    draft = draft_of(context)
    draft.clear()
    try:
        lookup.require_reader(actor(context))
    except ServiceError as error:
        await refuse(update, context, error)
        return END
    typed = " ".join(context.args or [])
    if typed:
        return await _search(update, context, typed)
    text, markup = views.ask_query(context.t, None)
    await reply(update, text, markup=markup)
    return ASK_QUERY


async def start_records(update: Update, context: DsrContext) -> int:
    draft_of(context).clear()
    try:
        lookup.require_reader(actor(context))
    except ServiceError as error:
        await refuse(update, context, error)
        return END
    text, markup = views.pick_register(context.t)
    await reply(update, text, markup=markup)
    return PICK_KIND


async def kind_chosen(update: Update, context: DsrContext) -> int:
    kind = callbacks.RECORD_KIND.word_arg(context, "kind")
    await answer(update, context)
    if kind not in {r.value for r in Register}:
        return PICK_KIND
    draft_of(context)["kind"] = kind
    text, markup = views.ask_query(context.t, kind)
    await edit(update, text, markup=markup)
    return ASK_QUERY


async def query_typed(update: Update, context: DsrContext) -> int:
    return await _search(update, context, text_of(update))


async def _search(update: Update, context: DsrContext, typed: str, page: int = 0) -> int:
    draft = draft_of(context)
    kind = draft.get("kind")
    try:
        found = await call(lookup.find_records, context.db, actor(context), typed, kind)
    except ServiceError as error:
        await refuse(update, context, error)
        return ASK_QUERY
    draft["query"] = typed
    if not found:
        await reply(update, views.no_hits(context.t, typed))
        return ASK_QUERY
    text, markup = views.hits(context.t, found, page)
    await _show(update, text, markup, html=False)
    return RESULTS


async def turn_hits(update: Update, context: DsrContext) -> int:
    await answer(update, context)
    typed = draft_of(context).get("query")
    if not typed:
        return END
    return await _search(
        update, context, str(typed), callbacks.RECORD_HITS.int_arg(context, "page")
    )


# --- a record's page (any time: every press authorised again) ---------------------------------


def _record_args(button: callbacks.Button, context: DsrContext) -> tuple[str, int]:
    return button.word_arg(context, "kind"), button.int_arg(context, "record")


@readers
async def open_record(update: Update, context: DsrContext) -> None:
    kind, record_id = _record_args(callbacks.RECORD_OPEN, context)
    page = await call(lookup.view_record, context.db, actor(context), kind, record_id)
    await answer(update, context)
    text, markup = views.record_page(context.t, page)
    await reply(update, text, markup=markup, html_mode=True)


@readers
async def show_history(update: Update, context: DsrContext) -> None:
    kind, record_id = _record_args(callbacks.RECORD_LOG, context)
    page, entries = await call(lookup.history, context.db, actor(context), kind, record_id)
    await answer(update, context)
    text, markup = views.history(context.t, page, entries, context.settings.tz)
    await reply(update, text, markup=markup, html_mode=True)


@readers
async def ask_active(update: Update, context: DsrContext) -> None:
    kind, record_id = _record_args(callbacks.RECORD_ACTIVE, context)
    on = callbacks.RECORD_ACTIVE.int_arg(context, "on") == 1
    page = await call(lookup.view_record, context.db, actor(context), kind, record_id)
    await answer(update, context)
    text, markup = views.confirm_active(context.t, page, on)
    await edit(update, text, markup=markup, html_mode=True)


@readers
async def set_active(update: Update, context: DsrContext) -> None:
    kind, record_id = _record_args(callbacks.RECORD_ACTIVE_OK, context)
    on = callbacks.RECORD_ACTIVE_OK.int_arg(context, "on") == 1
    done = await call(
        edits.set_active, context.db, actor(context), kind, record_id, on, context.now()
    )
    await answer(update, context)
    await edit(
        update,
        views.active_done(context.t, done),
        markup=views.record_buttons(context.t, done.page),
        html_mode=True,
    )


# --- changing a field -------------------------------------------------------------------------


async def start_edit(update: Update, context: DsrContext) -> int:
    kind, record_id = _record_args(callbacks.RECORD_EDIT, context)
    draft = draft_of(context)
    draft.clear()
    try:
        page = await call(lookup.view_record, context.db, actor(context), kind, record_id)
    except ServiceError as error:
        await refuse(update, context, error)
        return END
    await answer(update, context)
    draft.update(mode="change", kind=kind, record=record_id, name=page.name)
    text, markup = questions.pick_field(context.t, page)
    await reply(update, text, markup=markup, html_mode=True)
    return PICK_FIELD


async def field_chosen(update: Update, context: DsrContext) -> int:
    key = callbacks.RECORD_FIELD.word_arg(context, "field")
    draft = draft_of(context)
    try:
        page = await call(
            lookup.view_record, context.db, actor(context), draft["kind"], draft["record"]
        )
    except (ServiceError, KeyError) as error:
        if isinstance(error, ServiceError):
            await refuse(update, context, error)
        return END
    await answer(update, context)
    if key not in page.values:
        return PICK_FIELD
    draft["field"] = key
    clearable = edits.clearable(page.kind, key)
    text, markup = questions.ask_value(context.t, page.kind, key, page.values[key], clearable)
    await edit(update, text, markup=markup, html_mode=True)
    return ASK_VALUE


async def value_typed(update: Update, context: DsrContext) -> int:
    return await _take_value(update, context, text_of(update))


async def value_picked(update: Update, context: DsrContext) -> int:
    await answer(update, context)
    picked = _picked(context)
    return ASK_VALUE if picked is None else await _take_value(update, context, picked)


async def value_cleared(update: Update, context: DsrContext) -> int:
    await answer(update, context)
    return await _take_value(update, context, None)


def _picked(context: DsrContext) -> str | None:
    draft = draft_of(context)
    key = draft.get("field")
    if not key or "kind" not in draft:
        return None
    choices = questions.choices_of(views.field_of(draft["kind"], key))
    index = callbacks.RECORD_CHOICE.int_arg(context, "choice")
    return choices[index] if index < len(choices) else None


async def _take_value(update: Update, context: DsrContext, typed: str | None) -> int:
    draft = draft_of(context)
    if not {"kind", "record", "field"} <= draft.keys():
        return END
    kind, key = draft["kind"], draft["field"]
    try:
        checked = await call(
            edits.check_change,
            context.db,
            actor(context),
            kind,
            draft["record"],
            key,
            typed,
            today(context),
        )
    except InvalidValue as error:
        await reply(update, views.invalid_value(context.t, kind, key, error))
        return ASK_VALUE
    except ServiceError as error:
        await refuse(update, context, error)
        return ASK_VALUE
    draft["typed"] = typed
    if update.callback_query is not None:
        await edit(update, None)
    text, markup = questions.confirm_change(context.t, kind, str(draft.get("name")), checked)
    await reply(update, text, markup=markup, html_mode=True)
    return CONFIRM


# --- the end ----------------------------------------------------------------------------------


async def confirmed(update: Update, context: DsrContext) -> int:
    await answer(update, context)
    await edit(update, None)
    draft = dict(draft_of(context))
    draft_of(context).clear()
    try:
        if draft.get("mode") == "change" and {"kind", "record", "field"} <= draft.keys():
            done = await call(
                edits.change_field,
                context.db,
                actor(context),
                draft["kind"],
                draft["record"],
                draft["field"],
                draft.get("typed"),
                context.now(),
                today(context),
            )
            text = questions.changed(context.t, done)
        elif draft.get("mode") == "add" and {"kind", "unit", "values"} <= draft.keys():
            done = await call(
                edits.add_record,
                context.db,
                actor(context),
                draft["kind"],
                draft["unit"],
                draft["values"],
                context.now(),
                today(context),
            )
            text = questions.added(context.t, done)
        else:
            return END
    except ServiceError as error:
        await refuse(update, context, error)
        return END
    await reply(update, text, markup=views.record_buttons(context.t, done.page), html_mode=True)
    return END


async def cancel(update: Update, context: DsrContext) -> int:
    await answer(update, context)
    await edit(update, None)
    draft_of(context).clear()
    await reply(update, views.cancelled(context.t))
    return END


def records_conversation() -> ConversationHandler[DsrContext]:
    text = filters.TEXT & ~filters.COMMAND
    return conversation(
        "records",
        entry_points=[
            CommandHandler("find", start_find),
            CommandHandler("records", start_records),
            callbacks.RECORD_EDIT.handler(start_edit),
        ],
        states={
            PICK_KIND: [callbacks.RECORD_KIND.handler(kind_chosen)],
            ASK_QUERY: [
                MessageHandler(text, query_typed),
                callbacks.RECORD_ADD.handler(adding.start_add),
            ],
            RESULTS: [
                MessageHandler(text, query_typed),
                callbacks.RECORD_HITS.handler(turn_hits),
            ],
            PICK_FIELD: [callbacks.RECORD_FIELD.handler(field_chosen)],
            ASK_VALUE: [
                MessageHandler(text, value_typed),
                callbacks.RECORD_CHOICE.handler(value_picked),
                callbacks.RECORD_CLEAR.handler(value_cleared),
            ],
            ASK_UNIT: [MessageHandler(text, adding.unit_typed)],
            ASK_NEW: [
                MessageHandler(text, adding.new_typed),
                callbacks.RECORD_CHOICE.handler(adding.new_picked),
                callbacks.RECORD_SKIP.handler(adding.new_skipped),
            ],
            CONFIRM: [
                callbacks.RECORD_OK.handler(confirmed),
                callbacks.RECORD_NO.handler(cancel),
            ],
        },
        cancel=cancel,
    )


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(records_conversation())
    app.add_handler(callbacks.RECORD_OPEN.handler(open_record))
    app.add_handler(callbacks.RECORD_LOG.handler(show_history))
    app.add_handler(callbacks.RECORD_ACTIVE.handler(ask_active))
    app.add_handler(callbacks.RECORD_ACTIVE_OK.handler(set_active))
