"""PTB persistence on our own tables: conversation states and ``user_data``, as JSON.

Why not PicklePersistence: the state must be readable JSON on SQLite and PostgreSQL alike,
live in the database we back up anyway, and never unpickle code. Why only these two:
``bot_data`` holds live objects (settings, the database) and is rebuilt by ``bot.app``;
``chat_data`` is unused (private chats only, so ``user_data`` covers it); callback data is
plain strings, so PTB's callback-data cache is off (docs/architecture.md §9).

What must be JSON:

- a conversation state must be a ``str`` or an ``int`` (``IntEnum``/``StrEnum`` members
  come back as their plain value, which compares and hashes equal, so the handler's
  ``states`` lookup still works; ``is`` comparisons with members would not);
- ``user_data`` must be a JSON object all the way down: ``str`` keys only (JSON would turn
  ``1`` into ``"1"`` after a restart), lists not tuples, finite numbers. Anything else
  raises ``TypeError`` naming the key. PostgreSQL's JSONB does not keep key order.

Write-through, no buffer of our own: PTB already batches. The Application collects the
users and conversations an update touched and calls ``update_*`` for them only from its
``update_persistence`` run, every ``update_interval`` seconds and once more on
``shutdown()`` before ``flush()``. Writing inside ``update_*`` therefore costs one small
transaction per changed entry per interval, and a second buffer would only add a way to
lose data; ``flush()`` has nothing left to do. PTB gathers the ``update_*`` calls of one run
concurrently and hands their exceptions to the error handlers (with ``update=None``)
instead of raising, so a bad value is logged and the others are still written.

Timeouts of conversations are not restored after a restart (PTB keeps them in the
JobQueue, in memory: docs/architecture.md §12).
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Callable, MutableMapping
from typing import Any, TypeVar

from sqlalchemy.orm import Session
from telegram.ext import BasePersistence, PersistenceInput

from storage import conversations
from storage.conversations import ConversationKey
from storage.db import Database

T = TypeVar("T")

# PTB's own aliases live in the private telegram.ext._utils.types; these are the same types.
ConversationDict = MutableMapping[ConversationKey, object]
CDCData = tuple[list[tuple[str, float, dict[str, Any]]], dict[str, str]]

_STORE = PersistenceInput(bot_data=False, chat_data=False, user_data=True, callback_data=False)


def _check_json(value: object, where: str) -> None:
    """Raise TypeError unless ``value`` survives a JSON round trip unchanged."""
    if value is None or isinstance(value, str | int):  # bool is an int
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            # Python's json writes NaN, but it is not JSON and JSONB refuses it.
            raise TypeError(f"{where} is {value!r}: JSON has no NaN or infinity")
        return
    if isinstance(value, list):
        for index, item in enumerate(value):
            _check_json(item, f"{where}[{index}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(
                    f"{where} has the key {key!r} ({type(key).__name__}): JSON object keys "
                    f"are strings, so it would come back as {str(key)!r} after a restart; "
                    "use str keys"
                )
            _check_json(item, f"{where}[{key!r}]")
        return
    hint = "; use a list" if isinstance(value, tuple | set | frozenset) else ""
    raise TypeError(
        f"{where} is a {type(value).__name__}, which does not survive a restart as JSON{hint}"
    )


def _canonical(data: dict[str, Any]) -> str:
    # One spelling per value (1 and True and 1.0 differ here, unlike with ==).
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


class DatabasePersistence(BasePersistence[dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """Conversations and ``user_data`` in ``ptb_conversations`` and ``ptb_user_data``.

    Meant to be driven by the Application only (as PTB's docs require): it loads
    ``user_data`` once in ``initialize()``, and this class remembers what it last wrote for
    each user so that an unchanged ``user_data`` is not written again. That matters because
    PTB marks every user who sent an update (the access gate handles them all), changed or
    not. An empty ``user_data`` is stored as no row: PTB's ``user_data`` is a defaultdict, so
    the two read the same.

    Every database call runs in a worker thread (``asyncio.to_thread``) in its own unit of
    work, so the event loop never waits on the database and no session crosses threads.
    """

    __slots__ = ("_database", "_stored_user_data")

    def __init__(self, database: Database, *, update_interval: float) -> None:
        if update_interval <= 0:
            raise ValueError("update_interval must be positive")
        super().__init__(store_data=_STORE, update_interval=update_interval)
        self._database = database
        # Canonical JSON of each user's user_data as it is in the database. Touched only on
        # the event loop, never in the worker threads.
        self._stored_user_data: dict[int, str] = {}

    # -- database plumbing -----------------------------------------------------------

    def _read(self, work: Callable[[Session], T]) -> T:
        with self._database.unit_of_work(write=False) as uow:
            return work(uow.session)

    def _write(self, work: Callable[[Session], object]) -> None:
        with self._database.unit_of_work() as uow:
            work(uow.session)
            uow.commit()

    # -- conversations ---------------------------------------------------------------

    async def get_conversations(self, name: str) -> ConversationDict:
        return await asyncio.to_thread(
            self._read, lambda session: conversations.load_conversations(session, name)
        )

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        # PTB passes None when the conversation ended (the key left the handler's dict).
        if new_state is None:
            await asyncio.to_thread(
                self._write, lambda session: conversations.delete_conversation(session, name, key)
            )
            return
        # Checked here, before any thread, so the error names the handler and the state.
        if isinstance(new_state, bool) or not isinstance(new_state, str | int):
            raise TypeError(
                f"conversation {name!r}, key {key!r}: the state {new_state!r} is a "
                f"{type(new_state).__name__}; persisted states must be str or int (JSON)"
            )
        conversations.encode_key(key)  # raises on a key we could not store
        await asyncio.to_thread(
            self._write,
            lambda session: conversations.save_conversation(session, name, key, new_state),
        )

    # -- user_data -------------------------------------------------------------------

    async def get_user_data(self) -> dict[int, dict[Any, Any]]:
        stored = await asyncio.to_thread(self._read, conversations.load_user_data)
        self._stored_user_data = {user_id: _canonical(data) for user_id, data in stored.items()}
        return dict(stored)

    async def update_user_data(self, user_id: int, data: dict[Any, Any]) -> None:
        if not isinstance(data, dict):
            raise TypeError(f"user_data of user {user_id} is a {type(data).__name__}, not a dict")
        _check_json(data, f"user_data of user {user_id}")
        text = _canonical(data)
        if self._stored_user_data.get(user_id) == text:
            return
        if not data:
            if user_id in self._stored_user_data:
                await self.drop_user_data(user_id)
            return
        await asyncio.to_thread(
            self._write, lambda session: conversations.save_user_data(session, user_id, data)
        )
        # Only after the commit: a failed write is retried when the user is marked again.
        self._stored_user_data[user_id] = text

    async def drop_user_data(self, user_id: int) -> None:
        await asyncio.to_thread(
            self._write, lambda session: conversations.delete_user_data(session, user_id)
        )
        self._stored_user_data.pop(user_id, None)

    async def refresh_user_data(self, user_id: int, user_data: dict[Any, Any]) -> None:
        """Nothing to refresh: this process is the only writer (one bot per token)."""

    # -- not stored (see PersistenceInput above); PTB still requires the methods -------

    async def get_chat_data(self) -> dict[int, dict[Any, Any]]:
        return {}

    async def update_chat_data(self, chat_id: int, data: dict[Any, Any]) -> None:
        pass

    async def refresh_chat_data(self, chat_id: int, chat_data: dict[Any, Any]) -> None:
        pass

    async def drop_chat_data(self, chat_id: int) -> None:
        pass

    async def get_bot_data(self) -> dict[Any, Any]:
        return {}

    async def update_bot_data(self, data: dict[Any, Any]) -> None:
        pass

    async def refresh_bot_data(self, bot_data: dict[Any, Any]) -> None:
        pass

    async def get_callback_data(self) -> CDCData | None:
        return None

    async def update_callback_data(self, data: CDCData) -> None:
        pass

    async def flush(self) -> None:
        """Nothing is buffered: ``update_*`` writes through (see the module docstring).

        PTB's ``shutdown()`` runs ``update_persistence()`` (and waits for it) just before
        this, so every pending change is already committed. The Database belongs to
        ``bot.app``, which disposes of it; closing it here would break a later restart of
        the same Application.
        """
