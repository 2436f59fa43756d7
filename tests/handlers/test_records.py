"""Register records in the chat (/find, /records): for each register, finding a record by
a code, a name fragment and a certificate number; its page; changing a field with a bad
value first (a precise answer, nothing changed) and then a good one; deactivating and
reactivating; adding; the history; and who may not — through the real Application."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.demo_city import OFFICE
from bot.offline import OfflineBot, Person
from bot.services.outbox import QuietHours
from bot.services.people import invites, joining, membership
from bot.services.people import profiles as people
from bot.services.people.invites import InvitePolicy
from bot.services.people.profiles import Profile
from handlers import callbacks
from storage.db import Database
from tests.conftest import TZ
from tests.handlers.test_access import _press_forged, _visible
from tests.handlers.test_start import texts
from tests.support.registers import (
    INSPECTOR_HEADER,
    MATTER_HEADER,
    book,
    count,
    entities_book,
    load,
    rows_of,
    snapshot,
    uscc,
)

LIAISON = Person(2401, "王芳", "zh-hans")
OTHER = Person(2402, "赵六", "zh-hans")
INSPECTOR = Person(3401, "李强", "zh-hans")
ENGLISH = Person(2403, "Amy", "en")


def profile(db: Database, person: Person) -> Profile:
    found = people.load_profile(db, person.telegram_id, [OFFICE.telegram_id])
    assert found is not None
    return found


@pytest.fixture
def city(bot: OfflineBot, db: Database) -> None:
    """SCJG (three entities, an inspector, a matter) with its liaison and the inspector
    joined; GAJ with its own liaison."""
    policy = InvitePolicy(
        bot_id=bot.fake.bot_user["id"], days=14, now=datetime.now(UTC), quiet=QuietHours(TZ)
    )
    scjg = membership.add_unit(db, None, "SCJG", "市场监督管理局")
    gaj = membership.add_unit(db, None, "GAJ", "公安局")
    load(db, entities_book(3))
    load(
        db,
        book([INSPECTOR_HEADER, ["李强", "41000001", "2028-12-31", "食品", "垭口"]]),
        "inspectors",
    )
    load(
        db,
        book(
            [MATTER_HEADER, ["SJ-001", "食品生产企业检查", "食品安全法", "企业", "现场检查", "5%"]]
        ),
        "matters",
    )
    office = profile(db, OFFICE)
    for unit, person in ((scjg, LIAISON), (gaj, OTHER)):
        link = invites.invite_liaison(db, office, unit.id, policy)
        joining.redeem(db, link.code, person.telegram_id, person.name, policy)
    inspector_id = rows_of(db, "SELECT id FROM inspectors WHERE cert_no = '41000001'")[0][0]
    code = invites.invite_inspectors(db, profile(db, LIAISON), scjg.id, policy, [inspector_id])
    joining.redeem(db, code[0].code, INSPECTOR.telegram_id, INSPECTOR.name, policy)


def joined(calls: list) -> str:  # type: ignore[type-arg]
    return "\n".join(texts(calls))


async def test_an_entity_found_changed_deactivated_and_its_history(
    bot: OfflineBot, db: Database, city: None
) -> None:
    # By its USCC: the only hit, as a button.
    calls = await bot.say(LIAISON, f"/find {uscc(1)}")
    assert "找到 1 条记录" in joined(calls)
    page = joined(await bot.press_label(LIAISON, "舞钢市测试有限公司1"))
    assert "检查对象名录库" in page and "风险等级：B类（信用风险一般）" in page
    # By a name fragment: all three.
    assert "找到 3 条记录" in joined(await bot.say(LIAISON, "/find 测试有限"))
    await bot.press_label(LIAISON, "舞钢市测试有限公司1")
    # Change the risk class: a bad value first, answered precisely, nothing changed.
    await bot.press_label(LIAISON, "修改")
    asked = joined(await bot.press_label(LIAISON, "风险等级"))
    assert "请输入新的“风险等级”" in asked
    before = snapshot(db)
    bad = joined(await bot.say(LIAISON, "E类"))
    assert "风险等级：" in bad and "未做更改" in bad
    assert snapshot(db) == before
    confirm = joined(await bot.say(LIAISON, "高风险"))
    assert "B类（信用风险一般） → <b>D类（信用风险高）</b>" in confirm
    done = joined(await bot.press_label(LIAISON, "确认"))
    assert "已修改" in done and "D类" in done
    assert rows_of(db, "SELECT risk_class FROM unit_entities WHERE risk_class = 'D'") == [("D",)]
    # Deactivate, then reactivate.
    assert "确认停用" in joined(await bot.press_label(LIAISON, "停用"))
    assert "已停用" in joined(await bot.press_label(LIAISON, "停用"))
    assert count(db, "unit_entities", "active = false") == 1
    await bot.press_label(LIAISON, "启用")
    assert "已启用" in joined(await bot.press_label(LIAISON, "启用"))
    history = joined(await bot.press_label(LIAISON, "变更记录"))
    assert "风险等级 B类（信用风险一般） → D类（信用风险高）" in history
    assert "停用" in history and "启用" in history and "导入" in history and "王芳" in history


async def test_an_inspector_record_by_certificate_number_and_a_typed_date(
    bot: OfflineBot, db: Database, city: None
) -> None:
    await bot.say(LIAISON, "/find 41000001")
    await bot.press_label(LIAISON, "李强")
    await bot.press_label(LIAISON, "修改")
    assert "日期可按习惯填写" in joined(await bot.press_label(LIAISON, "证件有效期"))
    assert "没有这一天：6.31" in joined(await bot.say(LIAISON, "6.31"))
    assert rows_of(db, "SELECT CAST(cert_expires AS VARCHAR(10)) FROM inspectors") == [
        ("2028-12-31",)
    ]
    assert "2030-06-30" in joined(await bot.say(LIAISON, "2030年6月30日"))
    await bot.press_label(LIAISON, "确认")
    assert rows_of(db, "SELECT CAST(cert_expires AS VARCHAR(10)) FROM inspectors") == [
        ("2030-06-30",)
    ]
    # Picked: no expiry.
    await bot.say(LIAISON, "/find 李强")
    await bot.press_label(LIAISON, "李强")
    await bot.press_label(LIAISON, "修改")
    await bot.press_label(LIAISON, "证件有效期")
    assert "长期" in joined(await bot.press_label(LIAISON, "长期"))
    await bot.press_label(LIAISON, "确认")
    history = joined(await bot.press_label(LIAISON, "变更记录"))
    assert "证件有效期 2030-06-30 → 长期" in history


async def test_a_matter_by_code_and_added_records(
    bot: OfflineBot, db: Database, city: None
) -> None:
    await bot.say(LIAISON, "/find sj-001")
    page = joined(await bot.press_label(LIAISON, "食品生产企业检查"))
    assert "抽查比例：5%" in page
    await bot.press_label(LIAISON, "修改")
    await bot.press_label(LIAISON, "抽查比例")
    assert "未做更改" in joined(await bot.say(LIAISON, "很多"))
    await bot.say(LIAISON, "10%")
    await bot.press_label(LIAISON, "确认")
    assert rows_of(db, "SELECT ratio_permille FROM matters") == [(100,)]
    # Add a matter through /records.
    await bot.say(LIAISON, "/records")
    await bot.press_label(LIAISON, "抽查事项清单")
    assert "（必填）" in joined(await bot.press_label(LIAISON, "新增记录"))
    await bot.say(LIAISON, "广告发布检查")
    await bot.say(LIAISON, "SJ-002")
    await bot.press_label(LIAISON, "企业")
    await bot.press_label(LIAISON, "跳过")
    confirm = joined(calls := await bot.press_label(LIAISON, "确认"))
    assert calls and "已新增" in confirm and "广告发布检查" in confirm
    assert count(db, "matters") == 2
    assert count(db, "record_changes", "source = 'manual' AND table_name = 'matters'") == 2
    # An inspector, added: a bad certificate date first.
    await bot.say(LIAISON, "/records")
    await bot.press_label(LIAISON, "执法检查人员名录库")
    await bot.press_label(LIAISON, "新增记录")
    await bot.say(LIAISON, "王五")
    await bot.say(LIAISON, "41000077")
    assert "未做更改" in joined(await bot.say(LIAISON, "明年"))
    await bot.say(LIAISON, "2029.12.31")
    assert "已新增" in joined(await bot.press_label(LIAISON, "确认"))
    assert rows_of(
        db, "SELECT CAST(cert_expires AS VARCHAR(10)) FROM inspectors WHERE name = '王五'"
    ) == [("2029-12-31",)]
    # An entity without a USCC must say its kind.
    await bot.say(LIAISON, "/records")
    await bot.press_label(LIAISON, "检查对象名录库")
    await bot.press_label(LIAISON, "新增记录")
    await bot.say(LIAISON, "舞钢市新开超市")
    # No USCC was given: the kind may not be skipped.
    assert "“类型”（必填）" in joined(await bot.press_label(LIAISON, "跳过"))
    await bot.press_label(LIAISON, "个体工商户")
    await bot.press_label(LIAISON, "跳过")
    assert "已新增" in joined(await bot.press_label(LIAISON, "确认"))
    assert rows_of(db, "SELECT kind FROM entities WHERE name = '舞钢市新开超市'") == [
        ("individual",)
    ]


async def test_another_units_liaison_and_an_inspector_are_refused(
    bot: OfflineBot, db: Database, city: None
) -> None:
    assert "没有与“李强”匹配的记录" in joined(await bot.say(OTHER, "/find 李强"))
    assert "没有与" in joined(await bot.say(OTHER, "/find 41000001"))
    before = snapshot(db)
    refusal = joined(await bot.say(INSPECTOR, "/find 李强"))
    assert "只有联席会议办公室或成员单位联络员" in refusal
    assert "只有联席会议办公室或成员单位联络员" in joined(await bot.say(INSPECTOR, "/records"))
    assert snapshot(db) == before


async def test_the_office_finds_every_units_records(
    bot: OfflineBot, db: Database, city: None
) -> None:
    found = joined(await bot.say(OFFICE, "/find 测试有限"))
    assert "找到 3 条记录" in found
    await bot.press_label(OFFICE, "舞钢市测试有限公司2")
    await bot.press_label(OFFICE, "修改")
    await bot.press_label(OFFICE, "联络人")
    await bot.say(OFFICE, "张三")
    assert "已修改" in joined(await bot.press_label(OFFICE, "确认"))
    assert rows_of(db, "SELECT contact_name FROM unit_entities WHERE contact_name IS NOT NULL") == [
        ("张三",)
    ]


async def test_forged_record_buttons_are_refused(bot: OfflineBot, db: Database, city: None) -> None:
    """A record page's buttons name SCJG's record: pressed by GAJ's liaison or by an
    inspector, they are refused and show nothing of it."""
    record = rows_of(db, "SELECT id FROM inspectors WHERE cert_no = '41000001'")[0][0]
    before = snapshot(db)
    for button in (
        callbacks.RECORD_OPEN.data("inspectors", record),
        callbacks.RECORD_LOG.data("inspectors", record),
        callbacks.RECORD_EDIT.data("inspectors", record),
        callbacks.RECORD_ACTIVE.data("inspectors", record, 0),
        callbacks.RECORD_ACTIVE_OK.data("inspectors", record, 0),
    ):
        for person, refusal in ((OTHER, "只能管理本单位"), (INSPECTOR, "只有联席会议办公室")):
            calls = [
                c
                for c in await _press_forged(bot, person, button)
                if c.chat_id == person.telegram_id
            ]
            seen = _visible(calls)
            assert refusal in seen, (button, seen)
            assert "41000001" not in seen and "2028-12-31" not in seen
    assert snapshot(db) == before


async def test_a_record_page_in_english(bot: OfflineBot, db: Database, city: None) -> None:
    people.set_locale(db, LIAISON.telegram_id, "en")
    await bot.say(LIAISON, "/find sj-001")
    page = joined(await bot.press_label(LIAISON, "食品生产企业检查"))
    assert "matter list" in page and "ratio: 5%" in page and "double random: yes" in page
    assert "Change" in str(bot.last_buttons[LIAISON.telegram_id])


async def test_the_office_adds_to_a_unit_it_names_and_turns_pages(
    bot: OfflineBot, db: Database, city: None
) -> None:
    load(db, entities_book(9, start=10))  # 12 entities: two pages of hits
    found = joined(await bot.say(OFFICE, "/find 测试有限"))
    assert "找到 12 条记录（第 1/2 页）" in found
    assert "第 2/2 页" in joined(await bot.press_label(OFFICE, "下一页"))
    await bot.say(OFFICE, "/records")
    await bot.press_label(OFFICE, "抽查事项清单")
    assert "请输入单位代码" in joined(await bot.press_label(OFFICE, "新增记录"))
    assert "XYZ" in joined(await bot.say(OFFICE, "XYZ"))  # no such unit: asked again
    await bot.say(OFFICE, "GAJ")
    await bot.say(OFFICE, "治安检查")
    await bot.press_label(OFFICE, "跳过")
    await bot.press_label(OFFICE, "跳过")
    assert "新增到 GAJ 的抽查事项清单" in joined(await bot.press_label(OFFICE, "跳过"))
    assert "已新增" in joined(await bot.press_label(OFFICE, "确认"))
    assert rows_of(
        db,
        "SELECT u.code FROM matters m JOIN units u ON u.id = m.unit_id WHERE m.name = '治安检查'",
    ) == [("GAJ",)]
