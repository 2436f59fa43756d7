"""Files the bot uploads itself (docs/architecture.md "Broadcasts").

A broadcast given at the desk carries its attachment's bytes, not a Telegram file_id. The
outbox row names the stored file by reference (``stored_file_ref``) instead; the sender
uploads the bytes for the first recipient and records the file_id Telegram returns (in
the same unit of work as that row's ``sent``), and every later row goes with the file_id.

Nothing here commits: the caller's unit of work does.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage.models import StoredFile

REF_PREFIX = "dsr-stored-file:"
# Telegram's upload limit for bots (docs/architecture.md §12).
MAX_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class FileToSend:
    id: int
    name: str
    telegram_file_id: str | None
    data: bytes | None  # None once a file_id is known (the bytes are not read then)


def stored_file_ref(file_id: int) -> str:
    return f"{REF_PREFIX}{file_id}"


def parse_ref(value: object) -> int | None:
    """The stored file a parameter value names, or None when it is not a reference."""
    if not isinstance(value, str) or not value.startswith(REF_PREFIX):
        return None
    rest = value.removeprefix(REF_PREFIX)
    return int(rest) if rest.isdigit() else None


def store(session: Session, name: str, data: bytes, now: datetime) -> int:
    if len(data) > MAX_BYTES:
        raise ValueError("a stored file may have at most 50 MB (Telegram's upload limit)")
    row = StoredFile(
        name=name,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row.id


def for_send(session: Session, file_id: int) -> FileToSend | None:
    known = session.execute(
        select(StoredFile.name, StoredFile.telegram_file_id).where(StoredFile.id == file_id)
    ).one_or_none()
    if known is None:
        return None
    name, telegram_file_id = known
    if telegram_file_id:
        return FileToSend(file_id, name, telegram_file_id, None)
    data = session.execute(select(StoredFile.data).where(StoredFile.id == file_id)).scalar_one()
    return FileToSend(file_id, name, None, bytes(data))


def record_telegram_file_id(session: Session, file_id: int, telegram_file_id: str) -> None:
    """Keep the first file_id Telegram gave for this file (a second upload's is as good)."""
    session.execute(
        update(StoredFile)
        .where(StoredFile.id == file_id, StoredFile.telegram_file_id.is_(None))
        .values(telegram_file_id=telegram_file_id)
        .execution_options(synchronize_session=False)
    )
