"""Conversation state and user_data survive a restart (bot/persistence.py, storage/conversations.py).

Every test runs the real PTB Application over the offline transport on the ``database_url``
fixture, so on SQLite and, with DSR_TEST_DATABASE_URL, on PostgreSQL. The persistence
interval is an hour: nothing reaches the database unless a test asks for it
(``update_persistence()``) or the Application shuts down, so no test waits on a timer.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event, select, text
from telegram import Update
from telegram.ext import (
    Application,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.fakeapi import FakeBotApi
from bot.persistence import DatabasePersistence
from bot.transport import OfflineRequest
from storage import conversations
from storage.db import Database, reading
from storage.models import ConversationState, UserDataRow

TOKEN = "123456789:offline-transport-token-not-real-0000"
NAME = "test_conv"
USER = 4242
KEY = (USER, USER)  # per_chat and per_user: (chat id, user id); a private chat's id is the user's
ASK_NAME = "ask_name"  # a str state and an int state: both kinds must survive
ASK_CITY = 2
HOUR = 3600.0

App = Application[Any, Any, Any, Any, Any, Any]


async def _begin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    assert update.effective_message is not None
    await update.effective_message.reply_text("What is your name?")
    return ASK_NAME


async def _got_name(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    assert update.effective_message is not None and context.user_data is not None
    context.user_data["name"] = update.effective_message.text
    await update.effective_message.reply_text("Which city?")
    return ASK_CITY


async def _got_city(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    assert update.effective_message is not None and context.user_data is not None
    city = update.effective_message.text
    context.user_data["city"] = city
    await update.effective_message.reply_text(f"{context.user_data['name']} in {city}")
    return ConversationHandler.END


async def _cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    assert update.effective_message is not None and context.user_data is not None
    context.user_data.clear()
    await update.effective_message.reply_text("Cancelled")
    return ConversationHandler.END


async def _remember_a_set(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert context.user_data is not None
    context.user_data["tags"] = {"a", "b"}  # not JSON


def _conversation() -> ConversationHandler[Any]:
    answer = filters.TEXT & ~filters.COMMAND
    return ConversationHandler(
        entry_points=[CommandHandler("order", _begin)],
        states={
            ASK_NAME: [MessageHandler(answer, _got_name)],
            ASK_CITY: [MessageHandler(answer, _got_city)],
        },
        fallbacks=[CommandHandler("cancel", _cancel)],
        name=NAME,
        persistent=True,
    )


def _build(database: Database, fake: FakeBotApi, *, with_conversation: bool = True) -> App:
    request = OfflineRequest(fake)
    app: App = (
        Application.builder()
        .token(TOKEN)
        .request(request)
        .get_updates_request(request)
        .updater(None)
        .concurrent_updates(False)
        .persistence(DatabasePersistence(database, update_interval=HOUR))
        .build()
    )
    if with_conversation:
        app.add_handler(_conversation())
    return app


async def _say(app: App, fake: FakeBotApi, words: str) -> list[str | None]:
    """The user writes ``words``; returns what the bot answered."""
    since = fake.mark()
    await app.process_update(Update.de_json(fake.user_message(USER, words), app.bot))
    return [call.text for call in fake.sent_to(USER, since=since)]


def _rows(database: Database) -> tuple[dict[str, Any], dict[int, Any]]:
    with reading(database) as session:
        convs = {
            row.key: row.state
            for row in session.execute(
                select(ConversationState).where(ConversationState.name == NAME)
            ).scalars()
        }
        users = {row.user_id: row.data for row in session.execute(select(UserDataRow)).scalars()}
    return convs, users


@pytest.fixture
def fake() -> FakeBotApi:
    return FakeBotApi()


@pytest.fixture
def writes(db: Database) -> Iterator[list[str]]:
    """The INSERT/UPDATE/DELETE statements ``db`` runs while the test does."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().split(" ", 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}:
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    yield seen
    event.remove(db.engine, "before_cursor_execute", record)


