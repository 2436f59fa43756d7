"""The fake Bot API itself: if it is lenient where Telegram is strict, every test built on it
passes for the wrong reason, so its checks and its answers are tested here first."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Any

import httpx
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest, Forbidden, RetryAfter
from telegram.ext import Application, CommandHandler, ContextTypes
from telegram.request import HTTPXRequest

from bot.fakeapi import FakeBotApi, RateLimit
from bot.transport import OfflineRequest
from tests.support.http_fake import serve_fake

pytestmark = pytest.mark.asyncio

SPEC = Path(__file__).resolve().parents[1] / "fixtures" / "botapi.json"
TOKEN = "123456789:fake-token-for-tests"
USER = 1001


@pytest.fixture
def fake() -> FakeBotApi:
    return FakeBotApi(SPEC)


class FakeClock:
    """Monotonic time the test moves by hand, so rate limits are tested without sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def keyboard(*data: str) -> dict[str, Any]:
    return {"inline_keyboard": [[{"text": d, "callback_data": d} for d in data]]}


async def send(fake: FakeBotApi, **params: Any) -> tuple[int, dict[str, Any]]:
    return await fake.handle("sendMessage", {"chat_id": USER, "text": "hi", **params}, None)


# ----------------------------------------------------------------------------- validation


async def test_unknown_parameter_is_refused_and_recorded(fake: FakeBotApi) -> None:
    status, body = await send(fake, colour="red")
    assert status == 400
    assert body["ok"] is False and body["error_code"] == 400
    assert body["description"].startswith("Bad Request: ")
    assert any("unknown parameter 'colour'" in v for v in fake.violations)
    assert fake.calls[-1].error == body["description"]


async def test_missing_required_parameter(fake: FakeBotApi) -> None:
    status, _ = await fake.handle("sendMessage", {"text": "hi"}, None)
    assert status == 400
    assert fake.violations == ["sendMessage: missing required parameter 'chat_id'"]


async def test_type_mismatch(fake: FakeBotApi) -> None:
    status, body = await send(fake, chat_id=True)
    assert status == 400
    assert "chat_id: expected Integer or String, got Boolean" in body["description"]
    status, _ = await send(fake, disable_notification="yes")
    assert status == 400
    assert any("disable_notification" in v for v in fake.violations)


async def test_nested_objects_are_checked_against_the_spec(fake: FakeBotApi) -> None:
    markup = {"inline_keyboard": [[{"text": "a", "callback_data": "x", "colour": 1}]]}
    status, _ = await send(fake, reply_markup=markup)
    assert status == 400
    assert any("unknown field 'colour' in InlineKeyboardButton" in v for v in fake.violations)


async def test_form_encoded_values_are_decoded_by_field_type(fake: FakeBotApi) -> None:
    # What PTB's HTTPXRequest sends: every value a string, non-strings JSON-encoded.
    params = {
        "chat_id": "42",
        "text": "123",
        "disable_notification": "true",
        "reply_markup": '{"inline_keyboard": [[{"text": "OK", "callback_data": "ack:7"}]]}',
    }
    status, body = await fake.handle("sendMessage", params, None)
    assert status == 200, body
    message = body["result"]
    assert message["chat"]["id"] == 42
    assert message["text"] == "123"  # a String field stays a string even if it looks like JSON
    assert message["reply_markup"] == {
        "inline_keyboard": [[{"text": "OK", "callback_data": "ack:7"}]]
    }
    assert fake.calls[-1].params["disable_notification"] is True


async def test_text_limit_counts_utf16_units(fake: FakeBotApi) -> None:
    assert (await send(fake, text="x" * 4096))[0] == 200
    assert (await send(fake, text="x" * 4097))[0] == 400
    assert (await send(fake, text="😀" * 2048))[0] == 200  # 4096 UTF-16 units
    status, body = await send(fake, text="😀" * 2049)  # 2049 characters, 4098 units
    assert status == 400 and "message is too long" in body["description"]
    assert (await send(fake, text="   "))[0] == 400


async def test_limit_applies_after_html_parsing(fake: FakeBotApi) -> None:
    status, body = await send(fake, text="<b>" + "x" * 4096 + "</b>", parse_mode="HTML")
    assert status == 200, body
    assert body["result"]["text"] == "x" * 4096
    assert body["result"]["entities"] == [{"type": "bold", "offset": 0, "length": 4096}]


