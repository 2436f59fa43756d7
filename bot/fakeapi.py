"""A fake Telegram Bot API: one core behind the offline transport and the HTTP test server.

Why it exists: the console, the demo and every handler/e2e test must run the real PTB
Application with no network and no token, and still catch the mistakes Telegram would reject
(unknown parameters, over-long text, 65-byte callback data, bad command names, broken HTML).
So the fake keeps enough state to answer like Telegram (message ids per chat, stored messages
that edits and deletes act on, files that can be downloaded again, command menus per scope),
checks every call against the vendored Bot API description when one is given, and records
every call so tests can assert on what "the user saw".

Everything here is standard library only: the runtime package ships this module (console and
demo use it), while aiohttp, which serves it over HTTP, is a dev dependency.

The fake is single-loop: drive it from the event loop that runs the bot. Waiting (long
polling, ``wait_for``) uses futures created on the running loop at wait time, so one instance
is not bound to the loop that happened to exist when it was built.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import inspect
import json
import math
import mimetypes
import re
import struct
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

__all__ = [
    "FakeBotApi",
    "Injection",
    "RateLimit",
    "RecordedCall",
    "StoredFile",
    "UploadedFile",
]

JSONDict = dict[str, Any]

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64  # bytes of UTF-8
CALLBACK_ANSWER_LIMIT = 200
UPLOAD_LIMIT = 50 * 1024 * 1024  # what bots may upload
DOWNLOAD_LIMIT = 20 * 1024 * 1024  # what bots may download through getFile

_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_LANGUAGE_RE = re.compile(r"^[a-z]{2}$")
_INT_RE = re.compile(r"^-?\d+$")
_DISCRIMINATOR_RE = re.compile(r'(?:must be|always) "?([a-z_]+)"?')
_DISCRIMINATORS = frozenset({"type", "status", "source"})

# Update kinds Telegram leaves out unless asked for by allowed_updates.
_OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_CHAT_ACTIONS = frozenset(
    [
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    ]
)
# Without a spec these fields stay strings even when they look like JSON ("123" is a text).
_STRING_FIELDS = frozenset(
    [
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "inline_message_id",
        "file_id",
        "url",
        "language_code",
        "action",
        "business_connection_id",
        "message_effect_id",
        "secret_token",
        "ip_address",
        "document",
        "photo",
        "thumbnail",
    ]
)
_INLINE_BUTTON_PASSIVE = frozenset({"text", "icon_custom_emoji_id", "style"})
_DELIVERING = frozenset({"sendMessage", "sendDocument", "sendPhoto"})
_EDITING = frozenset({"editMessageText", "editMessageReplyMarkup", "editMessageCaption"})
_REACHES_CHAT = _DELIVERING | _EDITING | {"sendChatAction"}

_BLOCKED = "Forbidden: bot was blocked by the user"
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request: injected failure",
    401: "Unauthorized",
    403: _BLOCKED,
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


# --------------------------------------------------------------------------- public records


@dataclass(frozen=True)
class UploadedFile:
    """A multipart file part as it reached the API; the repr hides the bytes on purpose."""

    file_name: str
    data: bytes = field(repr=False)
    mime_type: str = "application/octet-stream"

    def __repr__(self) -> str:
        return f"UploadedFile({self.file_name!r}, {len(self.data)} bytes, {self.mime_type!r})"


@dataclass
class StoredFile:
    """A file the fake "hosts": uploaded by the bot or sent by a test user."""

    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes = field(repr=False)
    kind: Literal["document", "photo"]
    file_name: str | None = None
    mime_type: str | None = None
    declared_size: int | None = None  # None: Telegram omitted file_size
    width: int = 0
    height: int = 0


@dataclass
class RecordedCall:
    """One Bot API call as the fake saw it, with what it answered."""

    method: str
    params: JSONDict
    status: int
    result: Any = None
    error: str | None = None
    chat_id: int | None = None
    at: float = 0.0  # wall-clock seconds (time.time), for transcripts

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def text(self) -> str | None:
        """What the user reads: the text or caption that was sent (raw, before parse_mode)."""
        value = self.params.get("text", self.params.get("caption"))
        return value if isinstance(value, str) else None

    def summary(self) -> str:
        outcome = "ok" if self.ok else f"{self.status} {self.error}"
        text = (self.text or "")[:60].replace("\n", " ")
        chat = f" chat={self.chat_id}" if self.chat_id is not None else ""
        return f"{self.method}{chat} -> {outcome}" + (f" {text!r}" if text else "")


@dataclass
class Injection:
    """A planned failure: the next ``remaining`` matching calls fail with ``status``."""

    method: str | None
    chat_id: int | None
    status: int
    description: str
    retry_after: int | None
    remaining: int

    def matches(self, method: str, chat_id: int | None) -> bool:
        if self.remaining <= 0:
            return False
        if self.method is None:
            # A catch-all must not swallow long polling, or the bot would stall unpredictably.
            if method == "getUpdates":
                return False
        elif self.method.lower() != method.lower():
            return False
        return self.chat_id is None or self.chat_id == chat_id


@dataclass(frozen=True)
class RateLimit:
    """At most ``count`` messages in any ``per_seconds`` window."""

    count: int
    per_seconds: float


# --------------------------------------------------------------------------- internals


class _ApiError(Exception):
    """An answer Telegram would give instead of a result."""

    def __init__(
        self,
        status: int,
        description: str,
        *,
        retry_after: int | None = None,
        violation: str | None = None,
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after
        self.violation = violation  # set when the bot broke the API contract


def _bad(detail: str) -> _ApiError:
    """A contract violation: the bot sent something Telegram rejects."""
    return _ApiError(400, f"Bad Request: {detail}", violation=detail)


class _EntityError(ValueError):
    pass


class _Signal:
    """Wakes every coroutine waiting for "something changed" (no polling with sleeps)."""

    def __init__(self) -> None:
        self._waiters: set[asyncio.Future[None]] = set()

    def fire(self) -> None:
        waiters, self._waiters = self._waiters, set()
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        for fut in waiters:
            if fut.done():
                continue
            loop = fut.get_loop()
            if loop is running:
                fut.set_result(None)
            else:
                loop.call_soon_threadsafe(_resolve, fut)

    async def wait(self, timeout: float) -> bool:
        """Wait until the next ``fire`` or ``timeout``; True when fired."""
        if timeout <= 0:
            return False
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.add(fut)
        try:
            await asyncio.wait_for(fut, timeout)
        except TimeoutError:
            return False
        finally:
            self._waiters.discard(fut)
        return True


def _resolve(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)


@dataclass
class _Ctx:
    method: str
    params: JSONDict
    uploads: dict[str, UploadedFile]


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units: Telegram's unit for entity offsets and for the limits.

    Counting UTF-16 units is never more lenient than ``len(str)`` (astral characters such as
    emoji count twice), so whatever the fake accepts, Telegram accepts.
    """
    return len(text.encode("utf-16-le")) // 2


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, float):
        return "Float"
    if isinstance(value, str):
        return "String"
    if isinstance(value, list):
        return "Array"
    if isinstance(value, UploadedFile):
        return "InputFile"
    return "Object"


