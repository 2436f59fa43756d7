"""build_application: the one place where PTB is assembled (docs/architecture.md §2)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from telegram.ext import Application, ContextTypes, Defaults
from telegram.request import BaseRequest

import handlers.assignments
import handlers.availability
import handlers.broadcasts
import handlers.calendar
import handlers.documents
import handlers.errors
import handlers.fallback
import handlers.filings
import handlers.gate
import handlers.invitations
import handlers.people
import handlers.records
import handlers.registers
import handlers.reminders
import handlers.scores
import handlers.start
import handlers.tasks
import handlers.units
from bot.config import Settings
from bot.i18n import require_catalogs
from bot.jobs import broadcasts, maintenance, reminders
from bot.logs import protect_logs
from bot.persistence import DatabasePersistence
from bot.ratelimit import NETWORK_MARGIN, SendBudget
from bot.sender import OutboxSender
from handlers.context import BotData, DsrContext
from handlers.menus import set_guest_menus
from storage.db import Database

# Used with the offline transport, where no real token exists. Shaped like a real one.
OFFLINE_TOKEN = "123456789:offline-transport-token-not-real-0000"  # noqa: S105 (not a secret)

DsrApplication = Application[Any, DsrContext, dict[Any, Any], dict[Any, Any], BotData, Any]


def quiet_http_logs() -> None:
    """No token and no personal data in any log: bot/logs.py (called once logging is set)."""
    protect_logs()


async def _post_init(app: DsrApplication) -> None:
    await set_guest_menus(app)
    # The sender needs the initialised bot; it runs until post_stop (docs/architecture.md §2).
    data = app.bot_data
    # One send budget for replies and notices (bot/ratelimit.py): the bot's rate limiter.
    budget = app.bot.rate_limiter
    data.sender = OutboxSender(
        app.bot,
        data.db,
        data.settings,
        data.clock,
        stale_after=timedelta(seconds=data.settings.sender_stale_seconds),
        budget=budget if isinstance(budget, SendBudget) else None,
    )
    await data.sender.start()


async def _post_stop(app: DsrApplication) -> None:
    # post_stop runs before shutdown: the HTTP client is still open for in-flight sends.
    sender, app.bot_data.sender = app.bot_data.sender, None
    if sender is not None:
        await sender.stop()


def _over_http(builder: Any, settings: Settings) -> Any:
    """Telegram over HTTP: the shared send budget, the proxy, and timeouts long enough for
    a slow proxy (a send given up too early may have been delivered, and goes again)."""
    builder = builder.rate_limiter(SendBudget.from_settings(settings, margin=NETWORK_MARGIN))
    if settings.proxy_url:
        builder = builder.proxy(settings.proxy_url).get_updates_proxy(settings.proxy_url)
    return (
        builder.connect_timeout(settings.connect_timeout)
        .read_timeout(settings.read_timeout)
        .write_timeout(settings.write_timeout)
        .media_write_timeout(max(settings.write_timeout, 20.0))  # PTB's default for files
        .get_updates_connect_timeout(settings.connect_timeout)
        .get_updates_read_timeout(settings.read_timeout)
        .get_updates_write_timeout(settings.write_timeout)
    )


def build_application(
    settings: Settings,
    *,
    database: Database,
    request: BaseRequest | None = None,
    clock: Callable[[], datetime] | None = None,
) -> DsrApplication:
    """Build the bot. ``request`` replaces HTTP (the offline transport of console, demo, tests)."""
    require_catalogs()  # never a Chinese-first bot that silently speaks English
    token = OFFLINE_TOKEN if request is not None else settings.require_token()
    protect_logs([token])
    builder = (
        Application.builder()
        .token(token)
        .base_url(settings.bot_api_base_url)
        .base_file_url(settings.file_url)
        .defaults(Defaults(tzinfo=settings.tz))
        .context_types(ContextTypes(context=DsrContext, bot_data=BotData))
        # ConversationHandler needs one update at a time (docs/architecture.md §12); long work
        # runs in non-blocking handlers instead.
        .concurrent_updates(False)
        .persistence(
            DatabasePersistence(database, update_interval=settings.persistence_flush_seconds)
        )
        .post_init(_post_init)
        .post_stop(_post_stop)
    )
    if request is not None:
        # Offline (console, demo, tests) nothing enforces limits, and a conversation must
        # not wait a second per line: the outbox sender paces itself alone there.
        builder = builder.request(request).get_updates_request(request)
    else:
        builder = _over_http(builder, settings)
    app: DsrApplication = builder.build()
    app.bot_data.settings = settings
    app.bot_data.database = database
    if clock is not None:
        app.bot_data.clock = clock

    # Order matters: the gate (group -1) runs before everything; errors last.
    handlers.gate.register(app)
    handlers.start.register(app)
    handlers.units.register(app)
    handlers.invitations.register(app)
    handlers.people.register(app)
    # /document and /broadcast wait for a file of their own: before the registers, which
    # take the others.
    handlers.documents.register(app)
    handlers.calendar.register(app)
    handlers.tasks.register_uploads(app)  # /planfile, like /document
    handlers.broadcasts.register(app)
    # After every conversation that waits for a file of its own: takes the other files.
    handlers.registers.register(app)
    handlers.filings.register(app)
    handlers.availability.register(app)
    handlers.assignments.register(app)
    handlers.reminders.register(app)
    handlers.tasks.register(app)
    handlers.scores.register(app)  # /score, /judge
    # After the conversations that wait for typed text of their own (/away's days, a
    # reminder's time, a new task's window): /find's results take any other text as a
    # new search.
    handlers.records.register(app)
    # Last of group 0: whatever no feature took gets an answer, never silence.
    handlers.fallback.register(app)
    handlers.errors.register(app)
    maintenance.register(app)  # previews expire after 24 hours
    reminders.register(app, settings.reminder_interval_seconds)  # first at start: catch-up
    broadcasts.register(app)  # progress messages and reports, carried on after a restart
    return app
