"""Tasks and drawing in the chat (issue #12): /newtask (a persistent conversation: matters,
partner units, sampling, team size, window, name, confirm; /cancel cancels), /tasks (the
tasks one may see, each a button to its page), a task's page with its draw for the
office and the lead unit's liaison, the pools before the seed, the draw (a generated
seed, or the office's typed ceremony input) in the background with its progress, the
summary and the public certificate as a file.

Texts and keyboards are in views.py; the rules are bot/services/draws/task_chat.py and
bot/services/draws/chat_draw.py, which check every press again."""

from __future__ import annotations

from datetime import date
from typing import Any, Final

from telegram import Update
from telegram.ext import Application, CommandHandler, ConversationHandler, MessageHandler, filters

from bot.domain.dates import TypedDateError, parse_span
from bot.services.draws import task_chat
from bot.services.draws.filter_text import parse_filters
from bot.services.draws.plans import TaskInvalid, TaskSpec, parse_sampling
from bot.services.errors import ServiceError
from bot.services.people.notices import NoticeContext
from handlers import callbacks
from handlers.common import (
    actor,
    answer,
    call,
    conversation,
    edit,
    refuse,
    reply,
    requires,
)
from handlers.context import DsrContext
from handlers.tasks import draw, views

ASK_MATTERS, ASK_PARTNERS, ASK_SAMPLING, ASK_TEAM, ASK_WINDOW, ASK_NAME, CONFIRM = range(7)
ASK_FILTERS: Final = 7
ASK_SEED: Final = 10
DRAFT: Final = "task_draft"
SEED: Final = "draw_seed"
END: Final = ConversationHandler.END

office_or_liaison = requires("office", "liaison")


def today(context: DsrContext) -> date:
    return context.now().astimezone(context.settings.tz).date()


def notices(context: DsrContext) -> NoticeContext:
    settings = context.settings
    return NoticeContext(context.now(), settings, settings.default_locale)


def draft_of(context: DsrContext, name: str = DRAFT) -> dict[str, Any]:
    data = context.user_data if context.user_data is not None else {}
    draft = data.setdefault(name, {})
    assert isinstance(draft, dict)
    return draft


def text_of(update: Update) -> str:
    message = update.effective_message
    return (message.text or "") if message is not None else ""


# --- /newtask -----------------------------------------------------------------------------------


async def start_task(update: Update, context: DsrContext) -> int:
    draft = draft_of(context)
    draft.clear()
    try:
        choices = await call(task_chat.task_choices, context.db, actor(context))
    except ServiceError as error:
        await refuse(update, context, error)
        return END
    if not choices.matters:
        await reply(update, views.no_matters(context.t))
        return END
    draft.update(matters=[], partners=[])
    text, markup = views.ask_matters(context.t, choices, [])
    await reply(update, text, markup=markup, html_mode=True)
    return ASK_MATTERS


async def _choices(update: Update, context: DsrContext) -> task_chat.TaskChoices | None:
    try:
        return await call(task_chat.task_choices, context.db, actor(context))
    except ServiceError as error:
        await refuse(update, context, error)
        return None


def _toggle(values: list[int], value: int) -> list[int]:
    return [v for v in values if v != value] if value in values else [*values, value]


async def matter_pressed(update: Update, context: DsrContext) -> int:
    choices = await _choices(update, context)
    if choices is None:
        return END
    await answer(update, context)
    matter = callbacks.TASK_MATTER.int_arg(context, "matter")
    draft = draft_of(context)
    if matter in {m.id for m in choices.matters}:
        draft["matters"] = _toggle(list(draft.get("matters", [])), matter)
    text, markup = views.ask_matters(context.t, choices, draft["matters"])
    await edit(update, text, markup=markup, html_mode=True)
    return ASK_MATTERS


async def matters_done(update: Update, context: DsrContext) -> int:
    choices = await _choices(update, context)
    if choices is None:
        return END
    draft = draft_of(context)
    chosen = [m for m in choices.matters if m.id in draft.get("matters", [])]
    if not chosen:
        await answer(update, context, views.pick_one_matter(context.t), alert=True)
        return ASK_MATTERS
    await answer(update, context)
    await edit(update, None)
    draft["matters"] = [m.id for m in chosen]
    if all(m.joint_ok for m in chosen) and choices.units:
        text, markup = views.ask_partners(context.t, choices.units, [])
        await reply(update, text, markup=markup)
        return ASK_PARTNERS
    draft["partners"] = []
    return await _ask_filters(update, context)


