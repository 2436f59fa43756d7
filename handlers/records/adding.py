"""Adding a record in the chat (after /records and a register): the unit (the office
types it; a liaison adds to their own), then the few fields that matter one at a time —
each checked as the import checks its cell — then the confirmation (chat.confirmed)."""

from __future__ import annotations

from typing import Any

from telegram import Update

from bot.domain.registers.specs import Register
from bot.services.errors import ServiceError
from bot.services.registers import edits
from bot.services.registers.edits import InvalidValue
from handlers import callbacks
from handlers.common import actor, answer, call, edit, refuse, reply
from handlers.context import DsrContext
from handlers.records import questions, views
from handlers.records.steps import ASK_NEW, ASK_UNIT, CONFIRM, END, draft_of, text_of, today


async def start_add(update: Update, context: DsrContext) -> int:
    await answer(update, context)
    await edit(update, None)
    draft = draft_of(context)
    kind = draft.get("kind")
    if kind not in {r.value for r in Register}:
        return END
    who = actor(context)
    draft.update(mode="add", values={}, step=0)
    if who.liaison_unit_code is not None:
        draft["unit"] = who.liaison_unit_code
        return await _ask_next(update, context)
    await reply(update, questions.ask_unit(context.t))
    return ASK_UNIT


async def unit_typed(update: Update, context: DsrContext) -> int:
    try:
        code = await call(edits.unit_code_of, context.db, actor(context), text_of(update))
    except ServiceError as error:
        await refuse(update, context, error)
        return ASK_UNIT
    draft_of(context)["unit"] = code
    return await _ask_next(update, context)


def _asked(kind: str) -> tuple[str, ...]:
    return edits.ASKED[Register(kind)]


def _required(draft: dict[str, Any], key: str) -> bool:
    """The name always; an entity's kind when no USCC tells it."""
    if key == "name":
        return True
    return (
        draft["kind"] == Register.ENTITIES.value
        and key == "kind"
        and not draft["values"].get("uscc")
    )


async def _ask_next(update: Update, context: DsrContext) -> int:
    draft = draft_of(context)
    kind, step = draft["kind"], int(draft["step"])
    asked = _asked(kind)
    if step >= len(asked):
        text, markup = questions.confirm_add(context.t, kind, draft["unit"], draft["values"])
        await reply(update, text, markup=markup, html_mode=True)
        return CONFIRM
    key = asked[step]
    question, buttons = questions.ask_new(context.t, kind, key, _required(draft, key))
    await reply(update, question, markup=buttons, html_mode=True)
    return ASK_NEW


async def new_typed(update: Update, context: DsrContext) -> int:
    return await _take_new(update, context, text_of(update))


async def new_picked(update: Update, context: DsrContext) -> int:
    await answer(update, context)
    draft = draft_of(context)
    if "step" not in draft:
        return END
    key = _asked(draft["kind"])[int(draft["step"])]
    choices = questions.choices_of(views.field_of(draft["kind"], key))
    index = callbacks.RECORD_CHOICE.int_arg(context, "choice")
    if index >= len(choices):
        return ASK_NEW
    await edit(update, None)
    return await _take_new(update, context, choices[index])


async def new_skipped(update: Update, context: DsrContext) -> int:
    await answer(update, context)
    draft = draft_of(context)
    if "step" not in draft:
        return END
    key = _asked(draft["kind"])[int(draft["step"])]
    if _required(draft, key):
        return ASK_NEW
    await edit(update, None)
    draft["step"] = int(draft["step"]) + 1
    return await _ask_next(update, context)


async def _take_new(update: Update, context: DsrContext, typed: str) -> int:
    draft = draft_of(context)
    kind = draft["kind"]
    key = _asked(kind)[int(draft["step"])]
    try:
        await call(edits.parse_value, kind, key, typed, today(context))
    except InvalidValue as error:
        await reply(update, views.invalid_value(context.t, kind, key, error))
        return ASK_NEW
    draft["values"][key] = typed.strip()
    draft["step"] = int(draft["step"]) + 1
    return await _ask_next(update, context)
