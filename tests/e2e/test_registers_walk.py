"""End to end, through ``dsr run`` against the fake Bot API over HTTP: a liaison keeps the
unit's directory from the phone (template → an upload with a bad row → progress edits →
preview → error report → corrected upload → apply), an inspector marks a trip and
is left out of the draw of an overlapping task (the desk's ``dsr task add`` and
``dsr draw run`` on the same database), the unit files its December revision and the
office sees it — and another unit's liaison is refused at every step.

The test waits on the fake's calls, never on the clock.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.fakeapi import FakeBotApi, RecordedCall
from bot.services.draws import plans
from bot.services.people import membership
from handlers.callbacks import IMPORT_APPLY, IMPORT_APPLY_VALID, IMPORT_DISCARD
from storage.db import Database
from storage.models import Inspector, User
from tests.conftest import TZ
from tests.e2e.conftest import SPEC, dsr_run
from tests.support.registers import (
    ENTITY_HEADER,
    INSPECTOR_HEADER,
    MATTER_HEADER,
    book,
    count,
    entity_rows,
    large_book,
    load,
    person,
)

OFFICE = 7801
LIAISON = 7802  # SCJG's
OTHER = 7803  # SW's liaison
INSPECTOR = 7804  # 李强 of SCJG
ROWS = 20_000  # four batches of the reader: four reports of rows read
BAD = "91410481MA00000XXX"  # a malformed USCC, in the file's 4th row
TASK = "WG-E2E-1"
SCJG_WORDS = ("李强", "舞钢市测试", "市场监管局")  # its inspector, its entities, its name
ENV = {
    "DSR_QUIET_START": "00:00",  # notices go out at once
    "DSR_QUIET_END": "00:00",
    # Every report of rows read is shown (3 s by default: a fast machine checks the whole
    # file sooner; tests/handlers/test_registers_upload.py shows the pacing on its clock).
    "DSR_PROGRESS_SECONDS": "0",
}
WAIT = 120  # seconds the fake waits for a call: a bound, not a pace

pytestmark = pytest.mark.slow


def _seed(database_url: str, start: date) -> None:
    """What exists before the walk: the office, two units and their liaisons, SCJG's
    inspectors (李强 has joined the bot), its matter and its plan for the task's year."""
    db = Database(database_url)
    membership.add_admin(db, OFFICE, "办公室")
    membership.add_unit(db, None, "SCJG", "市场监管局")
    membership.add_unit(db, None, "SW", "税务局")
    person(db, LIAISON, liaison_of="SCJG")
    person(db, OTHER, liaison_of="SW")
    inspectors = [
        [name, cert, "2099-12-31", "食品", "垭口"]
        for name, cert in (("李强", "41000001"), ("赵敏", "41000002"), ("钱七", "41000003"))
    ]
    load(db, book([INSPECTOR_HEADER, *inspectors]), "inspectors")
    matter = ["M01", "食品经营抽查", "《食品安全法》", "企业", "现场检查", "5%"]
    load(db, book([MATTER_HEADER, matter]), "matters")
    plans.create_plan(db, None, "SCJG", start.year, f"SCJG {start.year}年度抽查计划")
    with db.unit_of_work() as uow:
        li = uow.session.execute(select(Inspector).where(Inspector.cert_no == "41000001"))
        uow.session.add(User(telegram_id=INSPECTOR, name="李强", inspector_id=li.scalar_one().id))
        uow.commit()
    db.dispose()


