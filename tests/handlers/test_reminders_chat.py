"""/reminders in the chat: the office sees each kind and its next firing, pauses and
resumes one, types a new time of day (a wrong one first) and a new interval; /cancel
changes nothing; a liaison is refused."""

from __future__ import annotations

from datetime import time

import pytest

from bot.demo_city import OFFICE
from bot.offline import OfflineBot, Person
from bot.services.people import membership
from bot.services.reminders.settings import all_settings
from storage.db import Database
from tests.handlers.test_start import texts
from tests.support.registers import person

LIAISON = Person(2401, "王芳", "zh-hans")


@pytest.fixture
def city(db: Database) -> None:
    membership.add_unit(db, None, "SCJG", "市场监管局")
    person(db, LIAISON.telegram_id, liaison_of="SCJG")


def settings_of(bot: OfflineBot, db: Database) -> dict[str, object]:
    return {s.kind: s for s in all_settings(db, bot.settings)}


async def test_the_office_pauses_retimes_and_resumes(
    bot: OfflineBot, db: Database, city: None
) -> None:
    [shown] = texts(await bot.say(OFFICE, "/reminders"))
    assert "检查任务未确认收到" in shown and "六月/十二月修订未备案" in shown
    assert "每 7 天一次，09:00 起发送" in shown
    texts(await bot.press_label(OFFICE, "暂停：六月/十二月修订未备案"))
    revision = settings_of(bot, db)["revision"]
    assert revision.paused  # type: ignore[attr-defined]
    assert "每天几点起发送" in texts(await bot.press_label(OFFICE, "时间"))[0]
    assert "不是一天中的时间" in texts(await bot.say(OFFICE, "25点"))[0]
    [saved] = texts(await bot.say(OFFICE, "9点半"))
    assert "已保存" in saved and "09:30" in saved and "已暂停" in saved
    await bot.say(OFFICE, "/reminders")
    await bot.press_label(OFFICE, "间隔")
    assert "1 至 31" in texts(await bot.say(OFFICE, "40"))[0]  # out of range: asked again
    [saved] = texts(await bot.say(OFFICE, "５"))  # a full-width digit, as phones type it
    assert "每 5 天一次" in saved
    await bot.press_label(OFFICE, "恢复：六月/十二月修订未备案")
    revision = settings_of(bot, db)["revision"]
    assert (revision.paused, revision.send_at, revision.every_days) == (False, time(9, 30), 5)  # type: ignore[attr-defined]


async def test_cancel_changes_nothing_and_a_liaison_is_refused(
    bot: OfflineBot, db: Database, city: None
) -> None:
    await bot.say(OFFICE, "/reminders")
    await bot.press_label(OFFICE, "时长")
    assert texts(await bot.say(OFFICE, "/cancel")) == ["已取消，提醒设置不变。"]
    assert not any(s.changed for s in settings_of(bot, db).values())  # type: ignore[attr-defined]
    assert "只有联席会议办公室" in texts(await bot.say(LIAISON, "/reminders"))[0]
