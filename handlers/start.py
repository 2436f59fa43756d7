"""/start, /help, /lang and /cancel: the first conversation anyone has with the bot."""

from __future__ import annotations

import asyncio

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.i18n import LANGUAGE_NAMES, SUPPORTED_LOCALES, translator
from bot.services import people
from handlers.context import DsrContext
from handlers.gate import USER_DATA_LOCALE

LANG_CALLBACK = "lang:"


def welcome_text(context: DsrContext) -> str:
    t = context.t
    return "\n\n".join(
        [
            t._("Welcome to the assistant of the joint “double random, one public” supervision office."),
            t._(
                "To join, ask the office (for a member unit's liaison) or your unit's liaison "
                "(for an inspector) for an invitation link, then open it on this phone. "
                "The link works once and expires."
            ),
            t._("Send /help to see what you can do here and /lang to change the language."),
        ]
    )


def help_text(context: DsrContext) -> str:
    t = context.t
    lines = [t._("What you can do here:")]
    lines.append(t._("/start — the welcome message, or join with an invitation link"))
    lines.append(t._("/lang — choose 中文 or English"))
    lines.append(t._("/cancel — stop what you are doing"))
    lines.append(t._("/help — this list"))
    return "\n".join(lines)


async def start(update: Update, context: DsrContext) -> None:
    if update.effective_message:
        await update.effective_message.reply_text(welcome_text(context))


async def show_help(update: Update, context: DsrContext) -> None:
    if update.effective_message:
        await update.effective_message.reply_text(help_text(context))


async def choose_language(update: Update, context: DsrContext) -> None:
    if not update.effective_message:
        return
    buttons = [
        InlineKeyboardButton(LANGUAGE_NAMES[locale], callback_data=f"{LANG_CALLBACK}{locale}")
        for locale in SUPPORTED_LOCALES
    ]
    await update.effective_message.reply_text(
        context.t._("Choose your language:"), reply_markup=InlineKeyboardMarkup([buttons])
    )


async def language_chosen(update: Update, context: DsrContext) -> None:
    query = update.callback_query
    if query is None or query.data is None or update.effective_user is None:
        return
    locale = query.data.removeprefix(LANG_CALLBACK)
    if locale not in SUPPORTED_LOCALES:
        await query.answer()
        return
    stored = await asyncio.to_thread(
        people.set_locale, context.db, update.effective_user.id, locale
    )
    if not stored and context.user_data is not None:
        # Not yet a member: remember the choice with the conversation state instead.
        context.user_data[USER_DATA_LOCALE] = locale
    context.t = translator(locale)
    await query.answer()
    await query.edit_message_text(
        context.t._("Language set: {language}.", language=LANGUAGE_NAMES[locale])
    )


async def cancel(update: Update, context: DsrContext) -> None:
    if update.effective_message:
        await update.effective_message.reply_text(context.t._("There is nothing to cancel."))


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("help", show_help))
    app.add_handler(CommandHandler("lang", choose_language))
    app.add_handler(CallbackQueryHandler(language_chosen, pattern=f"^{LANG_CALLBACK}"))
    app.add_handler(CommandHandler("cancel", cancel))
