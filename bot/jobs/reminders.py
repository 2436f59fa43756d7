"""The reminders' job: every few minutes (and once at start, to catch up after a restart)
it asks bot/services/reminders for the reminders due now, one kind after another. Thin:
the services compute them from the database and write them to the outbox; the sender
delivers them. PTB's jobs live in memory only, so nothing depends on a job surviving a
restart: the first run after one finds whatever came due meanwhile."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram.ext import Application, CallbackContext

from bot.services.people.notices import NoticeContext
from bot.services.reminders.calendar_year import due_calendar_notices
from bot.services.reminders.nudges import due_nudges
from bot.services.reminders.revisions import due_revision_reminders

log = logging.getLogger(__name__)


async def send_due_reminders(context: CallbackContext[Any, Any, Any, Any]) -> None:
    data = context.bot_data  # handlers.context.BotData: settings, the database, the clock
    now, settings = data.clock(), data.settings
    nudged = await asyncio.to_thread(due_nudges, data.db, now, settings)
    if nudged.nudges or nudged.reports:
        log.info("reminders: %d nudges, %d reports to liaisons", nudged.nudges, nudged.reports)
    ctx = NoticeContext(now, settings, settings.default_locale)
    revisions = await asyncio.to_thread(due_revision_reminders, data.db, ctx, settings)
    if await asyncio.to_thread(due_calendar_notices, data.db, ctx):
        log.info("reminders: the office told of a year without an official schedule")
    if revisions.liaisons or revisions.office:
        log.info(
            "reminders: %d revision reminders to liaisons, %d lists to the office",
            revisions.liaisons,
            revisions.office,
        )


def register(app: Application[Any, Any, Any, Any, Any, Any], interval_seconds: float) -> None:
    """Run the reminders every ``interval_seconds``, the first time at once."""
    if app.job_queue is None:  # PTB without its job-queue extra: nothing would run them
        raise RuntimeError("python-telegram-bot[job-queue] is needed for reminders")
    app.job_queue.run_repeating(
        send_due_reminders, interval=interval_seconds, first=0, name="reminders"
    )
