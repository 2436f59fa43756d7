"""What the unit screens show: the list of member units and the add-unit conversation."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import Translator
from bot.services.people.membership import UnitInfo
from bot.services.registers.unit_page import UnitPage
from handlers import callbacks
from handlers.common import esc


def unit_list(t: Translator, infos: Sequence[UnitInfo]) -> tuple[str, InlineKeyboardMarkup]:
    """Every member unit with its people, a button per unit to open its page, and one to
    invite every missing liaison at once (HTML)."""
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
        label = f"{info.code} {info.name}"
        buttons.append(
            [InlineKeyboardButton(label, callback_data=callbacks.UNIT_PAGE.data(info.id))]
        )
    if any(info.liaisons == 0 for info in infos):
        label = t._("Invite every missing liaison")
        buttons.append(
            [InlineKeyboardButton(label, callback_data=callbacks.UNITS_INVITE_ALL.data())]
        )
    return "\n".join(lines), InlineKeyboardMarkup(buttons)


def _when(t: Translator, at: datetime | None, tz: tzinfo) -> str:
    return t.datetime(at, "short", tz=tz) if at is not None else t._("never")


def _half(t: Translator, year: int, half: str) -> str:
    if half == "H1":
        return t._("first half of {year}", year=year)
    return t._("second half of {year}", year=year)


def unit_page(t: Translator, page: UnitPage, tz: tzinfo) -> tuple[str, InlineKeyboardMarkup]:
    """One unit as the office sees it, with what the office does from there (HTML)."""
    liaisons = "、".join(esc(name) for name in page.liaisons) or t._("none yet")
    if not page.liaisons and page.liaison_invite_pending:
        liaisons += t._(" (invited, not joined yet)")
    filing = t._("never")
    if page.last_filing is not None:
        filing = t._(
            "{half}, on {when}",
            half=_half(t, page.last_filing.year, page.last_filing.half),
            when=t.datetime(page.last_filing.filed_at, "short", tz=tz),
        )
    lines = [
        f"<b>{esc(page.code)} {esc(page.name)}</b>",
        t._("Liaison(s): {names}", names=liaisons),
        t._(
            "Inspectors: {total} — {joined} joined, {not_joined} not joined",
            total=page.inspectors,
            joined=page.joined,
            not_joined=page.not_joined,
        ),
        t._(
            "Registers: {entities} inspection target(s), {inspectors} inspector(s), "
            "{matters} matter(s); last change {when}",
            entities=page.entities,
            inspectors=page.inspectors,
            matters=page.matters,
            when=_when(t, page.last_change, tz),
        ),
        t._("Last revision filed: {filing}", filing=filing),
        t._(
            "Away today: {names}",
            names="、".join(esc(n) for n in page.away_today) or t._("nobody"),
        ),
    ]
    buttons = [
        [
            InlineKeyboardButton(
                t._("Invite a liaison"), callback_data=callbacks.UNIT_INVITE.data(page.id)
            ),
            InlineKeyboardButton(t._("Documents"), callback_data=callbacks.DOC_LIST.data(page.id)),
        ],
        [
            InlineKeyboardButton(
                t._("Public lists (公示)"), callback_data=callbacks.FILING_PUBLIC.data(page.id)
            )
        ],
    ]
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
