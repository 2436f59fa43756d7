"""The reminders' job: every few minutes (and once at start, to catch up after a restart)
it asks bot/services/reminders for the reminders due now. Thin: the service computes
them from the database and writes them to the outbox; the sender delivers them."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram.ext import Application, CallbackContext

from bot.services.reminders.nudges import due_nudges

log = logging.getLogger(__name__)


async def nudge_unacknowledged(context: CallbackContext[Any, Any, Any, Any]) -> None:
    data = context.bot_data  # handlers.context.BotData: settings, the database, the clock
    run = await asyncio.to_thread(due_nudges, data.db, data.clock(), data.settings)
    if run.nudges or run.reports:
        log.info("reminders: %d nudges, %d reports to liaisons", run.nudges, run.reports)


def register(app: Application[Any, Any, Any, Any, Any, Any], interval_seconds: float) -> None:
    """Run the reminders every ``interval_seconds``, the first time at once."""
    if app.job_queue is None:  # PTB without its job-queue extra: nothing would run them
        raise RuntimeError("python-telegram-bot[job-queue] is needed for reminders")
    app.job_queue.run_repeating(
        nudge_unacknowledged, interval=interval_seconds, first=0, name="reminders.nudges"
    )