async def partner_pressed(update: Update, context: DsrContext) -> int:
    choices = await _choices(update, context)
    if choices is None:
        return END
    await answer(update, context)
    unit = callbacks.TASK_PARTNER.int_arg(context, "unit")
    draft = draft_of(context)
    if unit in {u.id for u in choices.units}:
        draft["partners"] = _toggle(list(draft.get("partners", [])), unit)
    text, markup = views.ask_partners(context.t, choices.units, draft["partners"])
    await edit(update, text, markup=markup)
    return ASK_PARTNERS


async def partners_done(update: Update, context: DsrContext) -> int:
    await answer(update, context)
    await edit(update, None)
    return await _ask_filters(update, context)


async def _ask_filters(update: Update, context: DsrContext) -> int:
    text, markup = views.ask_filters(context.t)
    await reply(update, text, markup=markup)
    return ASK_FILTERS


async def filters_typed(update: Update, context: DsrContext) -> int:
    typed = text_of(update)
    try:
        parse_filters(typed)
    except TaskInvalid as error:
        await refuse(update, context, error)
        return ASK_FILTERS
    draft_of(context)["filters"] = typed
    return await _ask_sampling(update, context)


async def no_filter(update: Update, context: DsrContext) -> int:
    await answer(update, context)
    await edit(update, None)
    draft_of(context)["filters"] = ""
    return await _ask_sampling(update, context)


async def _ask_sampling(update: Update, context: DsrContext) -> int:
    text, markup = views.ask_sampling(context.t)
    await reply(update, text, markup=markup)
    return ASK_SAMPLING


async def sampling_typed(update: Update, context: DsrContext) -> int:
    return await _take_sampling(update, context, text_of(update))


async def sampling_picked(update: Update, context: DsrContext) -> int:
    await answer(update, context)
    index = callbacks.TASK_SAMPLING.int_arg(context, "pick")
    if index >= len(views.SAMPLINGS):
        return ASK_SAMPLING
    picked = views.SAMPLINGS[index]
    await edit(update, None)
    return await _take_sampling(update, context, picked)


async def _take_sampling(update: Update, context: DsrContext, text: str) -> int:
    try:
        parse_sampling(text)
    except TaskInvalid as error:
        await refuse(update, context, error)
        return ASK_SAMPLING
    draft = draft_of(context)
    draft["sampling"] = text
    minimum = max(2, 1 + len(draft.get("partners", [])))
    text, markup = views.ask_team_size(context.t, minimum)
    await reply(update, text, markup=markup)
    return ASK_TEAM


async def team_picked(update: Update, context: DsrContext) -> int:
    await answer(update, context)
    size = callbacks.TASK_TEAM.int_arg(context, "size")
    draft = draft_of(context)
    if size < max(2, 1 + len(draft.get("partners", []))):
        return ASK_TEAM
    await edit(update, None)
    draft["team_size"] = size
    await reply(update, views.ask_window(context.t))
    return ASK_WINDOW


async def window_typed(update: Update, context: DsrContext) -> int:
    try:
        span = parse_span(text_of(update), today(context))
    except TypedDateError as error:
        await reply(update, views.date_problem(context.t, error))
        return ASK_WINDOW
    draft = draft_of(context)
    draft.update(start=span.start.isoformat(), end=span.end.isoformat(), name="-")
    try:
        await _check(context, draft)
    except ServiceError as error:
        await refuse(update, context, error)
        return ASK_WINDOW
    choices = await _choices(update, context)
    if choices is None:
        return END
    chosen = [m for m in choices.matters if m.id in draft["matters"]]
    suggested = views.suggested_name(chosen, span.start.year)
    draft["suggested"] = suggested
    text, markup = views.ask_name(context.t, suggested)
    await reply(update, text, markup=markup, html_mode=True)
    return ASK_NAME


async def name_typed(update: Update, context: DsrContext) -> int:
    draft_of(context)["name"] = text_of(update).strip()
    return await _confirm(update, context)


async def name_suggested(update: Update, context: DsrContext) -> int:
    await answer(update, context)
    await edit(update, None)
    draft = draft_of(context)
    draft["name"] = draft.get("suggested") or "-"
    return await _confirm(update, context)


async def _confirm(update: Update, context: DsrContext) -> int:
    draft = draft_of(context)
    try:
        task = await _check(context, draft)
    except ServiceError as error:
        await refuse(update, context, error)
        return ASK_NAME
    names = await _matter_names(update, context, draft)
    text, markup = views.confirm_task(context.t, task, names)
    await reply(update, text, markup=markup, html_mode=True)
    return CONFIRM


