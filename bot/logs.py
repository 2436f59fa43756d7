"""Logs that carry no secret and no personal data, at every level.

Why a filter on the output handlers rather than on loggers: a logger's filter sees only the
records logged on that very logger, while PTB logs from a dozen (``telegram.ext.Application``
logs every Update at DEBUG: "Processing update Update(message=Message(text='…', contact=…))",
``telegram.Bot`` logs raw JSON it could not parse at CRITICAL, and an exception's text may
embed an Update or the token — PTB's ``InvalidToken`` says "The token `…` was rejected").
A handler's filter sees every record that is about to be written, whoever logged it.

What the filter does to a record, before any formatter reads it:

- an Update among the arguments becomes ``<update 17: message in chat 7001>``; any other
  Telegram object becomes its type name (a Message, a User, a Contact: all personal);
- the formatted message, the traceback text and the stack text are scrubbed: bot tokens,
  the values of personal fields in object reprs and JSON (``text=``, ``'caption': …``,
  ``phone_number``, names, …), mobile and landline phone numbers, and resident ID numbers.

The scrubbing errs on the side of hiding: an 11-digit chat id that looks like a mobile
number is hidden too. Ids of rows, updates and chats stay readable otherwise.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

from telegram import TelegramObject, Update

__all__ = ["PrivacyFilter", "protect_logs", "scrub"]

REDACTED = "<redacted>"
TOKEN_MASK = "<token>"  # noqa: S105 (what replaces a token, not one)

# Telegram bot tokens: the bot id, a colon, and the secret (35 url-safe characters today).
_TOKEN = re.compile(r"\d{5,15}:[A-Za-z0-9_-]{30,}")
# Fields of Telegram objects (and of their JSON) that hold what people wrote or who they are.
_PERSONAL_FIELDS = (
    "text|caption|phone_number|first_name|last_name|username|full_name|name|vcard|title|"
    "bio|description|address|email|query|data|file_name|question|explanation|contact"
)
_QUOTED = r"""(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")"""
# repr style: text='…' (TelegramObject reprs, dataclasses, keyword arguments).
_REPR_FIELD = re.compile(rf"\b({_PERSONAL_FIELDS})=(?:{_QUOTED}|[A-Za-z]\w*\([^()]*\))")
# dict / JSON style: 'text': '…' or "text": "…".
_DICT_FIELD = re.compile(rf"""(['"])({_PERSONAL_FIELDS})\1(\s*:\s*){_QUOTED}""")
# Mainland mobile numbers, optionally with +86, spaced or dashed as people write them.
_MOBILE = re.compile(r"(?<![\d+])(?:\+?86[\s-]?)?1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}(?!\d)")
# Landlines written with their area code and a separator (0375-1234567), and any number in
# international form (+44 20 7946 0958).
_LANDLINE = re.compile(r"(?<!\d)0\d{2,3}[\s-]\d{7,8}(?!\d)")
_INTERNATIONAL = re.compile(r"(?<![\w+])\+\d{1,3}(?:[\s-]?\d){6,14}(?!\d)")
# Resident ID numbers: 18 characters (17 digits and a digit or X), or the old 15 digits.
_RESIDENT_ID = re.compile(r"(?<![0-9A-Za-z])(?:\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")

_TRACEBACK_FORMATTER = logging.Formatter()


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` without tokens, secrets, personal field values, phone or ID numbers."""
    for secret in sorted(secrets, key=len, reverse=True):  # a whole token before its half
        if secret:
            text = text.replace(secret, TOKEN_MASK)
    text = _TOKEN.sub(TOKEN_MASK, text)
    text = _REPR_FIELD.sub(rf"\1={REDACTED}", text)
    text = _DICT_FIELD.sub(rf"\1\2\1\3{REDACTED}", text)
    for pattern in (_RESIDENT_ID, _MOBILE, _INTERNATIONAL, _LANDLINE):
        text = pattern.sub(REDACTED, text)
    return text


def describe_update(update: Update) -> str:
    """What a log may say about an Update: its id, its kind and the chat (never content)."""
    kind = next((k for k in Update.ALL_TYPES if getattr(update, k, None) is not None), "update")
    chat = update.effective_chat
    where = f" in chat {chat.id}" if chat is not None else ""
    return f"<update {update.update_id}: {kind}{where}>"


def _safe_argument(value: Any) -> Any:
    if isinstance(value, Update):
        return describe_update(value)
    if isinstance(value, TelegramObject):
        return f"<{type(value).__name__}>"
    return value


class PrivacyFilter(logging.Filter):
    """Rewrites every record it sees (never drops one); see the module docstring."""

    def __init__(self) -> None:
        super().__init__("dsr.privacy")
        self._secrets: set[str] = set()

    def add_secret(self, secret: str) -> None:
        """Hide ``secret`` (and, for a bot token, its secret half) wherever it appears."""
        if not secret:
            return
        self._secrets.add(secret)
        half = secret.partition(":")[2]
        if len(half) >= 16:
            self._secrets.add(half)

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "dsr_scrubbed", False):
            return True  # shared by several handlers: once is enough
        if isinstance(record.args, dict):
            record.args = {k: _safe_argument(v) for k, v in record.args.items()}
        elif record.args:
            record.args = tuple(_safe_argument(v) for v in record.args)
        # Formatting the message here lets every handler print the scrubbed text as is.
        record.msg = scrub(record.getMessage(), self._secrets)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = _TRACEBACK_FORMATTER.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text, self._secrets)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info, self._secrets)
        record.__dict__["dsr_scrubbed"] = True
        return True


_FILTER = PrivacyFilter()


def protect_logs(secrets: Iterable[str] = ()) -> PrivacyFilter:
    """Install the one privacy filter on every handler of the root logger (and on Python's
    last-resort handler), and quieten the loggers that print URLs or call parameters.

    Call it after the handlers exist (``logging.basicConfig``); calling it again adds the
    handlers that came since and the new secrets. Returns the filter (tests look at it).
    """
    for secret in secrets:
        _FILTER.add_secret(secret)
    handlers = list(logging.getLogger().handlers)
    if logging.lastResort is not None:
        handlers.append(logging.lastResort)
    for handler in handlers:
        if _FILTER not in handler.filters:
            handler.addFilter(_FILTER)
    # httpx logs every request URL at INFO, and the URL holds the token.
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
    # At DEBUG, PTB logs every call's parameters and results: message texts in full.
    for name in ("telegram.Bot", "telegram.ext.ExtBot"):
        logging.getLogger(name).setLevel(logging.INFO)
    return _FILTER
