"""/start, /help, /lang and /cancel in both languages; the error handler."""

from __future__ import annotations

import logging

import pytest
from telegram.ext import CommandHandler

from bot.demo_city import OFFICE
from bot.offline import OfflineBot, Person

ZH_GUEST = Person(9001, "陈先生", "zh-hans")
EN_GUEST = Person(9002, "Alex", "en-US")
OTHER_GUEST = Person(9003, "Jean", "fr")


def texts(calls: list) -> list[str]:  # type: ignore[type-arg]
    return [c.text for c in calls if c.method in ("sendMessage", "editMessageText") and c.text]


async def test_start_answers_in_the_users_language(bot: OfflineBot) -> None:
    zh = texts(await bot.say(ZH_GUEST, "/start"))
    en = texts(await bot.say(EN_GUEST, "/start"))
    other = texts(await bot.say(OTHER_GUEST, "/start"))
    assert "欢迎使用" in zh[0] and "邀请链接" in zh[0]
    assert "Welcome" in en[0] and "invitation link" in en[0]
    assert "欢迎使用" in other[0]  # unknown languages get the default, Chinese


async def test_help_lists_guest_commands_only(bot: OfflineBot) -> None:
    zh = texts(await bot.say(ZH_GUEST, "/help"))[0]
    en = texts(await bot.say(EN_GUEST, "/help"))[0]
    assert "/lang" in zh and "/units" not in zh and "您可以" in zh
    assert "/lang" in en and "/units" not in en and "What you can do" in en


async def test_lang_switch_is_remembered(bot: OfflineBot) -> None:
    await bot.say(EN_GUEST, "/lang")
    calls = await bot.press_label(EN_GUEST, "中文")
    assert texts(calls) == ["语言已设置为：中文（简体）。"]
    again = texts(await bot.say(EN_GUEST, "/start"))[0]
    assert "欢迎使用" in again


async def test_member_language_is_stored(bot: OfflineBot) -> None:
    await bot.say(OFFICE, "/lang")
    await bot.press_label(OFFICE, "English")
    reply = texts(await bot.say(OFFICE, "/help"))[0]
    assert reply.startswith("What you can do here")
    assert "/units" in reply
    # The office's own menu is set per chat in the chosen language.
    menus = [
        c
        for c in bot.fake.calls
        if c.method == "setMyCommands" and c.params.get("scope", {}).get("type") == "chat"
    ]
    assert menus[-1].params["commands"][0]["description"] == "Welcome and joining"


async def test_cancel_without_conversation(bot: OfflineBot) -> None:
    assert texts(await bot.say(OFFICE, "/cancel")) == ["当前没有需要取消的操作。"]


async def test_guest_menus_are_set_at_start_in_both_languages(bot: OfflineBot) -> None:
    defaults = {
        c.params.get("language_code"): [x["command"] for x in c.params["commands"]]
        for c in bot.fake.calls
        if c.method == "setMyCommands"
    }
    assert set(defaults) == {"zh", "en", None}
    assert defaults["en"] == ["start", "lang", "help"]


async def test_errors_get_an_apology_with_incident_id(
    bot: OfflineBot, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(update: object, context: object) -> None:
        raise RuntimeError("kaboom")

    assert bot.app is not None
    # First of group 0: the fallback at its end would answer an unknown command itself.
    bot.app.handlers[0].insert(0, CommandHandler("boom", broken))
    with caplog.at_level(logging.INFO):
        reply = texts(await bot.say(OFFICE, "/boom"))[0]
    assert "抱歉" in reply
    incident = reply.rsplit("故障编号 ", 1)[1].split(" ", 1)[0]
    assert any(incident in r.getMessage() and r.exc_info for r in caplog.records)
    # The log holds the incident, not what the user typed or their name.
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "/boom" not in logged and OFFICE.name not in logged


async def test_groups_get_nothing_and_the_bot_leaves(bot: OfflineBot) -> None:
    calls = await bot.group_add(OFFICE, -100555)
    assert [c.method for c in calls if c.method != "getUpdates"] == ["leaveChat"]
    update = bot.fake.user_message(OFFICE.telegram_id, "/units", chat_type="group", chat_id=-100556)
    from telegram import Update

    assert bot.app is not None
    mark = bot.fake.mark()
    await bot.app.process_update(Update.de_json(update, bot.app.bot))
    assert [c for c in bot.fake.calls[mark:] if c.method == "sendMessage"] == []