# --------------------------------------------------------------------------- the spec


@dataclass(frozen=True)
class _Field:
    name: str
    types: tuple[str, ...]
    required: bool
    description: str


class _Spec:
    """The vendored Bot API description (telegram-bot-api-spec format)."""

    def __init__(self, raw: JSONDict) -> None:
        self.version = str(raw.get("version", "?"))
        self.methods: dict[str, dict[str, _Field]] = {
            name: self._fields(entry) for name, entry in raw["methods"].items()
        }
        # Telegram matches method names case-insensitively.
        self.canonical = {name.lower(): name for name in self.methods}
        self.types: dict[str, JSONDict] = raw["types"]
        self._type_fields = {name: self._fields(entry) for name, entry in self.types.items()}

    @staticmethod
    def _fields(entry: JSONDict) -> dict[str, _Field]:
        return {
            f["name"]: _Field(
                f["name"],
                tuple(f.get("types", [])),
                bool(f.get("required")),
                f.get("description", ""),
            )
            for f in entry.get("fields", [])
        }

    def check(self, value: Any, types: Iterable[str], path: str) -> list[str]:
        """Errors of ``value`` against a union of spec types; empty when one alternative fits."""
        best: list[str] | None = None
        names = list(types)
        for name in names:
            errors = self._check_one(value, name, path)
            if not errors:
                return []
            if best is None or len(errors) < len(best):
                best = errors
        if best is None:
            return []
        # A plain kind mismatch reads better as "expected X or Y".
        if all(self._is_scalar_mismatch(value, n) for n in names):
            wanted = " or ".join(names)
            return [f"{path}: expected {wanted}, got {_json_kind(value)}"]
        return best

    def _is_scalar_mismatch(self, value: Any, name: str) -> bool:
        return name in {"Integer", "String", "Boolean", "Float", "InputFile"} or not isinstance(
            value, dict | list
        )

    def _check_one(self, value: Any, name: str, path: str) -> list[str]:
        kind = _json_kind(value)
        if name == "Integer":
            ok = kind == "Integer"
        elif name == "Float":
            ok = kind in ("Integer", "Float")
        elif name in ("String", "Boolean", "InputFile"):
            ok = kind == name
        elif name.startswith("Array of "):
            if not isinstance(value, list):
                return [f"{path}: expected {name}, got {kind}"]
            inner = name.removeprefix("Array of ")
            errors: list[str] = []
            for i, item in enumerate(value):
                errors += self.check(item, [inner], f"{path}[{i}]")
            return errors
        elif name in self.types:
            return self._check_object(value, name, path)
        else:
            ok = True  # a type the description does not define: nothing to check against
        return [] if ok else [f"{path}: expected {name}, got {kind}"]

    def _check_object(self, value: Any, name: str, path: str) -> list[str]:
        entry = self.types[name]
        if entry.get("subtypes"):
            return self.check(value, entry["subtypes"], path)
        if not isinstance(value, dict):
            return [f"{path}: expected {name}, got {_json_kind(value)}"]
        fields = self._type_fields[name]
        if not fields:
            return []
        errors = [f"{path}: unknown field {key!r} in {name}" for key in value if key not in fields]
        for f in fields.values():
            if f.name not in value:
                if f.required:
                    errors.append(f"{path}: {name} needs field {f.name!r}")
                continue
            errors += self.check(value[f.name], f.types, f"{path}.{f.name}")
            # Subtypes are told apart by a fixed "type"/"status"/"source" value.
            fixed = _DISCRIMINATOR_RE.search(f.description) if f.name in _DISCRIMINATORS else None
            if fixed and fixed.group(1) != "one" and value[f.name] != fixed.group(1):
                errors.append(f"{path}.{f.name}: {name} needs {fixed.group(1)!r}")
        return errors


@functools.lru_cache(maxsize=4)
def _load_spec(path: str) -> _Spec:
    """Parsed once per process: the description is megabytes and a fake is built per test."""
    return _Spec(json.loads(Path(path).read_text(encoding="utf-8")))


# --------------------------------------------------------------------------- text formatting

