"""Secrets and personal data never reach the output of ``dsr run``, at any log level.

The real entry point (``python -m bot -v run``) against the fake Bot API over HTTP: a
server that refuses the token, a server that is not there, and a running bot that is sent
a contact, a phone number and a resident ID number.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.fakeapi import FakeBotApi
from storage.db import Database, reading
from storage.models import Base
from tests.e2e.conftest import SPEC, TOKEN, dsr_run
from tests.support.http_fake import serve_fake

SECRET = TOKEN.split(":", 1)[1]
PHONE = "13912345678"
SPACED_PHONE = "+86 139 8765 4321"
RESIDENT_ID = "41042319900307123X"
PRIVATE_TEXT = "我的私事：家住舞钢市矿建路"
STRANGER = 7301


async def _run_until_exit(base_url: str, database_url: str, workdir: Path) -> tuple[int, str]:
    """``dsr -v run`` that is expected to give up on its own; its exit code and output."""
    workdir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "DSR_BOT_TOKEN": TOKEN,
        "DSR_BOT_API_BASE_URL": base_url,
        "DSR_DATABASE_URL": database_url,
        "DSR_CONNECT_TIMEOUT": "5",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "-v",
        "run",
        cwd=workdir,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode is not None
    return process.returncode, out.decode(errors="replace") + err.decode(errors="replace")


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _assert_no_token(text: str) -> None:
    assert TOKEN not in text
    assert SECRET not in text


async def test_a_refused_token_is_never_printed(database_url: str, tmp_path: Path) -> None:
    fake = FakeBotApi(SPEC)
    fake.inject("getMe", status=401, times=100)
    async with serve_fake(fake) as (base_url, _):
        code, output = await _run_until_exit(base_url, database_url, tmp_path)
    assert [c.method for c in fake.calls] == ["getMe"]
    assert code == 2
    assert "拒绝了 DSR_BOT_TOKEN" in output.splitlines()[-1]  # the settings' language
    _assert_no_token(output)


async def test_an_unreachable_api_never_prints_the_token(database_url: str, tmp_path: Path) -> None:
    base_url = f"http://127.0.0.1:{_closed_port()}/bot"
    code, output = await _run_until_exit(base_url, database_url, tmp_path)
    assert code == 2
    assert "无法连接 Bot API" in output.splitlines()[-1]
    _assert_no_token(output)


def _send_contact(fake: FakeBotApi, user_id: int) -> None:
    # The fake has no factory for contacts; this is what Telegram would deliver.
    user = fake._meet(user_id, "zh-hans", first_name="张", last_name="三")
    chat = fake._user_chat(user, "private", None)
    contact: dict[str, Any] = {
        "phone_number": PHONE,
        "first_name": "张",
        "last_name": "三",
        "user_id": user_id,
    }
    fake._push("message", fake._new_message(chat, user, {"contact": contact}))


async def test_verbose_logs_carry_no_personal_data(database_url: str, tmp_path: Path) -> None:
    fake = FakeBotApi(SPEC)
    async with dsr_run(fake, database_url, tmp_path, verbose=True) as process:
        assert process.returncode is None
        since = fake.mark()
        _send_contact(fake, STRANGER)
        fake.user_message(STRANGER, f"{PRIVATE_TEXT} 电话 {SPACED_PHONE} 身份证 {RESIDENT_ID}")
        fake.user_message(STRANGER, f"/start {PHONE}")
        for _ in range(3):  # every message is answered (the join explanation)
            since = fake.calls.index(
                await fake.wait_for(
                    lambda c: c.method == "sendMessage" and c.chat_id == STRANGER,
                    timeout=20,
                    since=since,
                )
            )
            since += 1
    log = (tmp_path / "dsr-run.log").read_text(encoding="utf-8", errors="replace")
    assert "Processing update <update" in log  # PTB's debug lines are there, summarised
    for personal in (PHONE, "139 8765 4321", RESIDENT_ID, PRIVATE_TEXT, "矿建路", "张"):
        assert personal not in log, personal
    _assert_no_token(log)
    database = Database(database_url)
    with reading(database) as session:
        stored = [str(session.execute(select(t)).all()) for t in Base.metadata.sorted_tables]
    database.dispose()
    assert SECRET not in "\n".join(stored)
