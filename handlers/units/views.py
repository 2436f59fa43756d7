"""What the unit screens show: the list of member units and the add-unit conversation."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import Translator
from bot.services.people.membership import UnitInfo
from handlers import callbacks
from handlers.common import esc


def unit_list(t: Translator, infos: Sequence[UnitInfo]) -> tuple[str, InlineKeyboardMarkup]:
    """Every member unit with its people, and a button per unit to invite a liaison (HTML)."""
    lines = [t._("Member units:")]
    buttons = []
    for info in infos:
        lines.append(
            t._(
                "{code} {name}: {liaisons} liaison(s), {inspectors} inspector(s)",
                code=esc(info.code),
                name=esc(info.name),
                liaisons=info.liaisons,
                inspectors=info.inspectors,
            )
        )
        label = t._("Invite a liaison for {code}", code=info.code)
        data = callbacks.UNIT_INVITE.data(info.id)
        buttons.append([InlineKeyboardButton(label, callback_data=data)])
    return "\n".join(lines), InlineKeyboardMarkup(buttons)


def ask_code(t: Translator) -> str:
    return t._(
        "Adding a member unit. Send its short code (letters and digits, like SCJG), "
        "or /cancel to stop."
    )


def ask_name(t: Translator, code: str) -> str:
    return t._("Code {code}. Now send the unit's full name, like 舞钢市市场监督管理局.", code=code)


def confirm(t: Translator, code: str, name: str) -> tuple[str, InlineKeyboardMarkup]:
    text = t._("Add the member unit {code} {name}?", code=esc(code), name=esc(name))
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(t._("Add"), callback_data=callbacks.UNIT_ADD_CONFIRM.data()),
                InlineKeyboardButton(t._("Cancel"), callback_data=callbacks.UNIT_ADD_CANCEL.data()),
            ]
        ]
    )
    return text, markup


def added(t: Translator, info: UnitInfo) -> str:
    return t._(
        "Unit {code} {name} added. Invite its liaison from /units.",
        code=info.code,
        name=info.name,
    )


def cancelled(t: Translator) -> str:
    return t._("Cancelled: no unit was added.")
