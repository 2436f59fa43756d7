"""The state every part of the fake shares, and the helpers they all lean on.

``_FakeState`` declares the attributes ``FakeBotApi.__init__`` (core.py) sets, so each mixin
(checks, polling, files, methods, users) is type-checked on its own; its methods resolve
chats, store messages and queue updates for getUpdates.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from bot.fakeapi.records import (
    _BLOCKED,
    Injection,
    JSONDict,
    RateLimit,
    RecordedCall,
    StoredFile,
    _ApiError,
    _Ctx,
)
from bot.fakeapi.signals import _Signal
from bot.fakeapi.spec import _Spec

_DELIVERING = frozenset({"sendMessage", "sendDocument", "sendPhoto"})
_EDITING = frozenset({"editMessageText", "editMessageReplyMarkup", "editMessageCaption"})
_REACHES_CHAT = _DELIVERING | _EDITING | {"sendChatAction"}


class _FakeState:
    """Attributes of a ``FakeBotApi`` (set in its ``__init__``) and the shared helpers."""

    spec: _Spec | None
    bot_user: JSONDict
    per_chat_limit: RateLimit
    group_limit: RateLimit
    global_limit: RateLimit
    enforce_limits: bool
    strict_chats: bool
    _clock: Callable[[], float]
    _wall_clock: Callable[[], float]

    calls: list[RecordedCall]
    violations: list[str]
    rate_violations: list[str]
    downloads: list[str]

    users: dict[int, JSONDict]
    chats: dict[int, JSONDict]
    started: set[int]  # chats in which a user wrote to the bot
    blocked: set[int]
    left_chats: set[int]
    messages: dict[tuple[int, int], JSONDict]
    files: dict[str, StoredFile]
    commands: dict[tuple[str, int | None, str], list[JSONDict]]
    menu_buttons: dict[int | None, JSONDict]
    webhook_url: str
    allowed_updates: list[str] | None

    _next_message_id: dict[int, int]
    _files_by_path: dict[str, StoredFile]
    _file_counter: int
    _pending: list[JSONDict]
    _update_id: int
    _callback_counter: int
    _callback_queries: dict[str, int | None]  # id -> chat id; popped when answered
    _injections: list[Injection]
    _sent_at: dict[int | None, deque[float]]
    _poll_generation: int
    _release_epoch: int
    _updates_signal: _Signal
    _calls_signal: _Signal
    _poll_waiting_signal: _Signal
    waiting_polls: int  # getUpdates calls parked in a long poll right now
    _handlers: dict[str, Callable[[_Ctx], Any]]
    _canonical: dict[str, str]

    # ------------------------------------------------------------------ chats and messages

    def _now(self) -> int:
        return int(self._wall_clock())

    def _chat(self, chat_id: int) -> JSONDict:
        chat = self.chats.get(chat_id)
        if chat is not None:
            return dict(chat)
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": f"User {chat_id}"}
        return {"id": chat_id, "type": "group", "title": f"Group {-chat_id}"}

    def _target(self, ctx: _Ctx) -> int:
        """The chat a call reaches, refused the way Telegram refuses it."""
        raw = ctx.params.get("chat_id")
        if isinstance(raw, str) and not raw.startswith("@"):
            raise _ApiError(400, "Bad Request: chat not found")
        chat_id = self._call_chat(ctx)
        if chat_id is None:
            raise _ApiError(400, "Bad Request: chat not found")
        if ctx.method in _REACHES_CHAT:
            if chat_id in self.blocked:
                raise _ApiError(403, _BLOCKED)
            if chat_id in self.left_chats:
                raise _ApiError(403, "Forbidden: bot is not a member of the group chat")
            if self.strict_chats:
                if chat_id > 0 and chat_id not in self.started:
                    raise _ApiError(403, "Forbidden: bot can't initiate conversation with a user")
                if chat_id < 0 and chat_id not in self.chats:
                    raise _ApiError(400, "Bad Request: chat not found")
        return chat_id

    def _call_chat(self, ctx: _Ctx) -> int | None:
        raw = ctx.params.get("chat_id")
        if isinstance(raw, bool):
            return None
        if isinstance(raw, int):
            return raw
        if isinstance(raw, str):
            for chat_id, chat in self.chats.items():
                if raw.startswith("@") and chat.get("username") == raw[1:]:
                    return chat_id
        if ctx.method == "answerCallbackQuery":
            query = ctx.params.get("callback_query_id")
            return self._callback_queries.get(query) if isinstance(query, str) else None
        return None

    def _new_message(self, chat_id: int, sender: JSONDict, content: JSONDict) -> JSONDict:
        message_id = self._next_message_id.get(chat_id, 0) + 1
        self._next_message_id[chat_id] = message_id
        message = {
            "message_id": message_id,
            "from": dict(sender),
            "chat": self._chat(chat_id),
            "date": self._now(),
            **content,
        }
        self.messages[(chat_id, message_id)] = message
        return message

    # ------------------------------------------------------------------ queued updates

    def _push(self, kind: str, payload: JSONDict) -> JSONDict:
        self._update_id += 1
        update = {"update_id": self._update_id, kind: payload}
        self._pending.append(update)
        self._updates_signal.fire()
        return update

    def _push_member_change(
        self, chat_id: int, by_user_id: int | None, old: str, new: str
    ) -> JSONDict:
        if by_user_id is None:
            actor = self.bot_user
        else:
            actor = self.users.get(by_user_id) or {
                "id": by_user_id,
                "is_bot": False,
                "first_name": f"User {by_user_id}",
            }

        def member(status: str) -> JSONDict:
            extra = {"until_date": 0} if status == "kicked" else {}
            return {"status": status, "user": dict(self.bot_user), **extra}

        change = {
            "chat": self._chat(chat_id),
            "from": dict(actor),
            "date": self._now(),
            "old_chat_member": member(old),
            "new_chat_member": member(new),
        }
        return self._push("my_chat_member", change)