class Walk:
    """People writing to the bot through the fake, and what reached them."""

    def __init__(self, fake: FakeBotApi) -> None:
        self.fake = fake

    async def expect(
        self, chat: int, since: int, match: Callable[[RecordedCall], bool]
    ) -> RecordedCall:
        return await self.fake.wait_for(
            lambda c: c.ok and c.chat_id == chat and match(c), timeout=WAIT, since=since
        )

    async def text(self, chat: int, since: int, words: str) -> RecordedCall:
        """The first message to ``chat`` (sent or edited) since ``since`` with ``words``."""
        return await self.expect(
            chat,
            since,
            lambda c: c.method in ("sendMessage", "editMessageText") and words in (c.text or ""),
        )

    async def say(self, user: int, text: str, words: str) -> RecordedCall:
        since = self.fake.mark()
        self.fake.user_message(user, text)
        return await self.text(user, since, words)

    async def send(self, user: int, name: str, data: bytes, words: str) -> RecordedCall:
        since = self.fake.mark()
        self.fake.user_document(user, name, data)
        return await self.text(user, since, words)

    def button(self, user: int, label: str) -> tuple[int, str]:
        """The message id and data of the newest button labelled ``label`` in the chat."""
        for message in reversed(self.fake.chat_messages(user)):
            rows = message.get("reply_markup", {}).get("inline_keyboard", [])
            for button in (b for row in rows for b in row):
                if button.get("text") == label:
                    return message["message_id"], button["callback_data"]
        raise LookupError(f"no button {label!r} in chat {user}")

    async def press(self, user: int, label: str, words: str) -> RecordedCall:
        message_id, data = self.button(user, label)
        since = self.fake.mark()
        self.fake.press_button(user, message_id, data)
        return await self.text(user, since, words)

    async def forge(self, user: int, data: str) -> str:
        """A tampering client presses ``data`` (a button shown to someone else) on a
        message of its own chat; the bot's answer to the press (a refusal is an alert)."""
        since = self.fake.mark()
        self.fake.user_message(user, "/start")
        await self.expect(user, since, lambda c: c.method == "sendMessage")
        own = max(m["message_id"] for m in self.fake.chat_messages(user))
        since = self.fake.mark()
        self.fake.press_button(user, own, data, forge=True)
        answered = await self.fake.wait_for(
            lambda c: c.method == "answerCallbackQuery", timeout=WAIT, since=since
        )
        return str(answered.params.get("text", ""))


def _desk(database_url: str, *argv: str) -> Any:
    """``dsr ARGV --json`` as the office's desk runs it, on the bot's database."""
    env = {**os.environ, "DSR_DATABASE_URL": database_url}
    done = _run([sys.executable, "-m", "bot", *argv, "--json"], env)
    assert done[0] == 0, done[2]
    return json.loads(done[1])


