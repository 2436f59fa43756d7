"""A liaison keeps the unit's directory from the phone: template, upload with bad rows,
preview and error report, corrected upload, apply — and every wrong file gets a precise
answer before any work."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from telegram import Update

from bot.fakeapi import RecordedCall
from bot.i18n import translator
from bot.offline import OfflineBot, Person
from bot.services.people import membership
from bot.services.registers import uploads
from handlers import callbacks
from handlers.registers import chat
from storage.db import Database
from storage.isolation import _context as isolation_context
from tests.handlers.test_access import _press_forged
from tests.handlers.test_start import texts
from tests.services.test_hostile_uploads import EXPECTED, HOSTILE
from tests.support.held import held_after_first_rows
from tests.support.registers import (
    ENTITY_HEADER,
    book,
    count,
    entity_rows,
    large_entities_book,
    person,
)

LIAISON = Person(2301, "王芳", "zh-hans")
OTHER = Person(2302, "乙联络员", "zh-hans")


def _city(db: Database) -> None:
    membership.add_unit(db, None, "SCJG", "市场监管局")
    membership.add_unit(db, None, "SW", "税务局")
    person(db, LIAISON.telegram_id, liaison_of="SCJG")
    person(db, OTHER.telegram_id, liaison_of="SW")


async def _send(bot: OfflineBot, who: Person, name: str, data: bytes, **extra: object) -> list:  # type: ignore[type-arg]
    update = bot.fake.user_document(who.telegram_id, name, data, **extra)  # type: ignore[arg-type]
    return await bot._feed(who, update, f"(sends {name})")


async def _upload(
    bot: OfflineBot, name: str, data: bytes, mode: str = "新增和更新"
) -> list[RecordedCall]:
    calls = await _send(bot, LIAISON, name, data)
    assert "这是哪个名录" in texts(calls)[-1]
    await bot.press_label(LIAISON, "检查对象名录库")
    return await bot.press_label(LIAISON, mode)


def _documents(calls: list[RecordedCall]) -> list[RecordedCall]:
    return [c for c in calls if c.method == "sendDocument"]


async def test_template_then_bad_rows_then_corrected_upload(bot: OfflineBot, db: Database) -> None:
    _city(db)
    await bot.say(LIAISON, "/template")
    calls = await bot.press_label(LIAISON, "检查对象名录库")
    template = _documents(calls)
    assert len(template) == 1 and template[0].params["document"].file_name.endswith(".xlsx")

    rows = entity_rows(4)
    rows[2][1] = "91410481MA00000XXX"  # a malformed USCC
    calls = await _upload(bot, "名录.xlsx", book([ENTITY_HEADER, *rows]))
    shown = texts(calls)
    assert shown[0] == "正在读取 名录.xlsx……"
    preview = shown[-1]
    assert "新增：3" in preview and "有错误的行：1" in preview
    assert "第4行，B 统一社会信用代码 列" in preview  # where Excel shows it
    report = _documents(calls)
    assert len(report) == 1 and "错误报告" in report[0].params["document"].file_name
    assert count(db, "unit_entities") == 0  # nothing is written before a confirmation

    # The other unit's liaison cannot apply it, whatever they forge.
    import_id = int(bot.last_buttons[LIAISON.telegram_id][0][2].rsplit(":", 1)[1])
    for button in (callbacks.IMPORT_APPLY_VALID, callbacks.IMPORT_DISCARD):
        refused = await _press_forged(bot, OTHER, button.data(import_id))
        assert "只能管理本单位" in str([c.params for c in refused])
    assert count(db, "unit_entities") == 0

    # Corrected, uploaded again: clean, applied.
    rows[2][1] = entity_rows(1, start=2)[0][1]
    calls = await _upload(bot, "名录.xlsx", book([ENTITY_HEADER, *rows]))
    assert "新增：4" in texts(calls)[-1] and not _documents(calls)
    calls = await bot.press_label(LIAISON, "导入")
    assert "已导入" in texts(calls)[-1]
    assert count(db, "unit_entities") == 4


async def test_apply_the_valid_rows_and_discard(bot: OfflineBot, db: Database) -> None:
    _city(db)
    rows = entity_rows(3)
    rows[0][1] = "not a code"
    await _upload(bot, "a.xlsx", book([ENTITY_HEADER, *rows]))
    calls = await bot.press_label(LIAISON, "仅导入无误的行")
    assert "已导入" in texts(calls)[-1]
    assert count(db, "unit_entities") == 2

    await _upload(bot, "b.xlsx", book([ENTITY_HEADER, *entity_rows(2, start=10)]))
    calls = await bot.press_label(LIAISON, "放弃")
    assert texts(calls)[-1] == "已放弃，未做任何更改。"
    assert count(db, "unit_entities") == 2


async def test_mass_deactivation_asks_a_second_time(bot: OfflineBot, db: Database) -> None:
    _city(db)
    await _upload(bot, "all.xlsx", book([ENTITY_HEADER, *entity_rows(10)]))
    await bot.press_label(LIAISON, "导入")
    await _upload(bot, "one.xlsx", book([ENTITY_HEADER, *entity_rows(1)]), mode="全库替换")
    calls = await bot.press_label(LIAISON, "导入")
    assert "完整名录" in texts(calls)[-1]
    assert count(db, "unit_entities", "active") == 10
    calls = await bot.press_label(LIAISON, "是，停用这些记录")
    assert "已导入" in texts(calls)[-1]
    assert count(db, "unit_entities", "active") == 1


async def test_wrong_files_get_a_precise_answer(bot: OfflineBot, db: Database) -> None:
    _city(db)
    answers = {
        "photo": texts(
            await bot._feed(LIAISON, bot.fake.user_photo(LIAISON.telegram_id, b"jpg"), "(photo)")
        ),
        "csv": texts(await _send(bot, LIAISON, "名录.csv", b"a,b\n1,2\n")),
        "docx": texts(await _send(bot, LIAISON, "细则.docx", b"PK\x03\x04")),
        "big": texts(await _send(bot, LIAISON, "大.xlsx", b"PK", file_size=25 * 2**20)),
    }
    assert "无法识别表格照片" in answers["photo"][0]
    assert "CSV" in answers["csv"][0]
    assert "不是电子表格" in answers["docx"][0] and "/document" in answers["docx"][0]
    assert "25.0 MB" in answers["big"][0]
    assert count(db, "imports") == 0


async def test_a_file_that_is_no_workbook_is_refused_with_the_reason(
    bot: OfflineBot, db: Database
) -> None:
    _city(db)
    calls = await _upload(bot, "假的.xlsx", b"<html>not a workbook</html>")
    assert "以Excel文件名保存的网页" in texts(calls)[-1]
    assert count(db, "imports") == 0


@pytest.fixture(scope="session")
def hundred_thousand_rows() -> bytes:
    """A valid directory of 100,000 market entities, made once per session."""
    return large_entities_book(100_000)


class SteppedClock:
    """The bot's pacing clock (BotData.monotonic): it moves ``step`` seconds each time the
    child reports rows read, and never on its own."""

    def __init__(self, step: float) -> None:
        self.now = 0.0
        self.step = step

    def __call__(self) -> float:
        return self.now


def _rows_shown(text: str) -> int:
    """The rows read a progress message shows ("…已校验 5,000 / 100,000 行……")."""
    return int(text.split("已校验 ")[1].split(" ", maxsplit=1)[0].replace(",", ""))


async def test_others_are_answered_while_a_large_file_is_checked(
    bot: OfflineBot, db: Database, monkeypatch: pytest.MonkeyPatch, hundred_thousand_rows: bytes
) -> None:
    """A 100,000-row file is checked in its child process beside the update loop: the
    bot answers at once, its one status message follows the rows read (at most every
    three seconds of the pacing clock, never the same text twice), and another user's
    /help is answered while the child — held at a barrier once it has reported its first
    5,000 rows — is still working. No sleeping, no timing."""
    _city(db)
    assert bot.app is not None
    pacing = bot.app.bot_data.settings.progress_seconds
    assert pacing == 3.0
    clock = SteppedClock(step=pacing + 0.5)
    bot.app.bot_data.monotonic = clock
    release = isolation_context().Event()
    reading = threading.Event()
    real = uploads.run_isolated

    def held(function: Any, *args: Any, progress: Any, **kwargs: Any) -> Any:
        def report(rows: int, total: int | None) -> None:  # in the bot's worker thread
            clock.now += clock.step
            progress(rows, total)
            if rows:
                reading.set()

        return real(held_after_first_rows, release, function, *args, progress=report, **kwargs)

    monkeypatch.setattr(uploads, "run_isolated", held)
    mark = bot.fake.mark()
    await _send(bot, LIAISON, "大.xlsx", hundred_thousand_rows)
    await bot.press_label(LIAISON, "检查对象名录库")
    message_id = bot.last_buttons[LIAISON.telegram_id][0][0]
    press = bot.fake.press_button(
        LIAISON.telegram_id, message_id, callbacks.UPLOAD_MODE.data("update")
    )
    await bot.app.process_update(Update.de_json(press, bot.app.bot))  # returns at once
    status = await bot.fake.wait_for(
        lambda c: c.method == "sendMessage" and (c.text or "").startswith("正在读取"), since=mark
    )
    assert status.text == "正在读取 大.xlsx……" and status.chat_id == LIAISON.telegram_id
    assert await asyncio.to_thread(reading.wait, 60)
    await bot.fake.wait_for(
        lambda c: c.method == "editMessageText" and "5,000 / 100,000" in (c.text or ""),
        timeout=30,
        since=mark,
    )

    asked = bot.fake.mark()
    await bot.app.process_update(
        Update.de_json(bot.fake.user_message(OTHER.telegram_id, "/help"), bot.app.bot)
    )
    answered = [c for c in bot.fake.calls[asked:] if c.chat_id == OTHER.telegram_id]
    assert answered and "您可以在这里" in (answered[0].text or "")
    assert count(db, "imports") == 0  # the child is still at its barrier

    # The other 19 reports come a second of the pacing clock apart: six edits at most.
    clock.step = 1.0
    release.set()
    await bot.settle()
    assert count(db, "imports") == 1
    edits = [
        c.text or ""
        for c in bot.fake.calls[mark:]
        if c.method == "editMessageText" and c.params["message_id"] == status.result["message_id"]
    ]
    progress, final = edits[:-1], edits[-1]
    assert progress and all(text.startswith("正在读取 大.xlsx：已校验 ") for text in progress)
    shown = [_rows_shown(text) for text in progress]
    assert shown[0] == 5_000 and shown == sorted(set(shown))  # rising, never twice
    assert len(shown) - 1 <= 19 // 3, shown
    assert "新增：100000" in final, final


class _Status:
    """The status message, recording its edits."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.edits: list[str] = []
        self.edited = asyncio.Event()

    async def edit_text(self, text: str, **_: Any) -> None:
        self.text = text
        self.edits.append(text)
        self.edited.set()


