"""Repository of PTB's persisted state: conversation states and ``user_data``, as JSON.

Only ``bot.persistence`` uses it, so this module knows nothing of Telegram: a conversation
key is a tuple of ints and strings (PTB's chat id, user id and, for per-message
conversations, a message id or an inline message id), stored as the compact JSON text of
the list, e.g. ``[42,42]``, so that the rows stay readable in psql and sqlite3.

Like every repository these functions take the caller's session and never commit.
Upserts are ``INSERT … ON CONFLICT DO UPDATE`` on both databases: a select-then-insert
could lose a race with an IntegrityError, and on PostgreSQL that aborts the transaction.
"""

from __future__ import annotations

import json
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.models import ConversationState, UserDataRow, utcnow

ConversationKey = tuple[int | str, ...]

# The width of ptb_conversations.key. PostgreSQL enforces it and SQLite does not, so we
# check it ourselves and both databases refuse the same keys.
KEY_MAX_LENGTH = 200


def encode_key(key: ConversationKey) -> str:
    """The canonical text of a key: one key, one spelling, so it can be a primary key."""
    if not isinstance(key, tuple):
        raise TypeError(f"a conversation key must be a tuple, not {type(key).__name__}")
    for part in key:
        # bool is an int to Python but would come back as JSON true/false: refuse it.
        if isinstance(part, bool) or not isinstance(part, int | str):
            raise TypeError(
                f"conversation key {key!r}: parts must be int or str, not {type(part).__name__}"
            )
    text = json.dumps(list(key), ensure_ascii=False, separators=(",", ":"))
    if len(text) > KEY_MAX_LENGTH:
        raise ValueError(f"conversation key {text} is longer than {KEY_MAX_LENGTH} characters")
    return text


def decode_key(text: str) -> ConversationKey:
    value = json.loads(text)
    if not isinstance(value, list) or not all(
        isinstance(part, int | str) and not isinstance(part, bool) for part in value
    ):
        raise ValueError(f"not a stored conversation key: {text!r}")
    return tuple(value)


def _upsert(
    session: Session, model: type[Any], values: dict[str, Any], conflict: list[str]
) -> None:
    # Each dialect has its own Insert class (same method names, different types), hence
    # two branches instead of one generic call.
    updates = [column for column in values if column not in conflict]
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        pg = postgresql.insert(model).values(values)
        session.execute(
            pg.on_conflict_do_update(
                index_elements=conflict, set_={c: pg.excluded[c] for c in updates}
            )
        )
    elif dialect == "sqlite":
        lite = sqlite.insert(model).values(values)
        session.execute(
            lite.on_conflict_do_update(
                index_elements=conflict, set_={c: lite.excluded[c] for c in updates}
            )
        )
    else:
        raise NotImplementedError(f"no upsert for the {dialect} dialect")


def load_conversations(session: Session, name: str) -> dict[ConversationKey, Any]:
    """All stored states of one conversation handler, by key."""
    rows = session.execute(
        select(ConversationState.key, ConversationState.state).where(ConversationState.name == name)
    )
    return {decode_key(key): state for key, state in rows}


def save_conversation(session: Session, name: str, key: ConversationKey, state: Any) -> None:
    """Insert or replace the state of one conversation. ``state`` must be JSON."""
    _upsert(
        session,
        ConversationState,
        # ON CONFLICT … SET bypasses the column's onupdate, so updated_at is set here.
        {"name": name, "key": encode_key(key), "state": state, "updated_at": utcnow()},
        ["name", "key"],
    )


def delete_conversation(session: Session, name: str, key: ConversationKey) -> bool:
    """Forget one conversation; False when there was nothing stored."""
    result = session.execute(
        delete(ConversationState).where(
            ConversationState.name == name, ConversationState.key == encode_key(key)
        )
    )
    return cast(CursorResult[Any], result).rowcount > 0


def load_user_data(session: Session) -> dict[int, dict[str, Any]]:
    """Every stored ``user_data``, by Telegram user id."""
    rows = session.execute(select(UserDataRow.user_id, UserDataRow.data))
    return {user_id: data for user_id, data in rows}


def save_user_data(session: Session, user_id: int, data: dict[str, Any]) -> None:
    """Insert or replace one user's ``user_data``. ``data`` must be a JSON object."""
    _upsert(
        session,
        UserDataRow,
        {"user_id": user_id, "data": data, "updated_at": utcnow()},
        ["user_id"],
    )


def delete_user_data(session: Session, user_id: int) -> bool:
    """Forget one user's ``user_data``; False when there was nothing stored."""
    result = session.execute(delete(UserDataRow).where(UserDataRow.user_id == user_id))
    return cast(CursorResult[Any], result).rowcount > 0