_HTML_ENTITIES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
    "tg-time": "date_time",
}
_HTML_ESCAPE_RE = re.compile(r"&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|lt|gt|amp|quot);")
_HTML_ATTR_RE = re.compile(r"""([a-zA-Z_-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")
_MDV2_MUST_ESCAPE = frozenset("#+-={}.!")
_MDV2_MARKUP = frozenset("*_~|`")


def _parse_html(text: str) -> tuple[str, list[JSONDict]]:
    """Telegram's HTML mode: plain text plus entities, or the error Telegram would give.

    Like Telegram (tdlib), every ``<`` opens a tag, so an unescaped ``<商行>`` in a name is an
    error, not text; unknown ``&...;`` sequences stay literal.
    """
    out: list[str] = []
    pos16 = 0
    stack: list[tuple[str, int, dict[str, str]]] = []
    entities: list[JSONDict] = []
    i, n = 0, len(text)

    def offset(at: int) -> int:
        return len(text[:at].encode())

    while i < n:
        c = text[i]
        if c == "<":
            end = text.find(">", i)
            if end < 0:
                raise _EntityError(f"Unclosed start tag at byte offset {offset(i)}")
            inner = text[i + 1 : end]
            if inner.startswith("/"):
                name = inner[1:].strip().lower()
                if not stack:
                    raise _EntityError(f"Unexpected end tag at byte offset {offset(i)}")
                top, start, attrs = stack.pop()
                if top != name:
                    raise _EntityError(
                        f'Unmatched end tag at byte offset {offset(i)}, expected "</{top}>", '
                        f'found "</{name}>"'
                    )
                if pos16 > start:
                    entities.append(_html_entity(top, start, pos16 - start, attrs))
            else:
                name, *rest_parts = inner.split(None, 1) or [""]
                rest = rest_parts[0] if rest_parts else ""
                name = name.rstrip("/").lower()
                if name not in _HTML_ENTITIES:
                    raise _EntityError(f'Unsupported start tag "{name}" at byte offset {offset(i)}')
                attrs = {
                    m.group(1).lower(): next(g for g in m.groups()[1:] if g is not None)
                    for m in _HTML_ATTR_RE.finditer(rest)
                }
                if name == "span" and attrs.get("class") != "tg-spoiler":
                    raise _EntityError(
                        f'Tag "span" must have class "tg-spoiler" at byte offset {offset(i)}'
                    )
                stack.append((name, pos16, attrs))
            i = end + 1
            continue
        if c == "&" and (m := _HTML_ESCAPE_RE.match(text, i)):
            code = m.group(1)
            if code.startswith("#x"):
                char = chr(int(code[2:], 16))
            elif code.startswith("#"):
                char = chr(int(code[1:]))
            else:
                char = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}[code]
            out.append(char)
            pos16 += utf16_len(char)
            i = m.end()
            continue
        out.append(c)
        pos16 += 2 if ord(c) > 0xFFFF else 1
        i += 1
    if stack:
        raise _EntityError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _html_entity(tag: str, offset: int, length: int, attrs: dict[str, str]) -> JSONDict:
    entity: JSONDict = {"type": _HTML_ENTITIES[tag], "offset": offset, "length": length}
    if tag == "a":
        href = attrs.get("href", "")
        if href.startswith("tg://user?id=") and _INT_RE.match(href[13:]):
            entity = {"type": "text_mention", "offset": offset, "length": length}
            entity["user"] = {"id": int(href[13:]), "is_bot": False, "first_name": ""}
        else:
            entity["url"] = href
    elif tag == "blockquote" and "expandable" in attrs:
        entity["type"] = "expandable_blockquote"
    elif tag == "tg-emoji":
        entity["custom_emoji_id"] = attrs.get("emoji-id", "")
    return entity


def _parse_markdown_v2(text: str) -> str:
    """Checks MarkdownV2's escaping rule and returns an approximate plain text.

    The rule that bites in practice: ``. - ! = + # { }`` must be escaped outside code, or
    Telegram refuses the message (think of a date "2024-06-30." in a reminder).
    """
    out: list[str] = []
    in_code = False
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n:
            out.append(text[i + 1])
            i += 2
            continue
        if c == "`":
            in_code = not in_code
        elif not in_code and c == "]" and text.startswith("(", i + 1):
            close = i + 2
            while close < n and text[close] != ")":
                close += 2 if text[close] == "\\" else 1
            i = close + 1
            continue
        elif not in_code and c in _MDV2_MUST_ESCAPE:
            raise _EntityError(
                f"Character '{c}' is reserved and must be escaped with the preceding '\\'"
            )
        if c not in _MDV2_MARKUP and c != "[":
            out.append(c)
        i += 1
    return "".join(out)


def _render(text: str, parse_mode: Any, entities: Any) -> tuple[str, list[JSONDict]]:
    """The message text as Telegram stores it: formatting removed, entities computed."""
    if isinstance(entities, list):
        return text, entities
    if parse_mode in (None, ""):
        return text, []
    if not isinstance(parse_mode, str):
        raise _EntityError("unsupported parse_mode")
    mode = parse_mode.lower()
    if mode == "html":
        return _parse_html(text)
    if mode == "markdownv2":
        return _parse_markdown_v2(text), []
    if mode == "markdown":
        return text, []
    raise _EntityError(f"unsupported parse_mode {parse_mode!r}")


def _image_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG or JPEG; a camera-like default for anything else."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR":
        w, h = struct.unpack(">II", data[16:24])
        return int(w), int(h)
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data) and data[i] == 0xFF:
            marker = data[i + 1]
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                h, w = struct.unpack(">HH", data[i + 5 : i + 9])
                return int(w), int(h)
            i += 2 + struct.unpack(">H", data[i + 2 : i + 4])[0]
    return 1280, 960


# --------------------------------------------------------------------------- the fake


class FakeBotApi:
    """The fake Bot API server state machine; see the module docstring for why.

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
        per_chat_limit: RateLimit = RateLimit(1, 1.0),
        group_limit: RateLimit = RateLimit(20, 60.0),
        global_limit: RateLimit = RateLimit(30, 1.0),
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
        self.bot_user: JSONDict = {
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

        self.calls: list[RecordedCall] = []
        self.violations: list[str] = []
        self.rate_violations: list[str] = []
        self.downloads: list[str] = []

        self.users: dict[int, JSONDict] = {}
        self.chats: dict[int, JSONDict] = {}
        self.started: set[int] = set()  # chats in which a user wrote to the bot
        self.blocked: set[int] = set()
        self.left_chats: set[int] = set()
        self.messages: dict[tuple[int, int], JSONDict] = {}
        self.files: dict[str, StoredFile] = {}
        self.commands: dict[tuple[str, int | None, str], list[JSONDict]] = {}
        self.menu_buttons: dict[int | None, JSONDict] = {}
        self.webhook_url = ""
        self.allowed_updates: list[str] | None = None

        self._next_message_id: dict[int, int] = {}
        self._files_by_path: dict[str, StoredFile] = {}
        self._file_counter = 0
        self._pending: list[JSONDict] = []
        self._update_id = 100000000
        self._callback_counter = 0
        self._callback_queries: dict[str, int | None] = {}  # id -> chat id; popped when answered
        self._injections: list[Injection] = []
        self._sent_at: dict[int | None, deque[float]] = {}
        self._poll_generation = 0
        self._release_epoch = 0
        self._updates_signal = _Signal()
        self._calls_signal = _Signal()
        self._poll_waiting_signal = _Signal()
        self.waiting_polls = 0  # getUpdates calls parked in a long poll right now
        self._handlers: dict[str, Callable[[_Ctx], Any]] = {
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

    def file_bytes(self, file_path: str) -> bytes | None:
        """The content behind a ``getFile`` path (what ``/file/bot<token>/<path>`` serves)."""
        stored = self._files_by_path.get(file_path)
        if stored is None:
            return None
        self.downloads.append(file_path)
        return stored.data

    def knows_file_path(self, file_path: str) -> bool:
        return file_path in self._files_by_path

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

    # ------------------------------------------------------------------ decoding and checks

    def _canonical_name(self, method: str) -> str:
        lower = method.lower()
        if self.spec is not None and lower in self.spec.canonical:
            return self.spec.canonical[lower]
        return self._canonical.get(lower, method)

    def _field_types(self, method: str, name: str) -> tuple[str, ...] | None:
        if self.spec is None:
            return None
        f = self.spec.methods.get(method, {}).get(name)
        return f.types if f else None

    def _normalise(self, method: str, params: dict[str, Any]) -> JSONDict:
        """Decode form-encoded values: non-String fields arrive as JSON inside strings."""
        decoded: JSONDict = {}
        for key, value in params.items():
            if value is None:
                continue  # JSON null means "not passed"
            decoded[key] = (
                self._decode_string(method, key, value) if isinstance(value, str) else value
            )
        return decoded

    def _decode_string(self, method: str, key: str, value: str) -> Any:
        types = self._field_types(method, key)
        if types is None:
            if self.spec is not None or key in _STRING_FIELDS:
                return value
            types = ("Integer", "String") if key == "chat_id" else ("Object",)
        if "String" in types:
            # chat_id is Integer-or-String: a form sends "123", which means the number.
            if "Integer" in types and _INT_RE.match(value):
                return int(value)
            return value
        try:
            return json.loads(value)
        except ValueError:
            return value  # left as a string; validation names the mismatch

    def _attach_uploads(self, ctx: _Ctx) -> None:
        """Put file parts where they belong: a field of the same name, or an attach:// URI."""
        referenced = set(re.findall(r"attach://([\w\-.]+)", json.dumps(ctx.params, default=str)))
        fields = self.spec.methods.get(ctx.method, {}) if self.spec else {}
        for part, upload in ctx.uploads.items():
            if part in referenced:
                continue
            if part in ctx.params:
                raise _bad(f"parameter {part!r} is both a value and an uploaded file")
            if self.spec is not None and part not in fields:
                raise _bad(f"uploaded part {part!r} is not a parameter of {ctx.method}")
            ctx.params[part] = upload
        missing = referenced - set(ctx.uploads)
        if missing:
            raise _bad(f"attach:// names a missing part: {sorted(missing)}")

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

    def _validate(self, ctx: _Ctx) -> None:
        """Spec checks (when a spec is loaded) and Telegram's own value rules (always)."""
        if self.spec is not None:
            fields = self.spec.methods.get(ctx.method)
            if fields is None:
                raise _bad(f"unknown method {ctx.method}")
            errors: list[str] = []
            for key, value in ctx.params.items():
                f = fields.get(key)
                if f is None:
                    errors.append(f"unknown parameter {key!r}")
                else:
                    errors += self.spec.check(value, f.types, key)
            errors += [
                f"missing required parameter {f.name!r}"
                for f in fields.values()
                if f.required and f.name not in ctx.params
            ]
            if errors:
                for extra in errors[1:]:
                    self.violations.append(f"{ctx.method}: {extra}")
                raise _bad(errors[0])
        self._check_values(ctx)

    def _check_values(self, ctx: _Ctx) -> None:
        p = ctx.params
        if ctx.method in ("sendMessage", "editMessageText"):
            if "text" not in p and "rich_message" not in p:
                raise _bad("message text is empty")
            if isinstance(p.get("text"), str):
                plain = self._checked_render(p["text"], p.get("parse_mode"), p.get("entities"))
                if not plain.strip():
                    raise _bad("message text is empty")
                if utf16_len(plain) > TEXT_LIMIT:
                    raise _bad(
                        f"message is too long ({utf16_len(plain)} > {TEXT_LIMIT} UTF-16 units)"
                    )
        if isinstance(p.get("caption"), str):
            plain = self._checked_render(
                p["caption"], p.get("parse_mode"), p.get("caption_entities")
            )
            if utf16_len(plain) > CAPTION_LIMIT:
                raise _bad(f"message caption is too long ({utf16_len(plain)} > {CAPTION_LIMIT})")
        markup = p.get("reply_markup")
        if isinstance(markup, dict) and isinstance(markup.get("inline_keyboard"), list):
            self._check_inline_keyboard(markup["inline_keyboard"])
        if ctx.method in ("setMyCommands", "getMyCommands", "deleteMyCommands"):
            code = p.get("language_code", "")
            if code and not (isinstance(code, str) and _LANGUAGE_RE.match(code)):
                raise _bad(f"language_code must be two lowercase letters, got {code!r}")
        if ctx.method == "setMyCommands" and isinstance(p.get("commands"), list):
            self._check_commands(p["commands"])
        answer = p.get("text") if ctx.method == "answerCallbackQuery" else None
        if isinstance(answer, str) and utf16_len(answer) > CALLBACK_ANSWER_LIMIT:
            raise _bad(f"callback answer text longer than {CALLBACK_ANSWER_LIMIT}")
        if ctx.method == "sendChatAction" and p.get("action") not in _CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")

    @staticmethod
    def _checked_render(text: str, parse_mode: Any, entities: Any) -> str:
        try:
            return _render(text, parse_mode, entities)[0]
        except _EntityError as exc:
            raise _bad(f"can't parse entities: {exc}") from exc

    @staticmethod
    def _check_inline_keyboard(rows: list[Any]) -> None:
        for row in rows:
            for button in row if isinstance(row, list) else []:
                if not isinstance(button, dict):
                    continue
                data = button.get("callback_data")
                if isinstance(data, str) and not 1 <= len(data.encode()) <= CALLBACK_DATA_LIMIT:
                    raise _bad(
                        f"BUTTON_DATA_INVALID: callback_data is {len(data.encode())} bytes "
                        f"(1-{CALLBACK_DATA_LIMIT}): {data!r}"
                    )
                actions = [k for k in button if k not in _INLINE_BUTTON_PASSIVE]
                if len(actions) != 1:
                    raise _bad(
                        "text buttons are unallowed in the inline keyboard"
                        if not actions
                        else f"inline button has several actions: {actions}"
                    )

    @staticmethod
    def _check_commands(commands: list[Any]) -> None:
        if len(commands) > 100:
            raise _bad("too many commands (at most 100)")
        for item in commands:
            if not isinstance(item, dict):
                continue
            command, description = item.get("command"), item.get("description")
            if not (isinstance(command, str) and _COMMAND_RE.match(command)):
                raise _bad(f"BOT_COMMAND_INVALID: {command!r} (need ^[a-z0-9_]{{1,32}}$)")
            if not (isinstance(description, str) and 1 <= len(description) <= 256):
                raise _bad(f"command description must be 1-256 characters: {command!r}")

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

    def _bot_message(self, ctx: _Ctx, chat_id: int, content: JSONDict) -> JSONDict:
        p = ctx.params
        reply = p.get("reply_parameters")
        if isinstance(reply, dict):
            reply_chat = reply.get("chat_id", chat_id)
            original = self.messages.get((reply_chat, reply.get("message_id", 0)))
            if original is not None:
                content["reply_to_message"] = {
                    k: v for k, v in original.items() if k != "reply_to_message"
                }
            elif not reply.get("allow_sending_without_reply"):
                raise _ApiError(400, "Bad Request: message to be replied not found")
        markup = p.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            content["reply_markup"] = markup  # Telegram echoes inline keyboards only
        if p.get("protect_content"):
            content["has_protected_content"] = True
        return self._new_message(chat_id, self.bot_user, content)

    def _formatted(self, text: str, parse_mode: Any, entities: Any, key: str) -> JSONDict:
        plain, ents = _render(text, parse_mode, entities)  # already validated
        content: JSONDict = {key: plain}
        if ents:
            content["entities" if key == "text" else "caption_entities"] = ents
        return content

    # ------------------------------------------------------------------ files

    def _store_file(
        self,
        data: bytes,
        kind: Literal["document", "photo"],
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        declared_size: int | None = None,
    ) -> StoredFile:
        self._file_counter += 1
        n = self._file_counter
        prefix = "BQACAgUAAxkBAAI" if kind == "document" else "AgACAgUAAxkBAAI"
        token = base64.urlsafe_b64encode(f"{kind}:{n}".encode()).decode().rstrip("=")
        suffix = Path(file_name).suffix if file_name else ".jpg"
        folder = "documents" if kind == "document" else "photos"
        width, height = _image_size(data) if kind == "photo" else (0, 0)
        stored = StoredFile(
            file_id=f"{prefix}{n:05d}{token}",
            file_unique_id=f"AgAD{n:05d}",
            file_path=f"{folder}/file_{n}{suffix}",
            data=data,
            kind=kind,
            file_name=file_name,
            mime_type=mime_type,
            declared_size=declared_size,
            width=width,
            height=height,
        )
        self.files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored

    def _file_input(self, ctx: _Ctx, key: str, kind: Literal["document", "photo"]) -> StoredFile:
        """Resolve an InputFile-or-String parameter to a stored file, as Telegram does."""
        value = ctx.params.get(key)
        if isinstance(value, str) and value.startswith("attach://"):
            value = ctx.uploads[value.removeprefix("attach://")]
        if isinstance(value, UploadedFile):
            if len(value.data) > UPLOAD_LIMIT:
                raise _ApiError(413, "Request Entity Too Large")
            mime = value.mime_type
            if kind == "document" and mime == "application/octet-stream":
                mime = mimetypes.guess_type(value.file_name)[0] or mime
            return self._store_file(
                value.data,
                kind,
                file_name=value.file_name,
                mime_type=mime,
                declared_size=len(value.data),
            )
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            raise _ApiError(
                400,
                "Bad Request: not implemented: sending files by URL",
                violation="not implemented: sending files by URL",
            )
        stored = self.files.get(value) if isinstance(value, str) else None
        if stored is None:
            raise _ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        if stored.kind != kind:
            raise _ApiError(
                400, f"Bad Request: can't use file of type {stored.kind.title()} as {kind.title()}"
            )
        return stored

    @staticmethod
    def _document_json(stored: StoredFile) -> JSONDict:
        doc: JSONDict = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id}
        if stored.file_name is not None:
            doc["file_name"] = stored.file_name
        if stored.mime_type is not None:
            doc["mime_type"] = stored.mime_type
        if stored.declared_size is not None:
            doc["file_size"] = stored.declared_size
        return doc

    @staticmethod
    def _photo_json(stored: StoredFile) -> list[JSONDict]:
        size: JSONDict = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "width": stored.width,
            "height": stored.height,
        }
        if stored.declared_size is not None:
            size["file_size"] = stored.declared_size
        return [size]

    # ------------------------------------------------------------------ method handlers

    def _get_me(self, ctx: _Ctx) -> JSONDict:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _get_updates(self, ctx: _Ctx) -> list[JSONDict]:
        """Long polling with Telegram's semantics.

        ``offset`` confirms everything below it (negative: keep the last ``-offset``);
        updates are returned at once when pending, else the call waits up to ``timeout``
        seconds for a push; a newer getUpdates ends an older one with 409, as on Telegram.
        """
        if self.webhook_url:
            raise _ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        p = ctx.params
        offset = p.get("offset")
        if isinstance(offset, int):
            if offset < 0:
                self._pending = self._pending[offset:]
            else:
                self._pending = [u for u in self._pending if u["update_id"] >= offset]
        if "allowed_updates" in p:
            self.allowed_updates = list(p["allowed_updates"]) or None
        limit = min(max(int(p.get("limit", 100)), 1), 100)
        timeout = max(float(p.get("timeout", 0)), 0.0)

        self._poll_generation += 1
        generation, epoch = self._poll_generation, self._release_epoch
        self._updates_signal.fire()  # an older poll learns it was superseded
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if generation != self._poll_generation:
                raise _ApiError(409, _DEFAULT_DESCRIPTIONS[409])
            batch = self._deliverable(limit)
            if batch or epoch != self._release_epoch:
                return batch
            self.waiting_polls += 1
            self._poll_waiting_signal.fire()
            try:
                woke = await self._updates_signal.wait(deadline - loop.time())
            finally:
                self.waiting_polls -= 1
            if not woke:
                return self._deliverable(limit) if generation == self._poll_generation else []

    def _deliverable(self, limit: int) -> list[JSONDict]:
        wanted = set(self.allowed_updates) if self.allowed_updates else None
        kept = []
        for update in self._pending:
            kind = next(k for k in update if k != "update_id")
            if (kind in wanted) if wanted is not None else (kind not in _OPT_IN_UPDATES):
                kept.append(update)
        self._pending = kept  # Telegram never delivers what was filtered out
        return kept[:limit]

    async def wait_until_polling(self, timeout: float = 5.0) -> None:
        """Return once a getUpdates call is parked waiting for updates.

        A synchronisation point without sleeping: the bot is up and has drained the queue.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.waiting_polls == 0:
            if not await self._poll_waiting_signal.wait(deadline - loop.time()):
                raise TimeoutError(f"no getUpdates long poll started within {timeout}s")

    def release_pollers(self) -> None:
        """End every waiting getUpdates now with what is pending (used when shutting down)."""
        self._release_epoch += 1
        self._updates_signal.fire()

    def _set_webhook(self, ctx: _Ctx) -> bool:
        self.webhook_url = str(ctx.params.get("url", ""))
        if ctx.params.get("drop_pending_updates"):
            self._pending.clear()
        if self.webhook_url:
            self._poll_generation += 1  # a waiting poll ends with 409, as on Telegram
            self._updates_signal.fire()
        return True

    def _delete_webhook(self, ctx: _Ctx) -> bool:
        self.webhook_url = ""
        if ctx.params.get("drop_pending_updates"):
            self._pending.clear()
        return True

    def _get_webhook_info(self, ctx: _Ctx) -> JSONDict:
        info: JSONDict = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if self.allowed_updates:
            info["allowed_updates"] = list(self.allowed_updates)
        return info

    def _send_message(self, ctx: _Ctx) -> JSONDict:
        chat_id = self._target(ctx)
        p = ctx.params
        content = self._formatted(p["text"], p.get("parse_mode"), p.get("entities"), "text")
        return self._bot_message(ctx, chat_id, content)

    def _caption(self, ctx: _Ctx) -> JSONDict:
        p = ctx.params
        if not isinstance(p.get("caption"), str):
            return {}
        return self._formatted(
            p["caption"], p.get("parse_mode"), p.get("caption_entities"), "caption"
        )

    def _send_document(self, ctx: _Ctx) -> JSONDict:
        chat_id = self._target(ctx)
        stored = self._file_input(ctx, "document", "document")
        content = {"document": self._document_json(stored), **self._caption(ctx)}
        return self._bot_message(ctx, chat_id, content)

    def _send_photo(self, ctx: _Ctx) -> JSONDict:
        chat_id = self._target(ctx)
        stored = self._file_input(ctx, "photo", "photo")
        content = {"photo": self._photo_json(stored), **self._caption(ctx)}
        return self._bot_message(ctx, chat_id, content)

    def _editable(self, ctx: _Ctx) -> tuple[int, JSONDict]:
        if "inline_message_id" in ctx.params:
            raise _ApiError(
                400,
                "Bad Request: not implemented: inline messages",
                violation="not implemented: editing inline messages",
            )
        chat_id = self._target(ctx)
        message_id = ctx.params.get("message_id")
        message = self.messages.get((chat_id, message_id)) if isinstance(message_id, int) else None
        if message is None:
            raise _ApiError(400, "Bad Request: message to edit not found")
        if message.get("from", {}).get("id") != self.bot_user["id"]:
            raise _ApiError(400, "Bad Request: message can't be edited")
        return chat_id, message

    def _store_edit(self, chat_id: int, old: JSONDict, new: JSONDict, markup: Any) -> JSONDict:
        # Leaving reply_markup out of an edit removes the keyboard, as on Telegram.
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            new["reply_markup"] = markup
        else:
            new.pop("reply_markup", None)
        same = {k: v for k, v in new.items() if k != "edit_date"} == {
            k: v for k, v in old.items() if k != "edit_date"
        }
        if same:
            raise _ApiError(400, _NOT_MODIFIED)
        new["edit_date"] = self._now()
        self.messages[(chat_id, new["message_id"])] = new
        return new

    def _edit_message_text(self, ctx: _Ctx) -> JSONDict:
        chat_id, message = self._editable(ctx)
        if "text" not in message:
            raise _ApiError(400, "Bad Request: there is no text in the message to edit")
        p = ctx.params
        new = {k: v for k, v in message.items() if k not in ("text", "entities")}
        new.update(self._formatted(p["text"], p.get("parse_mode"), p.get("entities"), "text"))
        return self._store_edit(chat_id, message, new, p.get("reply_markup"))

    def _edit_message_caption(self, ctx: _Ctx) -> JSONDict:
        chat_id, message = self._editable(ctx)
        if "text" in message:
            raise _ApiError(400, "Bad Request: there is no caption in the message to edit")
        new = {k: v for k, v in message.items() if k not in ("caption", "caption_entities")}
        new.update(self._caption(ctx))
        return self._store_edit(chat_id, message, new, ctx.params.get("reply_markup"))

    def _edit_message_reply_markup(self, ctx: _Ctx) -> JSONDict:
        chat_id, message = self._editable(ctx)
        return self._store_edit(chat_id, message, dict(message), ctx.params.get("reply_markup"))

    def _delete_message(self, ctx: _Ctx) -> bool:
        chat_id = self._target(ctx)
        if self.messages.pop((chat_id, ctx.params.get("message_id", 0)), None) is None:
            raise _ApiError(400, "Bad Request: message to delete not found")
        return True

    def _answer_callback_query(self, ctx: _Ctx) -> bool:
        query_id = ctx.params.get("callback_query_id")
        if query_id not in self._callback_queries:
            raise _ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        del self._callback_queries[query_id]
        return True

    def _get_file(self, ctx: _Ctx) -> JSONDict:
        stored = self.files.get(ctx.params.get("file_id", ""))
        if stored is None:
            raise _ApiError(
                400, "Bad Request: wrong file_id or the file is temporarily unavailable"
            )
        if len(stored.data) > DOWNLOAD_LIMIT or (stored.declared_size or 0) > DOWNLOAD_LIMIT:
            raise _ApiError(400, "Bad Request: file is too big")
        result: JSONDict = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_path": stored.file_path,
        }
        if stored.declared_size is not None:
            result["file_size"] = stored.declared_size
        return result

    def _scope_key(self, ctx: _Ctx) -> tuple[str, int | None, str]:
        scope = ctx.params.get("scope") or {"type": "default"}
        chat_id = scope.get("chat_id")
        if isinstance(chat_id, str):
            chat_id = self._call_chat(_Ctx(ctx.method, {"chat_id": chat_id}, {}))
            if chat_id is None:
                raise _ApiError(400, "Bad Request: chat not found")
        return str(scope.get("type")), chat_id, str(ctx.params.get("language_code", ""))

    def _set_my_commands(self, ctx: _Ctx) -> bool:
        key = self._scope_key(ctx)
        commands = [dict(c) for c in ctx.params["commands"]]
        if commands:
            self.commands[key] = commands
        else:
            self.commands.pop(key, None)
        return True

    def _get_my_commands(self, ctx: _Ctx) -> list[JSONDict]:
        return [dict(c) for c in self.commands.get(self._scope_key(ctx), [])]

    def _delete_my_commands(self, ctx: _Ctx) -> bool:
        self.commands.pop(self._scope_key(ctx), None)
        return True

    def menu_for(self, chat_id: int, language_code: str = "") -> list[JSONDict]:
        """The command menu a client in ``chat_id`` shows, resolved in Telegram's order."""
        lang = language_code[:2].lower()
        chat_scopes = ["chat", "all_private_chats"] if chat_id > 0 else ["chat", "all_group_chats"]
        for scope in [*chat_scopes, "default"]:
            target = chat_id if scope == "chat" else None
            for code in ([lang] if lang else []) + [""]:
                if (scope, target, code) in self.commands:
                    return self.commands[(scope, target, code)]
        return []

    def _set_chat_menu_button(self, ctx: _Ctx) -> bool:
        chat_id = ctx.params.get("chat_id")
        self.menu_buttons[chat_id if isinstance(chat_id, int) else None] = dict(
            ctx.params.get("menu_button") or {"type": "default"}
        )
        return True

    def _get_chat_menu_button(self, ctx: _Ctx) -> JSONDict:
        chat_id = ctx.params.get("chat_id")
        button = self.menu_buttons.get(chat_id if isinstance(chat_id, int) else None)
        button = button or self.menu_buttons.get(None) or {"type": "commands"}
        return {"type": "commands"} if button.get("type") == "default" else dict(button)

    def _leave_chat(self, ctx: _Ctx) -> bool:
        chat_id = self._target(ctx)
        if chat_id > 0:
            raise _ApiError(
                400, "Bad Request: chat member status can't be changed in private chats"
            )
        if chat_id in self.left_chats:
            raise _ApiError(403, "Forbidden: bot is not a member of the group chat")
        self.left_chats.add(chat_id)
        self._push_member_change(chat_id, None, "member", "left")
        return True

    def _get_chat(self, ctx: _Ctx) -> JSONDict:
        chat_id = self._target(ctx)
        if chat_id not in self.chats:
            raise _ApiError(400, "Bad Request: chat not found")
        return {
            **self._chat(chat_id),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    def _send_chat_action(self, ctx: _Ctx) -> bool:
        self._target(ctx)
        return True

    # ------------------------------------------------------------------ playing the users

    def _push(self, kind: str, payload: JSONDict) -> JSONDict:
        self._update_id += 1
        update = {"update_id": self._update_id, kind: payload}
        self._pending.append(update)
        self._updates_signal.fire()
        return update

    def _meet(
        self,
        user_id: int,
        language_code: str | None = None,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
    ) -> JSONDict:
        """Remember the user (and their private chat) the way Telegram would present them."""
        known = self.users.get(user_id, {})
        user: JSONDict = {
            "id": user_id,
            "is_bot": False,
            "first_name": first_name or known.get("first_name") or f"User {user_id}",
        }
        for key, value in (
            ("last_name", last_name),
            ("username", username),
            ("language_code", language_code),
        ):
            if value is not None:
                user[key] = value
            elif key in known:
                user[key] = known[key]
        self.users[user_id] = user
        chat = {"id": user_id, "type": "private", "first_name": user["first_name"]}
        chat.update({k: user[k] for k in ("last_name", "username") if k in user})
        self.chats[user_id] = chat
        return user

    def _user_chat(self, user: JSONDict, chat_type: str, chat_id: int | None) -> int:
        if chat_type == "private":
            if chat_id not in (None, user["id"]):
                raise ValueError("a private chat's id is the user's id")
            self.started.add(user["id"])
            return int(user["id"])
        if chat_id is None or chat_id >= 0:
            raise ValueError(f"a {chat_type} needs a negative chat_id")
        self.chats.setdefault(
            chat_id, {"id": chat_id, "type": chat_type, "title": f"Group {-chat_id}"}
        )
        return chat_id

    def user_message(
        self,
        user_id: int,
        text: str,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "zh-hans",
        chat_type: Literal["private", "group", "supergroup"] = "private",
        chat_id: int | None = None,
        reply_to: int | None = None,
    ) -> JSONDict:
        """A user writes ``text``; returns the Update (also queued for getUpdates).

        A leading ``/command`` gets its ``bot_command`` entity, which PTB's CommandHandler
        needs to see a command at all.
        """
        user = self._meet(
            user_id,
            first_name=first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
        )
        chat = self._user_chat(user, chat_type, chat_id)
        content: JSONDict = {"text": text}
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            content["entities"] = [
                {"type": "bot_command", "offset": 0, "length": utf16_len(command)}
            ]
        if reply_to is not None:
            original = self.messages.get((chat, reply_to))
            if original is None:
                raise LookupError(f"no message {reply_to} in chat {chat} to reply to")
            content["reply_to_message"] = {
                k: v for k, v in original.items() if k != "reply_to_message"
            }
        return self._push("message", self._new_message(chat, user, content))

    def user_document(
        self,
        user_id: int,
        file_name: str,
        data: bytes,
        *,
        mime_type: str | None = None,
        caption: str | None = None,
        language_code: str | None = "zh-hans",
        file_size: int | None = None,
        omit_file_size: bool = False,
        chat_id: int | None = None,
        chat_type: Literal["private", "group", "supergroup"] = "private",
    ) -> JSONDict:
        """A user sends a file; it is stored so getFile and the download work.

        ``file_size`` may claim a size other than ``len(data)`` (test the 20 MB check without
        20 MB of bytes); ``omit_file_size`` leaves it out, which Telegram is allowed to do.
        """
        user = self._meet(user_id, language_code)
        chat = self._user_chat(user, chat_type, chat_id)
        mime = mime_type or mimetypes.guess_type(file_name)[0] or "application/octet-stream"
        size = None if omit_file_size else (file_size if file_size is not None else len(data))
        stored = self._store_file(
            data, "document", file_name=file_name, mime_type=mime, declared_size=size
        )
        content: JSONDict = {"document": self._document_json(stored)}
        if caption is not None:
            content["caption"] = caption
        return self._push("message", self._new_message(chat, user, content))

    def user_photo(
        self,
        user_id: int,
        data: bytes,
        *,
        caption: str | None = None,
        language_code: str | None = "zh-hans",
    ) -> JSONDict:
        """A user sends a photo (inspectors do, with results)."""
        user = self._meet(user_id, language_code)
        chat = self._user_chat(user, "private", None)
        stored = self._store_file(data, "photo", declared_size=len(data))
        content: JSONDict = {"photo": self._photo_json(stored)}
        if caption is not None:
            content["caption"] = caption
        return self._push("message", self._new_message(chat, user, content))

    def press_button(
        self,
        user_id: int,
        message_id: int,
        data: str,
        *,
        language_code: str | None = "zh-hans",
        chat_id: int | None = None,
        forge: bool = False,
    ) -> JSONDict:
        """A user presses an inline button of a stored message; returns the callback Update.

        Only buttons that are on the message (as last sent or edited) can be pressed, unless
        ``forge`` — which tests use to play a tampering client.
        """
        user = self._meet(user_id, language_code)
        chat = chat_id if chat_id is not None else user_id
        message = self.messages.get((chat, message_id))
        if message is None:
            raise LookupError(f"no message {message_id} in chat {chat}")
        if not forge:
            rows = message.get("reply_markup", {}).get("inline_keyboard", [])
            offered = [b.get("callback_data") for row in rows for b in row]
            if data not in offered:
                raise LookupError(
                    f"message {message_id} has no button {data!r}; it offers {offered}"
                )
        self._callback_counter += 1
        query_id = str(4000000000000000000 + self._callback_counter)
        self._callback_queries[query_id] = chat
        query = {
            "id": query_id,
            "from": user,
            "message": dict(message),
            "chat_instance": str(chat * 2654435761 % 10**18),  # stable per chat, like Telegram
            "data": data,
        }
        return self._push("callback_query", query)

    def added_to_group(
        self,
        chat_id: int,
        by_user_id: int,
        *,
        title: str | None = None,
        chat_type: Literal["group", "supergroup"] = "group",
        kind: Literal["my_chat_member", "new_chat_members"] = "my_chat_member",
    ) -> JSONDict:
        """Someone adds the bot to a group (the bot must leave: personal data stays private)."""
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        self.chats[chat_id] = {
            "id": chat_id,
            "type": chat_type,
            "title": title or f"Group {-chat_id}",
        }
        self.left_chats.discard(chat_id)
        user = self._meet(by_user_id, None)
        if kind == "my_chat_member":
            return self._push_member_change(chat_id, by_user_id, "left", "member")
        content = {"new_chat_members": [dict(self.bot_user)]}
        return self._push("message", self._new_message(chat_id, user, content))

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
