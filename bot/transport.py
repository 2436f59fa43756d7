"""The offline transport: PTB's requests answered in-process by a FakeBotApi.

Why: the console, the demo and the handler tests run the real Application with no network
and no token. PTB lets any ``BaseRequest`` carry its calls; this one hands them to the fake
exactly as they would go over the wire (the form values PTB's own HTTPXRequest sends, file
parts as multipart would carry them), so the offline path decodes and validates the same
bytes the HTTP path does.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import unquote, urlsplit

from telegram.error import TimedOut
from telegram.request import BaseRequest, RequestData

from bot.fakeapi import FakeBotApi

__all__ = ["OfflineRequest"]

_NOT_FOUND = json.dumps({"ok": False, "error_code": 404, "description": "Not Found"}).encode()


class OfflineRequest(BaseRequest):
    """A ``telegram.request.BaseRequest`` that talks to ``fake`` instead of a server.

    Works with any ``base_url``/``base_file_url``: an API call's method is the last path
    segment of the URL, and a download (PTB's ``retrieve``: a GET without data) is found by
    matching the end of the URL path against the fake's file paths.
    """

    __slots__ = ("_fake", "_read_timeout")

    def __init__(self, fake: FakeBotApi, *, read_timeout: float | None = 5.0) -> None:
        self._fake = fake
        self._read_timeout = read_timeout

    @property
    def fake(self) -> FakeBotApi:
        return self._fake

    @property
    def read_timeout(self) -> float | None:
        """PTB adds the long-poll ``timeout`` to this for getUpdates."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Nothing to open: there is no connection pool."""

    async def shutdown(self) -> None:
        """Nothing to close; the fake outlives the bot so tests can inspect it afterwards."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = BaseRequest.DEFAULT_NONE,
        write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE,
        pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Answer one request; a read timeout applies as on the network, so a hung fake
        surfaces as ``TimedOut`` instead of a hung test."""
        path = unquote(urlsplit(url).path)
        if method == "GET" and request_data is None:
            return self._download(path)

        params: dict[str, Any] = request_data.json_parameters if request_data else {}
        files: dict[str, tuple[str, bytes, str]] = {}
        if request_data is not None and request_data.contains_files:
            for part, (file_name, content, mime_type) in request_data.multipart_data.items():
                data = content if isinstance(content, bytes) else content.read()
                files[part] = (file_name, data, mime_type)

        timeout: float | None = None
        if read_timeout is BaseRequest.DEFAULT_NONE:
            timeout = self._read_timeout
        elif isinstance(read_timeout, int | float):
            timeout = float(read_timeout)
        api_method = path.rstrip("/").rsplit("/", 1)[-1]
        try:
            status, body = await asyncio.wait_for(
                self._fake.handle(api_method, params, files or None), timeout
            )
        except TimeoutError as exc:
            raise TimedOut(f"offline Bot API did not answer {api_method} in {timeout}s") from exc
        return status, json.dumps(body, ensure_ascii=False).encode()

    def _download(self, path: str) -> tuple[int, bytes]:
        segments = path.strip("/").split("/")
        # Longest suffix first: ".../file/bot<token>/documents/file_3.xlsx" -> "documents/...".
        for start in range(len(segments)):
            candidate = "/".join(segments[start:])
            if self._fake.knows_file_path(candidate):
                data = self._fake.file_bytes(candidate)
                if data is not None:
                    return 200, data
        return 404, _NOT_FOUND
