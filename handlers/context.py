"""The typed context every handler receives (after PTB's examples/contexttypesbot.py)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from telegram.ext import Application, CallbackContext, ExtBot

from bot.config import Settings
from bot.i18n import Translator, translator
from bot.services.people.profiles import Profile
from storage.db import Database


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class BotData:
    """Live objects shared by all handlers. Never persisted (it holds connections)."""

    settings: Settings = field(default_factory=Settings)
    database: Database | None = None
    clock: Callable[[], datetime] = _utcnow
    # Seconds for pacing (how often a progress message may change): tests step it.
    monotonic: Callable[[], float] = time.monotonic
    # Started in post_init, stopped in post_stop (bot.app); typed loosely to keep handlers
    # free of the sender's module.
    sender: Any = None
    # Long work started by a handler (a spreadsheet being checked) runs as a task of its
    # own, so the next update is served meanwhile; kept here until it ends (tests and the
    # offline console wait for them).
    background: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def db(self) -> Database:
        if self.database is None:
            raise RuntimeError("the application was built without a database")
        return self.database


class DsrContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]):
    """PTB creates one context per update, so what the access gate stores here is seen by
    every later handler of that update."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)
        self.actor: Profile | None = None
        self.t: Translator = translator(None)
        self.callback_answered = False

    @property
    def settings(self) -> Settings:
        return self.bot_data.settings

    @property
    def db(self) -> Database:
        return self.bot_data.db

    def now(self) -> datetime:
        return self.bot_data.clock()
