"""End to end, through ``dsr run`` against the fake Bot API over HTTP: the lead unit's
liaison plans a joint task of two units in the chat and draws it; every drawn inspector
receives exactly one notice; one asks for recusal, the liaison approves, the replacement
is notified and the teammate sees the change; and every draw record of the task verifies
with tools/verify_draw.py (MATCH).

The test waits on the fake's calls, never on the clock.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.fakeapi import FakeBotApi, RecordedCall
from storage.db import Database
from tests.conftest import TZ
from tests.e2e.conftest import dsr_run
from tests.e2e.test_registers_walk import SPEC, Walk
from tests.support.city import build_city
from tests.support.people import LIAISON_TG, People, add_people

LEAD = LIAISON_TG["SCJG"]
PARTNER = LIAISON_TG["SWJ"]
TASK_NAME = "食品经营与发票使用联合抽查"
REASON = "本人配偶在被抽中的企业任财务负责人"
ENV = {"DSR_QUIET_START": "00:00", "DSR_QUIET_END": "00:00"}  # notices go out at once
TOOL = Path(__file__).resolve().parents[2] / "tools" / "verify_draw.py"
NOTICE = "【检查任务】"

pytestmark = pytest.mark.slow


def _seed(database_url: str) -> People:
    db = Database(database_url)
    people = add_people(db, build_city(db))  # the office, the liaisons, the inspectors
    db.dispose()
    return people


def _desk_json(database_url: str, *argv: str) -> object:
    env = {**os.environ, "DSR_DATABASE_URL": database_url}
    done = subprocess.run(
        [sys.executable, "-m", "bot", *argv, "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _notices_to(fake: FakeBotApi, chats: set[int], since: int = 0) -> dict[int, int]:
    """How many assignment notices each of ``chats`` received."""
    counted: dict[int, int] = {}
    for call in fake.calls[since:]:
        sent = call.ok and call.method == "sendMessage" and call.chat_id in chats
        if sent and NOTICE in (call.text or ""):
            counted[call.chat_id] = counted.get(call.chat_id, 0) + 1
    return counted


async def _plan_in_the_chat(walk: Walk) -> None:
    start = datetime.now(TZ).date() + timedelta(days=7)
    end = start + timedelta(days=10)
    await walk.say(LEAD, "/newtask", "哪些事项")
    await walk.press(LEAD, "M01 食品经营抽查", "哪些事项")  # the same question, M01 ticked
    await walk.press(LEAD, "完成", "配合单位")
    await walk.press(LEAD, "SWJ 税务局", "配合单位")
    await walk.press(LEAD, "完成", "筛选条件")
    await walk.press(LEAD, "不筛选", "抽取多少")
    await walk.say(LEAD, "1", "几名执法检查人员")
    await walk.press(LEAD, "2", "检查时间")
    await walk.say(LEAD, f"{start.isoformat()}-{end.isoformat()}", "任务名称")
    await walk.say(LEAD, TASK_NAME, "是否创建")
    await walk.press(LEAD, "创建", "已列入")


async def _draw_in_the_chat(walk: Walk) -> RecordedCall:
    listed = await walk.say(LEAD, "/tasks", TASK_NAME)
    code = next(w for w in (listed.text or "").split() if w.startswith("SCJG-"))
    await walk.press(LEAD, f"{code} {TASK_NAME}", "抽取")
    await walk.press(LEAD, "抽取", "检查对象抽取名单池已固定")
    return await walk.press(LEAD, "确认抽取（系统生成随机种子）", "已完成抽取")


async def test_a_joint_task_is_drawn_in_the_chat_and_a_recusal_replaced(
    database_url: str, tmp_path: Path
) -> None:
    people = _seed(database_url)
    inspectors = set(people.inspector_tg.values())
    fake = FakeBotApi(SPEC)
    walk = Walk(fake)
    async with dsr_run(fake, database_url, tmp_path, ENV):
        await _plan_in_the_chat(walk)
        since = fake.mark()
        done = await _draw_in_the_chat(walk)
        assert "第1组" in (done.text or "")
        # Both units' liaisons get the task's summary; the two drawn inspectors a notice.
        await walk.text(PARTNER, since, "【抽取结果】")
        await walk.text(LEAD, since, "【抽取结果】")
        drawn: dict[int, RecordedCall] = {}
        while len(drawn) < 2:
            notice = await fake.wait_for(
                lambda c: (
                    c.ok and c.chat_id in inspectors - drawn.keys() and NOTICE in (c.text or "")
                ),
                timeout=120,
                since=since,
            )
            drawn[notice.chat_id or 0] = notice
        leader = next(chat for chat, n in drawn.items() if "担任组长" in (n.text or ""))
        member = next(chat for chat in drawn if chat != leader)

        # The member asks for recusal; the lead unit's liaison approves.
        await walk.press(member, "申请回避", "说明理由")
        asked = fake.mark()
        await walk.say(member, REASON, "回避申请已提交")
        request = await walk.text(LEAD, asked, "申请回避任务")
        assert REASON in (request.text or "")
        approved = fake.mark()
        await walk.press(LEAD, "批准", "回避申请已批准")
        await walk.text(member, approved, "回避申请已批准")
        replacement = await fake.wait_for(
            lambda c: c.ok and c.chat_id in inspectors - drawn.keys() and NOTICE in (c.text or ""),
            timeout=120,
            since=approved,
        )
        change = await walk.text(leader, approved, "成员变更")
        assert REASON not in (change.text or "")  # the reason is not the team's business
        await walk.text(PARTNER, approved, "成员变更")

    # Every drawn inspector received exactly one assignment notice.
    counts = _notices_to(fake, inspectors)
    wanted: dict[int, int] = {chat: 1 for chat in [*drawn, replacement.chat_id or 0]}
    assert counts == wanted
    assert fake.violations == []

    # Every draw record of the task verifies, by the independent tool.
    listed = _desk_json(database_url, "draw", "list")
    assert isinstance(listed, list)
    assert [d["purpose"] for d in listed] == ["targets", "inspectors", "replacement"]
    records = [_desk_json(database_url, "draw", "show", str(d["id"])) for d in listed]
    path = tmp_path / "draws.json"
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    verified = subprocess.run(
        [sys.executable, str(TOOL), str(path)], capture_output=True, text=True, check=False
    )
    assert verified.returncode == 0 and verified.stdout.startswith("MATCH"), verified.stdout
