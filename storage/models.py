"""Typed SQLAlchemy 2 models. The schema changes only through Alembic (storage/migrations).

Names follow docs/architecture.md §5; later issues add their tables in their own migrations.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.types import JsonType, UTCDateTime

# A naming convention from the first migration on, so that batch mode on SQLite and
# later migrations can name (and drop) every constraint (docs/architecture.md §12).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Unit(Base):
    __tablename__ = "units"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    is_office: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Inspector(Base):
    """The inspector directory (执法检查人员名录库); the registers issue extends it."""

    __tablename__ = "inspectors"
    __table_args__ = (UniqueConstraint("unit_id", "local_no"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    local_no: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100))
    cert_no: Mapped[str | None] = mapped_column(String(64), unique=True)
    cert_expires: Mapped[date | None] = mapped_column(Date)
    qualification: Mapped[str | None] = mapped_column(String(100))
    expertise: Mapped[list[str]] = mapped_column(JsonType, default=list)
    areas: Mapped[list[str]] = mapped_column(JsonType, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class User(Base):
    """A Telegram user known to the bot. Roles accumulate (docs/architecture.md §5)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    locale: Mapped[str | None] = mapped_column(String(16))
    is_office: Mapped[bool] = mapped_column(Boolean, default=False)
    liaison_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    inspector_id: Mapped[int | None] = mapped_column(ForeignKey("inspectors.id"), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Set when Telegram answers 403 (the user blocked the bot); cleared when they write again.
    blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The menu last set for this chat: "role set|locale", so we call setMyCommands only on change.
    menu_signature: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Invite(Base):
    """A one-time, expiring deep-link code that binds a Telegram user to a role."""

    __tablename__ = "invites"
    __table_args__ = (CheckConstraint("role IN ('liaison', 'inspector', 'office')", name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    inspector_id: Mapped[int | None] = mapped_column(ForeignKey("inspectors.id"), index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # A liaison handing the role over: when the invite is used, this user stops being liaison.
    handover_from: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OutboxMessage(Base):
    """A message the bot sends on its own (docs/architecture.md §8)."""

    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'failed', 'blocked')", name="status"
        ),
        Index("ix_outbox_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JsonType)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The claiming process's token (bot/sender.py): a crashed owner's claims are released
    # at the next start instead of after the stale timeout.
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditEntry(Base):
    """Append-only, hash-chained log. ``prev_hash`` is unique, so the chain cannot fork."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(100))
    object: Mapped[str] = mapped_column(String(200))
    details: Mapped[dict[str, Any]] = mapped_column(JsonType)
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class ConversationState(Base):
    """PTB persistence: one row per (conversation name, key)."""

    __tablename__ = "ptb_conversations"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    state: Mapped[Any] = mapped_column(JsonType)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class UserDataRow(Base):
    """PTB persistence: a user's ``user_data`` as JSON."""

    __tablename__ = "ptb_user_data"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    data: Mapped[dict[str, Any]] = mapped_column(JsonType)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


# --- 一单两库: the registers of a member unit (docs/architecture.md §5–6) ----------------------


class Matter(Base):
    """One entry of a unit's matter list (抽查事项清单)."""

    __tablename__ = "matters"
    __table_args__ = (UniqueConstraint("unit_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    code: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(300))
    legal_basis: Mapped[str | None] = mapped_column(Text)
    # Codes joined by "," ("enterprise,individual"): a matter may name every kind.
    target_kind: Mapped[str | None] = mapped_column(String(100))
    method: Mapped[str | None] = mapped_column(String(300))
    ratio_permille: Mapped[int | None] = mapped_column(Integer)
    frequency: Mapped[str | None] = mapped_column(String(100))
    double_random: Mapped[bool] = mapped_column(Boolean, default=True)
    joint_ok: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Entity(Base):
    """Shared facts of an inspection target; each unit keeps its own view (UnitEntity)."""

    __tablename__ = "entities"
    __table_args__ = (Index("ix_entities_kind_name", "kind", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uscc: Mapped[str | None] = mapped_column(String(18), unique=True)
    regno: Mapped[str | None] = mapped_column(String(32))  # the old registration number
    registration_authority: Mapped[str | None] = mapped_column(String(100))  # 登记机关
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(300))
    legal_rep: Mapped[str | None] = mapped_column(String(100))
    address: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class UnitEntity(Base):
    """One unit's view of an entity: its own number, contact, industry, area, risk class."""

    __tablename__ = "unit_entities"
    __table_args__ = (
        UniqueConstraint("unit_id", "entity_id"),
        UniqueConstraint("unit_id", "local_no"),
        CheckConstraint("risk_class IN ('A', 'B', 'C', 'D')", name="risk_class"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id"), index=True)
    local_no: Mapped[str | None] = mapped_column(String(64))
    contact_name: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(100))  # several numbers, "/"-joined
    industry: Mapped[str | None] = mapped_column(String(100))
    area: Mapped[str | None] = mapped_column(String(100))
    risk_class: Mapped[str | None] = mapped_column(String(1))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Document(Base):
    """A unit's filed document, versioned: 实施细则, annual plan, implementation plan, …"""

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("unit_id", "kind", "year", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    year: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1)
    title: Mapped[str] = mapped_column(String(300))
    file_name: Mapped[str | None] = mapped_column(String(300))
    sha256: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[bytes | None] = mapped_column(LargeBinary)
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Unavailability(Base):
    """An inspector away (trip, sick leave, training): kept out of draws on those days."""

    __tablename__ = "unavailability"
    __table_args__ = (CheckConstraint("start_date <= end_date", name="span"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    inspector_id: Mapped[int] = mapped_column(ForeignKey("inspectors.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(300))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Conflict(Base):
    """A declared conflict of interest (回避) between an inspector and an entity."""

    __tablename__ = "conflicts"
    __table_args__ = (UniqueConstraint("inspector_id", "entity_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    inspector_id: Mapped[int] = mapped_column(ForeignKey("inspectors.id"), index=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id"), index=True)
    reason: Mapped[str | None] = mapped_column(String(300))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Import(Base):
    """One upload: previewed, then applied, discarded or undone. The normalised rows are
    kept so that a preview survives a restart and apply diffs against the directory then."""

    __tablename__ = "imports"
    __table_args__ = (
        CheckConstraint(
            "status IN ('preview', 'applied', 'discarded', 'undone', 'expired')", name="status"
        ),
        Index("ix_imports_unit_kind", "unit_id", "kind", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    kind: Mapped[str] = mapped_column(String(16))
    mode: Mapped[str] = mapped_column(String(16), default="update")
    file_name: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))
    sheet: Mapped[str | None] = mapped_column(String(100))
    counts: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    problems: Mapped[list[Any]] = mapped_column(JsonType, default=list)
    rows: Mapped[bytes | None] = mapped_column(LargeBinary)  # compressed JSON of the rows
    error_report: Mapped[bytes | None] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16), default="preview")
    source: Mapped[str] = mapped_column(String(16), default="chat")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RecordChange(Base):
    """Every directory change: which record, before and after, who, from where, when."""

    __tablename__ = "record_changes"
    __table_args__ = (Index("ix_record_changes_record", "table_name", "record_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    table_name: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[int] = mapped_column(Integer)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    key: Mapped[str] = mapped_column(String(300))
    before: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    after: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    actor: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(16))
    import_id: Mapped[int | None] = mapped_column(ForeignKey("imports.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RevisionFiling(Base):
    """The June (H1) and December (H2) revision of a directory, filed with the office."""

    __tablename__ = "revision_filings"
    __table_args__ = (
        UniqueConstraint("unit_id", "year", "half", "directory"),
        CheckConstraint("half IN ('H1', 'H2')", name="half"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    year: Mapped[int] = mapped_column(Integer)
    half: Mapped[str] = mapped_column(String(2))
    directory: Mapped[str] = mapped_column(String(16))
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    filed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class FilingWindow(Base):
    """The days a half-year revision may be filed, when the office moved them from the
    default (June 1–30, December 1–31: bot/domain/registers/halves.py)."""

    __tablename__ = "filing_windows"
    __table_args__ = (
        UniqueConstraint("year", "half"),
        CheckConstraint("half IN ('H1', 'H2')", name="half"),
        CheckConstraint("opens <= closes", name="span"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    half: Mapped[str] = mapped_column(String(2))
    opens: Mapped[date] = mapped_column(Date)
    closes: Mapped[date] = mapped_column(Date)
    set_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# --- office broadcasts (docs/architecture.md "Broadcasts") ------------------------------------


class StoredFile(Base):
    """A file the bot uploads itself (a broadcast's attachment given at the desk): the bytes
    until the first upload, then Telegram's file_id, which later sends reuse."""

    __tablename__ = "stored_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    telegram_file_id: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Broadcast(Base):
    """An office announcement: who, when, to whom, what. Its delivery is the outbox rows
    keyed ``broadcast:<id>:<user id>``; the progress message is edited until none is
    pending, then the report is sent and ``finished_at`` set."""

    __tablename__ = "broadcasts"
    __table_args__ = (
        CheckConstraint("audience IN ('liaisons', 'inspectors', 'all', 'units')", name="audience"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    source: Mapped[str] = mapped_column(String(8), default="chat")
    audience: Mapped[str] = mapped_column(String(16))
    unit_ids: Mapped[list[int]] = mapped_column(JsonType, default=list)
    text: Mapped[str] = mapped_column(Text, default="")
    file_id: Mapped[str | None] = mapped_column(String(200))  # sent from the chat
    file_name: Mapped[str | None] = mapped_column(String(300))
    stored_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_files.id"))
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    not_joined: Mapped[int] = mapped_column(Integer, default=0)
    progress_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    progress_message_id: Mapped[int | None] = mapped_column(BigInteger)
    progress_text: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


# --- double random: plans, tasks, draws, teams (docs/dsr-draw-v1.md) ---------------------------


class Plan(Base):
    """A unit's annual plan (年度抽查计划)."""

    __tablename__ = "plans"
    __table_args__ = (UniqueConstraint("unit_id", "year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    year: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Task(Base):
    """An inspection task (抽查任务) of a plan; joint when it has partner units."""

    __tablename__ = "tasks"
    __table_args__ = (
        CheckConstraint(
            "status IN ('planned', 'drawn', 'in_progress', 'done', 'cancelled')", name="status"
        ),
        CheckConstraint("team_size >= 2", name="team_size"),
        CheckConstraint("window_start <= window_end", name="window"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), index=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    matter_ids: Mapped[list[int]] = mapped_column(JsonType, default=list)
    target_filters: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    inspector_filters: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    sampling: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    team_size: Mapped[int] = mapped_column(Integer, default=2)
    targets_per_team: Mapped[int] = mapped_column(Integer, default=1)
    window_start: Mapped[date] = mapped_column(Date)
    window_end: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="planned")
    cancel_reason: Mapped[str | None] = mapped_column(String(300))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class TaskUnit(Base):
    """A participating unit of a task, in order: the lead unit is position 1."""

    __tablename__ = "task_units"
    __table_args__ = (UniqueConstraint("task_id", "position"),)

    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)


class Draw(Base):
    """One auditable draw record (dsr-draw-v1). Never updated or deleted: the database
    refuses it too (triggers in the migration)."""

    __tablename__ = "draws"
    __table_args__ = (
        CheckConstraint("purpose IN ('targets', 'inspectors', 'replacement')", name="purpose"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))
    algorithm: Mapped[str] = mapped_column(String(32))
    seed: Mapped[str] = mapped_column(String(64))
    seed_input: Mapped[str | None] = mapped_column(Text)
    pool_digest: Mapped[str] = mapped_column(String(64))
    pool_size: Mapped[int] = mapped_column(Integer)
    record: Mapped[bytes] = mapped_column(LargeBinary)  # zlib-compressed canonical JSON
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("draws.id"))
    amends_id: Mapped[int | None] = mapped_column(ForeignKey("draws.id"))
    reason: Mapped[str | None] = mapped_column(Text)


class PoolCommitment(Base):
    """A pool's size and digest, fixed and shown before the seed exists, so nobody can
    choose the pool after seeing the seed."""

    __tablename__ = "pool_commitments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))
    pool_digest: Mapped[str] = mapped_column(String(64))
    pool_size: Mapped[int] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    draw_id: Mapped[int | None] = mapped_column(ForeignKey("draws.id"))


class Assignment(Base):
    """A drawn target on a team of a task."""

    __tablename__ = "assignments"
    __table_args__ = (Index("ix_assignments_task_team", "task_id", "team_no"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"))
    draw_id: Mapped[int] = mapped_column(ForeignKey("draws.id"))
    team_no: Mapped[int] = mapped_column(Integer)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class TeamMember(Base):
    """An inspector on a team, with acknowledgement and recusal state."""

    __tablename__ = "team_members"
    __table_args__ = (
        Index("ix_team_members_task_team", "task_id", "team_no"),
        CheckConstraint("role IN ('leader', 'member')", name="role"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"))
    draw_id: Mapped[int] = mapped_column(ForeignKey("draws.id"))
    team_no: Mapped[int] = mapped_column(Integer)
    inspector_id: Mapped[int] = mapped_column(ForeignKey("inspectors.id"), index=True)
    role: Mapped[str] = mapped_column(String(8), default="member")
    position: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recusal_status: Mapped[str | None] = mapped_column(String(16))
    recusal_reason: Mapped[str | None] = mapped_column(Text)
    recusal_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("team_members.id"))


class CalendarDay(Base):
    """An official override of Monday–Friday: a holiday on a weekday or a working weekend."""

    __tablename__ = "calendar_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    is_workday: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str | None] = mapped_column(String(100))


class ReminderSetting(Base):
    """The office's choices for one kind of reminder, where they differ from the defaults
    (bot/domain/reminders/settings.py): paused, the time of day, the interval."""

    __tablename__ = "reminder_settings"

    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    send_at: Mapped[time | None] = mapped_column(Time)
    every_days: Mapped[int | None] = mapped_column(Integer)
    after_hours: Mapped[float | None] = mapped_column(Float)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# --- the evaluation (docs/architecture.md, "The evaluation") -----------------------------------


class RubricParam(Base):
    """A rubric parameter the office changed for one year (bot/domain/scores/rubric.py
    holds the items and the defaults); without a row the default holds."""

    __tablename__ = "rubric_params"
    __table_args__ = (UniqueConstraint("year", "item", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    item: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(String(32))  # a decimal, as written
    set_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Judgment(Base):
    """The office's score of an item it judges (一1, 一3, 一4) for a unit and a year,
    with a note and, when given, the evidence file."""

    __tablename__ = "judgments"
    __table_args__ = (UniqueConstraint("unit_id", "year", "item"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    item: Mapped[str] = mapped_column(String(8))
    points: Mapped[str] = mapped_column(String(16))  # a decimal, as written
    note: Mapped[str] = mapped_column(Text, default="")
    evidence_name: Mapped[str | None] = mapped_column(String(300))
    evidence: Mapped[bytes | None] = mapped_column(LargeBinary)
    judged_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    judged_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ScoreSnapshot(Base):
    """A year's scores as the office froze them (the figures reported to the city
    government): every unit's items with their inputs, kept as they were that day."""

    __tablename__ = "score_snapshots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, unique=True)
    scores: Mapped[list[Any]] = mapped_column(JsonType)
    frozen_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    frozen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
