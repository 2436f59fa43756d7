"""People with access in the chat: who I am, who has access, removing someone."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.services.people import access
from handlers.common import (
    actor,
    answer,
    call,
    callback_int,
    esc,
    reply,
    requires,
    user_label,
)
from handlers.context import DsrContext
from handlers.invitations import policy


def _role_name(context: DsrContext, role: str) -> str:
    t = context.t
    return {
        "office": t._("office"),
        "liaison": t._("liaison"),
        "inspector": t._("inspector"),
    }.get(role, role)


async def me(update: Update, context: DsrContext) -> None:
    t = context.t
    who = actor(context)
    lines = [t._("You are {name}.", name=who.name or user_label(update))]
    if who.is_office:
        lines.append(t._("Office: you manage units, invitations and draws."))
    if who.liaison_unit_name:
        lines.append(t._("Liaison of {unit}.", unit=who.liaison_unit_name))
    if who.inspector_id is not None:
        lines.append(t._("Linked to an inspector record: assignments reach you here."))
    await reply(update, "\n".join(lines))


@requires("office", "liaison")
async def people_list(update: Update, context: DsrContext) -> None:
    t = context.t
    infos = await call(access.list_people, context.db, actor(context))
    me_id = actor(context).user_id
    lines = [t._("People with access:")]
    buttons = []
    for info in infos:
        roles = (
            "、".join(_role_name(context, r) for r in info.roles)
            if t.locale == "zh_Hans"
            else ", ".join(_role_name(context, r) for r in info.roles)
        )
        detail = " ".join(x for x in (info.unit_code or "", info.inspector_name or "") if x)
        lines.append(
            t._(
                "{name} — {roles} {detail}", name=esc(info.name), roles=roles, detail=esc(detail)
            ).rstrip()
        )
        if info.user_id != me_id:
            buttons.append(
                [
                    InlineKeyboardButton(
                        t._("Remove {name}", name=info.name), callback_data=f"ppl:rm:{info.user_id}"
                    )
                ]
            )
    await reply(
        update,
        "\n".join(lines),
        markup=InlineKeyboardMarkup(buttons) if buttons else None,
        html_mode=True,
    )


@requires("office", "liaison")
async def people_action(update: Update, context: DsrContext) -> None:
    query = update.callback_query
    if query is None:
        return
    t = context.t
    ask = callback_int(query.data, "ppl:rm:")
    confirmed = callback_int(query.data, "ppl:ok:")
    if ask is not None:
        await call(access.check_removable, context.db, actor(context), ask)
        await answer(update, context)
        await query.edit_message_reply_markup(
            InlineKeyboardMarkup(
                [
                    [
                        InlineKeyboardButton(t._("Yes, remove"), callback_data=f"ppl:ok:{ask}"),
                        InlineKeyboardButton(t._("No, keep"), callback_data="ppl:no"),
                    ]
                ]
            )
        )
        await reply(update, t._("Remove this person's access? They can be invited again later."))
    elif confirmed is not None:
        info = await call(
            access.remove_person, context.db, actor(context), confirmed, policy(context).notices
        )
        await answer(update, context)
        await query.edit_message_reply_markup(None)
        await reply(update, t._("{name} no longer has this access.", name=info.name))
    else:
        await answer(update, context)
        await query.edit_message_reply_markup(None)
        await reply(update, t._("Nothing was changed."))


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("me", me))
    app.add_handler(CommandHandler("people", people_list))
    app.add_handler(CallbackQueryHandler(people_action, pattern=r"^ppl:(rm:\d+|ok:\d+|no)$"))
