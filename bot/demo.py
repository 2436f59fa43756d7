"""The demo city (舞钢市) and its scripted session: what a newcomer runs first.

Every step is an Update fed to the real Application; the transcript is rendered from the
Bot API calls the bot made. It grows with every capability.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import TextIO

from bot.config import Settings
from bot.demo_city import (
    DEFAULT_DEMO_URL,
    GUEST,
    INSPECTOR,
    INSPECTOR_PEOPLE,
    INSPECTORS,
    LIAISON,
    OFFICE,
    TAX_LIAISON,
    VISITOR,
    DemoDatabaseNotEmptyError,
    certificate_valid_until,
    demo_directory,
    matter_list,
    prepare_city,
    tax_directory,
)
from bot.i18n import translator
from bot.jobs.broadcasts import broadcast_progress
from bot.offline import OfflineBot, Person
from bot.services.people import membership
from bot.services.people.notices import NoticeContext
from bot.services.reminders.revisions import due_revision_reminders
from handlers.context import DsrContext
from storage.db import Database

# A stand-in for the unit's rules document (实施细则), as a liaison would send it.
RULES_PDF = "%PDF-1.4\n% 舞钢市市场监督管理局双随机抽查工作实施细则\n%%EOF\n".encode()


class DemoClock:
    """The bot's clock in the demo: the real time, until the demo moves it forward to
    December for the half-year revision (the filing window is December 1–31)."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def to_december(self, tz: tzinfo) -> None:
        now = self()
        local = now.astimezone(tz)
        if local.month != 12:
            self.offset += datetime(local.year, 12, 10, 10, 0, tzinfo=tz) - now


def play(settings: Settings, *, database_url: str | None, reset: bool, out: TextIO) -> int:
    url = database_url or DEFAULT_DEMO_URL
    try:
        database, demo_settings = prepare_city(settings, url, reset=reset)
    except DemoDatabaseNotEmptyError:
        t = translator(settings.default_locale)
        said = t._("{url} is not empty; add --reset to replace its contents.", url=url)
        out.write(f"dsr demo: {said}\n")
        return 2
    try:
        bot = OfflineBot(demo_settings, database, out=out, clock=DemoClock())
        asyncio.run(_script(bot, database, out))
    finally:
        database.dispose()
    return 0


def _title(out: TextIO, text_: str) -> None:
    out.write(f"\n══ {text_} ══\n")


