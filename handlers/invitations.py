"""Invitations in the chat: joining by link, inviting liaisons and inspectors, pending
invitations, hand-over."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.services.errors import ServiceError
from bot.services.people import invites, joining, membership
from bot.services.people import profiles as people
from bot.services.people.invites import InvitePolicy
from bot.services.people.membership import InviteInfo
from handlers.common import (
    actor,
    answer,
    call,
    callback_int,
    esc,
    refuse,
    reply,
    requires,
    role_refusal,
    user_label,
)
from handlers.context import DsrContext
from handlers.menus import refresh_menu


def policy(context: DsrContext) -> InvitePolicy:
    settings = context.settings
    return InvitePolicy(
        bot_id=context.bot.id,
        days=settings.invite_days,
        now=context.now(),
        quiet=settings,
        default_locale=settings.default_locale,
    )


def _link(context: DsrContext, code: str) -> str:
    return f"https://t.me/{context.bot.username}?start={code}"


def _invite_line(context: DsrContext, info: InviteInfo) -> str:
    t = context.t
    who = info.inspector_name or t._("liaison of {unit}", unit=info.unit_name)
    if info.handover:
        who = t._("new liaison of {unit} (hand-over)", unit=info.unit_name)
    expires = t.datetime(info.expires_at, "short", tz=context.settings.tz)
    if info.expires_at <= context.now():
        state = t._("expired {when}", when=expires)
    else:
        state = t._("valid until {when}", when=expires)
    return t._("{who} — {state}\n{link}", who=esc(who), state=state, link=_link(context, info.code))


async def join(update: Update, context: DsrContext, code: str) -> None:
    """/start <code>: open an invitation."""
    user = update.effective_user
    if user is None:
        return
    t = context.t
    try:
        joined = await call(
            joining.redeem, context.db, code, user.id, user_label(update), policy(context)
        )
    except ServiceError as error:
        await refuse(update, context, error)
        return
    if joined.role == "liaison":
        text = t._(
            "Welcome! You are now a liaison of {unit}. Send /help to see what you can do.",
            unit=joined.unit_name,
        )
    else:
        text = t._(
            "Welcome, {name}! You are now linked to your inspector record at {unit}. "
            "Assignments will reach you here.",
            name=joined.inspector_name or "",
            unit=joined.unit_name,
        )
    await reply(update, text)
    profile = await call(people.load_profile, context.db, user.id, context.settings.admin_ids)
    if profile is not None:
        context.actor = profile
        await refresh_menu(context, user.id, profile.roles, t.locale)


@requires("office")
async def unit_invite(update: Update, context: DsrContext) -> None:
    query = update.callback_query
    unit_id = callback_int(query.data if query else None, "unit:inv:")
    if query is None or unit_id is None:
        return
    await answer(update, context)
    info = await call(invites.invite_liaison, context.db, actor(context), unit_id, policy(context))
    t = context.t
    await reply(
        update,
        t._("Send this one-time link to the liaison of {unit}:", unit=esc(info.unit_name))
        + "\n"
        + _invite_line(context, info),
        html_mode=True,
    )


def _unit_of(context: DsrContext) -> int | None:
    return actor(context).liaison_unit_id


@requires("liaison")
async def inspector_list(update: Update, context: DsrContext) -> None:
    t = context.t
    unit_id = _unit_of(context)
    if unit_id is None:
        return
    infos = await call(membership.list_inspectors, context.db, actor(context), unit_id)
    if not infos:
        await reply(update, t._("Your unit has no inspectors in its directory yet."))
        return
    lines = [t._("Inspectors of {unit}:", unit=esc(actor(context).liaison_unit_name or ""))]
    buttons = []
    for info in infos:
        if info.linked:
            state = t._("joined")
        elif info.pending_invite:
            state = t._("invited, not joined yet")
        else:
            state = t._("not invited")
        lines.append(
            t._(
                "{name} {cert_no} — {state}",
                name=esc(info.name),
                cert_no=esc(info.cert_no or ""),
                state=state,
            )
        )
        if not info.linked:
            buttons.append(
                [
                    InlineKeyboardButton(
                        t._("Invite {name}", name=info.name), callback_data=f"insp:inv:{info.id}"
                    )
                ]
            )
    if buttons:
        buttons.append(
            [
                InlineKeyboardButton(
                    t._("Invite all who have not joined"), callback_data=f"insp:all:{unit_id}"
                )
            ]
        )
    await reply(
        update,
        "\n".join(lines),
        markup=InlineKeyboardMarkup(buttons) if buttons else None,
        html_mode=True,
    )


@requires("liaison")
async def inspector_invite(update: Update, context: DsrContext) -> None:
    query = update.callback_query
    if query is None:
        return
    inspector_id = callback_int(query.data, "insp:inv:")
    unit_id = callback_int(query.data, "insp:all:")
    own_unit = _unit_of(context)
    if own_unit is None or (inspector_id is None and unit_id is None):
        return
    if unit_id is not None and unit_id != own_unit:
        await refuse(update, context, role_refusal(("liaison",)))
        return
    await answer(update, context)
    t = context.t
    infos = await call(
        invites.invite_inspectors,
        context.db,
        actor(context),
        own_unit,
        policy(context),
        None if inspector_id is None else [inspector_id],
    )
    if not infos:
        await reply(update, t._("Everyone has joined already; there is nobody to invite."))
        return
    header = t.n_(
        "{n} invitation link: send it to the person named, it works once.",
        "{n} invitation links: send each to the person named, each works once.",
        len(infos),
    )
    await reply(
        update,
        header + "\n\n" + "\n\n".join(_invite_line(context, i) for i in infos),
        html_mode=True,
    )
    if len(infos) > 1:
        data = invites.invite_list_workbook(
            t._("Invitations"),
            [t._("Name"), t._("Unit"), t._("Valid until"), t._("Link")],
            [
                (
                    i.inspector_name or "",
                    i.unit_name,
                    t.datetime(i.expires_at, "short", tz=context.settings.tz),
                    _link(context, i.code),
                )
                for i in infos
            ],
        )
        if update.effective_chat is not None:
            await context.bot.send_document(
                update.effective_chat.id,
                InputFile(data, filename=t._("invitations.xlsx")),
                caption=t._("The same links as a spreadsheet."),
            )


@requires("office", "liaison")
async def invite_list(update: Update, context: DsrContext) -> None:
    t = context.t
    infos = await call(invites.pending_invites, context.db, actor(context), context.now())
    if not infos:
        await reply(update, t._("No invitations are waiting to be used."))
        return
    await reply(update, t._("Invitations not used yet:"))
    for info in infos:
        markup = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(t._("Resend (renew)"), callback_data=f"inv:re:{info.id}"),
                    InlineKeyboardButton(t._("Revoke"), callback_data=f"inv:rv:{info.id}"),
                ]
            ]
        )
        await reply(update, _invite_line(context, info), markup=markup, html_mode=True)


@requires("office", "liaison")
async def invite_action(update: Update, context: DsrContext) -> None:
    query = update.callback_query
    if query is None:
        return
    t = context.t
    resend_id = callback_int(query.data, "inv:re:")
    revoke_id = callback_int(query.data, "inv:rv:")
    if resend_id is not None:
        info = await call(
            invites.resend_invite, context.db, actor(context), resend_id, policy(context)
        )
        await answer(update, context)
        await query.edit_message_text(
            t._("Renewed. Send the link again:") + "\n" + _invite_line(context, info),
            parse_mode="HTML",
        )
    elif revoke_id is not None:
        info = await call(
            invites.revoke_invite, context.db, actor(context), revoke_id, context.now()
        )
        await answer(update, context)
        await query.edit_message_text(
            t._(
                "Revoked: the link for {who} no longer works.",
                who=info.inspector_name or t._("liaison of {unit}", unit=info.unit_name),
            )
        )


@requires("liaison")
async def handover(update: Update, context: DsrContext) -> None:
    t = context.t
    info = await call(invites.handover_liaison, context.db, actor(context), policy(context))
    await reply(
        update,
        t._(
            "Send this one-time link to the person taking over. When they open it, they become "
            "the liaison of {unit} and your liaison role ends.",
            unit=esc(info.unit_name),
        )
        + "\n"
        + _invite_line(context, info),
        html_mode=True,
    )


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CallbackQueryHandler(unit_invite, pattern=r"^unit:inv:\d+$"))
    app.add_handler(CommandHandler("inspectors", inspector_list))
    app.add_handler(CallbackQueryHandler(inspector_invite, pattern=r"^insp:(inv|all):\d+$"))
    app.add_handler(CommandHandler("invites", invite_list))
    app.add_handler(CallbackQueryHandler(invite_action, pattern=r"^inv:(re|rv):\d+$"))
    app.add_handler(CommandHandler("handover", handover))