async def test_progress_waits_out_its_pause_and_never_repeats_a_text() -> None:
    """The pacing on its own, on a clock the test moves: a report within the pause is not
    shown, a report that would show the same text is not shown, and the check's end stops
    it at once (whatever pause it was waiting out)."""
    now = 0.0
    read = asyncio.Event()  # set each time the pacing reads its clock

    def clock() -> float:
        read.set()
        return now

    async def report(rows: int) -> None:
        """A report of rows read of 20,000, and the pacing's look at its clock for it."""
        read.clear()
        progress(rows, 20_000)
        await asyncio.wait_for(read.wait(), 10)

    status = _Status("正在读取 a.xlsx……")
    t = translator("zh_Hans")
    upload = chat.Upload(1, "file", "a.xlsx", "SCJG", "entities", "update", None, t)  # type: ignore[arg-type]
    progress = chat.Progress(asyncio.get_running_loop())
    pacing = chat.Pacing(3.0, clock)
    shower = asyncio.create_task(chat._show_progress(status, upload, progress, pacing))  # type: ignore[arg-type]
    await asyncio.wait_for(read.wait(), 10)  # its pause counts from 0
    await report(5_000)  # within the pause: not shown
    assert status.edits == []
    now = 3.0
    await report(5_000)
    await asyncio.wait_for(status.edited.wait(), 10)
    now = 10.0
    progress(5_000, 20_000)  # the text it shows
    await report(10_000)
    now = 11.0
    await report(15_000)  # within the pause
    progress.finish()
    await asyncio.wait_for(shower, 10)
    assert status.edits == [
        "正在读取 a.xlsx：已校验 5,000 / 20,000 行……",
        "正在读取 a.xlsx：已校验 10,000 / 20,000 行……",
    ]


