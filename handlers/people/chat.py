"""People with access in the chat: who I am, who has access, removing someone. Texts and
keyboards are in views.py beside this module."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.services.people import access
from handlers import callbacks
from handlers.common import actor, answer, call, edit, reply, requires, user_label
from handlers.context import DsrContext
from handlers.invitations import policy
from handlers.people import views


async def me(update: Update, context: DsrContext) -> None:
    await reply(update, views.me(context.t, actor(context), user_label(update)))


@requires("office", "liaison")
async def people_list(update: Update, context: DsrContext) -> None:
    who = actor(context)
    infos = await call(access.list_people, context.db, who)
    text, markup = views.people_list(context.t, infos, who.user_id)
    await reply(update, text, markup=markup, html_mode=True)


@requires("office", "liaison")
async def ask_removal(update: Update, context: DsrContext) -> None:
    user_id = callbacks.PERSON_REMOVE.int_arg(context, "user")
    await call(access.check_removable, context.db, actor(context), user_id)
    await answer(update, context)
    await edit(update, None, markup=views.removal_question(context.t, user_id))
    t = context.t
    await reply(update, t._("Remove this person's access? They can be invited again later."))


@requires("office", "liaison")
async def confirm_removal(update: Update, context: DsrContext) -> None:
    user_id = callbacks.PERSON_REMOVE_CONFIRM.int_arg(context, "user")
    notices = policy(context).notices
    info = await call(access.remove_person, context.db, actor(context), user_id, notices)
    await answer(update, context)
    await edit(update, None)
    await reply(update, context.t._("{name} no longer has this access.", name=info.name))


@requires("office", "liaison")
async def keep(update: Update, context: DsrContext) -> None:
    await answer(update, context)
    await edit(update, None)
    await reply(update, context.t._("Nothing was changed."))


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("me", me))
    app.add_handler(CommandHandler("people", people_list))
    app.add_handler(callbacks.PERSON_REMOVE.handler(ask_removal))
    app.add_handler(callbacks.PERSON_REMOVE_CONFIRM.handler(confirm_removal))
    app.add_handler(callbacks.PERSON_KEEP.handler(keep))