async def _script(bot: OfflineBot, database: Database, out: TextIO) -> None:
    await bot.start()
    try:
        _title(out, "1. 陌生人打开机器人 / a stranger opens the bot")
        await bot.say(GUEST, "/start")
        await bot.say(GUEST, "/units")
        await bot.say(VISITOR, "/start")
        await bot.say(VISITOR, "/lang")
        await bot.press_label(VISITOR, "中文")

        _title(out, "2. 办公室建立成员单位 / the office adds member units")
        await bot.say(OFFICE, "/start")
        await bot.say(OFFICE, "/help")
        await bot.say(OFFICE, "/addunit SCJG 舞钢市市场监督管理局")
        # Step by step: the bot asks for the code, then the name, then confirms.
        await bot.say(OFFICE, "/addunit")
        await bot.say(OFFICE, "税务")
        await bot.say(OFFICE, "sw")
        await bot.say(OFFICE, "国家税务总局舞钢市税务局")
        await bot.press_label(OFFICE, "添加")
        # Changing one's mind: /cancel ends the conversation and nothing is added.
        await bot.say(OFFICE, "/addunit HB")
        await bot.say(OFFICE, "/cancel")
        await bot.say(OFFICE, "谢谢")
        # The registers issue brings the Excel import; until then the directory is seeded.
        valid_until = certificate_valid_until(_days_ahead(bot, 0))
        for unit, name, cert in INSPECTORS:
            await asyncio.to_thread(
                membership.add_inspector, database, None, unit, name, cert, valid_until=valid_until
            )
        await bot.say(OFFICE, "/units")

        _title(out, "3. 邀请联络员 / the office invites a liaison")
        await bot.press_label(OFFICE, "SCJG")  # the unit's page
        calls = await bot.press_label(OFFICE, "邀请联络员")
        code = _invite_code(calls)
        await bot.say(LIAISON, f"/start {code}")
        await bot.say(LIAISON, f"/start {code}")

        _title(out, "4. 联络员邀请执法检查人员 / the liaison invites the inspectors")
        await bot.say(LIAISON, "/inspectors")
        calls = await bot.press_label(LIAISON, "全部")
        await _join(bot, calls)
        await bot.say(INSPECTOR, "/help")
        await bot.say(INSPECTOR, "/units")

        _title(out, "5. 人员与邀请 / people and pending invitations")
        await bot.say(LIAISON, "/people")
        await bot.say(LIAISON, "/invites")

        _title(out, "6. 联络员用 Excel 维护名录 / the liaison keeps the directory in Excel")
        await bot.say(LIAISON, "/template")
        await bot.press_label(LIAISON, "检查对象名录库")
        # A file with one mistyped code: the preview names the cell, the report marks it.
        await bot.send_file(LIAISON, "检查对象名录.xlsx", demo_directory(mistake=True))
        await bot.press_label(LIAISON, "检查对象名录库")
        await bot.press_label(LIAISON, "新增和更新")
        await bot.press_label(LIAISON, "放弃")
        # Corrected and sent again: clean, applied.
        await bot.send_file(LIAISON, "检查对象名录.xlsx", demo_directory(mistake=False))
        await bot.press_label(LIAISON, "检查对象名录库")
        await bot.press_label(LIAISON, "新增和更新")
        await bot.press_label(LIAISON, "导入")
        await bot.send_file(LIAISON, "名录照片.jpg", b"\xff\xd8 not really a photo")

        _title(out, "6a. 在聊天中修改一条记录 / the liaison changes one record in the chat")
        await bot.say(LIAISON, "/find 寺坡")
        await bot.press_label(LIAISON, "舞钢市寺坡食品厂")
        await bot.press_label(LIAISON, "修改")
        await bot.press_label(LIAISON, "风险等级")
        await bot.say(LIAISON, "E类")  # not a risk class: said precisely, asked again
        await bot.press_label(LIAISON, "C类")
        await bot.press_label(LIAISON, "确认")
        await bot.press_label(LIAISON, "变更记录")

        _title(out, "7. 检查人员登记出差 / an inspector marks a trip, the liaison sees who is away")
        first, last = _days_ahead(bot, 3), _days_ahead(bot, 5)
        await bot.say(INSPECTOR, "/away")
        await bot.press_label(INSPECTOR, "出差")
        await bot.say(INSPECTOR, "6.31")  # no such day: asked again
        # Typed as on a leave slip: "6.3-6.5".
        await bot.say(INSPECTOR, f"{first.month}.{first.day}-{last.month}.{last.day}")
        await bot.say(INSPECTOR, "省局执法培训")
        await bot.press_label(INSPECTOR, "确认")
        await bot.say(LIAISON, f"/whoaway {_days_ahead(bot, 4).month}.{_days_ahead(bot, 4).day}")

        _title(out, "8. 群聊 / someone adds the bot to a group")
        await bot.group_add(LIAISON, -100123)

        await _documents_and_december(bot, out)
        await _second_unit_joins(bot, out)
        await _joint_task_drawn_and_answered(bot, out)
        await _december_reminder(bot, database, out)
        await _office_broadcast(bot, out)
        await _evaluation(bot, out)
    finally:
        await bot.stop()


