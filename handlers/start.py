"""/start (and joining by link), /help and /lang."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CommandHandler

from bot.i18n import LANGUAGE_NAMES, SUPPORTED_LOCALES, translator
from bot.services.people import menus
from bot.services.people import profiles as people
from handlers import callbacks
from handlers.common import answer, call, edit, reply
from handlers.context import DsrContext
from handlers.gate import USER_DATA_LOCALE, join_explanation
from handlers.invitations import join
from handlers.menus import refresh_menu


def _roles(context: DsrContext) -> frozenset[str]:
    who = context.actor
    return who.roles if who is not None and who.is_member else frozenset()


def welcome_text(context: DsrContext) -> str:
    t = context.t
    paragraphs = [
        t._("Welcome to the assistant of the joint “double random, one public” supervision office.")
    ]
    if _roles(context):
        paragraphs.append(t._("Send /help to see what you can do here."))
    else:
        paragraphs.append(join_explanation(context))
        paragraphs.append(t._("Send /lang to change the language."))
    return "\n\n".join(paragraphs)


def help_text(context: DsrContext) -> str:
    t = context.t
    roles = _roles(context)
    lines = [t._("What you can do here:")]
    lines += [
        t._("/{command} — {description}", command=command, description=text)
        for command, text in menus.commands_for(roles, t.locale)
    ]
    if not roles:
        lines += ["", join_explanation(context)]
    return "\n".join(lines)


async def start(update: Update, context: DsrContext) -> None:
    if context.args:
        await join(update, context, context.args[0])
        return
    await reply(update, welcome_text(context))
    who = context.actor
    if who is not None and who.is_member and update.effective_user is not None:
        await refresh_menu(context, update.effective_user.id, who.roles, context.t.locale)


async def show_help(update: Update, context: DsrContext) -> None:
    await reply(update, help_text(context))


async def choose_language(update: Update, context: DsrContext) -> None:
    buttons = [
        InlineKeyboardButton(LANGUAGE_NAMES[locale], callback_data=callbacks.LANGUAGE.data(locale))
        for locale in SUPPORTED_LOCALES
    ]
    await reply(
        update, context.t._("Choose your language:"), markup=InlineKeyboardMarkup([buttons])
    )


async def language_chosen(update: Update, context: DsrContext) -> None:
    user = update.effective_user
    if user is None:
        return
    locale = callbacks.LANGUAGE.word_arg(context, "locale")
    if locale not in SUPPORTED_LOCALES:
        await answer(update, context)
        return
    stored = await call(people.set_locale, context.db, user.id, locale)
    if not stored and context.user_data is not None:
        # Not a member yet: remember the choice with the conversation state instead.
        context.user_data[USER_DATA_LOCALE] = locale
    context.t = translator(locale)
    await answer(update, context)
    await edit(update, context.t._("Language set: {language}.", language=LANGUAGE_NAMES[locale]))
    roles = _roles(context)
    if roles:
        await refresh_menu(context, user.id, roles, locale)


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("help", show_help))
    app.add_handler(CommandHandler("lang", choose_language))
    app.add_handler(callbacks.LANGUAGE.handler(language_chosen))
