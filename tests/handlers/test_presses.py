"""Every button press is answered, and the error handler never fails itself."""

from __future__ import annotations

import logging

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.demo_city import OFFICE
from bot.fakeapi import RecordedCall
from bot.offline import OfflineBot
from handlers import callbacks

GROUP = -100777


async def _process(bot: OfflineBot, update: dict[str, object]) -> list[RecordedCall]:
    assert bot.app is not None
    mark = bot.fake.mark()
    await bot.app.process_update(Update.de_json(update, bot.app.bot))
    return bot.fake.calls[mark:]


def _answers(calls: list[RecordedCall]) -> list[RecordedCall]:
    return [c for c in calls if c.method == "answerCallbackQuery" and c.ok]


def _texts(calls: list[RecordedCall]) -> list[str]:
    return [c.text or "" for c in calls if c.method == "sendMessage" and c.ok]


async def test_a_press_in_a_group_is_answered_and_nothing_is_said_there(bot: OfflineBot) -> None:
    posted = bot.fake.user_message(OFFICE.telegram_id, "看这个", chat_type="group", chat_id=GROUP)
    message_id = int(posted["message"]["message_id"])  # type: ignore[index]
    for data in (callbacks.PERSON_KEEP.data(), "garbage"):
        press = bot.fake.press_button(
            OFFICE.telegram_id, message_id, data, chat_id=GROUP, forge=True
        )
        calls = await _process(bot, press)
        (answer,) = _answers(calls)
        assert answer.params["text"] == "本机器人只能在与它的私聊中使用。"
        assert _texts(calls) == []


async def test_pressing_keep_twice_is_no_incident(
    bot: OfflineBot, caplog: pytest.LogCaptureFixture
) -> None:
    assert bot.app is not None
    keep = InlineKeyboardButton("不，保留", callback_data=callbacks.PERSON_KEEP.data())
    question = await bot.app.bot.send_message(
        OFFICE.telegram_id, "移除此人？", reply_markup=InlineKeyboardMarkup([[keep]])
    )
    with caplog.at_level(logging.INFO):
        for press_number in (1, 2):  # the second press finds the buttons gone already
            press = bot.fake.press_button(
                OFFICE.telegram_id, question.message_id, keep.callback_data or "", forge=True
            )
            calls = await _process(bot, press)
            assert len(_answers(calls)) == 1
            assert _texts(calls) == ["未做任何更改。"]
            unchanged = [c for c in calls if "not modified" in (c.error or "")]
            assert len(unchanged) == press_number - 1  # Telegram: "message is not modified"
    assert "incident" not in caplog.text


async def test_a_failing_apology_is_logged_not_raised(
    bot: OfflineBot, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(update: object, context: object) -> None:
        raise RuntimeError("kaboom")

    assert bot.app is not None
    bot.app.handlers[0].insert(0, CommandHandler("boom", broken))
    # The apology is refused as well (a 400 used to escape the error handler).
    bot.fake.inject("sendMessage", chat_id=OFFICE.telegram_id, status=400)
    with caplog.at_level(logging.INFO):
        await bot.say(OFFICE, "/boom")
    assert "uncaught error" not in caplog.text
    assert "the apology could not be delivered (BadRequest)" in caplog.text


async def test_a_press_whose_handler_fails_is_answered_too(bot: OfflineBot) -> None:
    async def broken(update: object, context: object) -> None:
        raise RuntimeError("kaboom")

    assert bot.app is not None
    bot.app.handlers[0].insert(0, CallbackQueryHandler(broken))
    await bot.say(OFFICE, "/start")
    message_id = max(mid for chat, mid in bot.fake.messages if chat == OFFICE.telegram_id)
    press = bot.fake.press_button(
        OFFICE.telegram_id, message_id, callbacks.PERSON_KEEP.data(), forge=True
    )
    calls = await _process(bot, press)
    assert len(_answers(calls)) == 1
    assert any("抱歉" in text for text in _texts(calls))
