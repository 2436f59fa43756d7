"""Tasks and drawing in the chat (issue #12, parts 1 and 2): a liaison plans a joint task
step by step (a wrong date asked again, /cancel writes nothing), lists it; the partner
unit's liaison sees it but cannot draw; another unit's liaison is refused; the lead
unit's liaison sees the pools (a short pool explained filter by filter), confirms, the
inspectors get their notices and the certificate arrives as a file; the office types a
ceremony's seed."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.demo_city import OFFICE
from bot.fakeapi import FakeBotApi
from bot.offline import OfflineBot, Person
from bot.services.draws import drawing as draws
from bot.services.draws import plans
from bot.services.draws.plans import TargetFilters
from bot.services.people import membership
from handlers import callbacks
from storage.db import Database, reading
from storage.models import Draw, Task
from tests.conftest import TZ
from tests.handlers.conftest import SPEC
from tests.support.city import City, build_city, spec
from tests.support.people import LIAISON_TG, OFFICE_TG, People, add_people

LEAD = Person(LIAISON_TG["SCJG"], "SCJG联络员")
PARTNER = Person(LIAISON_TG["SWJ"], "SWJ联络员")
OTHER = Person(LIAISON_TG["HB"], "HB联络员")
DESK = Person(OFFICE_TG, "办公室")


@pytest.fixture
def settings() -> Settings:
    # No quiet hours and no pacing: the notices of a draw go out within the step.
    return Settings(  # type: ignore[call-arg]
        admin_ids=[OFFICE.telegram_id],
        quiet_start=time(0),
        quiet_end=time(0),
        send_rate_per_chat=1000.0,
        send_rate_overall=1000.0,
        _env_file=None,
    )


@pytest.fixture
async def bot(db: Database, settings: Settings) -> AsyncIterator[OfflineBot]:
    membership.add_admin(db, OFFICE.telegram_id, OFFICE.name)
    session = OfflineBot(settings, db, fake=FakeBotApi(SPEC), out=io.StringIO())
    await session.start()
    yield session
    await session.stop()
    assert session.fake.violations == []


@pytest.fixture
def town(db: Database) -> tuple[City, People]:
    city = build_city(db)
    return city, add_people(db, city)


def _window() -> tuple[str, str]:
    start = datetime.now(UTC).astimezone(TZ).date() + timedelta(days=7)
    return start.isoformat(), (start + timedelta(days=10)).isoformat()


def _texts(bot: OfflineBot, chat_id: int, mark: int = 0) -> str:
    return "\n".join(
        str(c.params.get("text", ""))
        for c in bot.fake.calls[mark:]
        if c.method in ("sendMessage", "editMessageText") and c.chat_id == chat_id
    )


def _answers(bot: OfflineBot, mark: int) -> str:
    return "\n".join(
        str(c.params.get("text", ""))
        for c in bot.fake.calls[mark:]
        if c.method == "answerCallbackQuery"
    )


def _task(db: Database, code: str) -> Task:
    with reading(db) as session:
        return session.execute(select(Task).where(Task.code == code)).scalar_one()


async def _forged(bot: OfflineBot, person: Person, data: str) -> str:
    """A client presses a button the bot never showed this person."""
    from telegram import Update

    assert bot.app is not None
    await bot.say(person, "/me")
    message_id = max(mid for chat, mid in bot.fake.messages if chat == person.telegram_id)
    update = bot.fake.press_button(person.telegram_id, message_id, data, forge=True)
    mark = bot.fake.mark()
    await bot.app.process_update(Update.de_json(update, bot.app.bot))
    await bot.settle()
    return _texts(bot, person.telegram_id, mark) + "\n" + _answers(bot, mark)


async def _plan_joint_task(bot: OfflineBot) -> None:
    start, end = _window()
    await bot.say(LEAD, "/newtask")
    await bot.press_label(LEAD, "M01")
    await bot.press_label(LEAD, "完成")
    await bot.press_label(LEAD, "SWJ")
    await bot.press_label(LEAD, "完成")
    mark = bot.fake.mark()
    await bot.say(LEAD, "行业 餐饮")  # no colon: explained, asked again
    assert "无法识别" in _texts(bot, LEAD.telegram_id, mark)
    await bot.say(LEAD, "区域：城区")
    await bot.press_label(LEAD, "5")  # the first quick choice: 5%
    await bot.press_label(LEAD, "2")
    mark = bot.fake.mark()
    await bot.say(LEAD, "13.45")  # no such day: asked again, nothing kept
    assert "没有这一天" in _texts(bot, LEAD.telegram_id, mark)
    await bot.say(LEAD, f"{start}-{end}")
    await bot.press_label(LEAD, "使用此名称")
    mark = bot.fake.mark()
    shown = _texts(bot, LEAD.telegram_id)
    assert "是否创建以下抽查任务" in shown and "税务局" in shown
    await bot.press_label(LEAD, "创建")
    assert "已列入" in _texts(bot, LEAD.telegram_id, mark)


async def test_a_liaison_plans_a_joint_task_and_cancel_writes_nothing(
    bot: OfflineBot, db: Database, town: tuple[City, People]
) -> None:
    await bot.say(LEAD, "/newtask")
    await bot.press_label(LEAD, "M01")
    mark = bot.fake.mark()
    await bot.say(LEAD, "/cancel")
    assert "未创建任务" in _texts(bot, LEAD.telegram_id, mark)
    assert plans.list_tasks(db) == []

    await _plan_joint_task(bot)
    task = plans.list_tasks(db)[0]
    assert task.unit_codes == ("SCJG", "SWJ") and task.team_size == 2
    assert task.target_filters.areas == ("城区",)
    assert task.code.startswith("SCJG-") and task.status == "planned"

    # Listed for the lead unit and the partner; another unit sees nothing of it.
    mark = bot.fake.mark()
    await bot.say(LEAD, "/tasks")
    assert task.code in _texts(bot, LEAD.telegram_id, mark)
    mark = bot.fake.mark()
    await bot.say(PARTNER, "/tasks")
    assert task.code in _texts(bot, PARTNER.telegram_id, mark)
    await bot.press_label(PARTNER, task.code)
    page = _texts(bot, PARTNER.telegram_id, mark)
    assert "参与单位" in page
    labels = [label for _, label, _ in bot.last_buttons.get(PARTNER.telegram_id, [])]
    assert "抽取" not in labels
    mark = bot.fake.mark()
    await bot.say(OTHER, "/tasks")
    assert task.code not in _texts(bot, OTHER.telegram_id, mark)

    # Forged presses: the partner cannot draw, another unit cannot even look.
    refused = await _forged(bot, PARTNER, callbacks.DRAW_POOLS.data(task.id))
    assert "牵头单位的联络员" in refused
    refused = await _forged(bot, OTHER, callbacks.TASK_PAGE.data(task.id))
    assert "只能管理本单位" in refused and task.name not in refused


async def test_the_lead_liaison_draws_and_the_inspectors_are_told(
    bot: OfflineBot, db: Database, town: tuple[City, People]
) -> None:
    _, people = town
    await _plan_joint_task(bot)
    task = plans.list_tasks(db)[0]

    await bot.say(LEAD, "/tasks")
    await bot.press_label(LEAD, task.code)
    mark = bot.fake.mark()
    await bot.press_label(LEAD, "抽取")
    pools = _texts(bot, LEAD.telegram_id, mark)
    assert "名单池已固定" in pools and "符合条件" in pools
    assert "执法证有效期不足" in pools  # why some of the unit's inspectors are out

    mark = bot.fake.mark()
    await bot.press_label(LEAD, "确认抽取")
    result = _texts(bot, LEAD.telegram_id, mark)
    assert "已完成抽取" in result and "组长在前" in result
    documents = [
        c
        for c in bot.fake.calls[mark:]
        if c.method == "sendDocument" and c.chat_id == LEAD.telegram_id
    ]
    assert len(documents) == 1
    assert _task(db, task.code).status == "drawn"
    # Every drawn inspector got the assignment; no risk class in any notice.
    with reading(db) as session:
        drawn = session.execute(
            select(Draw).where(Draw.task_id == task.id, Draw.purpose == "inspectors")
        ).scalar_one()
    record = draws.show_draw(db, drawn.id)
    members = [m for team in record["teams"] for m in team["members"]]
    assert members and record["actor"] == f"tg:{LEAD.telegram_id}"
    for cert in members:
        told = _texts(bot, people.tg(cert), mark)
        assert task.code in told, cert
        assert "风险" not in told
    # An inspector has /mytasks, never the task lists.
    inspector = Person(people.tg(members[0]), members[0])
    mark = bot.fake.mark()
    await bot.say(inspector, "/tasks")
    listed = _texts(bot, inspector.telegram_id, mark)
    assert "只有联席会议办公室或成员单位联络员" in listed and task.code not in listed
    # The page now offers the certificate, no second draw.
    mark = bot.fake.mark()
    await bot.say(LEAD, "/tasks")
    await bot.press_label(LEAD, task.code)
    labels = [label for _, label, _ in bot.last_buttons.get(LEAD.telegram_id, [])]
    assert "公示证书" in labels and "抽取" not in labels


async def test_a_short_pool_is_explained_filter_by_filter(
    bot: OfflineBot, db: Database, town: tuple[City, People]
) -> None:
    start, end = _window()
    today = datetime.now(UTC).astimezone(TZ).date()
    info = plans.create_task(
        db,
        None,
        spec(
            "SCJG-SHORT-1",
            sampling=plans.parse_sampling("A=2,B=30"),
            window_start=datetime.fromisoformat(start).date(),
            window_end=datetime.fromisoformat(end).date(),
            target_filters=TargetFilters(industries=("餐饮",), areas=("城区",)),
        ),
        today,
    )
    await bot.say(LEAD, "/tasks")
    await bot.press_label(LEAD, info.code)
    mark = bot.fake.mark()
    await bot.press_label(LEAD, "抽取")
    pools = _texts(bot, LEAD.telegram_id, mark)
    assert "名单池不足" in pools
    assert "“行业”条件筛除" in pools and "“区域”条件筛除" in pools
    assert "⚠️" in pools and "B类" in pools
    labels = [label for _, label, _ in bot.last_buttons.get(LEAD.telegram_id, [])]
    assert not any("确认抽取" in label for label in labels)
    assert _task(db, info.code).status == "planned"


async def test_the_office_types_the_ceremony_seed(
    bot: OfflineBot, db: Database, town: tuple[City, People]
) -> None:
    start, end = _window()
    today = datetime.now(UTC).astimezone(TZ).date()
    info = plans.create_task(
        db,
        None,
        spec(
            "SCJG-CEREMONY-1",
            window_start=datetime.fromisoformat(start).date(),
            window_end=datetime.fromisoformat(end).date(),
        ),
        today,
    )
    await bot.say(DESK, "/tasks")
    await bot.press_label(DESK, info.code)
    await bot.press_label(DESK, "抽取")
    await bot.press_label(DESK, "输入公开摇号种子")
    await bot.say(DESK, "03 15 23")  # a typo, shown back and typed again
    assert "03 15 23" in _texts(bot, DESK.telegram_id)
    assert draws.list_draws(db, info.code) == []
    await bot.say(DESK, "０３ １５ ２２")
    mark = bot.fake.mark()
    await bot.press_label(DESK, "按此种子抽取")
    shown = _texts(bot, DESK.telegram_id, mark)
    assert "检查对象已抽取" in shown and "执法检查人员" in shown
    await bot.press_label(DESK, "输入公开摇号种子")
    await bot.say(DESK, "07 11 29")
    mark = bot.fake.mark()
    await bot.press_label(DESK, "按此种子抽取")
    assert "已完成抽取" in _texts(bot, DESK.telegram_id, mark)
    found = draws.list_draws(db, info.code)
    assert [d.seed_input for d in found] == ["０３ １５ ２２", "07 11 29"]
    assert [c.method for c in bot.fake.calls[mark:] if c.chat_id == DESK.telegram_id].count(
        "sendDocument"
    ) == 1


def _plan_file(rows: list[dict[str, object]]) -> bytes:
    from openpyxl import Workbook

    from bot.domain.draws.plan_sheet import PLAN_SPEC

    headers = [f.header for f in PLAN_SPEC.fields]
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["市场监管局年度双随机抽查计划"])
    sheet.append(headers)
    for row in rows:
        sheet.append([row.get(h) for h in headers])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _plan_row(code: str, start: str, end: str) -> dict[str, object]:
    return {
        "任务编号": code,
        "任务名称": "食品经营抽查",
        "抽查事项编码": "M01",
        "抽取数量/抽取比例": "5",
        "每组检查人员数": 2,
        "每组检查对象数": 1,
        "开始日期": start,
        "结束日期": end,
    }


async def test_a_liaison_imports_the_plan_file(
    bot: OfflineBot, db: Database, town: tuple[City, People]
) -> None:
    start, end = _window()
    mark = bot.fake.mark()
    await bot.say(LEAD, "/planfile")
    sent = [c for c in bot.fake.calls[mark:] if c.chat_id == LEAD.telegram_id]
    assert [c.method for c in sent].count("sendDocument") == 1  # the template

    # A row with an error: explained, an error report, nothing to import.
    mark = bot.fake.mark()
    bad = _plan_file([_plan_row("SCJG-P-001", start, end), _plan_row("SCJG-P-002", end, start)])
    await bot.send_file(LEAD, "计划.xlsx", bad)
    shown = _texts(bot, LEAD.telegram_id, mark)
    assert "有错误的行：1" in shown and "结束日期" in shown
    assert not any(label == "导入" for _, label, _ in bot.last_buttons.get(LEAD.telegram_id, []))
    assert plans.list_tasks(db) == []

    # The corrected file: checked, then imported.
    mark = bot.fake.mark()
    good = _plan_file([_plan_row("SCJG-P-001", start, end)])
    await bot.send_file(LEAD, "计划.xlsx", good)
    assert plans.list_tasks(db) == []  # a check writes nothing
    await bot.press_label(LEAD, "导入")
    assert "年度抽查计划已导入" in _texts(bot, LEAD.telegram_id, mark)
    assert [t.code for t in plans.list_tasks(db)] == ["SCJG-P-001"]
