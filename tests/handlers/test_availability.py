"""Availability and declared conflicts in the chat: /away step by step (typed and picked
days, a date that does not exist, a note or none, /cancel), a liaison picking the
inspector from pages of buttons, /myaway with its cancel buttons, /whoaway, /conflict and
/conflicts — through the real Application on the offline transport."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import delete, select

from bot.config import Settings
from bot.demo_city import OFFICE
from bot.offline import OfflineBot, Person
from bot.services.inspectors import availability, conflicts
from bot.services.outbox import QuietHours
from bot.services.people import invites, joining, membership
from bot.services.people import profiles as people
from bot.services.people.invites import InvitePolicy
from bot.services.people.profiles import Profile
from storage.db import Database
from storage.models import Entity, OutboxMessage, Unavailability
from tests.conftest import TZ
from tests.handlers.test_start import texts

LIAISON = Person(2301, "王芳", "zh-hans")
INSPECTOR = Person(3301, "李强", "zh-hans")
ENGLISH = Person(3302, "赵敏", "en")


@pytest.fixture
def settings() -> Settings:
    # No quiet hours: the notices to the other side go out at once, whatever the hour.
    return Settings(  # type: ignore[call-arg]
        admin_ids=[OFFICE.telegram_id], quiet_start=time(0), quiet_end=time(0), _env_file=None
    )


def profile(db: Database, person: Person) -> Profile:
    found = people.load_profile(db, person.telegram_id, [OFFICE.telegram_id])
    assert found is not None
    return found


@pytest.fixture
def unit(bot: OfflineBot, db: Database) -> dict[str, int]:
    """SCJG with a liaison, two inspectors who joined and ten who did not."""
    policy = InvitePolicy(
        bot_id=bot.fake.bot_user["id"], days=14, now=datetime.now(UTC), quiet=QuietHours(TZ)
    )
    scjg = membership.add_unit(db, None, "SCJG", "市场监督管理局")
    li = membership.add_inspector(db, None, "SCJG", "李强", "41000001")
    zhao = membership.add_inspector(db, None, "SCJG", "赵敏", "41000002")
    for n in range(10):
        membership.add_inspector(db, None, "SCJG", f"检查员{n:02d}", f"4100010{n}")
    link = invites.invite_liaison(db, profile(db, OFFICE), scjg.id, policy)
    joining.redeem(db, link.code, LIAISON.telegram_id, LIAISON.name, policy)
    liaison = profile(db, LIAISON)
    for inspector, person in ((li, INSPECTOR), (zhao, ENGLISH)):
        code = invites.invite_inspectors(db, liaison, scjg.id, policy, [inspector.id])[0].code
        joining.redeem(db, code, person.telegram_id, person.name, policy)
    people.set_locale(db, ENGLISH.telegram_id, "en")
    with db.unit_of_work() as uow:
        entity = Entity(uscc="91410481MA00000001", kind="enterprise", name="舞钢市福利超市")
        uow.session.add(entity)
        # The setup's own notices (who joined) would take the liaison's chat's one-a-second
        # slot before the notice a test looks for: nobody in these tests reads them.
        uow.session.execute(delete(OutboxMessage))
        uow.commit()
    return {"unit": scjg.id, "li": li.id, "zhao": zhao.id, "entity": entity.id}


def today() -> date:
    return datetime.now(TZ).date()


def typed(first: date, last: date) -> str:
    return f"{first.month}.{first.day}-{last.month}.{last.day}"


def periods(db: Database) -> list[tuple[int, str, date, date, str | None]]:
    with db.unit_of_work(write=False) as uow:
        rows = uow.session.execute(select(Unavailability).order_by(Unavailability.id)).scalars()
        return [(r.inspector_id, r.kind, r.start_date, r.end_date, r.note) for r in rows]


def to(person: Person, calls: list) -> list[str]:  # type: ignore[type-arg]
    return texts([c for c in calls if c.chat_id == person.telegram_id])


def alerts(calls: list) -> list[str]:  # type: ignore[type-arg]
    return [c.params.get("text", "") for c in calls if c.method == "answerCallbackQuery"]


async def test_an_inspector_marks_a_trip_with_typed_dates(
    bot: OfflineBot, db: Database, unit: dict[str, int]
) -> None:
    start, end = today() + timedelta(days=1), today() + timedelta(days=3)
    assert "原因是" in texts(await bot.say(INSPECTOR, "/away"))[0]
    assert "哪几天" in texts(await bot.press_label(INSPECTOR, "出差"))[0]
    # A day that does not exist, and a range backwards, are asked again.
    assert texts(await bot.say(INSPECTOR, "6.31")) == ["没有这一天：6.31。"]
    assert "早于" in texts(await bot.say(INSPECTOR, "6.5-6.1"))[0]
    assert "备注" in texts(await bot.say(INSPECTOR, typed(start, end)))[0]
    confirm = texts(await bot.say(INSPECTOR, "省局执法培训"))[0]
    assert "确认登记您不在岗：出差" in confirm and "省局执法培训" in confirm
    calls = await bot.press_label(INSPECTOR, "确认")
    assert "已登记：您" in to(INSPECTOR, calls)[0]
    # The liaison is told at once (the outbox).
    assert "李强 将不在岗：出差" in to(LIAISON, calls)[0]
    assert periods(db) == [(unit["li"], "trip", start, end, "省局执法培训")]


async def test_picked_days_no_note_and_cancel(
    bot: OfflineBot, db: Database, unit: dict[str, int]
) -> None:
    await bot.say(INSPECTOR, "/away")
    await bot.press_label(INSPECTOR, "病假")
    await bot.press_label(INSPECTOR, "今天")
    await bot.press_label(INSPECTOR, "跳过")
    await bot.press_label(INSPECTOR, "确认")
    assert periods(db) == [(unit["li"], "sick", today(), today(), None)]
    # /cancel in the middle records nothing.
    await bot.say(INSPECTOR, "/away")
    await bot.press_label(INSPECTOR, "培训")
    assert texts(await bot.say(INSPECTOR, "/cancel")) == ["已取消，未记录不在岗。"]
    assert "没有看懂" in texts(await bot.say(INSPECTOR, "明天"))[0]
    assert len(periods(db)) == 1


async def test_another_kind_on_the_same_days_is_refused(
    bot: OfflineBot, db: Database, unit: dict[str, int]
) -> None:
    await bot.say(INSPECTOR, "/away")
    await bot.press_label(INSPECTOR, "出差")
    await bot.press_label(INSPECTOR, "明天")
    await bot.press_label(INSPECTOR, "跳过")
    await bot.press_label(INSPECTOR, "确认")
    await bot.say(INSPECTOR, "/away")
    await bot.press_label(INSPECTOR, "培训")
    reply = texts(await bot.say(INSPECTOR, "明天"))
    assert "已因其他原因登记不在岗" in reply[0]
    assert len(periods(db)) == 1


async def test_a_liaison_picks_an_inspector_from_pages(
    bot: OfflineBot, db: Database, unit: dict[str, int]
) -> None:
    first = texts(await bot.say(LIAISON, "/away"))[0]
    assert "第 1/2 页" in first
    assert "第 2/2 页" in texts(await bot.press_label(LIAISON, "下一页"))[0]
    assert "第 1/2 页" in texts(await bot.press_label(LIAISON, "上一页"))[0]
    await bot.press_label(LIAISON, "下一页")
    assert "登记赵敏不在岗" in texts(await bot.press_label(LIAISON, "赵敏"))[0]
    await bot.press_label(LIAISON, "培训")
    start = today() + timedelta(days=2)
    await bot.say(LIAISON, f"{start.year}年{start.month}月{start.day}日")
    await bot.press_label(LIAISON, "跳过")
    calls = await bot.press_label(LIAISON, "确认")
    assert "已登记：赵敏" in to(LIAISON, calls)[0]
    # 赵敏 reads English: the notice is in English.
    assert "王芳 marked you away: Training" in to(ENGLISH, calls)[0]
    assert periods(db) == [(unit["zhao"], "training", start, start, None)]
    mine = texts(await bot.say(ENGLISH, "/myaway"))[0]
    assert "Absences from today on:" in mine and "赵敏 — Training" in mine


async def test_myaway_lists_and_cancels_and_whoaway_shows_the_unit(
    bot: OfflineBot, db: Database, unit: dict[str, int]
) -> None:
    day = today() + timedelta(days=5)
    availability.mark_away(
        db,
        profile(db, LIAISON),
        availability.AwayRequest(unit["li"], "trip", day, day),
        _notices(),
        today(),
    )
    listed = texts(await bot.say(INSPECTOR, "/myaway"))[0]
    assert "李强 — 出差" in listed
    who = texts(await bot.say(LIAISON, f"/whoaway {day.month}.{day.day}"))[0]
    assert "不在岗人员" in who and "SCJG 李强" in who
    assert "没有人登记不在岗" in texts(await bot.say(OFFICE, "/whoaway 今天"))[0]
    assert "看不懂日期" in texts(await bot.say(OFFICE, "/whoaway 下周一"))[0]
    # An inspector does not see the unit's absences.
    assert "只有联席会议办公室或成员单位联络员" in texts(await bot.say(INSPECTOR, "/whoaway"))[0]
    calls = await bot.press_label(INSPECTOR, "取消")
    assert any("已取消：李强" in text for text in alerts(calls))
    assert "今天起没有不在岗记录" in texts(calls)[0]  # the list, edited
    assert "李强 取消了不在岗记录" in to(LIAISON, calls)[0]
    assert periods(db) == []


async def test_an_inspector_declares_a_conflict_and_the_liaison_withdraws_it(
    bot: OfflineBot, db: Database, unit: dict[str, int]
) -> None:
    assert "统一社会信用代码" in texts(await bot.say(INSPECTOR, "/conflict"))[0]
    assert "没有找到" in texts(await bot.say(INSPECTOR, "百货"))[0]
    assert "是哪一个" in texts(await bot.say(INSPECTOR, "91410481MA00000001"))[0]
    assert "为什么需要回避" in texts(await bot.press_label(INSPECTOR, "福利超市"))[0]
    assert "确认记录您回避检查" in texts(await bot.say(INSPECTOR, "亲属关系"))[0]
    calls = await bot.press_label(INSPECTOR, "确认")
    assert "不会被抽中检查 舞钢市福利超市" in to(INSPECTOR, calls)[0]
    assert "李强 申报了与 舞钢市福利超市 的利害关系回避" in to(LIAISON, calls)[0]
    listed = texts(await bot.say(LIAISON, "/conflicts"))[0]
    assert "SCJG 李强 — 舞钢市福利超市 91410481MA00000001：亲属关系" in listed
    # The office reads it, with no button to withdraw.
    office = await bot.say(OFFICE, "/conflicts")
    assert "舞钢市福利超市" in texts(office)[0] and "reply_markup" not in office[-1].params
    calls = await bot.press_label(LIAISON, "撤回")
    assert "没有利害关系回避记录" in texts(calls)[0]
    assert conflicts.conflicts(db, profile(db, OFFICE)) == []


async def test_the_office_is_sent_to_whoaway(bot: OfflineBot, unit: dict[str, int]) -> None:
    assert "由检查人员本人或本单位联络员登记" in texts(await bot.say(OFFICE, "/away"))[0]
    assert "由检查人员本人或本单位联络员登记" in texts(await bot.say(OFFICE, "/conflict"))[0]


def _notices() -> availability.NoticeContext:
    return availability.NoticeContext(datetime.now(UTC), QuietHours(TZ, time(0), time(0)))