async def test_a_conversation_resumes_after_a_restart(database_url: str, fake: FakeBotApi) -> None:
    first_db = Database(database_url)
    first = _build(first_db, fake)
    await first.initialize()
    await first.start()
    assert await _say(first, fake, "/order") == ["What is your name?"]
    assert await _say(first, fake, "Ada") == ["Which city?"]
    # Nothing is written between persistence runs; stopping the bot must write it all.
    assert _rows(first_db) == ({}, {})
    await first.stop()
    await first.shutdown()
    first_db.dispose()

    # A new process: new Database, new persistence, new Application, same database.
    second_db = Database(database_url)
    assert _rows(second_db) == (
        {conversations.encode_key(KEY): ASK_CITY},
        {USER: {"name": "Ada"}},
    )
    second = _build(second_db, fake)
    await second.initialize()
    await second.start()
    assert second.user_data[USER] == {"name": "Ada"}
    assert await _say(second, fake, "Paris") == ["Ada in Paris"]  # step 2's handler
    await second.stop()
    await second.shutdown()
    # The conversation ended, so its row is gone; the answers stay in user_data.
    assert _rows(second_db) == ({}, {USER: {"name": "Ada", "city": "Paris"}})
    second_db.dispose()


async def test_rows_are_plain_json(db: Database, fake: FakeBotApi) -> None:
    app = _build(db, fake)
    await app.initialize()
    await _say(app, fake, "/order")
    await _say(app, fake, "张三")
    await app.update_persistence()
    await app.shutdown()

    with reading(db) as session:
        key, state = session.execute(
            text("SELECT key, CAST(state AS TEXT) FROM ptb_conversations WHERE name = :name"),
            {"name": NAME},
        ).one()
        data = session.execute(
            text("SELECT CAST(data AS TEXT) FROM ptb_user_data WHERE user_id = :id"), {"id": USER}
        ).scalar_one()
    assert json.loads(key) == list(KEY)
    assert json.loads(state) == ASK_CITY
    assert json.loads(data) == {"name": "张三"}


async def test_cancel_ends_the_conversation_and_deletes_its_row(
    db: Database, fake: FakeBotApi
) -> None:
    app = _build(db, fake)
    await app.initialize()
    await _say(app, fake, "/order")
    await _say(app, fake, "Ada")
    await app.update_persistence()
    assert _rows(db) == ({conversations.encode_key(KEY): ASK_CITY}, {USER: {"name": "Ada"}})

    assert await _say(app, fake, "/cancel") == ["Cancelled"]
    await app.update_persistence()
    # An emptied user_data is stored as no row: PTB's user_data is a defaultdict anyway.
    assert _rows(db) == ({}, {})
    await app.shutdown()


async def test_dropping_user_data_deletes_the_row(db: Database, fake: FakeBotApi) -> None:
    app = _build(db, fake)
    await app.initialize()
    await _say(app, fake, "/order")
    await _say(app, fake, "Ada")
    await app.update_persistence()
    assert _rows(db)[1] == {USER: {"name": "Ada"}}

    app.drop_user_data(USER)
    await app.update_persistence()
    assert _rows(db)[1] == {}
    await app.shutdown()


async def test_a_bad_user_data_value_reaches_the_error_handlers(
    db: Database, fake: FakeBotApi
) -> None:
    # PTB gathers the persistence writes and hands their exceptions to the error handlers
    # (with update=None) instead of raising them: this is where a bad value shows up.
    app = _build(db, fake, with_conversation=False)
    app.add_handler(CommandHandler("tags", _remember_a_set))
    errors: list[tuple[object, BaseException | None]] = []

    async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        errors.append((update, context.error))

    app.add_error_handler(on_error)
    await app.initialize()
    await _say(app, fake, "/tags")
    await app.update_persistence()
    await app.shutdown()

    [(update, error)] = errors
    assert update is None
    assert isinstance(error, TypeError)
    assert "'tags'" in str(error) and "set" in str(error)
    assert _rows(db)[1] == {}


