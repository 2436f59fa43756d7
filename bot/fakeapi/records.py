"""What the fake records and hands out, and the errors it answers with.

The dataclasses are public (tests inspect calls, files and planned failures); ``_ApiError``
and friends are how the method implementations say "Telegram would refuse this".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

JSONDict = dict[str, Any]

_BLOCKED = "Forbidden: bot was blocked by the user"
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


# --------------------------------------------------------------------------- errors


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


# --------------------------------------------------------------------------- one call


@dataclass
class _Ctx:
    method: str
    params: JSONDict
    uploads: dict[str, UploadedFile]
