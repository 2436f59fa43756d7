"""Inspectors away, in the chat: /away (a persistent conversation: who — for a liaison —,
why, which days typed or picked, an optional note, confirm; /cancel cancels), /myaway (the
periods one keeps, each with a cancel button) and /whoaway [date] (the office, a liaison).
Texts and keyboards are in views.py beside this module; the rules are in
bot/services/inspectors/availability.py."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Final

from telegram import Update
from telegram.ext import Application, CommandHandler, ConversationHandler, MessageHandler, filters

from bot.domain.dates import Span, TypedDateError, parse_span
from bot.services.errors import ServiceError
from bot.services.inspectors import availability, records
from bot.services.inspectors.availability import AwayRequest
from bot.services.people import membership
from bot.services.people.notices import NoticeContext
from handlers import callbacks
from handlers.availability import views
from handlers.common import actor, answer, call, conversation, edit, refuse, reply, requires
from handlers.context import DsrContext

ASK_WHO, ASK_KIND, ASK_DAYS, ASK_NOTE, CONFIRM = range(5)
DRAFT: Final = "away_draft"
END: Final = ConversationHandler.END

# Any member: the services decide who may do what.
members = requires("office", "liaison", "inspector")


def today(context: DsrContext) -> date:
    """Today in the office's time zone (DSR_TIMEZONE)."""
    return context.now().astimezone(context.settings.tz).date()


def notices(context: DsrContext) -> NoticeContext:
    settings = context.settings
    return NoticeContext(context.now(), settings, settings.default_locale)


def draft_of(context: DsrContext, name: str) -> dict[str, Any]:
    data = context.user_data if context.user_data is not None else {}
    draft = data.setdefault(name, {})
    assert isinstance(draft, dict)
    return draft


def text_of(update: Update) -> str:
    message = update.effective_message
    return (message.text or "") if message is not None else ""


async def pick_inspector(
    update: Update,
    context: DsrContext,
    page: int,
    buttons: tuple[callbacks.Button, callbacks.Button],
) -> bool:
    """Show (or turn to) a page of the liaison's inspectors; False when there are none."""
    who = actor(context)
    unit_id = who.liaison_unit_id
    infos = await call(membership.list_inspectors, context.db, who, unit_id) if unit_id else []
    if not infos:
        await reply(update, views.no_inspectors(context.t))
        return False
    text, markup = views.inspector_picker(context.t, infos, page, *buttons)
    if update.callback_query is not None:
        await answer(update, context)
        await edit(update, text, markup=markup)
    else:
        await reply(update, text, markup=markup)
    return True


# --- /away ------------------------------------------------------------------------------------


async def start_away(update: Update, context: DsrContext) -> int:
    who = actor(context)
    draft = draft_of(context, DRAFT)
    draft.clear()
    try:
        records.require_keeper(who)
    except ServiceError as error:
        await refuse(update, context, error)
        return END
    if who.liaison_unit_id is not None:
        shown = await pick_inspector(update, context, 0, (callbacks.AWAY_WHO, callbacks.AWAY_PAGE))
        return ASK_WHO if shown else END
    draft.update(inspector=who.inspector_id, name=None)
    return await _ask_kind(update, context)


async def turn_page(update: Update, context: DsrContext) -> int:
    page = callbacks.AWAY_PAGE.int_arg(context, "page")
    await pick_inspector(update, context, page, (callbacks.AWAY_WHO, callbacks.AWAY_PAGE))
    return ASK_WHO


async def inspector_chosen(update: Update, context: DsrContext) -> int:
    inspector_id = callbacks.AWAY_WHO.int_arg(context, "inspector")
    who = actor(context)
    try:
        name = await call(records.inspector_name, context.db, who, inspector_id)
    except ServiceError as error:
        await refuse(update, context, error)
        return ASK_WHO
    await answer(update, context)
    await edit(update, None)
    own = inspector_id == who.inspector_id
    draft_of(context, DRAFT).update(inspector=inspector_id, name=None if own else name)
    return await _ask_kind(update, context)


async def _ask_kind(update: Update, context: DsrContext) -> int:
    text, markup = views.kind_choice(context.t, draft_of(context, DRAFT).get("name"))
    await reply(update, text, markup=markup, html_mode=True)
    return ASK_KIND


async def kind_chosen(update: Update, context: DsrContext) -> int:
    kind = callbacks.AWAY_KIND.word_arg(context, "kind")
    await answer(update, context)
    if kind not in availability.KINDS:
        return ASK_KIND
    await edit(update, None)
    draft_of(context, DRAFT)["kind"] = kind
    text, markup = views.ask_days(context.t)
    await reply(update, text, markup=markup)
    return ASK_DAYS


async def days_typed(update: Update, context: DsrContext) -> int:
    try:
        span = parse_span(text_of(update), today(context))
    except TypedDateError as error:
        await reply(update, views.date_problem(context.t, error))
        return ASK_DAYS
    return await _take_days(update, context, span)


async def days_picked(update: Update, context: DsrContext) -> int:
    await answer(update, context)
    span = quick_span(callbacks.AWAY_DAYS.word_arg(context, "pick"), today(context))
    if span is None:
        return ASK_DAYS
    await edit(update, None)
    return await _take_days(update, context, span)


