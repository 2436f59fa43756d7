"""The broadcasts' job: every few seconds it looks at the broadcasts not finished yet,
edits each one's progress message when its counts changed (never to the same text twice:
the text shown is stored) and, once none of its messages is pending, finishes it — the
report goes to the office through the outbox. Everything it needs is in the database,
so progress survives a restart: the first run after one carries on."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram.error import BadRequest, TelegramError
from telegram.ext import Application, CallbackContext

from bot.services.broadcasts import delivery
from bot.services.people.notices import NoticeContext

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 3.0


async def _edit(context: CallbackContext[Any, Any, Any, Any], step: delivery.ProgressStep) -> bool:
    """Show ``step.text`` in the progress message; True when it is shown (or cannot be)."""
    if step.chat_id is None or step.message_id is None:
        return False
    try:
        await context.bot.edit_message_text(
            step.text, chat_id=step.chat_id, message_id=step.message_id
        )
    except BadRequest as error:
        # "not modified": shown already; a message deleted or too old: nothing to edit.
        log.info("broadcast %d: progress message not edited (%s)", step.id, error.message)
    except TelegramError as error:
        log.warning("broadcast %d: progress message not edited now (%s)", step.id, error)
        return False
    return True


async def broadcast_progress(context: CallbackContext[Any, Any, Any, Any]) -> None:
    data = context.bot_data  # handlers.context.BotData: settings, the database, the clock
    settings = data.settings
    steps = await asyncio.to_thread(delivery.progress_steps, data.db, settings.default_locale)
    for step in steps:
        if step.changed and await _edit(context, step):
            await asyncio.to_thread(delivery.record_progress, data.db, step.id, step.text)
        if step.done:
            ctx = NoticeContext(data.clock(), settings, settings.default_locale)
            if await asyncio.to_thread(delivery.finish, data.db, step.id, ctx):
                log.info("broadcast %d finished", step.id)


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    if app.job_queue is None:  # PTB without its job-queue extra: nothing would run it
        raise RuntimeError("python-telegram-bot[job-queue] is needed for broadcasts")
    app.job_queue.run_repeating(
        broadcast_progress, interval=INTERVAL_SECONDS, first=1, name="broadcasts"
    )
