"""In the chat: a directory as a provincial platform exports it is previewed with its old
registration numbers warned and no column left unread; a file in which no row has an
identifier is refused with the reason, in the reader's language, and nothing is kept."""

from __future__ import annotations

from bot.offline import OfflineBot
from storage.db import Database
from tests.handlers.test_registers_upload import _city, _upload
from tests.handlers.test_start import texts
from tests.services.test_provincial_import import EXPORT, NAMELESS_KEYS
from tests.support.registers import count


async def test_a_provincial_export_is_previewed_with_nothing_unread(
    bot: OfflineBot, db: Database
) -> None:
    _city(db)
    preview = texts(await _upload(bot, "省平台导出.xlsx", EXPORT))[-1]
    assert "新增：6" in preview and "有错误的行：1" in preview
    assert "未读取的列" not in preview
    assert "注册号" in preview  # the warnings say what was kept
    assert count(db, "unit_entities") == 0


async def test_a_file_without_any_identifier_is_refused_with_the_reason(
    bot: OfflineBot, db: Database
) -> None:
    _city(db)
    answer = texts(await _upload(bot, "名录.xlsx", NAMELESS_KEYS))[-1]
    assert "没有任何一行填写统一社会信用代码、注册号或本单位编号" in answer
    assert "工作表名录" in answer
    assert count(db, "imports") == 0 and count(db, "unit_entities") == 0
