"""What /broadcast shows: the request for the message, the audience and unit buttons, the
preview with its recipient count, the progress message and the refusals."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, tzinfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import N_, Translator
from bot.services.broadcasts.audience import UnitChoice
from bot.services.broadcasts.sending import Preview
from handlers import callbacks

AUDIENCE_LABELS = {
    "liaisons": N_("All liaisons"),
    "inspectors": N_("All inspectors"),
    "all": N_("Everyone"),
    "units": N_("Choose units"),
}


def ask_message(t: Translator) -> str:
    return t._(
        "Write the announcement to send, or send a file (its caption is the message). "
        "/cancel to stop."
    )


def not_a_message(t: Translator) -> str:
    return t._("Send the announcement as text or as a file, or /cancel.")


def audience_choice(t: Translator) -> tuple[str, InlineKeyboardMarkup]:
    buttons = [
        InlineKeyboardButton(t._(label), callback_data=callbacks.BROADCAST_AUDIENCE.data(kind))
        for kind, label in AUDIENCE_LABELS.items()
    ]
    text = t._("Who should receive it? (/cancel to stop)")
    return text, InlineKeyboardMarkup([buttons[:2], buttons[2:]])


def unit_picker(
    t: Translator, units: Sequence[UnitChoice], chosen: Collection[int]
) -> tuple[str, InlineKeyboardMarkup]:
    buttons = [
        InlineKeyboardButton(
            ("✅ " if u.id in chosen else "") + u.name,
            callback_data=callbacks.BROADCAST_UNIT.data(u.id),
        )
        for u in units
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    done = t._("Done ({count} chosen)", count=len(chosen))
    rows.append([InlineKeyboardButton(done, callback_data=callbacks.BROADCAST_UNITS_DONE.data())])
    text = t._("Press the units to send it to (press again to leave one out), then Done.")
    return text, InlineKeyboardMarkup(rows)


def no_units(t: Translator) -> str:
    return t._("There are no active units yet.")


def preview(
    t: Translator,
    found: Preview,
    audience_word: str,
    file_name: str | None,
    tz: tzinfo,
) -> tuple[str, InlineKeyboardMarkup]:
    lines = [
        t._("Send to: {audience}", audience=audience_word),
        t._("Recipients: {count}", count=found.recipients),
        t._("Not yet joined the bot: {count}", count=found.not_joined),
    ]
    if file_name:
        lines.append(t._("With the file: {name}", name=file_name))
    if found.quiet_until is not None:
        lines.append(quiet_note(t, found.quiet_until, tz))
    else:
        lines.append(t._("It goes out now, at Telegram's pace (about 30 a second)."))
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(t._("Send"), callback_data=callbacks.BROADCAST_OK.data()),
                InlineKeyboardButton(t._("Cancel"), callback_data=callbacks.BROADCAST_NO.data()),
            ]
        ]
    )
    return "\n".join(lines), markup


def quiet_note(t: Translator, at: datetime, tz: tzinfo) -> str:
    return t._(
        "It is quiet hours now: the messages wait until {time}.",
        time=at.astimezone(tz).strftime("%H:%M"),
    )


def audience_words(t: Translator, kind: str, unit_names: Sequence[str]) -> str:
    if kind == "units":
        return "、".join(unit_names) if t.locale.startswith("zh") else ", ".join(unit_names)
    return t._(AUDIENCE_LABELS[kind])


def nobody(t: Translator) -> str:
    return t._("Nobody in this audience has joined the bot yet.")


def starting(t: Translator, broadcast_id: int, recipients: int) -> str:
    return t._("Broadcast {id}: sending to {count} recipients…", id=broadcast_id, count=recipients)


def cancelled(t: Translator) -> str:
    return t._("The announcement was not sent.")
