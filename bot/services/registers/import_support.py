"""What the import services share: refusals, counts, unit lookup and authorisation, the
registers' write lock, and the diff against the directory as it is in a session."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from sqlalchemy import text
from sqlalchemy.orm import Session

from bot.domain import reasons
from bot.domain.registers.diff import Brief, Diff, ImportRow, Mode, Record, diff
from bot.domain.registers.validation import Register
from bot.i18n import N_
from bot.services.errors import ServiceError
from bot.services.people.membership import actor_label
from bot.services.people.profiles import Profile
from storage import registers_repo as repo

# Every register write (apply, undo) on PostgreSQL takes this transaction lock, as SQLite's
# BEGIN IMMEDIATE does: diffs are computed on the directory they then change.
_PG_LOCK_KEY: Final = 0x6473725F72656773


class UnusableUpload(ServiceError):  # noqa: N818 - a refusal, like ServiceError
    """The file cannot be read as this directory at all; ``reason`` is a reason code."""

    def __init__(self, reason: str, params: dict[str, str]) -> None:
        super().__init__(reasons.REASONS.get(reason, reason), **params)
        self.reason = reason


class ImportRefused(ServiceError):  # noqa: N818 - a refusal, like ServiceError
    """Apply or undo said no; ``code`` says why (errors, mass_deactivation, expired,
    applied, discarded, undone, changed_since, nothing)."""

    def __init__(self, code: str, message: str, /, **params: object) -> None:
        super().__init__(message, **params)
        self.code = code


@dataclass(frozen=True)
class ImportCounts:
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    deactivated: int = 0
    errors: int = 0  # rows with an error
    warnings: int = 0  # problems that are warnings

    def as_json(self) -> dict[str, int]:
        return {
            "new": self.new,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "deactivated": self.deactivated,
            "errors": self.errors,
            "warnings": self.warnings,
        }


# --- shared helpers -------------------------------------------------------------------------


def register_of(kind: str) -> Register:
    try:
        return Register(kind)
    except ValueError:
        raise ServiceError(
            N_("“{kind}” is not a directory: use entities, inspectors or matters."), kind=kind
        ) from None


def mode_of(mode: str) -> Mode:
    if mode == "update":
        return "update"
    if mode == "replace":
        return "replace"
    raise ServiceError(N_("“{mode}” is not an import mode: use update or replace."), mode=mode)


def label(actor: Profile | None) -> str:
    return actor_label(actor) if actor is not None else "cli"


def lock_registers(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})


@dataclass(frozen=True)
class Directory:
    """A unit's directory read for a diff, in one snapshot: its fingerprint and records
    (brief, over ``fields``, for entities: register_diff.Brief)."""

    stamp: list[object]
    records: list[Record]
    fields: tuple[str, ...] | None


def read_directory(
    session: Session, register: Register, mode: Mode, unit_id: int, fields: tuple[str, ...] | None
) -> Directory:
    brief = fields if register is Register.ENTITIES else None
    stamp = repo.fingerprint(session, register, unit_id)
    records = repo.load_records(
        session, register, unit_id, with_shared=mode == "replace", brief=brief
    )
    return Directory(stamp, records, brief)


def diff_now(
    session: Session,
    register: Register,
    mode: Mode,
    unit_id: int,
    rows: Sequence[ImportRow],
    *,
    directory: Directory | None = None,
) -> Diff:
    """The diff against the directory as it is in this session (``directory``: read
    already, in an earlier snapshot of this import). An entity directory is read brief:
    the diff reads whole only the records a row may change."""
    if directory is None:
        directory = read_directory(session, register, mode, unit_id, _brief_fields(register, rows))
    fields = directory.fields
    brief = None
    if fields is not None:
        brief = Brief(
            fields,
            lambda ids: repo.load_records(
                session, register, unit_id, with_shared=mode == "replace", ids=ids
            ),
        )
    records = directory.records
    known = {}
    taken = {}
    if register is Register.ENTITIES:
        have = {r.values.get("uscc") for r in records}
        codes = {
            c for r in rows if isinstance(c := r.values.get("uscc"), str) and c and c not in have
        }
        if codes:
            known = repo.known_entities(session, codes)
    elif register is Register.INSPECTORS:
        certs = {c for r in rows if isinstance(c := r.values.get("cert_no"), str) and c}
        if certs:
            taken = repo.taken_cert_nos(session, unit_id, certs)
    return diff(register, mode, rows, records, known, taken, brief=brief)


def _brief_fields(register: Register, rows: Sequence[ImportRow]) -> tuple[str, ...] | None:
    """The fields brief records are digested over: the file's (its first valid row's, in
    its order); None: read the directory whole (not entities, or no valid row)."""
    if register is not Register.ENTITIES:
        return None
    return next((tuple(r.values) for r in rows if not r.blocked and r.same_as is None), None)


def counts_of(result: Diff, rows: Sequence[ImportRow], warnings: int) -> ImportCounts:
    errors = len({r.row for r in rows if r.blocked} | result.blocked)
    return ImportCounts(
        len(result.new),
        len(result.changed),
        len(result.unchanged),
        len(result.deactivated),
        errors,
        warnings,
    )
