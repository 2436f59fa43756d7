"""A fake Telegram Bot API: one core behind the offline transport and the HTTP test server.

Why it exists: the console, the demo and every handler/e2e test must run the real PTB
Application with no network and no token, and still catch the mistakes Telegram would reject
(unknown parameters, over-long text, 65-byte callback data, bad command names, broken HTML).
So the fake keeps enough state to answer like Telegram (message ids per chat, stored messages
that edits and deletes act on, files that can be downloaded again, command menus per scope),
checks every call against the vendored Bot API description when one is given, and records
every call so tests can assert on what "the user saw".

Everything here is standard library only: the runtime distribution ships this package
(console and demo use it), while aiohttp, which serves it over HTTP, is a dev dependency.

The fake is single-loop: drive it from the event loop that runs the bot. Waiting (long
polling, ``wait_for``) uses futures created on the running loop at wait time, so one instance
is not bound to the loop that happened to exist when it was built.

Layout: ``core`` (``FakeBotApi``: constructor, ``handle``, recording, waiting, failures,
limits) inherits the mixins ``checks`` (parameter decoding and validation), ``polling``
(getUpdates, webhooks), ``methods`` (sending, editing, callbacks, menus, chats), ``files``
(hosted files, getFile) and ``users`` (the update factories), all built on ``state`` (the
shared attributes and helpers). ``records`` holds the public dataclasses and the errors,
``spec`` the Bot API description checker, ``formatting`` HTML/MarkdownV2 parsing,
``signals`` the wake-up primitive.
"""

from bot.fakeapi.checks import CALLBACK_ANSWER_LIMIT, CALLBACK_DATA_LIMIT, CAPTION_LIMIT, TEXT_LIMIT
from bot.fakeapi.core import FakeBotApi
from bot.fakeapi.files import DOWNLOAD_LIMIT, UPLOAD_LIMIT
from bot.fakeapi.formatting import utf16_len
from bot.fakeapi.records import (
    Injection,
    JSONDict,
    RateLimit,
    RecordedCall,
    StoredFile,
    UploadedFile,
)

__all__ = [
    "CALLBACK_ANSWER_LIMIT",
    "CALLBACK_DATA_LIMIT",
    "CAPTION_LIMIT",
    "DOWNLOAD_LIMIT",
    "TEXT_LIMIT",
    "UPLOAD_LIMIT",
    "FakeBotApi",
    "Injection",
    "JSONDict",
    "RateLimit",
    "RecordedCall",
    "StoredFile",
    "UploadedFile",
    "utf16_len",
]