async def test_a_file_the_reader_cannot_finish_leaves_the_bot_serving(
    bot: OfflineBot, db: Database
) -> None:
    """The preview runs in a child process: when the child runs out of its memory budget
    the liaison is told why, nothing is stored, and the next upload is checked as usual."""
    _city(db)
    assert bot.app is not None
    settings = bot.app.bot_data.settings
    bot.app.bot_data.settings = settings.model_copy(update={"reader_memory_mb": 64})
    calls = await _upload(bot, "a.xlsx", book([ENTITY_HEADER, *entity_rows(2)]))
    assert "内存" in texts(calls)[-1] and "64" in texts(calls)[-1]
    assert count(db, "imports") == 0
    bot.app.bot_data.settings = settings
    calls = await _upload(bot, "a.xlsx", book([ENTITY_HEADER, *entity_rows(2)]))
    assert "新增：2" in texts(calls)[-1]
    assert count(db, "imports") == 1


@pytest.mark.parametrize("case", sorted(HOSTILE))
async def test_hostile_workbooks_are_refused_in_the_chat(
    bot: OfflineBot, db: Database, case: str
) -> None:
    """Each hostile file of the untrusted-input tests, sent in the chat: refused with its
    sentence by the child that checks it, nothing stored, and the bot checks the next
    file as usual."""
    _city(db)
    assert bot.app is not None
    settings = bot.app.bot_data.settings
    # The bombs are a few dozen MB: the limit is lowered to match (as the CLI tests do).
    bot.app.bot_data.settings = settings.model_copy(update={"upload_unpacked_max_mb": 32})
    calls = await _upload(bot, f"{case}.xlsx", HOSTILE[case]())
    assert EXPECTED[case][1] in texts(calls)[-1], case
    assert count(db, "imports") == 0
    calls = await _upload(bot, "ok.xlsx", book([ENTITY_HEADER, *entity_rows(1)]))
    assert "新增：1" in texts(calls)[-1]
