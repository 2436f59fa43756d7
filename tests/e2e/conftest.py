"""The bot as a separate ``dsr run`` process against the fake Bot API served over HTTP."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from bot.fakeapi import FakeBotApi
from tests.conftest import FIXTURES
from tests.support.http_fake import serve_fake

SPEC = FIXTURES / "botapi.json"
TOKEN = "123456789:AAE2e-test-token-for-the-fake-api-xx"


@asynccontextmanager
async def dsr_run(
    fake: FakeBotApi,
    database_url: str,
    workdir: Path,
    extra_env: dict[str, str] | None = None,
    *,
    verbose: bool = False,
) -> AsyncIterator[asyncio.subprocess.Process]:
    """Start ``python -m bot run`` (the real entry point) pointed at the fake; stop it
    with SIGTERM on exit, as an operator would. ``verbose``: ``dsr -v run`` (DEBUG logs)."""
    workdir.mkdir(parents=True, exist_ok=True)
    async with serve_fake(fake) as (base_url, file_url):
        env = {
            **os.environ,
            "DSR_BOT_TOKEN": TOKEN,
            "DSR_BOT_API_BASE_URL": base_url,
            "DSR_BOT_API_FILE_URL": file_url,
            "DSR_DATABASE_URL": database_url,
            **(extra_env or {}),
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            *(["-v"] if verbose else []),
            "run",
            cwd=workdir,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        try:
            await fake.wait_until_polling(timeout=30)
            yield process
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(process.wait(), timeout=20)
                except TimeoutError:
                    process.kill()
                    await process.wait()
            output = await process.stdout.read() if process.stdout else b""
            (workdir / "dsr-run.log").write_bytes(output)