async def test_broken_html_is_refused_like_telegram(fake: FakeBotApi) -> None:
    status, body = await send(fake, text="A&B<商行>", parse_mode="HTML")
    assert status == 400
    assert 'Unsupported start tag "商行"' in body["description"]
    status, body = await send(fake, text="A&amp;B&lt;商行&gt;", parse_mode="HTML")
    assert status == 200 and body["result"]["text"] == "A&B<商行>"
    assert (await send(fake, text="<b>open", parse_mode="HTML"))[0] == 400
    assert (await send(fake, text="due 2024-06-30.", parse_mode="MarkdownV2"))[0] == 400
    assert (await send(fake, text=r"due 2024\-06\-30\.", parse_mode="MarkdownV2"))[0] == 200


async def test_callback_data_is_limited_to_64_bytes(fake: FakeBotApi) -> None:
    assert (await send(fake, reply_markup=keyboard("a" * 64)))[0] == 200
    status, body = await send(fake, reply_markup=keyboard("a" * 65))
    assert status == 400 and "BUTTON_DATA_INVALID" in body["description"]
    status, _ = await send(fake, reply_markup=keyboard("确认" * 11))  # 22 characters, 66 bytes
    assert status == 400
    assert len([v for v in fake.violations if "BUTTON_DATA_INVALID" in v]) == 2


async def test_unknown_and_unimplemented_methods_fail_loudly(fake: FakeBotApi) -> None:
    status, body = await fake.handle("sendTelepathy", {}, None)
    assert status == 400 and "unknown method sendTelepathy" in body["description"]
    status, body = await fake.handle("sendDice", {"chat_id": USER}, None)
    assert status == 400
    assert "sendDice: not implemented: sendDice" in fake.violations
    # Without a spec, anything not implemented still fails rather than "succeeding".
    bare = FakeBotApi()
    assert (await bare.handle("sendDice", {"chat_id": USER}, None))[0] == 400
    assert bare.violations == ["sendDice: not implemented: sendDice"]


async def test_method_names_are_case_insensitive(fake: FakeBotApi) -> None:
    status, _ = await fake.handle("SENDMESSAGE", {"chat_id": USER, "text": "hi"}, None)
    assert status == 200 and fake.calls[-1].method == "sendMessage"


async def test_set_my_commands_checks_names_and_language(fake: FakeBotApi) -> None:
    good = [{"command": "start", "description": "开始"}]
    for bad in (
        {"commands": [{"command": "Start", "description": "x"}]},
        {"commands": [{"command": "start", "description": ""}]},
        {"commands": [{"command": "a" * 33, "description": "x"}]},
        {"commands": good, "language_code": "zh-hans"},
    ):
        status, _ = await fake.handle("setMyCommands", bad, None)
        assert status == 400, bad
    assert len(fake.violations) == 4

    scope = {"type": "chat", "chat_id": USER}
    assert (await fake.handle("setMyCommands", {"commands": good}, None))[0] == 200
    en = [{"command": "lang", "description": "Language"}]
    params = {"commands": en, "scope": scope, "language_code": "en"}
    assert (await fake.handle("setMyCommands", params, None))[0] == 200
    assert fake.commands[("chat", USER, "en")] == en
    assert fake.menu_for(USER, "en") == en
    assert fake.menu_for(USER, "zh") == good  # falls back to the default scope
    status, body = await fake.handle("getMyCommands", {"scope": scope, "language_code": "en"}, None)
    assert body["result"] == en
    await fake.handle("deleteMyCommands", {"scope": scope, "language_code": "en"}, None)
    assert fake.menu_for(USER, "en") == good


# ----------------------------------------------------------------------------- state


async def test_message_ids_increase_per_chat(fake: FakeBotApi) -> None:
    fake.user_message(USER, "/start")  # a user's message takes an id from the same sequence
    ids = [(await send(fake))[1]["result"]["message_id"] for _ in range(2)]
    other = (await send(fake, chat_id=2002))[1]["result"]["message_id"]
    assert ids == [2, 3]
    assert other == 1


