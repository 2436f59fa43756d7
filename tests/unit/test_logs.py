"""The privacy filter: what a log line may and may not carry (bot/logs.py)."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
from telegram import Update

from bot.logs import PrivacyFilter, scrub

TOKEN = "123456789:AAE2e-test-token-for-the-logs-xxxxxxx"
PHONE = "13912345678"
RESIDENT_ID = "41042319900307123X"

UPDATE_JSON = {
    "update_id": 42,
    "message": {
        "message_id": 7,
        "date": 0,
        "chat": {"id": 7001, "type": "private", "first_name": "张"},
        "from": {"id": 7001, "is_bot": False, "first_name": "张", "last_name": "三"},
        "text": f"我的电话 {PHONE}，身份证 {RESIDENT_ID}",
        "contact": {"phone_number": "+86 139 8765 4321", "first_name": "李"},
    },
}


@pytest.fixture
def logged() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger whose handler carries the filter, as protect_logs installs it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    privacy = PrivacyFilter()
    privacy.add_secret(TOKEN)
    handler.addFilter(privacy)
    logger = logging.getLogger("tests.privacy")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)


def _update() -> Update:
    return Update.de_json(UPDATE_JSON, None)


def _assert_clean(text: str) -> None:
    for personal in (PHONE, RESIDENT_ID, "139 8765 4321", "我的电话", "张", "李", TOKEN):
        assert personal not in text, personal
    assert TOKEN.split(":")[1] not in text


def test_an_update_argument_becomes_its_id_and_kind(
    logged: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = logged
    logger.debug("Processing update %s", _update())
    assert stream.getvalue() == (
        "DEBUG tests.privacy: Processing update <update 42: message in chat 7001>\n"
    )


def test_an_update_inside_exception_text_and_traceback_is_scrubbed(
    logged: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = logged
    try:
        raise RuntimeError(f"failed on {_update()!r} with {TOKEN}")
    except RuntimeError:
        logger.exception("handler failed for %r", UPDATE_JSON)
    text = stream.getvalue()
    _assert_clean(text)
    assert "RuntimeError: failed on Update(" in text  # the shape survives, the content not
    assert "update_id=42" in text


def test_scrub_hides_tokens_phones_and_ids_but_keeps_ids_of_rows_and_chats() -> None:
    line = (
        f"outbox 12 to chat 7001 via https://api.telegram.org/bot{TOKEN}/sendMessage: "
        f"call 0375-2345678 or +44 20 7946 0958 or {PHONE}; ID {RESIDENT_ID.lower()}"
    )
    cleaned = scrub(line)
    assert cleaned.startswith("outbox 12 to chat 7001 via https://api.telegram.org/bot<token>/")
    for hidden in ("0375-2345678", "7946 0958", PHONE, RESIDENT_ID.lower(), TOKEN):
        assert hidden not in cleaned
    assert scrub("text='你好' caption=\"说明\" 'first_name': '张'") == (
        "text=<redacted> caption=<redacted> 'first_name': <redacted>"
    )
