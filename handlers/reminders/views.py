"""What /reminders shows: each kind with its rule and next firing, and its buttons."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.dates import TypedDateError
from bot.domain.reminders.settings import NUDGE, KindSettings
from bot.i18n import Translator
from bot.services.reminders import words
from bot.services.reminders.schedule import Planned
from handlers import callbacks
from handlers.common import esc


def overview(
    t: Translator, planned: Sequence[Planned], tz: tzinfo
) -> tuple[str, InlineKeyboardMarkup]:
    lines = [t._("<b>Reminders</b> (sent on working days, outside quiet hours):")]
    rows: list[list[InlineKeyboardButton]] = []
    for item in planned:
        settings = item.settings
        name = words.kind_name(t, settings.kind)
        lines.append(
            f"\n<b>{esc(name)}</b>\n{esc(words.kind_rule(t, settings))}\n"
            f"{esc(words.kind_state(t, item, tz))}"
        )
        rows.append(_buttons(t, settings, name))
    return "\n".join(lines), InlineKeyboardMarkup(rows)


def _buttons(t: Translator, settings: KindSettings, name: str) -> list[InlineKeyboardButton]:
    kind = settings.kind
    if settings.paused:
        toggle = InlineKeyboardButton(
            t._("Resume: {kind}", kind=name), callback_data=callbacks.REMINDER_RESUME.data(kind)
        )
    else:
        toggle = InlineKeyboardButton(
            t._("Pause: {kind}", kind=name), callback_data=callbacks.REMINDER_PAUSE.data(kind)
        )
    if kind == NUDGE:
        change = InlineKeyboardButton(
            t._("Delay"), callback_data=callbacks.REMINDER_EVERY.data(kind)
        )
        return [toggle, change]
    return [
        toggle,
        InlineKeyboardButton(t._("Time"), callback_data=callbacks.REMINDER_TIME.data(kind)),
        InlineKeyboardButton(t._("Interval"), callback_data=callbacks.REMINDER_EVERY.data(kind)),
    ]


def ask_time(t: Translator, kind: str) -> str:
    return t._(
        "From what time of day should “{kind}” go out? Type it, e.g. 9:00 or 9点半 (/cancel to stop).",
        kind=words.kind_name(t, kind),
    )


def ask_every(t: Translator, kind: str) -> str:
    if kind == NUDGE:
        return t._(
            "After how many hours without acknowledgement is an inspector reminded? Type a "
            "number from 1 to 336 (/cancel to stop)."
        )
    return t._("Every how many days? Type a number from 1 to 31 (/cancel to stop).")


def time_problem(t: Translator, error: TypedDateError) -> str:
    return t._(
        "“{shown}” is not a time of day. Type it as 9:00 or 9点半.",
        shown=error.params.get("shown", ""),
    )


def number_problem(t: Translator, typed: str) -> str:
    return t._("“{typed}” is not a number. Type digits only, e.g. 7.", typed=typed[:40])


def changed(t: Translator, planned: Planned, tz: tzinfo) -> str:
    settings = planned.settings
    return t._(
        "Saved. {kind}: {rule}; {state}.",
        kind=words.kind_name(t, settings.kind),
        rule=words.kind_rule(t, settings),
        state=words.kind_state(t, planned, tz),
    )


def cancelled(t: Translator) -> str:
    return t._("Cancelled; the reminders are unchanged.")
