"""Joining and membership in the chat: units, invitations, people, hand-over, /me."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from functools import wraps
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.i18n import N_
from bot.services import access, invites, joining, membership, people
from bot.services.errors import ServiceError
from bot.services.invites import InvitePolicy
from bot.services.membership import InviteInfo
from handlers.common import actor, answer, call, callback_int, esc, refuse, reply, user_label
from handlers.context import DsrContext
from handlers.menus import refresh_menu
from storage.xlsx_invites import invite_workbook

Handler = Callable[[Update, DsrContext], Coroutine[Any, Any, None]]


def requires(*roles: str) -> Callable[[Handler], Handler]:
    """Refuse (translated) unless the actor holds one of ``roles``; services check again."""

    def decorate(func: Handler) -> Handler:
        @wraps(func)
        async def wrapper(update: Update, context: DsrContext) -> None:
            if not actor(context).roles & set(roles):
                await refuse(update, context, _role_refusal(roles))
                return
            try:
                await func(update, context)
            except ServiceError as error:
                await refuse(update, context, error)

        return wrapper

    return decorate


def _role_refusal(roles: tuple[str, ...]) -> ServiceError:
    if roles == ("office",):
        return ServiceError(N_("Only the office can do this."))
    if roles == ("liaison",):
        return ServiceError(N_("Only a unit's liaison can do this."))
    return ServiceError(N_("Only the office or a unit's liaison can do this."))


def _policy(context: DsrContext) -> InvitePolicy:
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


def _role_name(context: DsrContext, role: str) -> str:
    t = context.t
    return {
        "office": t._("office"),
        "liaison": t._("liaison"),
        "inspector": t._("inspector"),
    }.get(role, role)


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
    return f"{esc(who)} — {state}\n{_link(context, info.code)}"


# --- joining ------------------------------------------------------------------------------


async def join(update: Update, context: DsrContext, code: str) -> None:
    """/start <code>: open an invitation."""
    user = update.effective_user
    if user is None:
        return
    t = context.t
    try:
        joined = await call(
            joining.redeem, context.db, code, user.id, user_label(update), _policy(context)
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


# --- units (office) -----------------------------------------------------------------------


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


@requires("office")
async def unit_invite(update: Update, context: DsrContext) -> None:
    query = update.callback_query
    unit_id = callback_int(query.data if query else None, "unit:inv:")
    if query is None or unit_id is None:
        return
    await answer(update, context)
    info = await call(invites.invite_liaison, context.db, actor(context), unit_id, _policy(context))
    t = context.t
    await reply(
        update,
        t._("Send this one-time link to the liaison of {unit}:", unit=esc(info.unit_name))
        + "\n"
        + _invite_line(context, info),
        html_mode=True,
    )


# --- inspectors (liaison) -----------------------------------------------------------------


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
        lines.append(f"{esc(info.name)} {esc(info.cert_no or '')} — {state}")
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
        await refuse(update, context, _role_refusal(("liaison",)))
        return
    await answer(update, context)
    t = context.t
    infos = await call(
        invites.invite_inspectors,
        context.db,
        actor(context),
        own_unit,
        _policy(context),
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
        data = invite_workbook(
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


# --- invitations --------------------------------------------------------------------------


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
            invites.resend_invite, context.db, actor(context), resend_id, _policy(context)
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


# --- people -------------------------------------------------------------------------------


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
        lines.append(f"{esc(info.name)} — {roles} {esc(detail)}".rstrip())
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
            access.remove_person, context.db, actor(context), confirmed, _policy(context).notices
        )
        await answer(update, context)
        await query.edit_message_reply_markup(None)
        await reply(update, t._("{name} no longer has this access.", name=info.name))
    else:
        await answer(update, context)
        await query.edit_message_reply_markup(None)
        await reply(update, t._("Nothing was changed."))


@requires("liaison")
async def handover(update: Update, context: DsrContext) -> None:
    t = context.t
    info = await call(invites.handover_liaison, context.db, actor(context), _policy(context))
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
    app.add_handler(CommandHandler("me", me))
    app.add_handler(CommandHandler("units", units))
    app.add_handler(CommandHandler("addunit", add_unit))
    app.add_handler(CallbackQueryHandler(unit_invite, pattern=r"^unit:inv:\d+$"))
    app.add_handler(CommandHandler("inspectors", inspector_list))
    app.add_handler(CallbackQueryHandler(inspector_invite, pattern=r"^insp:(inv|all):\d+$"))
    app.add_handler(CommandHandler("invites", invite_list))
    app.add_handler(CallbackQueryHandler(invite_action, pattern=r"^inv:(re|rv):\d+$"))
    app.add_handler(CommandHandler("people", people_list))
    app.add_handler(CallbackQueryHandler(people_action, pattern=r"^ppl:(rm:\d+|ok:\d+|no)$"))
    app.add_handler(CommandHandler("handover", handover))
