"""Setting command menus: per chat, in the member's language, only when they change."""

from __future__ import annotations

from collections.abc import Iterable

from telegram import BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from telegram.error import TelegramError
from telegram.ext import Application

from bot.i18n import LANGUAGE_CODES, SUPPORTED_LOCALES
from bot.services.people import menus
from bot.services.people import profiles as people
from handlers.common import call
from handlers.context import DsrContext


async def refresh_menu(
    context: DsrContext, telegram_id: int, roles: Iterable[str], locale: str
) -> None:
    """Set the member's menu if it is not the one Telegram already shows them. The gate
    loaded the stored signature with the profile, so the usual case costs no query."""
    roles = frozenset(roles)
    menu = menus.signature(roles, locale)
    who = context.actor
    if who is not None and who.telegram_id == telegram_id and who.menu_signature == menu:
        return
    commands = [BotCommand(c, d) for c, d in menus.commands_for(roles, locale)]
    try:
        await context.bot.set_my_commands(commands, scope=BotCommandScopeChat(telegram_id))
    except TelegramError:
        # The menu is a convenience; the reply the person waits for matters more.
        return
    await call(people.remember_menu, context.db, telegram_id, menu)


async def set_guest_menus(app: Application) -> None:  # type: ignore[type-arg]
    """The default menu for people who have not joined, once per language at start."""
    settings = app.bot_data.settings
    for locale in SUPPORTED_LOCALES:
        commands = [BotCommand(c, d) for c, d in menus.commands_for((), locale)]
        await app.bot.set_my_commands(
            commands, scope=BotCommandScopeDefault(), language_code=LANGUAGE_CODES[locale]
        )
    fallback = [BotCommand(c, d) for c, d in menus.commands_for((), settings.default_locale)]
    await app.bot.set_my_commands(fallback, scope=BotCommandScopeDefault())
