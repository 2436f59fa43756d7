"""Housekeeping on the JobQueue: kept import previews expire 24 hours after their upload
(bot.services.registers.imports.expire_previews: marked expired, their rows forgotten)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Final, Protocol

from bot.services.registers import imports

EXPIRE_EVERY: Final = timedelta(hours=1)
JOB_NAME: Final = "expire_import_previews"


class _Data(Protocol):
    """What the job reads of the application's bot_data (handlers.context.BotData)."""

    @property
    def db(self) -> Any: ...

    clock: Callable[[], datetime]


class _Context(Protocol):
    @property
    def bot_data(self) -> _Data: ...


async def expire_import_previews(context: _Context) -> None:
    data = context.bot_data
    # A database statement: off the event loop, as every service call is.
    await asyncio.to_thread(imports.expire_previews, data.db, data.clock())


def register(app: Any) -> None:
    """Run the expiry hourly, the first time a minute after start."""
    if app.job_queue is None:  # PTB without its job-queue extra
        raise RuntimeError("python-telegram-bot's job queue is missing: install its extra")
    app.job_queue.run_repeating(
        expire_import_previews, interval=EXPIRE_EVERY, first=timedelta(minutes=1), name=JOB_NAME
    )
