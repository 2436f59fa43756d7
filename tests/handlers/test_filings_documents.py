"""In the chat: a unit files its December revision and the office sees it; a liaison files
a document inside /document only (a spreadsheet at any other time is a register import);
the office's unit page; the onboarding defects found by trying the bot as a newcomer."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook

from bot.config import Settings
from bot.demo_city import OFFICE
from bot.fakeapi import FakeBotApi, RecordedCall
from bot.offline import OfflineBot, Person
from bot.services.people import membership
from storage.db import Database
from tests.handlers.conftest import SPEC
from tests.handlers.test_access import _press_forged
from tests.handlers.test_start import texts
from tests.support.registers import count, entities_book, load, person

DECEMBER = datetime(2026, 12, 10, 2, 0, tzinfo=UTC)
LIAISON = Person(2401, "王芳", "zh-hans")
OTHER = Person(2402, "乙联络员", "zh-hans")
STRANGER = Person(9401, "路人", "zh-hans")


@pytest.fixture
async def december(db: Database, settings: Settings) -> AsyncIterator[OfflineBot]:
    """The bot on 10 December 2026, with SCJG (its liaison) and SW (its liaison)."""
    membership.add_admin(db, OFFICE.telegram_id, OFFICE.name)
    membership.add_unit(db, None, "SCJG", "市场监管局")
    membership.add_unit(db, None, "SW", "税务局")
    person(db, LIAISON.telegram_id, liaison_of="SCJG")
    person(db, OTHER.telegram_id, liaison_of="SW")
    bot = OfflineBot(settings, db, fake=FakeBotApi(SPEC), out=io.StringIO(), clock=lambda: DECEMBER)
    await bot.start()
    yield bot
    await bot.stop()
    assert bot.fake.violations == []


def _documents(calls: list[RecordedCall]) -> list[RecordedCall]:
    return [c for c in calls if c.method == "sendDocument"]


async def _send(bot: OfflineBot, who: Person, name: str, data: bytes) -> list[RecordedCall]:
    return await bot.send_file(who, name, data)


async def test_a_unit_files_its_december_revision_and_the_office_sees_it(
    december: OfflineBot, db: Database
) -> None:
    bot = december
    load(db, entities_book(3), now=DECEMBER)
    shown = texts(await bot.say(LIAISON, "/filing"))[-1]
    assert "此前从未备案" in shown and "检查对象：新增 3，变更 0，停用 0" in shown
    assert "2026年下半年" in shown
    # The other unit's liaison cannot file it, whatever they forge.
    unit_button = bot.last_buttons[LIAISON.telegram_id][0][2]
    refused = await _press_forged(bot, OTHER, unit_button)
    assert "只有联席会议办公室" in str([c.params for c in refused])
    assert count(db, "revision_filings") == 0

    calls = await bot.press_label(LIAISON, "确认备案")
    mine = [c for c in calls if c.chat_id == LIAISON.telegram_id]
    assert "已备案：市场监管局2026年下半年修订" in texts(mine)[-1]
    told = [c for c in calls if c.chat_id == OFFICE.telegram_id]
    assert told and "市场监管局已报送2026年下半年两库修订备案" in (told[0].text or "")
    assert count(db, "revision_filings", "year = 2026 AND half = 'H2'") == 2

    overview = texts(await bot.say(OFFICE, "/filings"))[-1]
    assert "2 个单位中已备案 1 个" in overview
    assert "✅ SCJG 市场监管局: 已于" in overview and "⬜ SW 税务局: 未备案" in overview
    calls = await bot.press_label(OFFICE, "全部单位：检查对象")
    sheet = load_workbook(io.BytesIO(bytes(_file(bot, calls)))).active
    assert sheet is not None and sheet.cell(2, 1).value == "单位"
    calls = await bot.press_label(OFFICE, "SCJG：公示名录")
    assert len(_documents(calls)) == 2
    # The liaison is refused the office's overview.
    assert "只有联席会议办公室" in texts(await bot.say(LIAISON, "/filings"))[-1]


def _file(bot: OfflineBot, calls: list[RecordedCall]) -> bytes:
    sent = _documents(calls)[-1]
    file_id = (sent.result or {})["document"]["file_id"]
    return bot.fake.files[file_id].data


async def test_documents_are_taken_inside_the_conversation_only(
    december: OfflineBot, db: Database
) -> None:
    bot = december
    plan = entities_book(1)  # an .xlsx plan document, not a directory
    await bot.say(LIAISON, "/document")
    await bot.press_label(LIAISON, "年度抽查计划")
    assert "请以文件形式发送" in texts(await bot.say(LIAISON, "这就是计划"))[-1]
    refused = texts(await _send(bot, LIAISON, "计划.txt", b"plain text"))[-1]
    assert "无法报送" in refused and ".pdf" in refused
    filed = texts(await _send(bot, LIAISON, "2026年度计划.xlsx", plan))[-1]
    assert "已报送：2026年年度抽查计划，第 1 版——2026年度计划" in filed
    assert count(db, "documents", "kind = 'annual_plan' AND version = 1") == 1
    assert count(db, "imports") == 0
    # Outside the conversation, the same spreadsheet is a register import.
    assert "这是哪个名录" in texts(await _send(bot, LIAISON, "名录.xlsx", plan))[-1]
    await bot.say(LIAISON, "/cancel")

    # The office lists the unit's documents and downloads one.
    await bot.say(OFFICE, "/documents")
    listing = texts(await bot.press_label(OFFICE, "SCJG"))[-1]
    assert "2026年年度抽查计划 第1版：2026年度计划" in listing
    calls = await bot.press_label(OFFICE, "第1版")
    assert _file(bot, calls) == plan
    # Another unit's liaison sees only their own (none).
    assert "税务局尚未报送任何文件" in texts(await bot.say(OTHER, "/documents"))[-1]
    # The office files nothing itself.
    assert "只有成员单位联络员" in texts(await bot.say(OFFICE, "/document"))[-1]


async def test_a_document_too_big_is_refused_before_downloading(
    december: OfflineBot, db: Database
) -> None:
    bot = december
    await bot.say(LIAISON, "/document")
    await bot.press_label(LIAISON, "实施细则")
    update = bot.fake.user_document(LIAISON.telegram_id, "细则.pdf", b"%PDF", file_size=25 * 2**20)
    calls = await bot._feed(LIAISON, update, "(a 25 MB file)")
    assert "文件大小超过20MB" in texts(calls)[-1]
    assert not bot.fake.downloads and count(db, "documents") == 0


async def test_the_office_opens_a_unit_page_and_invites_missing_liaisons(
    december: OfflineBot, db: Database
) -> None:
    bot = december
    membership.add_unit(db, None, "HB", "环保局")
    await bot.say(OFFICE, "/units")
    page = texts(await bot.press_label(OFFICE, "HB"))[-1]
    assert "联络员：暂无" in page and "最近一次修订备案：从未" in page
    first = texts(await bot.press_label(OFFICE, "邀请联络员"))[-1]
    await bot.say(OFFICE, "/units")
    await bot.press_label(OFFICE, "HB")
    again = texts(await bot.press_label(OFFICE, "邀请联络员"))[-1]
    assert "仍然有效" in again and first.split("?start=")[1] == again.split("?start=")[1]
    await bot.say(OFFICE, "/units")
    calls = await bot.press_label(OFFICE, "为所有缺少联络员的单位发邀请")
    assert "1 个邀请链接" in texts(calls)[0] or "?start=" in texts(calls)[0]
    assert first.split("?start=")[1] in texts(calls)[0]
    # A unit that has a liaison: the link is said to make a deputy.
    await bot.say(OFFICE, "/units")
    await bot.press_label(OFFICE, "SCJG")
    deputy = texts(await bot.press_label(OFFICE, "邀请联络员"))[-1]
    assert "副联络员" in deputy and "/handover" in deputy


async def test_a_mistyped_start_code_is_not_valid(bot: OfflineBot) -> None:
    assert "该邀请链接无效" in texts(await bot.say(STRANGER, "/start hello"))[-1]
