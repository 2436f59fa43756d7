"""One error handler: the user gets an apology with an incident id, the log gets the rest."""

from __future__ import annotations

import logging
import secrets

from telegram import Update
from telegram.error import Forbidden, NetworkError
from telegram.ext import Application

from bot.i18n import translator
from handlers.context import DsrContext

log = logging.getLogger("dsr.errors")


async def on_error(update: object, context: DsrContext) -> None:
    incident = secrets.token_hex(4)
    # The traceback and the incident id, never the message text (personal data).
    log.error(
        "incident %s while handling update %s",
        incident,
        update.update_id if isinstance(update, Update) else "-",
        exc_info=context.error,
    )
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    if isinstance(context.error, Forbidden):
        return
    t = getattr(context, "t", None) or translator(None)
    try:
        await context.bot.send_message(
            update.effective_chat.id,
            t._(
                "Sorry, something went wrong on our side. Please try again later; "
                "if it keeps happening, tell the office this incident number: {incident}",
                incident=incident,
            ),
        )
    except NetworkError:
        log.warning("incident %s: the apology could not be delivered", incident)


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_error_handler(on_error)