async def _matter_names(update: Update, context: DsrContext, draft: dict[str, Any]) -> list[str]:
    choices = await _choices(update, context)
    by_id = {m.id: m.name for m in choices.matters} if choices else {}
    return [by_id.get(i, "") for i in draft.get("matters", [])]


async def confirmed(update: Update, context: DsrContext) -> int:
    await answer(update, context)
    await edit(update, None)
    draft = dict(draft_of(context))
    draft_of(context).clear()
    if not {"matters", "sampling", "team_size", "start", "end", "name"} <= draft.keys():
        return END
    try:
        spec = await _spec(context, draft)
        task = await call(
            task_chat.create_chat_task, context.db, actor(context), spec, today(context)
        )
    except ServiceError as error:
        await refuse(update, context, error)
        return END
    text, markup = views.created(context.t, task)
    await reply(update, text, markup=markup, html_mode=True)
    return END


async def cancel_task(update: Update, context: DsrContext) -> int:
    await answer(update, context)
    await edit(update, None)
    draft_of(context).clear()
    await reply(update, views.task_cancelled(context.t))
    return END


async def _spec(context: DsrContext, draft: dict[str, Any]) -> TaskSpec:
    choices = await call(task_chat.task_choices, context.db, actor(context))
    matters = {m.id: m.code for m in choices.matters}
    units = {u.id: u.code for u in choices.units}
    return TaskSpec(
        code="NEW",
        name=str(draft["name"]),
        unit_code=choices.unit_code,
        matter_codes=tuple(matters[i] for i in draft["matters"] if i in matters),
        sampling=parse_sampling(str(draft["sampling"])),
        window_start=date.fromisoformat(draft["start"]),
        window_end=date.fromisoformat(draft["end"]),
        partner_codes=tuple(units[i] for i in draft.get("partners", []) if i in units),
        team_size=int(draft["team_size"]),
        target_filters=parse_filters(str(draft.get("filters") or "")),
    )


async def _check(context: DsrContext, draft: dict[str, Any]) -> Any:
    spec = await _spec(context, draft)
    return await call(
        task_chat.create_chat_task,
        context.db,
        actor(context),
        spec,
        today(context),
        dry_run=True,
    )


def task_conversation() -> ConversationHandler[DsrContext]:
    text = filters.TEXT & ~filters.COMMAND
    return conversation(
        "newtask",
        entry_points=[CommandHandler("newtask", start_task)],
        states={
            ASK_MATTERS: [
                callbacks.TASK_MATTER.handler(matter_pressed),
                callbacks.TASK_MATTERS_OK.handler(matters_done),
            ],
            ASK_PARTNERS: [
                callbacks.TASK_PARTNER.handler(partner_pressed),
                callbacks.TASK_PARTNERS_OK.handler(partners_done),
            ],
            ASK_FILTERS: [
                MessageHandler(text, filters_typed),
                callbacks.TASK_NO_FILTER.handler(no_filter),
            ],
            ASK_SAMPLING: [
                MessageHandler(text, sampling_typed),
                callbacks.TASK_SAMPLING.handler(sampling_picked),
            ],
            ASK_TEAM: [callbacks.TASK_TEAM.handler(team_picked)],
            ASK_WINDOW: [MessageHandler(text, window_typed)],
            ASK_NAME: [
                MessageHandler(text, name_typed),
                callbacks.TASK_NAME.handler(name_suggested),
            ],
            CONFIRM: [
                callbacks.TASK_OK.handler(confirmed),
                callbacks.TASK_NO.handler(cancel_task),
            ],
        },
        cancel=cancel_task,
    )


# --- /tasks and a task's page -------------------------------------------------------------------


@office_or_liaison
async def list_tasks(update: Update, context: DsrContext) -> None:
    found = await call(task_chat.visible_tasks, context.db, actor(context))
    text, markup = views.task_list(context.t, found)
    await reply(update, text, markup=markup, html_mode=True)


@office_or_liaison
async def open_task(update: Update, context: DsrContext) -> None:
    task_id = callbacks.TASK_PAGE.int_arg(context, "task")
    page = await call(task_chat.task_page, context.db, actor(context), task_id)
    await answer(update, context)
    text, markup = views.task_page(context.t, page)
    await reply(update, text, markup=markup, html_mode=True)


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(task_conversation())
    app.add_handler(draw.seed_conversation())
    app.add_handler(CommandHandler("tasks", list_tasks))
    app.add_handler(callbacks.TASK_PAGE.handler(open_task))
    app.add_handler(callbacks.DRAW_POOLS.handler(draw.show_pools))
    app.add_handler(callbacks.DRAW_GO.handler(draw.confirm_draw))
    app.add_handler(callbacks.DRAW_CERT.handler(draw.send_certificate))
