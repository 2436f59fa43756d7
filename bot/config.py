"""Settings from the environment (prefix ``DSR_``).

The token is a ``SecretStr`` so that printing or logging the settings never shows it.
"""

from __future__ import annotations

import re
from datetime import time
from functools import cached_property
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.i18n import N_

# Telegram tokens look like "123456789:AA…" (bot id, colon, 35 url-safe characters).
TOKEN_PATTERN = re.compile(r"^\d{3,15}:[A-Za-z0-9_-]{30,64}$")

DEFAULT_DATABASE_URL = "sqlite:///data/dsr.sqlite3"


class ConfigError(ValueError):
    """A setting is missing or malformed; the message is one line meant for the operator."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DSR_", env_file=".env", extra="ignore")

    bot_token: SecretStr | None = None
    database_url: str = DEFAULT_DATABASE_URL
    bot_api_base_url: str = "https://api.telegram.org/bot"
    bot_api_file_url: str | None = None
    proxy_url: str | None = None
    timezone: str = "Asia/Shanghai"
    default_locale: str = "zh_Hans"
    admin_ids: list[int] = Field(default_factory=list)
    quiet_start: time = time(21, 0)
    quiet_end: time = time(8, 0)
    # Outbox sender limits (docs/architecture.md §8); settings so that tests can run them fast.
    send_rate_overall: float = 30.0
    send_rate_per_chat: float = 1.0
    sender_concurrency: int = 4
    sender_poll_seconds: float = 1.0
    # A claim older than this is taken to belong to a crashed process and is sent again
    # (when the crash cannot be seen sooner: bot/sender.py); beyond the longest live pass.
    sender_stale_seconds: float = 900.0
    # Seconds for each phase of a Bot API call. Long, because a slow proxy answers late: a
    # call given up too early may still have been delivered, and is then sent again.
    connect_timeout: float = 30.0
    read_timeout: float = 30.0
    write_timeout: float = 30.0
    persistence_flush_seconds: float = 5.0
    invite_days: int = 14
    # Reminders (bot/services/reminders): an assignment not acknowledged this long after it
    # was delivered is nudged, twice this long and the liaison is told (0: no nudges);
    # the job looks for due reminders this often (and once at start).
    nudge_after_hours: float = 24.0
    reminder_interval_seconds: float = 300.0
    # What a workbook from outside may be, checked before a parser sees it
    # (storage/xlsx_guard.py); README's configuration table says why these defaults.
    upload_max_mb: int = 64
    upload_unpacked_max_mb: int = 1024
    upload_max_rows: int = 500_000
    upload_max_columns: int = 200
    upload_max_cells: int = 10_000_000
    # The child process that parses a workbook (storage/isolation.py).
    reader_memory_mb: int = 1536
    reader_timeout_seconds: float = 300.0
    # The message that shows an upload's rows read changes at most this often (Telegram
    # limits edits too; 0: at every report, for tests of the real process).
    progress_seconds: float = 3.0

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        # Accept "1,2 3" from the environment as well as a JSON list.
        if isinstance(value, str):
            if value.strip().startswith("["):
                return value
            return [int(part) for part in re.split(r"[,\s]+", value.strip()) if part]
        if isinstance(value, int):
            return [value]
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except Exception as exc:  # ZoneInfoNotFoundError or ValueError for odd strings
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def file_url(self) -> str:
        if self.bot_api_file_url:
            return self.bot_api_file_url
        base = self.bot_api_base_url
        if base.endswith("/bot"):
            return base[: -len("/bot")] + "/file/bot"
        return base.rstrip("/") + "/file/bot"

    def require_token(self) -> str:
        """The token, or a one-line ConfigError that says what to do."""
        if self.bot_token is None or not self.bot_token.get_secret_value().strip():
            raise ConfigError(
                N_("DSR_BOT_TOKEN is not set: get a token from @BotFather and set it")
            )
        token = self.bot_token.get_secret_value().strip()
        if not TOKEN_PATTERN.match(token):
            raise ConfigError(
                N_("DSR_BOT_TOKEN is malformed: expected digits, a colon and about 35 characters")
            )
        return token
