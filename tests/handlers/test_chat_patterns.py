"""The chat patterns every feature reuses: the callback-data codec, a persistent
conversation with a /cancel that really cancels (adding a unit), and the fallback that
never leaves a member without an answer."""

from __future__ import annotations

import io
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from telegram import Update

from bot.config import Settings
from bot.demo_city import OFFICE
from bot.fakeapi import FakeBotApi
from bot.offline import OfflineBot
from bot.services.people import membership
from handlers import callbacks
from storage.db import Database
from tests.handlers.conftest import SPEC
from tests.handlers.test_start import texts


def test_codec_round_trips_within_telegrams_limit() -> None:
    data = callbacks.INVITE_RESEND.data(123456789012)
    assert data == "1:inv.re:123456789012"
    match = callbacks.INVITE_RESEND.pattern.match(data)
    assert match is not None and match.group("invite") == "123456789012"
    assert not callbacks.INVITE_REVOKE.matches(data)
    assert not callbacks.INVITE_RESEND.matches("inv:re:5")  # the old, unversioned form


@given(st.integers(min_value=0, max_value=10**18 - 1))
def test_every_declared_button_stays_ascii_and_short(value: int) -> None:
    for button in vars(callbacks).values():
        if not isinstance(button, callbacks.Button):
            continue
        args = [value if kind == "int" else "zh_Hans" for _, kind in button.fields]
        data = button.data(*args)
        assert data.isascii() and len(data.encode()) <= callbacks.MAX_BYTES
        assert button.matches(data)


@pytest.mark.parametrize("bad", ["12a", "-1", "", "1:2"])
def test_codec_refuses_values_that_would_not_route(bad: str) -> None:
    with pytest.raises(ValueError, match="not a int"):
        callbacks.INVITE_RESEND.data(bad)


def test_action_names_are_unique() -> None:
    actions = [b.action for b in vars(callbacks).values() if isinstance(b, callbacks.Button)]
    assert len(actions) == len(set(actions))


async def _press(bot: OfflineBot, label: str) -> list[str]:
    return texts(await bot.press_label(OFFICE, label))


async def test_adding_a_unit_step_by_step(bot: OfflineBot, db: Database) -> None:
    assert "单位简码" in texts(await bot.say(OFFICE, "/addunit"))[0]
    assert "SCJG" in texts(await bot.say(OFFICE, " scjg "))[0]
    assert (
        "确认添加成员单位 SCJG 舞钢市市场监督管理局"
        in texts(await bot.say(OFFICE, "舞钢市市场监督管理局"))[0]
    )
    assert "已添加" in " ".join(await _press(bot, "添加"))
    assert [u.code for u in membership.list_units(db)] == ["SCJG"]
    # The conversation is over: text is no longer taken as a unit's name.
    assert "没有看懂" in texts(await bot.say(OFFICE, "另一个名称"))[0]


async def test_a_bad_code_is_asked_again_and_nothing_is_stored(
    bot: OfflineBot, db: Database
) -> None:
    membership.add_unit(db, None, "SW", "税务局")
    await bot.say(OFFICE, "/addunit")
    assert "已经存在" in texts(await bot.say(OFFICE, "sw"))[-1]
    assert "不符合要求" in texts(await bot.say(OFFICE, "税 务"))[-1]
    assert "SCJG" in texts(await bot.say(OFFICE, "SCJG"))[0]
    assert [u.code for u in membership.list_units(db)] == ["SW"]


async def test_cancel_really_cancels(bot: OfflineBot, db: Database) -> None:
    await bot.say(OFFICE, "/addunit")
    await bot.say(OFFICE, "SCJG")
    assert texts(await bot.say(OFFICE, "/cancel")) == ["已取消，未添加任何单位。"]
    assert "没有看懂" in texts(await bot.say(OFFICE, "舞钢市市场监督管理局"))[0]
    assert texts(await bot.say(OFFICE, "/cancel")) == ["当前没有需要取消的操作。"]
    assert membership.list_units(db) == []


async def test_the_cancel_button_ends_it_too(bot: OfflineBot, db: Database) -> None:
    await bot.say(OFFICE, "/addunit SCJG")
    await bot.say(OFFICE, "舞钢市市场监督管理局")
    assert await _press(bot, "取消") == ["已取消，未添加任何单位。"]
    assert membership.list_units(db) == []


async def test_the_conversation_survives_a_restart(db: Database, settings: Settings) -> None:
    membership.add_admin(db, OFFICE.telegram_id, OFFICE.name)
    first = OfflineBot(settings, db, fake=FakeBotApi(SPEC), out=io.StringIO())
    await first.start()
    await first.say(OFFICE, "/addunit")
    await first.say(OFFICE, "SCJG")
    await first.stop()  # a new process would find the state and the draft in the database

    second = OfflineBot(settings, db, fake=FakeBotApi(SPEC), out=io.StringIO())
    await second.start()
    try:
        assert "确认添加" in texts(await second.say(OFFICE, "舞钢市市场监督管理局"))[0]
        await second.press_label(OFFICE, "添加")
    finally:
        await second.stop()
    assert [(u.code, u.name) for u in membership.list_units(db)] == [
        ("SCJG", "舞钢市市场监督管理局")
    ]


async def test_unrecognised_messages_get_a_line_and_the_menu(bot: OfflineBot) -> None:
    reply = texts(await bot.say(OFFICE, "你好"))[0]
    assert "没有看懂" in reply and "/units" in reply
    reply = texts(await bot.say(OFFICE, "/nosuch"))[0]
    assert "没有 /nosuch 这个命令" in reply and "/units" in reply
    update = bot.fake.user_document(OFFICE.telegram_id, "a.docx", b"PK..")
    calls = await _process(bot, update)
    assert "不是电子表格" in texts(calls)[0]  # a file no conversation waits for


async def test_a_malformed_or_stale_press_is_answered(bot: OfflineBot) -> None:
    await bot.say(OFFICE, "/start")
    message_id = max(mid for chat, mid in bot.fake.messages if chat == OFFICE.telegram_id)
    for data in ("inv:re:5", "1:inv.re:x", "garbage", "1:nosuch:1"):
        update = bot.fake.press_button(OFFICE.telegram_id, message_id, data, forge=True)
        calls = await _process(bot, update)
        answers = [c for c in calls if c.method == "answerCallbackQuery"]
        assert len(answers) == 1, data
        assert "此按钮已失效" in answers[0].params["text"], data


async def _process(bot: OfflineBot, update: dict[str, object]) -> list:  # type: ignore[type-arg]
    assert bot.app is not None
    mark = bot.fake.mark()
    await bot.app.process_update(Update.de_json(update, bot.app.bot))
    return bot.fake.calls[mark:]


def test_button_actions_are_short_lowercase_words() -> None:
    with pytest.raises(ValueError, match="lowercase"):
        callbacks.Button("Bad:Name")
    assert re.fullmatch(r"[a-z.]+", callbacks.PERSON_KEEP.action)