async def test_non_json_states_and_keys_are_refused(db: Database) -> None:
    persistence = DatabasePersistence(db, update_interval=HOUR)
    with pytest.raises(TypeError, match="persisted states must be str or int"):
        await persistence.update_conversation(NAME, KEY, object())
    with pytest.raises(TypeError, match="persisted states must be str or int"):
        await persistence.update_conversation(NAME, KEY, ("a", 1))
    with pytest.raises(TypeError, match="int or str"):
        await persistence.update_conversation(NAME, (1, 2.5), "state")  # type: ignore[arg-type]
    assert await persistence.get_conversations(NAME) == {}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({1: "one"}, r"the key 1 \(int\)"),
        ({"nested": {2: "two"}}, r"\['nested'\] has the key 2 \(int\)"),
        ({"pair": (1, 2)}, r"\['pair'\] is a tuple.*use a list"),
        ({"ratio": float("nan")}, "NaN"),
        ({"when": object()}, r"\['when'\] is a object"),
    ],
)
async def test_non_json_user_data_is_refused_naming_the_key(
    db: Database, data: dict[Any, Any], message: str
) -> None:
    persistence = DatabasePersistence(db, update_interval=HOUR)
    await persistence.get_user_data()
    with pytest.raises(TypeError, match=message):
        await persistence.update_user_data(USER, data)
    assert await persistence.get_user_data() == {}


async def test_upserts_replace_and_keys_round_trip(db: Database) -> None:
    persistence = DatabasePersistence(db, update_interval=HOUR)
    await persistence.get_user_data()
    inline_key = (USER, "AgAAAEc3AQB1qJ0N")  # per_message on an inline message: a str part
    await persistence.update_conversation(NAME, KEY, ASK_NAME)
    await persistence.update_conversation(NAME, KEY, ASK_CITY)
    await persistence.update_conversation(NAME, inline_key, "menu")
    await persistence.update_conversation("other", KEY, 7)
    assert await persistence.get_conversations(NAME) == {KEY: ASK_CITY, inline_key: "menu"}

    await persistence.update_conversation(NAME, KEY, None)
    assert await persistence.get_conversations(NAME) == {inline_key: "menu"}
    assert await persistence.get_conversations("other") == {KEY: 7}

    await persistence.update_user_data(USER, {"name": "Ada"})
    await persistence.update_user_data(USER, {"name": "Grace", "langs": ["zh", "en"]})
    assert await persistence.get_user_data() == {USER: {"name": "Grace", "langs": ["zh", "en"]}}


async def test_unchanged_user_data_is_not_written_again(db: Database, writes: list[str]) -> None:
    persistence = DatabasePersistence(db, update_interval=HOUR)
    await persistence.get_user_data()
    await persistence.update_user_data(USER, {})  # a user who never stored anything
    assert writes == []
    await persistence.update_user_data(USER, {"n": 1})
    await persistence.update_user_data(USER, {"n": 1})
    assert len(writes) == 1
    await persistence.update_user_data(USER, {"n": True})  # equal to 1 in Python, not in JSON
    assert len(writes) == 2

    # A restart loads what is stored, so the first run after it writes nothing either.
    restarted = DatabasePersistence(db, update_interval=HOUR)
    assert await restarted.get_user_data() == {USER: {"n": True}}
    await restarted.update_user_data(USER, {"n": True})
    assert len(writes) == 2


async def test_a_conversation_added_after_initialize_loads_late(
    db: Database, fake: FakeBotApi
) -> None:
    """Why every persistent ConversationHandler is registered in build_application.

    ``initialize()`` loads the stored states of the handlers registered so far. One added
    later is loaded by a background task PTB starts with a warning: an update processed
    before that task ran finds no conversation. All of ours are added before initialize.
    """
    seed = DatabasePersistence(db, update_interval=HOUR)
    await seed.update_conversation(NAME, KEY, ASK_CITY)
    await seed.update_user_data(USER, {"name": "Ada"})

    app = _build(db, fake, with_conversation=False)
    await app.initialize()
    await app.start()
    with pytest.warns(UserWarning, match="after `Application.initialize` was called"):
        app.add_handler(_conversation())
    assert await _say(app, fake, "Paris") == []  # the states are not loaded yet
    await app.stop()  # waits for PTB's tasks, the late load among them
    assert await _say(app, fake, "Paris") == ["Ada in Paris"]
    await app.shutdown()


def test_update_interval_must_be_positive(db: Database) -> None:
    with pytest.raises(ValueError, match="positive"):
        DatabasePersistence(db, update_interval=0)
    assert DatabasePersistence(db, update_interval=5).update_interval == 5
