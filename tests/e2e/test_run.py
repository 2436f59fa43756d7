"""End to end: ``dsr run`` against the fake Bot API over HTTP, users in two languages."""

from __future__ import annotations

from pathlib import Path

from bot.fakeapi import FakeBotApi, RecordedCall
from tests.e2e.conftest import SPEC, TOKEN, dsr_run

ZH_USER = 7001
EN_USER = 7002


def _reply_to(chat_id: int, since: int):  # type: ignore[no-untyped-def]
    def matches(call: RecordedCall) -> bool:
        return call.method in ("sendMessage", "editMessageText") and call.chat_id == chat_id

    return matches


async def _ask(fake: FakeBotApi, user: int, text: str, language: str) -> RecordedCall:
    since = fake.mark()
    fake.user_message(user, text, language_code=language)
    return await fake.wait_for(_reply_to(user, since), timeout=20, since=since)


async def test_start_help_lang_in_both_languages(database_url: str, tmp_path: Path) -> None:
    fake = FakeBotApi(SPEC)
    async with dsr_run(fake, database_url, tmp_path):
        zh_start = await _ask(fake, ZH_USER, "/start", "zh-hans")
        en_start = await _ask(fake, EN_USER, "/start", "en")
        zh_help = await _ask(fake, ZH_USER, "/help", "zh-hans")
        en_help = await _ask(fake, EN_USER, "/help", "en")
        zh_lang = await _ask(fake, ZH_USER, "/lang", "zh-hans")
        en_lang = await _ask(fake, EN_USER, "/lang", "en")

        since = fake.mark()
        message_id = en_lang.result["message_id"]
        fake.press_button(EN_USER, message_id, "1:lang:zh_Hans", language_code="en")
        switched = await fake.wait_for(_reply_to(EN_USER, since), timeout=20, since=since)
        after = await _ask(fake, EN_USER, "/help", "en")

    assert "欢迎使用" in (zh_start.text or "")
    assert "Welcome" in (en_start.text or "")
    assert "您可以在这里" in (zh_help.text or "")
    assert "What you can do here" in (en_help.text or "")
    assert zh_lang.text == "请选择语言："
    assert en_lang.text == "Choose your language:"
    assert switched.text == "语言已设置为：中文（简体）。"
    assert "您可以在这里" in (after.text or "")
    assert fake.violations == []
    log = (tmp_path / "dsr-run.log").read_text(encoding="utf-8", errors="replace")
    assert TOKEN not in log  # httpx would log URLs with the token at INFO
    assert TOKEN.split(":")[1] not in log