def _run(command: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    return done.returncode, done.stdout, done.stderr


async def _upload(walk: Walk, name: str, data: bytes) -> int:
    """Send the file, answer the two questions; the mark before the answers."""
    await walk.send(LIAISON, name, data, "这是哪个名录")
    await walk.press(LIAISON, "检查对象名录库", "新增和更新")
    mark = walk.fake.mark()
    message_id, data_ = walk.button(LIAISON, "新增和更新")
    walk.fake.press_button(LIAISON, message_id, data_)
    return mark


def _edits_of(fake: FakeBotApi, message: RecordedCall, since: int) -> list[str]:
    message_id = message.result["message_id"]
    return [
        c.text or ""
        for c in fake.calls[since:]
        if c.ok and c.method == "editMessageText" and c.params.get("message_id") == message_id
    ]


async def test_a_liaison_an_inspector_and_the_office_walk_through_the_registers(
    database_url: str, tmp_path: Path
) -> None:
    today = datetime.now(TZ).date()  # `dsr run` and the desk use the real clock
    start = today + timedelta(days=7)
    if (start + timedelta(days=10)).year != start.year:  # a task lies in its plan's year
        start = date(start.year + 1, 1, 2)
    end = start + timedelta(days=10)
    _seed(database_url, start)
    rows = entity_rows(ROWS)
    good = rows[2][1]
    rows[2][1] = BAD
    with_bad_row = large_book([ENTITY_HEADER, *rows])
    rows[2][1] = good
    corrected = large_book([ENTITY_HEADER, *rows])
    fake = FakeBotApi(SPEC)
    walk = Walk(fake)
    db = Database(database_url)
    async with dsr_run(fake, database_url, tmp_path, ENV):
        # --- the template ------------------------------------------------------------
        await walk.say(LIAISON, "/template", "模板")
        since = fake.mark()
        message_id, data = walk.button(LIAISON, "检查对象名录库")
        fake.press_button(LIAISON, message_id, data)
        template = await walk.expect(LIAISON, since, lambda c: c.method == "sendDocument")
        assert template.params["document"].file_name.endswith(".xlsx")

        # --- an upload with a bad row: progress, preview, error report -----------------
        mark = await _upload(walk, "名录.xlsx", with_bad_row)
        status = await walk.text(LIAISON, mark, "正在读取 名录.xlsx")
        assert status.method == "sendMessage"
        preview = await walk.text(LIAISON, mark, "有错误的行：1")
        assert f"新增：{ROWS - 1}" in (preview.text or "") and "第4行" in (preview.text or "")
        report = await walk.expect(LIAISON, mark, lambda c: c.method == "sendDocument")
        assert "错误报告" in report.params["document"].file_name
        edits = _edits_of(fake, status, mark)
        assert edits[-1] == preview.text
        progress = edits[:-1]  # the same message, edited as the rows were read
        assert progress and all(t.startswith("正在读取 名录.xlsx：已校验 ") for t in progress)
        assert len(progress) == len(set(progress))  # never the same text twice
        assert count(db, "unit_entities") == 0

        # The other unit's liaison cannot apply or discard it, whatever they forge.
        import_id = int(walk.button(LIAISON, "仅导入无误的行")[1].rsplit(":", 1)[1])
        for button in (IMPORT_APPLY, IMPORT_APPLY_VALID, IMPORT_DISCARD):
            assert "只能管理本单位" in await walk.forge(OTHER, button.data(import_id))
        assert count(db, "unit_entities") == 0

        # --- corrected, uploaded again, applied --------------------------------------
        mark = await _upload(walk, "名录.xlsx", corrected)
        preview = await walk.text(LIAISON, mark, f"新增：{ROWS}；")
        assert "有错误的行：0" in (preview.text or "")
        await walk.press(LIAISON, "导入", "已导入")
        assert count(db, "unit_entities", "active") == ROWS

        # --- an inspector marks a trip; the desk draws an overlapping task --------------
        trip = (start + timedelta(days=1), start + timedelta(days=3))
        await walk.say(INSPECTOR, "/away", "原因是")
        await walk.press(INSPECTOR, "出差", "哪几天")
        await walk.say(INSPECTOR, f"{trip[0].isoformat()}-{trip[1].isoformat()}", "备注")
        await walk.say(INSPECTOR, "省局执法培训", "确认登记您不在岗")
        since = fake.mark()
        await walk.press(INSPECTOR, "确认", "已登记")
        await walk.text(LIAISON, since, "李强 将不在岗：出差")
        assert "李强" not in ((await walk.say(OTHER, "/whoaway", "")).text or "")

        task = [
            "task", "add", "--code", TASK, "--name", "食品经营抽查", "--unit", "SCJG",
            "--matters", "M01", "--count", "1", "--team-size", "2", "--targets-per-team", "1",
            "--start", start.isoformat(), "--end", end.isoformat(),
        ]  # fmt: skip
        env = {**os.environ, "DSR_DATABASE_URL": database_url}
        code, out, err = await asyncio.to_thread(_run, [sys.executable, "-m", "bot", *task], env)
        assert code == 0, out + err
        targets, inspectors = await asyncio.to_thread(_desk, database_url, "draw", "run", TASK)
        assert targets["pool_size"] == ROWS and len(targets["selected"]) == 1
        assert inspectors["pool_size"] == 2  # of SCJG's three: 李强 is away
        [team] = inspectors["teams"]
        assert sorted(team["members"]) == ["41000002", "41000003"]

        # --- the December revision, filed and seen by the office ------------------------
        window = f"/window {today.year} H2 {today - timedelta(days=1)} {today + timedelta(days=1)}"
        await walk.say(OFFICE, window, str(today.year))
        shown = await walk.say(LIAISON, "/filing", "名录库的变化")
        assert f"检查对象：新增 {ROWS}" in (shown.text or "")
        _, confirm = walk.button(LIAISON, "确认备案")
        assert "只有联席会议办公室" in await walk.forge(OTHER, confirm)
        assert count(db, "revision_filings") == 0
        since = fake.mark()
        await walk.press(LIAISON, "确认备案", "已备案：市场监管局")
        await walk.text(OFFICE, since, "市场监管局已报送")
        overview = await walk.say(OFFICE, "/filings", "已备案")
        assert "✅ SCJG 市场监管局" in (overview.text or "")
        assert "⬜ SW 税务局" in (overview.text or "")
        assert "只有联席会议办公室" in ((await walk.say(OTHER, "/filings", "")).text or "")

    db.dispose()
    assert fake.violations == []
    # Nothing of SCJG's ever reached the other unit's liaison: no file, no name, no row.
    theirs = [c for c in fake.calls if c.chat_id == OTHER and c.ok]
    assert not [c for c in theirs if c.method == "sendDocument"]
    leaked = [c.text for c in theirs if any(w in (c.text or "") for w in SCJG_WORDS)]
    assert leaked == []
