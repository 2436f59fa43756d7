"""What the people screens show: who I am, who has access, the removal question."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import Translator
from bot.services.people.membership import PersonInfo
from bot.services.people.profiles import Profile
from handlers import callbacks
from handlers.common import esc


def role_name(t: Translator, role: str) -> str:
    return {
        "office": t._("office"),
        "liaison": t._("liaison"),
        "inspector": t._("inspector"),
    }.get(role, role)


def me(t: Translator, who: Profile, fallback_name: str) -> str:
    lines = [t._("You are {name}.", name=who.name or fallback_name)]
    if who.is_office:
        lines.append(t._("Office: you manage units, invitations and draws."))
    if who.liaison_unit_name:
        lines.append(t._("Liaison of {unit}.", unit=who.liaison_unit_name))
    if who.inspector_id is not None:
        lines.append(
            t._("Linked to an inspector record: assignments reach you here; /mytasks lists them.")
        )
    return "\n".join(lines)


def people_list(
    t: Translator, infos: Sequence[PersonInfo], me_id: int | None
) -> tuple[str, InlineKeyboardMarkup | None]:
    """Everyone with access, and a button to remove each one but the reader (HTML)."""
    separator = "、" if t.locale == "zh_Hans" else ", "
    lines = [t._("People with access:")]
    buttons = []
    for info in infos:
        roles = separator.join(role_name(t, r) for r in info.roles)
        detail = " ".join(x for x in (info.unit_code or "", info.inspector_name or "") if x)
        line = t._(
            "{name} — {roles} {detail}", name=esc(info.name), roles=roles, detail=esc(detail)
        )
        lines.append(line.rstrip())
        if info.user_id != me_id:
            data = callbacks.PERSON_REMOVE.data(info.user_id)
            buttons.append(
                [InlineKeyboardButton(t._("Remove {name}", name=info.name), callback_data=data)]
            )
    return "\n".join(lines), InlineKeyboardMarkup(buttons) if buttons else None


def removal_question(t: Translator, user_id: int) -> InlineKeyboardMarkup:
    yes = callbacks.PERSON_REMOVE_CONFIRM.data(user_id)
    no = callbacks.PERSON_KEEP.data()
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(t._("Yes, remove"), callback_data=yes),
                InlineKeyboardButton(t._("No, keep"), callback_data=no),
            ]
        ]
    )
