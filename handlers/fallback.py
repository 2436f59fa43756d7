"""What nobody else took: registered after every feature, so a member is never met with
silence. An unknown command, a text or a sticker that no conversation is waiting for, and
/cancel outside any conversation each get one short translated line and the person's
menu; a button press nobody took is answered in handlers.callbacks."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler, MessageHandler, filters

from handlers import callbacks
from handlers.common import reply
from handlers.context import DsrContext
from handlers.start import help_text


async def nothing_to_cancel(update: Update, context: DsrContext) -> None:
    await reply(update, context.t._("There is nothing to cancel."))


async def unknown_command(update: Update, context: DsrContext) -> None:
    message = update.effective_message
    word = (message.text or "").split(maxsplit=1)[0] if message else ""
    t = context.t
    text = t._("There is no command {command}.", command=word[:40])
    await reply(update, text + "\n\n" + help_text(context))


async def not_understood(update: Update, context: DsrContext) -> None:
    # Files and photos never get here: handlers/registers answers every one of them.
    line = context.t._("I did not understand that message, so nothing was done.")
    await reply(update, line + "\n\n" + help_text(context))


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Register after every feature (PTB gives an update to the first matching handler)."""
    app.add_handler(CommandHandler("cancel", nothing_to_cancel))
    app.add_handler(MessageHandler(filters.COMMAND, unknown_command))
    # Service messages (someone joined, a pinned message) are not a person talking to us.
    app.add_handler(MessageHandler(filters.ALL & ~filters.StatusUpdate.ALL, not_understood))
    callbacks.register_fallback(app)
