"""One error handler: the user gets an apology with an incident id, the log gets the rest.

It never raises: PTB logs an error handler's own exception with the update it was handling
("uncaught error was raised while handling the error"), and a reply that failed on flood
control would fail again here. What goes wrong while apologising is logged in one line
without the update's content.
"""

from __future__ import annotations

import logging
import secrets

from telegram import Update
from telegram.error import BadRequest, Forbidden, RetryAfter
from telegram.ext import Application

from bot.i18n import translator
from handlers.context import DsrContext

log = logging.getLogger("dsr.errors")


def is_not_modified(error: BaseException | None) -> bool:
    """Telegram's answer to an edit that changes nothing (a button pressed twice): the
    message already says what we wanted, so it is no failure."""
    return isinstance(error, BadRequest) and "not modified" in error.message.lower()


def _needs_no_apology(error: BaseException | None) -> bool:
    # Blocked: nobody to apologise to. Flood control: the reply was held and tried again
    # already (bot/ratelimit.py); another message now would only lengthen the wait.
    return isinstance(error, Forbidden | RetryAfter)


async def on_error(update: object, context: DsrContext) -> None:
    if is_not_modified(context.error):
        log.debug("an edit changed nothing (a repeated press); not an incident")
        return
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
    if _needs_no_apology(context.error):
        return
    await _stop_the_spinner(update)
    t = getattr(context, "t", None) or translator(None)
    text = t._(
        "Sorry, something went wrong on our side. Please try again later; "
        "if it keeps happening, tell the office this incident number: {incident}",
        incident=incident,
    )
    try:
        await context.bot.send_message(update.effective_chat.id, text)
    except Exception as exc:
        log.warning(
            "incident %s: the apology could not be delivered (%s)", incident, type(exc).__name__
        )


async def _stop_the_spinner(update: Update) -> None:
    """A press whose handler failed is answered too (the apology follows in the chat).
    The handler may have answered it already; Telegram then refuses a second answer."""
    if update.callback_query is None:
        return
    try:
        await update.callback_query.answer()
    except Exception as exc:
        log.debug("the failed press was answered already (%s)", type(exc).__name__)


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_error_handler(on_error)
