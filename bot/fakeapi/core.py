"""``FakeBotApi``: the constructor, the entry point, recording, waiting, failures and limits.

The method implementations and the user-side factories are mixins (see the package
docstring); this class puts them together behind ``handle``.
"""

from __future__ import annotations

import asyncio
import inspect
import math
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.fakeapi.checks import _ParamChecks
from bot.fakeapi.methods import _MethodHandlers
from bot.fakeapi.polling import _Polling
from bot.fakeapi.records import (
    _DEFAULT_DESCRIPTIONS,
    Injection,
    JSONDict,
    RateLimit,
    RecordedCall,
    UploadedFile,
    _ApiError,
    _bad,
    _Ctx,
)
from bot.fakeapi.signals import _Signal
from bot.fakeapi.spec import _load_spec
from bot.fakeapi.state import _DELIVERING, _EDITING
from bot.fakeapi.users import _UserActions

# The defaults are Telegram's limits; RateLimit is frozen, so sharing one instance is safe.
_PER_CHAT_LIMIT = RateLimit(1, 1.0)
_GROUP_LIMIT = RateLimit(20, 60.0)
_GLOBAL_LIMIT = RateLimit(30, 1.0)


class FakeBotApi(_ParamChecks, _Polling, _MethodHandlers, _UserActions):
    """The fake Bot API server state machine; see the package docstring for why.

    ``handle`` answers one call; the update factories play the users; ``calls``,
    ``violations`` and ``rate_violations`` are what tests assert on.
    """

    def __init__(
        self,
        spec_path: str | Path | None = None,
        *,
        bot_id: int = 5000000001,
        bot_username: str = "dsr_test_bot",
        bot_first_name: str = "DSR Bot",
        per_chat_limit: RateLimit = _PER_CHAT_LIMIT,
        group_limit: RateLimit = _GROUP_LIMIT,
        global_limit: RateLimit = _GLOBAL_LIMIT,
        enforce_limits: bool = False,
        strict_chats: bool = False,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        """Build an empty fake.

        ``strict_chats``: like Telegram, refuse to send to a user who never wrote to the bot
        (403 "bot can't initiate conversation with a user"); off by default so tests may
        message seeded users directly. ``clock`` drives the rate limits (monotonic seconds),
        ``wall_clock`` the ``date`` fields (unix seconds); both are injectable so tests of
        limits need no sleeping.
        """
        self.spec = _load_spec(str(Path(spec_path).resolve())) if spec_path is not None else None
        self.bot_user = {
            "id": bot_id,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }
        self.per_chat_limit = per_chat_limit
        self.group_limit = group_limit
        self.global_limit = global_limit
        self.enforce_limits = enforce_limits
        self.strict_chats = strict_chats
        self._clock = clock
        self._wall_clock = wall_clock

        self.calls = []
        self.violations = []
        self.rate_violations = []
        self.downloads = []

        self.users = {}
        self.chats = {}
        self.started = set()  # chats in which a user wrote to the bot
        self.blocked = set()
        self.left_chats = set()
        self.messages = {}
        self.files = {}
        self.commands = {}
        self.menu_buttons = {}
        self.webhook_url = ""
        self.allowed_updates = None

        self._next_message_id = {}
        self._files_by_path = {}
        self._file_counter = 0
        self._pending = []
        self._update_id = 100000000
        self._callback_counter = 0
        self._callback_queries = {}  # id -> chat id; popped when answered
        self._injections = []
        self._sent_at = {}
        self._poll_generation = 0
        self._release_epoch = 0
        self._updates_signal = _Signal()
        self._calls_signal = _Signal()
        self._poll_waiting_signal = _Signal()
        self.waiting_polls = 0  # getUpdates calls parked in a long poll right now
        self._handlers = {
            "getMe": self._get_me,
            "logOut": lambda ctx: True,
            "close": lambda ctx: True,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "sendMessage": self._send_message,
            "sendDocument": self._send_document,
            "sendPhoto": self._send_photo,
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "getFile": self._get_file,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setChatMenuButton": self._set_chat_menu_button,
            "getChatMenuButton": self._get_chat_menu_button,
            "leaveChat": self._leave_chat,
            "getChat": self._get_chat,
            "sendChatAction": self._send_chat_action,
        }
        self._canonical = {name.lower(): name for name in self._handlers}

    # ------------------------------------------------------------------ entry point

    async def handle(
        self,
        method: str,
        params: dict[str, Any],
        files: dict[str, tuple[str, bytes, str]] | None = None,
    ) -> tuple[int, JSONDict]:
        """Answer one Bot API call: ``(HTTP status, JSON body)`` exactly as Telegram shapes it.

        ``params`` may hold decoded JSON values (JSON bodies) or strings holding JSON (form
        and multipart bodies); ``files`` are the multipart file parts as
        ``{part name: (file name, bytes, mime type)}``.
        """
        name = self._canonical_name(method)
        uploads = {
            part: UploadedFile(fname or part, data, mime or "application/octet-stream")
            for part, (fname, data, mime) in (files or {}).items()
        }
        decoded = self._normalise(name, params)
        call = RecordedCall(method=name, params=decoded, status=200, at=self._wall_clock())
        try:
            call.result = await self._dispatch(_Ctx(name, decoded, uploads), call)
        except _ApiError as exc:
            if exc.violation is not None:
                self.violations.append(f"{name}: {exc.violation}")
            call.status, call.error = exc.status, exc.description
            body: JSONDict = {"ok": False, "error_code": exc.status, "description": exc.description}
            if exc.retry_after is not None:
                body["parameters"] = {"retry_after": exc.retry_after}
            self._record(call)
            return exc.status, body
        self._record(call)
        return 200, {"ok": True, "result": call.result}

    async def _dispatch(self, ctx: _Ctx, call: RecordedCall) -> Any:
        """Checks in Telegram's order, then the method itself; errors come out as _ApiError."""
        self._attach_uploads(ctx)
        call.chat_id = self._call_chat(ctx)
        self._validate(ctx)
        handler = self._handlers.get(ctx.method)
        if handler is None:
            raise _ApiError(
                400,
                f"Bad Request: not implemented: {ctx.method}",
                violation=f"not implemented: {ctx.method}",
            )
        self._apply_injection(ctx.method, call.chat_id)
        if ctx.method in _DELIVERING:
            self._target(ctx)  # a send refused with 403 must not count against the limits
            self._check_rate(ctx.method, call.chat_id)
        try:
            result = handler(ctx)
            if inspect.isawaitable(result):
                result = await result
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            # Only reachable without a spec (which would have named the bad parameter).
            raise _bad(f"malformed parameters: {exc!r}") from exc
        if ctx.method in _DELIVERING:
            self._count_send(call.chat_id)
        return result

    def spec_errors(self, value: Any, type_name: str) -> list[str]:
        """Check any JSON value against a spec type (tests use it on the fake's own results)."""
        if self.spec is None:
            return []
        return self.spec.check(value, [type_name], type_name)

    # ------------------------------------------------------------------ recording helpers

    def mark(self) -> int:
        """A position in ``calls``: pass it as ``since`` to look only at what follows."""
        return len(self.calls)

    def sent_to(self, chat_id: int, *, since: int = 0) -> list[RecordedCall]:
        """Successful calls that put or changed a message in ``chat_id`` (sends and edits)."""
        return [
            c
            for c in self.calls[since:]
            if c.ok and c.chat_id == chat_id and (c.method in _DELIVERING or c.method in _EDITING)
        ]

    def chat_messages(self, chat_id: int) -> list[JSONDict]:
        """The chat as the user sees it now: stored messages (both sides) in order."""
        return [m for (c, _), m in sorted(self.messages.items()) if c == chat_id]

    async def wait_for(
        self,
        predicate: Callable[[RecordedCall], bool],
        timeout: float = 5.0,
        *,
        since: int = 0,
    ) -> RecordedCall:
        """The first call from ``calls[since:]`` that matches, waiting for it if needed.

        Wakes on each recorded call (no sleep-polling); raises ``TimeoutError`` listing the
        last calls so a failing test says what the bot did instead.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        index = since
        while True:
            for call in self.calls[index:]:
                if predicate(call):
                    return call
            index = len(self.calls)
            if not await self._calls_signal.wait(deadline - loop.time()):
                for call in self.calls[index:]:
                    if predicate(call):
                        return call
                recent = "\n  ".join(
                    c.summary() for c in self.calls[max(since, len(self.calls) - 15) :]
                )
                raise TimeoutError(
                    f"no matching Bot API call within {timeout}s; calls since {since}:\n  "
                    + (recent or "(none)")
                )

    def _record(self, call: RecordedCall) -> None:
        self.calls.append(call)
        self._calls_signal.fire()

    # ------------------------------------------------------------------ failures and limits

    def inject(
        self,
        method: str | None = None,
        *,
        chat_id: int | None = None,
        status: int = 429,
        retry_after: int | None = None,
        description: str | None = None,
        times: int = 1,
    ) -> Injection:
        """Make the next ``times`` matching calls fail (``method=None``: any but getUpdates).

        A 429 always carries ``parameters.retry_after`` (default 1): PTB raises ``RetryAfter``
        only for a truthy value, so 0 would surface as a generic NetworkError.
        """
        if status == 429:
            retry_after = max(1, retry_after if retry_after is not None else 1)
        if description is None:
            if status == 429:
                description = f"Too Many Requests: retry after {retry_after}"
            else:
                description = _DEFAULT_DESCRIPTIONS.get(status, f"Error {status}")
        injection = Injection(method, chat_id, status, description, retry_after, times)
        self._injections.append(injection)
        return injection

    def block_user(self, chat_id: int, *, notify: bool = True) -> None:
        """The user blocks the bot: every later send there answers 403, as Telegram does.

        With ``notify`` the bot also gets the ``my_chat_member`` update (member → kicked)
        Telegram sends.
        """
        self.blocked.add(chat_id)
        if notify and chat_id > 0:
            self._push_member_change(chat_id, chat_id, "member", "kicked")

    def unblock_user(self, chat_id: int) -> None:
        self.blocked.discard(chat_id)

    def _apply_injection(self, method: str, chat_id: int | None) -> None:
        for injection in self._injections:
            if injection.matches(method, chat_id):
                injection.remaining -= 1
                raise _ApiError(
                    injection.status, injection.description, retry_after=injection.retry_after
                )

    def _windows(self, chat_id: int | None) -> list[tuple[int | None, RateLimit]]:
        windows: list[tuple[int | None, RateLimit]] = [(None, self.global_limit)]
        if chat_id is not None:
            windows.append((chat_id, self.per_chat_limit if chat_id > 0 else self.group_limit))
        return windows

    def _check_rate(self, method: str, chat_id: int | None) -> None:
        now = self._clock()
        for key, limit in self._windows(chat_id):
            sent = self._sent_at.setdefault(key, deque())
            while sent and sent[0] <= now - limit.per_seconds:
                sent.popleft()
            if len(sent) >= limit.count:
                where = "overall" if key is None else f"chat {key}"
                self.rate_violations.append(
                    f"{method}: more than {limit.count} messages per {limit.per_seconds:g}s {where}"
                )
                if self.enforce_limits:
                    wait = max(1, math.ceil(sent[0] + limit.per_seconds - now))
                    raise _ApiError(429, f"Too Many Requests: retry after {wait}", retry_after=wait)

    def _count_send(self, chat_id: int | None) -> None:
        now = self._clock()
        for key, _ in self._windows(chat_id):
            self._sent_at.setdefault(key, deque()).append(now)
