"""The access gate: group -1, before every other handler.

It resolves who is writing and in which language, so every later handler finds
``context.actor`` and ``context.t`` ready, and it stops everything that a person may not
reach: unknown, removed or blocked users get a short explanation of how to join and
nothing else; groups and channels get nothing (the bot leaves a group it is added to) but
the answer to a button press there, so the presser's spinner stops.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import Application, ApplicationHandlerStop, TypeHandler

from bot.i18n import locale_from_telegram, supported, translator
from bot.services.people import profiles as people
from handlers import callbacks
from handlers.common import answer, call
from handlers.context import DsrContext

GATE_GROUP = -1
USER_DATA_LOCALE = "locale"
# What someone who has not joined may still do: open an invitation, read how to join,
# choose the language those words are in.
GUEST_COMMANDS = frozenset({"start", "lang", "help"})

log = logging.getLogger("dsr.gate")


def _command(update: Update) -> str | None:
    message = update.message
    if message is None or not message.text or not message.text.startswith("/"):
        return None
    word = message.text[1:].split(maxsplit=1)[0] if len(message.text) > 1 else ""
    return word.split("@", 1)[0].lower()


def guest_may(update: Update) -> bool:
    if update.callback_query is not None:
        data = update.callback_query.data
        return any(button.matches(data) for button in callbacks.GUEST_BUTTONS)
    return _command(update) in GUEST_COMMANDS


async def _leave_group(update: Update, context: DsrContext) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    member = update.my_chat_member
    joined = member is not None and member.new_chat_member.status in ("member", "administrator")
    added = update.message is not None and bool(update.message.new_chat_members)
    if joined or added:
        log.info("added to a %s chat: leaving it", chat.type)
        await context.bot.leave_chat(chat.id)


async def _answer_group_press(update: Update, context: DsrContext) -> None:
    """A press in a group gets a short private pop-up, nothing in the group itself."""
    if update.callback_query is None:
        return
    user = update.effective_user
    language = user.language_code if user is not None else None
    context.t = translator(locale_from_telegram(language, context.settings.default_locale))
    await answer(update, context, context.t._("This bot works only in a private chat."))


async def gate(update: Update, context: DsrContext) -> None:
    chat = update.effective_chat
    user = update.effective_user
    if chat is not None and chat.type != ChatType.PRIVATE:
        # Personal data never goes to a group: say nothing there, and leave.
        await _answer_group_press(update, context)
        await _leave_group(update, context)
        raise ApplicationHandlerStop
    if user is None or user.is_bot:
        raise ApplicationHandlerStop
    settings = context.settings
    profile = await call(people.load_profile, context.db, user.id, settings.admin_ids)
    context.actor = profile
    stored = profile.locale if profile else None
    chosen = stored or supported((context.user_data or {}).get(USER_DATA_LOCALE))
    context.t = translator(
        chosen or locale_from_telegram(user.language_code, settings.default_locale)
    )
    if profile is not None and profile.is_member:
        return
    if guest_may(update):
        return
    await refuse_guest(update, context)
    raise ApplicationHandlerStop


def join_explanation(context: DsrContext) -> str:
    t = context.t
    if context.actor is not None and not context.actor.is_member:
        return t._(
            "Your access to this bot has ended. If this is a mistake, ask the office or "
            "your unit's liaison for a new invitation link."
        )
    return t._(
        "This bot is for the member units of the joint supervision meeting. To join, ask "
        "the office (liaisons) or your unit's liaison (inspectors) for an invitation link "
        "and open it here."
    )


async def refuse_guest(update: Update, context: DsrContext) -> None:
    text = join_explanation(context)
    if update.callback_query is not None:
        await answer(update, context, text, alert=True)
        return
    if update.effective_message is not None:
        await update.effective_message.reply_text(text)


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(TypeHandler(Update, gate), group=GATE_GROUP)