async def _documents_and_december(bot: OfflineBot, out: TextIO) -> None:
    _title(out, "9. 报送实施细则 / the liaison files the unit's rules document")
    await bot.say(LIAISON, "/document")
    await bot.press_label(LIAISON, "实施细则")
    await bot.send_file(LIAISON, "实施细则.pdf", RULES_PDF)
    await bot.say(OFFICE, "/documents")
    await bot.press_label(OFFICE, "SCJG")

    _title(out, "10. 十二月修订备案 / December: the half-year revision of both directories")
    if isinstance(bot.clock, DemoClock):
        bot.clock.to_december(bot.settings.tz)
    await bot.say(LIAISON, "/filing")
    await bot.press_label(LIAISON, "确认备案")
    await bot.say(OFFICE, "/filings")
    await bot.press_label(OFFICE, "全部单位：检查对象")
    await bot.say(OFFICE, "/units")
    await bot.press_label(OFFICE, "SCJG")


async def _evaluation(bot: OfflineBot, out: TextIO) -> None:
    _title(out, "15. 年度考核 / December: the 100-point evaluation")
    await bot.say(OFFICE, "/judge SCJG 一1 5 已成立领导小组，建立相关工作制度")
    await bot.say(LIAISON, "/score")
    await bot.say(OFFICE, "/score")
    await bot.press_label(OFFICE, "SCJG")


async def _upload(bot: OfflineBot, person: Person, name: str, data: bytes, register: str) -> None:
    """A liaison sends a workbook, says which register it is and applies it."""
    await bot.send_file(person, name, data)
    await bot.press_label(person, register)
    await bot.press_label(person, "新增和更新")
    await bot.press_label(person, "导入")


async def _second_unit_joins(bot: OfflineBot, out: TextIO) -> None:
    _title(
        out,
        "11. 税务局加入，两个单位报送抽查事项清单 / the tax bureau joins; both units list their matters",
    )
    await bot.say(OFFICE, "/units")
    await bot.press_label(OFFICE, "SW")
    calls = await bot.press_label(OFFICE, "邀请联络员")
    await bot.say(TAX_LIAISON, f"/start {_invite_code(calls)}")
    await bot.say(TAX_LIAISON, "/inspectors")
    calls = await bot.press_label(TAX_LIAISON, "全部")
    await _join(bot, calls)
    await _upload(bot, LIAISON, "抽查事项清单.xlsx", matter_list("SCJG"), "抽查事项清单")
    await _upload(bot, TAX_LIAISON, "抽查事项清单.xlsx", matter_list("SW"), "抽查事项清单")
    await _upload(bot, TAX_LIAISON, "检查对象名录.xlsx", tax_directory(), "检查对象名录库")


# The joint task the lead unit's liaison plans and draws in the chat (the matters of
# demo_city.DEMO_MATTERS).
JOINT_TASK_NAME = "食品经营与发票使用联合抽查"
RECUSAL_REASON = "本人配偶在被抽中的企业任财务负责人"


async def _task_planned_in_the_chat(bot: OfflineBot, out: TextIO) -> None:
    """The lead unit's liaison plans the joint task step by step (/newtask)."""
    first, last = _days_ahead(bot, 14), _days_ahead(bot, 24)
    await bot.say(LIAISON, "/newtask")
    await bot.press_label(LIAISON, "SC-01")
    await bot.press_label(LIAISON, "完成")
    await bot.press_label(LIAISON, "SW")  # the tax bureau joins: a joint task
    await bot.press_label(LIAISON, "完成")
    await bot.press_label(LIAISON, "不筛选")
    await bot.say(LIAISON, "1")  # one company, typed
    await bot.press_label(LIAISON, "2")  # two inspectors, one of each unit
    await bot.say(LIAISON, f"{first.month}.{first.day}-{last.month}.{last.day}")
    await bot.say(LIAISON, JOINT_TASK_NAME)
    await bot.press_label(LIAISON, "创建")