def quick_span(pick: str, day: date) -> Span | None:
    """The days a quick button stands for (weeks run Monday to Sunday; next week is its
    working days)."""
    monday = day - timedelta(days=day.weekday())
    spans = {
        "today": Span(day, day),
        "tomorrow": Span(day + timedelta(days=1), day + timedelta(days=1)),
        "week": Span(day, monday + timedelta(days=6)),
        "nextweek": Span(monday + timedelta(days=7), monday + timedelta(days=11)),
    }
    return spans.get(pick)


async def _take_days(update: Update, context: DsrContext, span: Span) -> int:
    draft = draft_of(context, DRAFT)
    draft.update(start=span.start.isoformat(), end=span.end.isoformat(), note=None)
    try:
        await call(
            availability.check_away, context.db, actor(context), _request(draft), today(context)
        )
    except ServiceError as error:
        await refuse(update, context, error)
        return ASK_DAYS
    text, markup = views.ask_note(context.t, span.start, span.end)
    await reply(update, text, markup=markup)
    return ASK_NOTE


async def note_given(update: Update, context: DsrContext) -> int:
    try:
        note = availability.note_form(text_of(update))
    except ServiceError as error:
        await refuse(update, context, error)
        return ASK_NOTE
    draft_of(context, DRAFT)["note"] = note
    return await _confirm(update, context)


async def note_skipped(update: Update, context: DsrContext) -> int:
    await answer(update, context)
    await edit(update, None)
    draft_of(context, DRAFT)["note"] = None
    return await _confirm(update, context)


async def _confirm(update: Update, context: DsrContext) -> int:
    draft = draft_of(context, DRAFT)
    request = _request(draft)
    try:
        plan = await call(
            availability.check_away, context.db, actor(context), request, today(context)
        )
    except ServiceError as error:
        await refuse(update, context, error)
        return END
    text, markup = views.confirm_away(
        context.t, draft.get("name"), request.kind, plan, request.note
    )
    await reply(update, text, markup=markup, html_mode=True)
    return CONFIRM


async def confirmed(update: Update, context: DsrContext) -> int:
    await answer(update, context)
    await edit(update, None)
    draft = dict(draft_of(context, DRAFT))
    draft_of(context, DRAFT).clear()
    if not {"inspector", "kind", "start", "end"} <= draft.keys():
        return END
    who = actor(context)
    try:
        result = await call(
            availability.mark_away,
            context.db,
            who,
            _request(draft),
            notices(context),
            today(context),
        )
    except ServiceError as error:
        await refuse(update, context, error)
        return END
    own = result.absence.inspector_id == who.inspector_id
    await reply(update, views.marked(context.t, result, own))
    return END


async def cancel(update: Update, context: DsrContext) -> int:
    await answer(update, context)
    await edit(update, None)
    draft_of(context, DRAFT).clear()
    await reply(update, views.away_cancelled(context.t))
    return END


def _request(draft: dict[str, Any]) -> AwayRequest:
    return AwayRequest(
        inspector_id=int(draft["inspector"]),
        kind=str(draft["kind"]),
        start=date.fromisoformat(draft["start"]),
        end=date.fromisoformat(draft["end"]),
        note=draft.get("note"),
    )


# --- /myaway and /whoaway -----------------------------------------------------------------------


@members
async def my_absences(update: Update, context: DsrContext) -> None:
    found = await call(availability.my_absences, context.db, actor(context), today(context))
    text, markup = views.my_absences(context.t, found)
    await reply(update, text, markup=markup, html_mode=True)


@members
async def cancel_absence(update: Update, context: DsrContext) -> None:
    absence_id = callbacks.AWAY_CANCEL.int_arg(context, "absence")
    who = actor(context)
    gone = await call(availability.cancel_away, context.db, who, absence_id, notices(context))
    await answer(update, context, views.absence_cancelled(context.t, gone))
    found = await call(availability.my_absences, context.db, who, today(context))
    text, markup = views.my_absences(context.t, found)
    await edit(update, text, markup=markup, html_mode=True)


@requires("office", "liaison")
async def who_is_away(update: Update, context: DsrContext) -> None:
    typed = " ".join(context.args or [])
    try:
        span = parse_span(typed, today(context)) if typed else Span(today(context), today(context))
    except TypedDateError as error:
        await reply(update, views.date_problem(context.t, error))
        return
    found = await call(availability.who_is_away, context.db, actor(context), span.start, span.end)
    await reply(update, views.who_is_away(context.t, span.start, span.end, found), html_mode=True)


def away_conversation() -> ConversationHandler[DsrContext]:
    text = filters.TEXT & ~filters.COMMAND
    return conversation(
        "away",
        entry_points=[CommandHandler("away", start_away)],
        states={
            ASK_WHO: [
                callbacks.AWAY_WHO.handler(inspector_chosen),
                callbacks.AWAY_PAGE.handler(turn_page),
            ],
            ASK_KIND: [callbacks.AWAY_KIND.handler(kind_chosen)],
            ASK_DAYS: [
                MessageHandler(text, days_typed),
                callbacks.AWAY_DAYS.handler(days_picked),
            ],
            ASK_NOTE: [
                MessageHandler(text, note_given),
                callbacks.AWAY_SKIP.handler(note_skipped),
            ],
            CONFIRM: [
                callbacks.AWAY_OK.handler(confirmed),
                callbacks.AWAY_NO.handler(cancel),
            ],
        },
        cancel=cancel,
    )


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(away_conversation())
    app.add_handler(CommandHandler("myaway", my_absences))
    app.add_handler(CommandHandler("whoaway", who_is_away))
    app.add_handler(callbacks.AWAY_CANCEL.handler(cancel_absence))
