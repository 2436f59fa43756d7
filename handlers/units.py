"""Member units in the chat (the office): list and add."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CommandHandler

from bot.services.people import membership
from handlers.common import (
    actor,
    call,
    esc,
    reply,
    requires,
)
from handlers.context import DsrContext


@requires("office")
async def units(update: Update, context: DsrContext) -> None:
    t = context.t
    infos = await call(membership.list_units, context.db)
    if not infos:
        await reply(update, t._("There are no member units yet. Add one with /addunit CODE name."))
        return
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
        buttons.append(
            [
                InlineKeyboardButton(
                    t._("Invite a liaison for {code}", code=info.code),
                    callback_data=f"unit:inv:{info.id}",
                )
            ]
        )
    await reply(update, "\n".join(lines), markup=InlineKeyboardMarkup(buttons), html_mode=True)


@requires("office")
async def add_unit(update: Update, context: DsrContext) -> None:
    t = context.t
    args = context.args or []
    if len(args) < 2:
        await reply(
            update, t._("Send it like this: /addunit SCJG 市场监督管理局 (a code, then the name).")
        )
        return
    info = await call(membership.add_unit, context.db, actor(context), args[0], " ".join(args[1:]))
    await reply(
        update,
        t._(
            "Unit {code} {name} added. Invite its liaison from /units.",
            code=info.code,
            name=info.name,
        ),
    )


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("units", units))
    app.add_handler(CommandHandler("addunit", add_unit))
