"""The token never reaches a log, even at DEBUG (httpx logs request URLs at INFO)."""

from __future__ import annotations

import logging

import pytest
from pydantic import SecretStr

from bot.app import build_application
from bot.config import Settings
from bot.fakeapi import FakeBotApi
from bot.ratelimit import SendBudget
from storage.db import Database
from tests.e2e.conftest import SPEC, TOKEN
from tests.support.http_fake import serve_fake


async def test_token_is_not_logged(db: Database, caplog: pytest.LogCaptureFixture) -> None:
    fake = FakeBotApi(SPEC)
    async with serve_fake(fake) as (base_url, file_url):
        settings = Settings(
            bot_token=SecretStr(TOKEN),
            bot_api_base_url=base_url,
            bot_api_file_url=file_url,
            _env_file=None,  # type: ignore[call-arg]
        )
        app = build_application(settings, database=db)
        with caplog.at_level(logging.DEBUG):
            await app.initialize()
            await app.bot.send_message(7001, "hello")
            await app.shutdown()
    assert [c.method for c in fake.calls][:2] == ["getMe", "sendMessage"]
    assert caplog.records, "logging was captured"
    secret = TOKEN.split(":", 1)[1]
    assert secret not in caplog.text
    assert TOKEN not in repr(settings)


def test_http_timeouts_and_the_shared_budget_come_from_settings(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DSR_CONNECT_TIMEOUT", "35")
    monkeypatch.setenv("DSR_READ_TIMEOUT", "45")
    monkeypatch.setenv("DSR_WRITE_TIMEOUT", "40")
    settings = Settings(bot_token=SecretStr(TOKEN), _env_file=None)  # type: ignore[call-arg]
    app = build_application(settings, database=db)
    timeout = app.bot.request._client.timeout  # type: ignore[attr-defined]
    assert (timeout.connect, timeout.read, timeout.write) == (35, 45, 40)
    polling = app.bot._request[0]._client.timeout  # type: ignore[attr-defined]
    assert (polling.connect, polling.read) == (35, 45)  # PTB adds the long-poll time to read
    assert isinstance(app.bot.rate_limiter, SendBudget)
    assert Settings(_env_file=None).read_timeout == 45  # type: ignore[call-arg]
