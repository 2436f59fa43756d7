"""The hash-chained audit log.

Each entry's hash is sha256(prev_hash + canonical JSON of its fields). Appends are
serialised (SQLite: the writer lock of BEGIN IMMEDIATE; PostgreSQL: a transaction-scoped
advisory lock), and ``prev_hash`` is unique, so two transactions can never fork the chain.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from storage.models import AuditEntry

GENESIS = "0" * 64
# Arbitrary constant naming "the audit chain" among PostgreSQL advisory locks.
_PG_LOCK_KEY = 0x6473725F61756474


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _timestamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_hash(
    prev_hash: str, at: datetime, actor: str, action: str, obj: str, details: Any
) -> str:
    body = canonical_json(
        {"at": _timestamp(at), "actor": actor, "action": action, "object": obj, "details": details}
    )
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def append(
    session: Session,
    *,
    actor: str,
    action: str,
    obj: str,
    details: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    """Append one entry in the caller's transaction (committed with it, or not at all)."""
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
    last = session.execute(
        select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)
    ).scalar_one_or_none()
    prev = last or GENESIS
    # Microsecond precision survives every backend, so the hash recomputes after a round trip.
    moment = (at or datetime.now(UTC)).astimezone(UTC)
    payload = details or {}
    # Round-trip the details through JSON so what we hash is exactly what is stored.
    payload = json.loads(canonical_json(payload))
    entry = AuditEntry(
        at=moment,
        actor=actor,
        action=action,
        object=obj,
        details=payload,
        prev_hash=prev,
        hash=entry_hash(prev, moment, actor, action, obj, payload),
    )
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class ChainReport:
    entries: int
    first_bad_id: int | None
    problem: str | None

    @property
    def ok(self) -> bool:
        return self.first_bad_id is None


def verify_entries(entries: Iterable[AuditEntry]) -> ChainReport:
    prev = GENESIS
    count = 0
    for entry in entries:
        count += 1
        if entry.prev_hash != prev:
            return ChainReport(count, entry.id, "prev_hash does not link to the entry before")
        expected = entry_hash(
            prev, entry.at, entry.actor, entry.action, entry.object, entry.details
        )
        if expected != entry.hash:
            return ChainReport(count, entry.id, "hash does not match the entry's contents")
        prev = entry.hash
    return ChainReport(count, None, None)


def verify(session: Session) -> ChainReport:
    rows = session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars()
    return verify_entries(rows.yield_per(1000))
