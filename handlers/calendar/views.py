"""What /calendar shows: each year's state, a schedule file's check, the outcome."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.calendar import WorkCalendar
from bot.i18n import Translator
from bot.services.calendar import ScheduleFile
from handlers import callbacks
from handlers.common import esc

MAX_PROBLEMS = 10


def overview(
    t: Translator, cal: WorkCalendar, years: Sequence[int]
) -> tuple[str, InlineKeyboardMarkup]:
    lines = [t._("<b>Working-day calendar</b>")]
    for year in years:
        days = [d for d in cal.overrides if d.year == year]
        off = sum(1 for d in days if not cal.is_workday(d) and d.weekday() < 5)
        work = sum(1 for d in days if cal.is_workday(d) and d.weekday() >= 5)
        if cal.is_official(date(year, 1, 1)):
            lines.append(
                t._(
                    "{year}: official schedule, {off} weekday holidays, {work} make-up working days.",
                    year=year,
                    off=off,
                    work=work,
                )
            )
        else:
            lines.append(
                t._(
                    "{year}: no official schedule yet; deadlines are counted on weekends only "
                    "(provisional).",
                    year=year,
                )
            )
    button = InlineKeyboardButton(
        t._("Load a year's schedule"), callback_data=callbacks.CALENDAR_LOAD.data()
    )
    return "\n".join(lines), InlineKeyboardMarkup([[button]])


def ask_file(t: Translator) -> str:
    return t._(
        "Send the year's schedule now as a spreadsheet with the columns 日期 | 类型 (休息日 or "
        "工作日) | 名称, one row per holiday or make-up working day. /cancel to stop."
    )


def problems(t: Translator, found: ScheduleFile) -> str:
    lines = [t._("Nothing was recorded: correct the file and send it again.")]
    for row, reason, params in found.problems[:MAX_PROBLEMS]:
        text = esc(t._(reason, **params))
        lines.append(t._("Row {row}: {problem}", row=row, problem=text) if row else text)
    more = len(found.problems) - MAX_PROBLEMS
    if more > 0:
        lines.append(t.n_("…and {n} more problem.", "…and {n} more problems.", more))
    return "\n".join(lines)


def preview(t: Translator, found: ScheduleFile) -> tuple[str, InlineKeyboardMarkup]:
    off = sum(1 for d in found.days if not d.is_workday)
    years = "、".join(str(y) for y in found.years)
    text = t._(
        "{years}: {off} days off, {work} make-up working days.",
        years=years,
        off=off,
        work=len(found.days) - off,
    )
    if found.ignored_columns:
        text += "\n" + t._(
            "Columns not read: {columns}", columns=esc("、".join(found.ignored_columns))
        )
    text += "\n" + t._("Record this schedule? It replaces what is recorded for these days.")
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(t._("Record"), callback_data=callbacks.CALENDAR_OK.data()),
                InlineKeyboardButton(t._("Cancel"), callback_data=callbacks.CALENDAR_NO.data()),
            ]
        ]
    )
    return text, markup


def recorded(t: Translator, count: int) -> str:
    return t.n_("{n} day recorded.", "{n} days recorded.", count)


def cancelled(t: Translator) -> str:
    return t._("Cancelled; the calendar is unchanged.")