async def _joint_task_drawn_and_answered(bot: OfflineBot, out: TextIO) -> None:
    _title(
        out,
        "12. 联络员在聊天中创建并抽取联合检查任务，检查人员确认或申请回避 / a joint task is "
        "planned and drawn in the chat; inspectors answer",
    )
    await _task_planned_in_the_chat(bot, out)
    await bot.say(LIAISON, "/tasks")
    await bot.press_label(LIAISON, JOINT_TASK_NAME)
    await bot.press_label(LIAISON, "抽取")  # the pools, with their digests
    calls = await bot.press_label(LIAISON, "确认抽取")
    calls += await bot.deliver()  # the assignment notices and the units' summaries
    drawn = [
        person
        for person in INSPECTOR_PEOPLE.values()
        if any(c.chat_id == person.telegram_id and "【检查任务】" in (c.text or "") for c in calls)
    ]
    leader, member = drawn[:2]
    await bot.press_label(leader, "确认收到")
    await bot.press_label(member, "申请回避")
    await bot.say(member, RECUSAL_REASON)
    await bot.press_label(LIAISON, "批准")  # the lead unit's liaison decides
    await bot.say(leader, "/mytasks")


async def _december_reminder(bot: OfflineBot, database: Database, out: TextIO) -> None:
    _title(
        out,
        "13. 十二月修订提醒 / the December reminder reaches a unit that has not filed",
    )
    settings = bot.settings
    now = bot.clock() if bot.clock is not None else datetime.now(UTC)
    notices = NoticeContext(now, settings, settings.default_locale)
    # What the reminders' job finds at its next run (every few minutes, and at start).
    await asyncio.to_thread(due_revision_reminders, database, notices, settings)
    await bot.deliver()
    await bot.say(OFFICE, "/reminders")
    await bot.say(TAX_LIAISON, "/filing")
    await bot.press_label(TAX_LIAISON, "确认备案")


async def _join(bot: OfflineBot, calls: list) -> None:  # type: ignore[type-arg]
    """Each inspector named in an invitation message opens his own link."""
    for name, code in _invite_codes(calls):
        person = next(p for p in INSPECTOR_PEOPLE.values() if p.name == name)
        await bot.say(person, f"/start {code}")


async def _office_broadcast(bot: OfflineBot, out: TextIO) -> None:
    """The office's announcement to every liaison, its progress and its delivery report
    (in quiet hours the preview says the messages wait for the morning)."""
    _title(out, "14. 办公室群发通知 / the office broadcasts a notice to all liaisons")
    await bot.say(OFFICE, "/broadcast")
    await bot.say(OFFICE, "请各成员单位于12月20日前报送2027年度抽查计划。")
    await bot.press_label(OFFICE, "所有联络员")
    await bot.press_label(OFFICE, "确认发送")
    # What the running bot's job does every few seconds: edit the progress message and,
    # once nothing is pending, send the report (through the outbox, at the chats' pace).
    assert bot.app is not None
    for _ in range(12):
        mark = bot.fake.mark()
        await broadcast_progress(DsrContext(bot.app))
        if bot.app.bot_data.sender is not None:
            await bot.app.bot_data.sender.run_once()
        for call in bot.fake.calls[mark:]:
            bot.render(call)
        if _has_button(bot, "下载送达报告"):
            await bot.press_label(OFFICE, "下载送达报告")
            return
        await asyncio.sleep(0.5)


def _has_button(bot: OfflineBot, label: str) -> bool:
    return any(label in shown for _, shown, _ in bot.last_buttons.get(OFFICE.telegram_id, []))


def _days_ahead(bot: OfflineBot, days: int) -> date:
    """A day ahead of today in the office's time zone, on the bot's clock."""
    now = bot.clock() if bot.clock is not None else datetime.now(UTC)
    return now.astimezone(bot.settings.tz).date() + timedelta(days=days)


def _invite_codes(calls: list) -> list[tuple[str, str]]:  # type: ignore[type-arg]
    """(name, code) of every link in the bot's messages: a name's line, then its link."""
    found = []
    for call in calls:
        name = ""
        for line in (call.text or "").splitlines():
            if "?start=" in line:
                found.append((name, line.split("?start=", 1)[1].split()[0]))
            elif line.strip():
                name = line.split(" — ", 1)[0].strip()
    return found


def _invite_code(calls: list) -> str:  # type: ignore[type-arg]
    for _, code in _invite_codes(calls):
        return code
    raise LookupError("the bot sent no invitation link")
