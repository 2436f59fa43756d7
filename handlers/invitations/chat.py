"""Invitations in the chat: joining by link, inviting liaisons and inspectors, pending
invitations, hand-over. Texts and keyboards are in views.py beside this module."""

from __future__ import annotations

from telegram import InputFile, Update
from telegram.ext import Application, CommandHandler

from bot.services.errors import ServiceError
from bot.services.people import invites, joining, membership
from bot.services.people import profiles as people
from bot.services.people.invites import InvitePolicy
from bot.services.people.membership import InviteInfo
from handlers import callbacks
from handlers.common import actor, answer, call, edit, esc, refuse, reply, requires, user_label
from handlers.context import DsrContext
from handlers.invitations import views
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


def _line(context: DsrContext, info: InviteInfo) -> str:
    return views.invite_line(
        context.t,
        info,
        bot_username=context.bot.username,
        now=context.now(),
        tz=context.settings.tz,
    )


async def join(update: Update, context: DsrContext, code: str) -> None:
    """/start <code>: open an invitation."""
    user = update.effective_user
    if user is None:
        return
    try:
        joined = await call(
            joining.redeem, context.db, code, user.id, user_label(update), policy(context)
        )
    except ServiceError as error:
        await refuse(update, context, error)
        return
    t = context.t
    await reply(update, views.welcome(t, joined.role, joined.unit_name, joined.inspector_name))
    profile = await call(people.load_profile, context.db, user.id, context.settings.admin_ids)
    if profile is not None:
        context.actor = profile
        await refresh_menu(context, user.id, profile.roles, t.locale)


@requires("office")
async def unit_invite(update: Update, context: DsrContext) -> None:
    unit_id = callbacks.UNIT_INVITE.int_arg(context, "unit")
    made = await call(invites.liaison_invite, context.db, actor(context), unit_id, policy(context))
    await answer(update, context)
    text = views.liaison_link_intro(context.t, made.invite.unit_name, made.reused, made.liaisons)
    await reply(update, text + "\n" + _line(context, made.invite), html_mode=True)


@requires("office")
async def invite_missing_liaisons(update: Update, context: DsrContext) -> None:
    infos = await call(invites.invite_missing_liaisons, context.db, actor(context), policy(context))
    await answer(update, context)
    t = context.t
    if not infos:
        await reply(update, t._("Every unit has a liaison; there is nobody to invite."))
        return
    await _send_links(update, context, infos)


@requires("liaison")
async def inspector_list(update: Update, context: DsrContext) -> None:
    who = actor(context)
    if who.liaison_unit_id is None:
        return
    infos = await call(membership.list_inspectors, context.db, who, who.liaison_unit_id)
    if not infos:
        await reply(update, context.t._("Your unit has no inspectors in its directory yet."))
        return
    text, markup = views.inspector_list(
        context.t, who.liaison_unit_name or "", who.liaison_unit_id, infos
    )
    await reply(update, text, markup=markup, html_mode=True)


@requires("liaison")
async def invite_one_inspector(update: Update, context: DsrContext) -> None:
    inspector_id = callbacks.INSPECTOR_INVITE.int_arg(context, "inspector")
    await _invite_inspectors(update, context, actor(context).liaison_unit_id, [inspector_id])


@requires("liaison")
async def invite_all_inspectors(update: Update, context: DsrContext) -> None:
    # The service refuses a unit that is not the liaison's own.
    unit_id = callbacks.INSPECTORS_INVITE_ALL.int_arg(context, "unit")
    await _invite_inspectors(update, context, unit_id, None)


async def _invite_inspectors(
    update: Update, context: DsrContext, unit_id: int | None, inspector_ids: list[int] | None
) -> None:
    if unit_id is None:
        return
    infos = await call(
        invites.invite_inspectors,
        context.db,
        actor(context),
        unit_id,
        policy(context),
        inspector_ids,
    )
    await answer(update, context)
    t = context.t
    if not infos:
        await reply(update, t._("Everyone has joined already; there is nobody to invite."))
        return
    await _send_links(update, context, infos)


async def _send_links(update: Update, context: DsrContext, infos: list[InviteInfo]) -> None:
    """The links in the chat, and as a spreadsheet when there are several."""
    t = context.t
    lines = "\n\n".join(_line(context, i) for i in infos)
    await reply(update, views.links_header(t, len(infos)) + "\n\n" + lines, html_mode=True)
    if len(infos) > 1 and update.effective_chat is not None:
        headers, rows = views.workbook_rows(
            t, infos, bot_username=context.bot.username, tz=context.settings.tz
        )
        data = invites.invite_list_workbook(t._("Invitations"), headers, rows)
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
        markup = views.invite_keyboard(t, info.id)
        await reply(update, _line(context, info), markup=markup, html_mode=True)


@requires("office", "liaison")
async def resend_invite(update: Update, context: DsrContext) -> None:
    invite_id = callbacks.INVITE_RESEND.int_arg(context, "invite")
    info = await call(invites.resend_invite, context.db, actor(context), invite_id, policy(context))
    await answer(update, context)
    text = context.t._("Renewed. Send the link again:") + "\n" + _line(context, info)
    await edit(update, text, html_mode=True)


@requires("office", "liaison")
async def revoke_invite(update: Update, context: DsrContext) -> None:
    invite_id = callbacks.INVITE_REVOKE.int_arg(context, "invite")
    info = await call(invites.revoke_invite, context.db, actor(context), invite_id, context.now())
    await answer(update, context)
    t = context.t
    who = info.inspector_name or t._("liaison of {unit}", unit=info.unit_name)
    await edit(update, t._("Revoked: the link for {who} no longer works.", who=who))


@requires("liaison")
async def handover(update: Update, context: DsrContext) -> None:
    t = context.t
    info = await call(invites.handover_liaison, context.db, actor(context), policy(context))
    text = t._(
        "Send this one-time link to the person taking over. When they open it, they become "
        "the liaison of {unit} and your liaison role ends.",
        unit=esc(info.unit_name),
    )
    await reply(update, text + "\n" + _line(context, info), html_mode=True)


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(callbacks.UNIT_INVITE.handler(unit_invite))
    app.add_handler(callbacks.UNITS_INVITE_ALL.handler(invite_missing_liaisons))
    app.add_handler(CommandHandler("inspectors", inspector_list))
    app.add_handler(callbacks.INSPECTOR_INVITE.handler(invite_one_inspector))
    app.add_handler(callbacks.INSPECTORS_INVITE_ALL.handler(invite_all_inspectors))
    app.add_handler(CommandHandler("invites", invite_list))
    app.add_handler(callbacks.INVITE_RESEND.handler(resend_invite))
    app.add_handler(callbacks.INVITE_REVOKE.handler(revoke_invite))
    app.add_handler(CommandHandler("handover", handover))