async def test_edits_act_on_stored_messages(fake: FakeBotApi) -> None:
    _, body = await send(fake, text="choose", reply_markup=keyboard("a", "b"))
    message_id = body["result"]["message_id"]

    status, body = await fake.handle(
        "editMessageText", {"chat_id": USER, "message_id": 99, "text": "x"}, None
    )
    assert status == 400 and body["description"] == "Bad Request: message to edit not found"

    same = {
        "chat_id": USER,
        "message_id": message_id,
        "text": "choose",
        "reply_markup": keyboard("a", "b"),
    }
    status, body = await fake.handle("editMessageText", same, None)
    assert status == 400 and "message is not modified" in body["description"]

    # Telegram drops the keyboard when an edit leaves reply_markup out.
    status, body = await fake.handle(
        "editMessageText", {**same, "reply_markup": None, "text": "done"}, None
    )
    assert status == 200
    assert "reply_markup" not in fake.messages[(USER, message_id)]
    assert body["result"]["edit_date"] >= body["result"]["date"]

    assert (await fake.handle("deleteMessage", {"chat_id": USER, "message_id": message_id}, None))[
        0
    ] == 200
    status, body = await fake.handle(
        "deleteMessage", {"chat_id": USER, "message_id": message_id}, None
    )
    assert status == 400 and body["description"] == "Bad Request: message to delete not found"


async def test_press_button_and_answer_once(fake: FakeBotApi) -> None:
    _, body = await send(fake, text="ack?", reply_markup=keyboard("ack:1"))
    message_id = body["result"]["message_id"]
    with pytest.raises(LookupError):
        fake.press_button(USER, message_id, "ack:2")  # no such button on the message
    update = fake.press_button(USER, message_id, "ack:1")
    query = update["callback_query"]
    assert query["message"]["message_id"] == message_id and query["data"] == "ack:1"
    answer = {"callback_query_id": query["id"], "text": "ok"}
    assert (await fake.handle("answerCallbackQuery", answer, None))[0] == 200
    assert fake.calls[-1].chat_id == USER
    assert (await fake.handle("answerCallbackQuery", answer, None))[0] == 400


async def test_group_join_and_leave(fake: FakeBotApi) -> None:
    update = fake.added_to_group(-100, by_user_id=USER)
    assert update["my_chat_member"]["new_chat_member"]["status"] == "member"
    assert (await fake.handle("leaveChat", {"chat_id": -100}, None))[0] == 200
    status, body = await send(fake, chat_id=-100)
    assert status == 403 and "not a member" in body["description"]


# ----------------------------------------------------------------------------- failures, limits


async def test_injected_429_carries_retry_after(fake: FakeBotApi) -> None:
    injection = fake.inject("sendMessage", status=429, retry_after=7)
    status, body = await send(fake)
    assert status == 429
    assert body["parameters"] == {"retry_after": 7}
    assert body["description"] == "Too Many Requests: retry after 7"
    assert injection.remaining == 0
    assert (await send(fake))[0] == 200


async def test_injected_failures_match_chat_and_blocking_is_permanent(fake: FakeBotApi) -> None:
    fake.inject(chat_id=2002, status=502, times=2)
    assert (await send(fake))[0] == 200
    assert [(await send(fake, chat_id=2002))[0] for _ in range(3)] == [502, 502, 200]

    fake.block_user(USER)
    for _ in range(2):
        status, body = await send(fake)
        assert status == 403 and body["description"] == "Forbidden: bot was blocked by the user"
    assert fake.violations == []  # failures Telegram may give are not the bot's mistakes


async def test_rate_limits_are_counted_and_optionally_enforced() -> None:
    clock = FakeClock()
    fake = FakeBotApi(SPEC, clock=clock, global_limit=RateLimit(3, 1.0))
    await send(fake)
    await send(fake)  # same chat within a second
    assert fake.rate_violations == ["sendMessage: more than 1 messages per 1s chat 1001"]
    clock.now += 1.0
    for chat in (1, 2, 3, 4):
        await send(fake, chat_id=chat)
    assert fake.rate_violations[-1] == "sendMessage: more than 3 messages per 1s overall"

    strict = FakeBotApi(SPEC, clock=clock, enforce_limits=True)
    assert (await send(strict))[0] == 200
    clock.now += 0.25
    status, body = await send(strict)
    assert status == 429 and body["parameters"] == {"retry_after": 1}
    clock.now += 0.75
    assert (await send(strict))[0] == 200


# ----------------------------------------------------------------------------- waiting


