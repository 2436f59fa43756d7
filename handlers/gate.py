"""The access gate: group -1, before every other handler.

It resolves who is writing and in which language, so every later handler finds
``context.actor`` and ``context.t`` ready.
"""

from __future__ import annotations

import asyncio

from telegram import Update
from telegram.ext import Application, TypeHandler

from bot.i18n import locale_from_telegram, supported, translator
from bot.services import people
from handlers.context import DsrContext

GATE_GROUP = -1
USER_DATA_LOCALE = "locale"


async def resolve_actor(update: Update, context: DsrContext) -> None:
    user = update.effective_user
    if user is None:
        return
    settings = context.settings
    profile = await asyncio.to_thread(
        people.load_profile, context.db, user.id, settings.admin_ids
    )
    context.actor = profile
    stored = profile.locale if profile else None
    chosen = stored or supported((context.user_data or {}).get(USER_DATA_LOCALE))
    context.t = translator(
        chosen or locale_from_telegram(user.language_code, settings.default_locale)
    )


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(TypeHandler(Update, resolve_actor), group=GATE_GROUP)
