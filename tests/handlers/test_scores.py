"""/score and /judge in the chat: a liaison sees its own unit's items with their figures
and what would raise them; the office sees the ranking, a chart of it, and each unit's
items behind a button; nobody else sees another unit's score. Both languages."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from PIL import Image

from bot.config import Settings
from bot.demo_city import OFFICE
from bot.fakeapi import FakeBotApi, RecordedCall
from bot.offline import OfflineBot, Person
from bot.services.people import membership
from handlers import callbacks
from storage.db import Database
from tests.handlers.conftest import SPEC
from tests.handlers.test_access import _press_forged
from tests.handlers.test_start import texts
from tests.support.registers import count, entities_book, load, person

DECEMBER = datetime(2026, 12, 10, 2, 0, tzinfo=UTC)
LIAISON = Person(2501, "王芳", "zh-hans")
OTHER = Person(2502, "Tax liaison", "en")
INSPECTOR = Person(2503, "李强", "zh-hans")


@pytest.fixture
async def city(db: Database, settings: Settings) -> AsyncIterator[OfflineBot]:
    """10 December 2026: SCJG (a Chinese-speaking liaison, a directory of 3 targets) and
    SW (an English-speaking liaison, nothing on file)."""
    membership.add_admin(db, OFFICE.telegram_id, OFFICE.name)
    membership.add_unit(db, None, "SCJG", "市场监管局")
    membership.add_unit(db, None, "SW", "税务局")
    person(db, LIAISON.telegram_id, liaison_of="SCJG")
    person(db, OTHER.telegram_id, liaison_of="SW")
    load(db, entities_book(3), now=DECEMBER)
    bot = OfflineBot(settings, db, fake=FakeBotApi(SPEC), out=io.StringIO(), clock=lambda: DECEMBER)
    await bot.start()
    yield bot
    await bot.stop()
    assert bot.fake.violations == []


def _photos(calls: list[RecordedCall]) -> list[RecordedCall]:
    return [c for c in calls if c.method == "sendPhoto"]


async def test_a_liaison_sees_its_own_units_items_and_what_would_raise_them(
    city: OfflineBot,
) -> None:
    shown = texts(await city.say(LIAISON, "/score"))[-1]
    assert "<b>市场监管局</b>：2026年度考核得分 1 分（满分100分）" in shown
    assert "一2 “一单两库一细则”建立情况</b>：1 / 5" in shown
    assert "抽查事项 0 项，检查对象 3 个" in shown
    assert "导入抽查事项清单加 1 分。" in shown
    assert "在 2026-12-31 前报送12月修订备案加 0.5 分。" in shown
    assert "暂无结果：系统尚未录入抽查结果。" in shown  # 二3, 二4, 二5
    assert "办公室尚未评定。" in shown
    assert "税务局" not in shown
    en = texts(await city.say(OTHER, "/score"))[-1]
    assert "<b>税务局</b>: evaluation 2026, 0 of 100 points" in en
    assert "No results yet" in en and "Importing the matter list adds 1 points." in en
    assert "市场监管局" not in en
    # No ranking for a liaison, and no chart.
    assert not _photos(await city.say(LIAISON, "/score"))


async def test_the_office_ranks_the_units_with_a_chart_and_opens_each(
    city: OfflineBot, db: Database
) -> None:
    calls = await city.say(OFFICE, "/score")
    ranking = texts(calls)[0]
    assert "<b>2026年度考核：各单位得分排名</b>" in ranking
    assert ranking.index("1. 市场监管局（SCJG）：1 分") < ranking.index("2. 税务局（SW）：0 分")
    photo = _photos(calls)
    assert photo and photo[0].params["caption"] == "2026年度考核：各单位得分"
    file_id = (photo[0].result or {})["photo"][-1]["file_id"]
    assert Image.open(io.BytesIO(bytes(city.fake.files[file_id].data))).format == "PNG"
    # The ranking's buttons open a unit's items, and lead back.
    opened = texts(await city.press_label(OFFICE, "SW"))[-1]
    assert "<b>税务局</b>：2026年度考核得分 0 分" in opened
    back = texts(await city.press_label(OFFICE, "返回排名"))[-1]
    assert "各单位得分排名" in back
    # The office judges 一1; the liaison sees the judgment.
    done = texts(await city.say(OFFICE, "/judge SCJG 一1 4.5 领导小组已成立"))[-1]
    assert "已评定：SCJG 一1 组织机构建立情况，2026年度得 4.5 分。" in done
    assert count(db, "judgments", "item = '一1' AND points = '4.5'") == 1
    refused = texts(await city.say(OFFICE, "/judge SCJG 一1 9"))[-1]
    assert "考核项目 一1 的得分为 0 至 5 分" in refused
    assert "/judge 单位代码 项目 得分 说明" in texts(await city.say(OFFICE, "/judge"))[-1]
    mine = texts(await city.say(LIAISON, "/score"))[-1]
    assert "办公室评定：4.5 分（满分 5 分）。领导小组已成立" in mine
    assert "5.5 分" in mine
    # A liaison may not judge.
    assert "只有联席会议办公室" in texts(await city.say(LIAISON, "/judge SCJG 一1 5"))[-1]
    assert count(db, "judgments") == 1


async def test_a_liaison_cannot_open_another_units_score_or_the_ranking(
    city: OfflineBot,
) -> None:
    await city.say(OFFICE, "/score")
    scjg = next(d for _, label, d in city.last_buttons[OFFICE.telegram_id] if label == "SCJG")
    seen = await _press_forged(city, OTHER, scjg)
    visible = str([c.params for c in seen])
    assert "市场监管局" not in visible and "只能管理本单位" in visible
    seen = await _press_forged(city, OTHER, callbacks.SCORE_RANKING.data(2026))
    visible = str([c.params for c in seen])
    assert "只有联席会议办公室" in visible and "市场监管局" not in visible
    assert "年份" in texts(await city.say(LIAISON, "/score next"))[-1]


async def test_the_office_freezes_the_year(city: OfflineBot, db: Database) -> None:
    await city.say(OFFICE, "/score")
    asked = texts(await city.press_label(OFFICE, "冻结2026"))[-1]
    assert "是否按当前得分冻结2026年度考核结果" in asked
    done = texts(await city.press_label(OFFICE, "确认冻结"))[-1]
    assert "🔒 已于2026年12月10日冻结" in done
    assert count(db, "score_snapshots", "year = 2026") == 1
    refused = texts(await city.say(OFFICE, "/judge SCJG 一1 5"))[-1]
    assert "2026年度得分已于 2026-12-10 冻结" in refused
    assert "🔒 已于2026年12月10日冻结" in texts(await city.say(LIAISON, "/score"))[-1]


async def test_the_office_reads_and_tunes_the_rubric(city: OfflineBot, db: Database) -> None:
    shown = texts(await city.say(OFFICE, "/rubric"))[-1]
    assert "<b>2026年度考核评分标准</b>" in shown
    assert "二2 部门联合“双随机、一公开”监管抽查覆盖率（10分）：按比例计分" in shown
    assert "target_ratio = 1（得满分所需的部门联合抽查任务比例；默认 1）" in shown
    done = texts(await city.say(OFFICE, "/rubric 二2 target_ratio 0.5"))[-1]
    assert "已设置2026年度：二2 target_ratio = 0.5。" in done
    assert count(db, "rubric_params", "item = '二2' AND value = '0.5'") == 1
    bad = texts(await city.say(OFFICE, "/rubric 二2 target_ratio 2"))[-1]
    assert "target_ratio 的取值为 0.01 至 1，“2”无效。" in bad
    assert "只有联席会议办公室" in texts(await city.say(LIAISON, "/rubric 二2 target_ratio 1"))[-1]
    assert count(db, "rubric_params") == 1