async def test_get_updates_long_poll_returns_when_an_update_arrives(fake: FakeBotApi) -> None:
    poll = asyncio.create_task(fake.handle("getUpdates", {"timeout": 30}, None))
    await fake.wait_until_polling()
    assert not poll.done()
    pushed = fake.user_message(USER, "/start")
    status, body = await asyncio.wait_for(poll, 5)
    assert status == 200 and body["result"] == [pushed]
    entity = pushed["message"]["entities"][0]
    assert entity == {"type": "bot_command", "offset": 0, "length": 6}

    # Pending updates come back at once until confirmed with a higher offset.
    assert (await fake.handle("getUpdates", {"timeout": 30}, None))[1]["result"] == [pushed]
    offset = pushed["update_id"] + 1
    assert (await fake.handle("getUpdates", {"offset": offset, "timeout": 0}, None))[1][
        "result"
    ] == []


async def test_a_newer_poll_ends_the_older_with_409(fake: FakeBotApi) -> None:
    first = asyncio.create_task(fake.handle("getUpdates", {"timeout": 30}, None))
    await fake.wait_until_polling()
    second = asyncio.create_task(fake.handle("getUpdates", {"timeout": 30}, None))
    status, body = await asyncio.wait_for(first, 5)
    assert status == 409 and body["description"].startswith("Conflict: terminated")
    fake.release_pollers()
    assert (await asyncio.wait_for(second, 5))[0] == 200


async def test_allowed_updates_filters_kinds(fake: FakeBotApi) -> None:
    fake.user_message(USER, "hi")
    fake.added_to_group(-5, USER)
    _, body = await fake.handle("getUpdates", {"allowed_updates": '["my_chat_member"]'}, None)
    assert [list(u)[1] for u in body["result"]] == ["my_chat_member"]


async def test_wait_for_wakes_on_the_matching_call(fake: FakeBotApi) -> None:
    mark = fake.mark()
    waiter = asyncio.create_task(fake.wait_for(lambda c: c.method == "sendMessage", since=mark))
    await send(fake, text="first")
    call = await asyncio.wait_for(waiter, 5)
    assert call.text == "first" and fake.sent_to(USER) == [call]
    with pytest.raises(TimeoutError, match="sendMessage chat=1001 -> ok 'first'"):
        await fake.wait_for(lambda c: c.method == "sendDocument", timeout=0.05)


# ----------------------------------------------------------------------------- realism


async def test_results_match_the_spec_types(fake: FakeBotApi) -> None:
    fake.user_message(USER, "hi", username="li_lei", language_code="en")
    checks: list[tuple[str, str, dict[str, Any]]] = [
        ("getMe", "User", {}),
        ("getChat", "ChatFullInfo", {"chat_id": USER}),
        ("getWebhookInfo", "WebhookInfo", {}),
        ("sendMessage", "Message", {"chat_id": USER, "text": "<i>x</i>", "parse_mode": "HTML"}),
    ]
    for method, type_name, params in checks:
        status, body = await fake.handle(method, params, None)
        assert status == 200, body
        assert fake.spec_errors(body["result"], type_name) == [], method
    doc = await fake.handle(
        "sendDocument", {"chat_id": str(USER)}, {"document": ("a.xlsx", b"PK\x03\x04", "")}
    )
    assert fake.spec_errors(doc[1]["result"], "Message") == []
    assert doc[1]["result"]["document"]["mime_type"].endswith("spreadsheetml.sheet")
    file_id = doc[1]["result"]["document"]["file_id"]
    status, body = await fake.handle("getFile", {"file_id": file_id}, None)
    assert fake.spec_errors(body["result"], "File") == []
    for update in (
        fake.user_document(USER, "名录.xlsx", b"data"),
        fake.press_button(USER, 2, "x", forge=True),
        fake.added_to_group(-7, USER),
        fake.user_photo(USER, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x08"),
    ):
        assert fake.spec_errors(update, "Update") == []


# PTB 22 itself reads RetryAfter.retry_after, which warns about its coming type change.
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_a_ptb_bot_works_through_the_offline_transport(fake: FakeBotApi) -> None:
    bot = Bot(TOKEN, request=OfflineRequest(fake), get_updates_request=OfflineRequest(fake))
    async with bot:
        me = await bot.get_me()
        assert me.username == "dsr_test_bot"
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("确认", callback_data="ack:1")]])
        sent = await bot.send_message(USER, "<b>你好</b>", parse_mode="HTML", reply_markup=markup)
        assert isinstance(sent, Message) and sent.text == "你好"

        doc = await bot.send_document(USER, io.BytesIO(b"report"), filename="r.txt", caption="报表")
        assert doc.document is not None and doc.document.file_name == "r.txt"
        downloaded = await (await bot.get_file(doc.document.file_id)).download_as_bytearray()
        assert bytes(downloaded) == b"report"

        upload = fake.user_document(USER, "名录 2024.xlsx", b"xlsx-bytes")
        file_id = upload["message"]["document"]["file_id"]
        downloaded = await (await bot.get_file(file_id)).download_as_bytearray()
        assert bytes(downloaded) == b"xlsx-bytes"

        # PTB strips "Bad Request: " and capitalize()s the rest: match case-insensitively.
        with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
            await bot.edit_message_text("x", chat_id=USER, message_id=999)
        fake.inject("sendMessage", retry_after=3)
        # Read the message, not .retry_after: PTB 22 warns it turns from int to timedelta.
        with pytest.raises(RetryAfter, match="Retry in 3 seconds"):
            await bot.send_message(USER, "again")
        fake.block_user(USER)
        with pytest.raises(Forbidden):
            await bot.send_message(USER, "hello?")

        updates = await bot.get_updates(timeout=0)
        assert [u.effective_user.id for u in updates if u.effective_user] == [USER, USER]
    assert fake.violations == []


