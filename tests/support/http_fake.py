"""The FakeBotApi served over real HTTP on 127.0.0.1, for end-to-end tests.

Why: ``tests/e2e`` starts the bot through the ``dsr run`` code path, which talks HTTP with
PTB's own HTTPXRequest. Serving the same core as the offline transport means one set of
state, validation, limits and injected failures for both, while the wire formats (JSON
bodies, urlencoded forms, multipart with JSON-encoded fields, query strings) get exercised
for real. Each request runs in its own aiohttp task, so a long-polling getUpdates never
holds up the calls the bot makes meanwhile.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web

from bot.fakeapi import UPLOAD_LIMIT, FakeBotApi

__all__ = ["serve_fake"]

_FAKE_KEY = web.AppKey("fake", FakeBotApi)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


async def _read_params(
    request: web.Request,
) -> tuple[dict[str, Any], dict[str, tuple[str, bytes, str]]]:
    """Parameters and file parts from whichever encoding the client chose."""
    params: dict[str, Any] = dict(request.query)
    files: dict[str, tuple[str, bytes, str]] = {}
    if request.content_type == "application/json":
        if request.can_read_body:
            body = await request.json()
            if not isinstance(body, dict):
                raise web.HTTPBadRequest(text="JSON body must be an object")
            params.update(body)
    elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                files[key] = (value.filename, value.file.read(), value.content_type)
            else:
                params[key] = value
    return params, files


async def _api(request: web.Request) -> web.Response:
    fake = request.app[_FAKE_KEY]
    try:
        params, files = await _read_params(request)
    except (ValueError, web.HTTPBadRequest) as exc:
        body = {"ok": False, "error_code": 400, "description": f"Bad Request: {exc}"}
        return web.json_response(body, status=400, dumps=_dumps)
    status, body = await fake.handle(request.match_info["method"], params, files or None)
    return web.json_response(body, status=status, dumps=_dumps)


async def _file(request: web.Request) -> web.Response:
    data = request.app[_FAKE_KEY].file_bytes(request.match_info["path"])
    if data is None:
        body = {"ok": False, "error_code": 404, "description": "Not Found"}
        return web.json_response(body, status=404)
    return web.Response(body=data, content_type="application/octet-stream")


@asynccontextmanager
async def serve_fake(fake: FakeBotApi) -> AsyncIterator[tuple[str, str]]:
    """Serve ``fake`` on a free port of 127.0.0.1; yields ``(base_url, base_file_url)``.

    The URLs are in PTB's form (the token is appended): ``http://127.0.0.1:PORT/bot`` and
    ``http://127.0.0.1:PORT/file/bot``. On exit, waiting getUpdates calls are released
    first so shutting down does not wait out a long poll.
    """
    app = web.Application(client_max_size=UPLOAD_LIMIT + 1024 * 1024)
    app[_FAKE_KEY] = fake
    app.router.add_get("/file/bot{token}/{path:.+}", _file)
    app.router.add_route("*", "/bot{token}/{method}", _api)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        yield f"http://{host}:{port}/bot", f"http://{host}:{port}/file/bot"
    finally:
        fake.release_pollers()
        await runner.cleanup()
