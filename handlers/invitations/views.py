"""What the invitation screens show: texts and keyboards, built from plain values."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import Translator
from bot.services.people.membership import InspectorInfo, InviteInfo
from handlers import callbacks
from handlers.common import esc


def link(bot_username: str, code: str) -> str:
    return f"https://t.me/{bot_username}?start={code}"


def invite_line(
    t: Translator, info: InviteInfo, *, bot_username: str, now: datetime, tz: tzinfo
) -> str:
    """Who the link is for, until when it works, and the link (HTML)."""
    who = info.inspector_name or t._("liaison of {unit}", unit=info.unit_name)
    if info.handover:
        who = t._("new liaison of {unit} (hand-over)", unit=info.unit_name)
    expires = t.datetime(info.expires_at, "short", tz=tz)
    if info.expires_at <= now:
        state = t._("expired {when}", when=expires)
    else:
        state = t._("valid until {when}", when=expires)
    return t._(
        "{who} — {state}\n{link}",
        who=esc(who),
        state=state,
        link=link(bot_username, info.code),
    )


def _inspector_state(t: Translator, info: InspectorInfo) -> str:
    if info.linked:
        return t._("joined")
    if info.pending_invite:
        return t._("invited, not joined yet")
    return t._("not invited")


def inspector_list(
    t: Translator, unit_name: str, unit_id: int, infos: Sequence[InspectorInfo]
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The unit's inspectors with their joining state, and a button per one to invite."""
    lines = [t._("Inspectors of {unit}:", unit=esc(unit_name))]
    buttons = []
    for info in infos:
        lines.append(
            t._(
                "{name} {cert_no} — {state}",
                name=esc(info.name),
                cert_no=esc(info.cert_no or ""),
                state=_inspector_state(t, info),
            )
        )
        if not info.linked:
            data = callbacks.INSPECTOR_INVITE.data(info.id)
            buttons.append(
                [InlineKeyboardButton(t._("Invite {name}", name=info.name), callback_data=data)]
            )
    if buttons:
        data = callbacks.INSPECTORS_INVITE_ALL.data(unit_id)
        buttons.append(
            [InlineKeyboardButton(t._("Invite all who have not joined"), callback_data=data)]
        )
    return "\n".join(lines), InlineKeyboardMarkup(buttons) if buttons else None


def invite_keyboard(t: Translator, invite_id: int) -> InlineKeyboardMarkup:
    """Resend or revoke one pending invitation."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t._("Resend (renew)"), callback_data=callbacks.INVITE_RESEND.data(invite_id)
                ),
                InlineKeyboardButton(
                    t._("Revoke"), callback_data=callbacks.INVITE_REVOKE.data(invite_id)
                ),
            ]
        ]
    )


def liaison_link_intro(t: Translator, unit_name: str, reused: bool, liaisons: Sequence[str]) -> str:
    """What the office reads above a liaison link: whether it is the live link made
    earlier, and that a unit with a liaison gets a second one (a deputy) by it (HTML)."""
    unit = esc(unit_name)
    if reused:
        text = t._(
            "The link made earlier for the liaison of {unit} still works; send it (there is "
            "still one link only):",
            unit=unit,
        )
    else:
        text = t._("Send this one-time link to the liaison of {unit}:", unit=unit)
    if liaisons:
        warning = t._(
            "{unit} already has a liaison ({names}). Whoever opens this link becomes one "
            "more liaison (a deputy). To replace the liaison instead, they send /handover; "
            "to withdraw the link, use /invites.",
            unit=unit,
            names="、".join(esc(n) for n in liaisons),
        )
        text = warning + "\n\n" + text
    return text


def links_header(t: Translator, count: int) -> str:
    return t.n_(
        "{n} invitation link: send it to the person named, it works once.",
        "{n} invitation links: send each to the person named, each works once.",
        count,
    )


def workbook_rows(
    t: Translator, infos: Sequence[InviteInfo], *, bot_username: str, tz: tzinfo
) -> tuple[list[str], list[tuple[str, str, str, str]]]:
    """The invitation list's headers and rows, in the reader's words."""
    headers = [t._("Name"), t._("Unit"), t._("Valid until"), t._("Link")]
    rows = [
        (
            i.inspector_name or t._("liaison"),
            i.unit_name,
            t.datetime(i.expires_at, "short", tz=tz),
            link(bot_username, i.code),
        )
        for i in infos
    ]
    return headers, rows


def welcome(t: Translator, role: str, unit_name: str, inspector_name: str | None) -> str:
    if role == "liaison":
        return t._(
            "Welcome! You are now a liaison of {unit}. Send /help to see what you can do.",
            unit=unit_name,
        )
    return t._(
        "Welcome, {name}! You are now linked to your inspector record at {unit}. "
        "Assignments will reach you here.",
        name=inspector_name or "",
        unit=unit_name,
    )