async def test_the_same_fake_over_http_with_ptbs_default_request(fake: FakeBotApi) -> None:
    async with serve_fake(fake) as (base_url, base_file_url):
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/bot")
        bot = Bot(TOKEN, base_url=base_url, base_file_url=base_file_url)
        async with bot:
            assert isinstance(bot.request, HTTPXRequest)
            assert (await bot.get_me()).id == 5000000001

            # A long poll in flight must not hold up other calls.
            poll = asyncio.create_task(bot.get_updates(timeout=20))
            await fake.wait_until_polling()
            markup = InlineKeyboardMarkup([[InlineKeyboardButton("好", callback_data="ok")]])
            sent = await bot.send_message(USER, "你好", reply_markup=markup)
            assert sent.reply_markup == markup
            assert not poll.done()
            fake.user_message(USER, "/start")
            updates = await asyncio.wait_for(poll, 5)
            assert updates[0].message is not None and updates[0].message.text == "/start"

            doc = await bot.send_document(USER, b"\x00\x01binary", filename="a.bin")
            assert doc.document is not None
            data = await (await bot.get_file(doc.document.file_id)).download_as_bytearray()
            assert bytes(data) == b"\x00\x01binary"

            with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
                long = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="x" * 65)]])
                await bot.send_message(USER, "x", reply_markup=long)
    assert len(fake.violations) == 1 and "BUTTON_DATA_INVALID" in fake.violations[0]


async def test_a_ptb_application_polls_through_the_offline_transport(fake: FakeBotApi) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text("<b>你好</b>", parse_mode="HTML")

    app = (
        Application.builder()
        .token(TOKEN)
        .request(OfflineRequest(fake))
        .get_updates_request(OfflineRequest(fake))
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(timeout=10)
        await fake.wait_until_polling()
        fake.user_message(USER, "/start")
        reply = await fake.wait_for(lambda c: c.method == "sendMessage")
        await app.updater.stop()
        await app.stop()
    assert reply.result["text"] == "你好"
    assert reply.chat_id == USER
    assert fake.violations == []
    assert fake.calls[-1].method == "getUpdates"  # PTB confirms the last offset on stop
    assert (await fake.handle("getUpdates", {}, None))[1]["result"] == []


async def test_http_server_reads_json_form_and_query(fake: FakeBotApi) -> None:
    async with serve_fake(fake) as (base_url, _), httpx.AsyncClient(trust_env=False) as client:
        url = f"{base_url}{TOKEN}/sendMessage"
        markup = {"inline_keyboard": [[{"text": "a", "callback_data": "a"}]]}
        as_json = await client.post(
            url, json={"chat_id": USER, "text": "j", "reply_markup": markup}
        )
        as_form = await client.post(url, data={"chat_id": str(USER), "text": "f"})
        as_query = await client.get(url, params={"chat_id": USER, "text": "q"})
        unknown = await client.post(f"{base_url}{TOKEN}/getMee")
        missing = await client.get(f"{base_url.replace('/bot', '/file/bot')}{TOKEN}/documents/x")
    assert [r.status_code for r in (as_json, as_form, as_query)] == [200, 200, 200]
    assert as_json.json()["result"]["reply_markup"] == markup
    assert [c.params["text"] for c in fake.sent_to(USER)] == ["j", "f", "q"]
    assert unknown.status_code == 400
    assert missing.status_code == 404
