"""/calendar in the chat: the office sees this year and next, sends a schedule with a
mistake (refused whole, nothing recorded), then a good one, confirms; /cancel; a liaison
is refused."""

from __future__ import annotations

from datetime import date

import pytest

from bot.demo_city import OFFICE
from bot.offline import OfflineBot, Person
from bot.services import calendar
from bot.services.people import membership
from storage.db import Database
from tests.handlers.test_start import texts
from tests.services.test_calendar import SCHEDULE_2027, book
from tests.support.registers import person

LIAISON = Person(2501, "王芳", "zh-hans")


@pytest.fixture
def city(db: Database) -> None:
    membership.add_unit(db, None, "SCJG", "市场监管局")
    person(db, LIAISON.telegram_id, liaison_of="SCJG")


async def test_the_office_loads_next_year_s_schedule(
    bot: OfflineBot, db: Database, city: None
) -> None:
    [shown] = texts(await bot.say(OFFICE, "/calendar"))
    # This year and next; next year's schedule is not published yet (the package ends
    # with 2026), so it is provisional.
    assert "工作日日历" in shown and "暂定" in shown
    assert "日期 | 类型" in texts(await bot.press_label(OFFICE, "导入放假安排"))[0]
    bad = book([*SCHEDULE_2027, ("2027-02-10", "班", "春节")])
    [refused] = texts(await bot.send_file(OFFICE, "2027.xlsx", bad))
    assert "未登记任何日期" in refused and "只有周六或周日" in refused
    assert not calendar.load_calendar(db).is_official(date(2027, 6, 1))
    await bot.say(OFFICE, "你好")  # text is not the calendar's: it still waits for a file
    [preview] = texts(await bot.send_file(OFFICE, "2027.xlsx", book(SCHEDULE_2027)))
    assert "2027 年：休息日 9 天，调休上班日 1 天" in preview
    assert texts(await bot.press_label(OFFICE, "登记")) == ["已登记 10 天。"]
    cal = calendar.load_calendar(db)
    assert cal.is_official(date(2027, 6, 1)) and cal.is_workday(date(2027, 2, 14))


async def test_cancel_and_a_liaison_refused(bot: OfflineBot, db: Database, city: None) -> None:
    await bot.say(OFFICE, "/calendar")
    await bot.press_label(OFFICE, "导入放假安排")
    await bot.send_file(OFFICE, "2027.xlsx", book(SCHEDULE_2027))
    assert "已取消，日历未变。" in texts(await bot.press_label(OFFICE, "取消"))
    assert not calendar.load_calendar(db).is_official(date(2027, 6, 1))
    assert "只有联席会议办公室" in texts(await bot.say(LIAISON, "/calendar"))[0]
