"""/score in the chat. A liaison sees its own unit's score, every item with the figures
behind it and what would raise it; the office sees the ranking of all units, a button per
unit for its items, and the ranking as a chart. /judge is the office's score of the items
it judges (一1, 一3, 一4). Texts and keyboards are in views.py, the chart in chart.py."""

from __future__ import annotations

from datetime import date

from telegram import InputFile, Update
from telegram.ext import Application, CommandHandler

from bot.i18n import N_
from bot.services.errors import ServiceError
from bot.services.people import membership
from bot.services.scores import rubric, scoring, sheets
from handlers import callbacks
from handlers.common import actor, answer, call, edit, reply, requires
from handlers.context import DsrContext
from handlers.scores import chart, views


def _today(context: DsrContext) -> date:
    return context.now().astimezone(context.settings.tz).date()


def _year(context: DsrContext) -> int:
    args = context.args or []
    if not args:
        return _today(context).year
    if not args[0].isdigit():
        raise ServiceError(N_("Write the year as digits: /score 2026."))
    return scoring.check_year(int(args[0]))


async def _unit_ids(context: DsrContext) -> dict[str, int]:
    return {u.code: u.id for u in await call(membership.list_units, context.db)}


@requires("office", "liaison")
async def score(update: Update, context: DsrContext) -> None:
    """/score [YEAR]: the office's ranking, or the liaison's own unit."""
    who = actor(context)
    year = _year(context)
    tz = context.settings.tz
    if not who.is_office:
        found = await call(
            scoring.unit_score,
            context.db,
            who,
            year,
            who.liaison_unit_code or "",
            _today(context),
            tz,
        )
        await reply(update, views.unit_score(context.t, found, context.settings.tz), html_mode=True)
        return
    await _ranking(update, context, year, edit_message=False)


async def _ranking(update: Update, context: DsrContext, year: int, *, edit_message: bool) -> None:
    t = context.t
    scores = await call(
        scoring.all_scores, context.db, actor(context), year, _today(context), context.settings.tz
    )
    text, markup = views.ranking(t, year, scores, await _unit_ids(context), context.settings.tz)
    if edit_message:
        await edit(update, text, markup=markup, html_mode=True)
        return
    await reply(update, text, markup=markup, html_mode=True)
    chat = update.effective_chat
    if scores and chat is not None:
        rows = [(s.name, float(s.total)) for s in scores]
        png = await call(chart.ranking_png, t, year, rows)
        await context.bot.send_photo(
            chat.id,
            InputFile(png, filename=f"ranking-{year}.png"),
            caption=views.chart_caption(t, year),
        )


@requires("office", "liaison")
async def unit_items(update: Update, context: DsrContext) -> None:
    """A unit's items from the ranking (the service lets a liaison see only its own)."""
    unit_id = callbacks.SCORE_UNIT.int_arg(context, "unit")
    year = scoring.check_year(callbacks.SCORE_UNIT.int_arg(context, "year"))
    who = actor(context)
    code = next((c for c, i in (await _unit_ids(context)).items() if i == unit_id), None)
    if code is None:
        raise ServiceError(N_("That unit no longer exists."))
    found = await call(
        scoring.unit_score, context.db, who, year, code, _today(context), context.settings.tz
    )
    await answer(update, context)
    await edit(
        update,
        views.unit_score(context.t, found, context.settings.tz),
        markup=views.unit_keyboard(context.t, year, who.is_office),
        html_mode=True,
    )


@requires("office")
async def back_to_ranking(update: Update, context: DsrContext) -> None:
    year = scoring.check_year(callbacks.SCORE_RANKING.int_arg(context, "year"))
    await answer(update, context)
    await _ranking(update, context, year, edit_message=True)


@requires("office")
async def score_sheet(update: Update, context: DsrContext) -> None:
    """The 评分表 workbook: the ranking and one sheet per unit."""
    year = scoring.check_year(callbacks.SCORE_SHEET.int_arg(context, "year"))
    data = await call(
        sheets.score_sheet,
        context.db,
        actor(context),
        year,
        _today(context),
        context.settings.tz,
        context.t.locale,
    )
    await answer(update, context)
    chat = update.effective_chat
    if chat is not None:
        name = views.sheet_name(context.t, year)
        await context.bot.send_document(chat.id, InputFile(data, filename=name))


@requires("office")
async def freeze_question(update: Update, context: DsrContext) -> None:
    year = scoring.check_year(callbacks.SCORE_FREEZE.int_arg(context, "year"))
    text, markup = views.freeze_question(context.t, year)
    await answer(update, context)
    await edit(update, text, markup=markup)


@requires("office")
async def freeze(update: Update, context: DsrContext) -> None:
    """The office freezes the year's scores as they are now."""
    year = scoring.check_year(callbacks.SCORE_FREEZE_OK.int_arg(context, "year"))
    await call(
        scoring.freeze,
        context.db,
        actor(context),
        year,
        _today(context),
        context.settings.tz,
        context.now(),
    )
    await answer(update, context)
    await _ranking(update, context, year, edit_message=True)


@requires("office")
async def rubric_command(update: Update, context: DsrContext) -> None:
    """/rubric: this year's rubric; /rubric ITEM PARAM VALUE changes one parameter."""
    args = context.args or []
    year = _today(context).year
    if len(args) == 3:
        item, name, value = args
        found = await call(
            rubric.set_param, context.db, actor(context), year, item, name, value, context.now()
        )
        await reply(update, views.param_set(context.t, year, found))
        return
    _, values = await call(rubric.show_rubric, context.db, year)
    await reply(update, views.rubric_text(context.t, year, values), html_mode=True)


@requires("office")
async def judge(update: Update, context: DsrContext) -> None:
    """/judge UNIT ITEM POINTS NOTE: the office's score of 一1, 一3 or 一4, this year."""
    args = context.args or []
    if len(args) < 3:
        await reply(update, views.judge_usage(context.t))
        return
    unit, item, points, *note = args
    done = await call(
        rubric.judge,
        context.db,
        actor(context),
        _today(context).year,
        unit,
        item,
        points,
        " ".join(note),
        context.now(),
    )
    await reply(update, views.judged(context.t, done))


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("score", score))
    app.add_handler(callbacks.SCORE_UNIT.handler(unit_items))
    app.add_handler(callbacks.SCORE_RANKING.handler(back_to_ranking))
    app.add_handler(callbacks.SCORE_SHEET.handler(score_sheet))
    app.add_handler(callbacks.SCORE_FREEZE.handler(freeze_question))
    app.add_handler(callbacks.SCORE_FREEZE_OK.handler(freeze))
    app.add_handler(CommandHandler("judge", judge))
    app.add_handler(CommandHandler("rubric", rubric_command))
