"""Importing a directory from a spreadsheet, one use case for the command line and the chat:
read → validate → diff → keep a preview → apply (or discard).

The preview reads and validates the whole file, diffs it against the unit's directory,
and keeps the result in an ``imports`` row that expires after 24 hours: counts, problems,
the error report, the normalised rows and the diff's plan (which rows are new, which
records change and how, which are deactivated), with the directory's fingerprint; nothing
else is written. Apply (bot.services.registers.import_apply, re-exported here) takes the
preview by id — at once (``dsr import``) or hours later in another process (the chat) — and
writes the plan as it is while the directory is as the preview saw it, or diffs the kept
rows again against the directory as it is then. Undo is in
bot.services.registers.import_undo.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final

from sqlalchemy import select, update

from bot.domain.registers.diff import Diff, ImportRow, Mode, Sieve
from bot.domain.registers.validation import Finding, Problem, Register
from bot.services.errors import ServiceError
from bot.services.people.membership import require_unit_access, unit_for
from bot.services.people.profiles import Profile
from bot.services.registers.import_apply import (
    MASS_DEACTIVATION,
    ApplyResult,
    apply_import,
    check_open,
    missing_import,
)
from bot.services.registers.import_rows import (
    Preparer,
    ProblemInfo,
    Progress,
    locate,
    ordered,
    pack_plan,
    pack_problems,
    report_rows,
)
from bot.services.registers.import_support import (
    Directory,
    ImportCounts,
    ImportRefused,
    UnusableUpload,
    counts_of,
    diff_now,
    mode_of,
    read_directory,
    register_of,
)
from storage.bulk import gc_settling
from storage.db import Database, reading
from storage.models import Import
from storage.xlsx_read import ReadResult, UnusableFile, read_register
from storage.xlsx_write import ReportHeadings, error_report

PREVIEW_HOURS: Final = 24
NO_ROWS: Final = "file.no_rows"
# An entity file in which no row has a USCC, a registration number or a local number:
# its records would be keyed by their names alone, and a later import could not tell
# them apart (docs/architecture.md §6).
NO_IDENTIFIER: Final = "file.no_identifier"

# The speed-ups that pay for themselves (bench/bench_import.py measures each by switching
# it off with --without; bench/README.md has the figures). False: the plain way.
#
# A re-import's rows that leave their record exactly as it is keep only their keys
# (brief records and the Sieve; bot.domain.registers.brief), and the entity directory is
# read brief. It buys 9% of a 100k-row re-import's time (ratio 3.07x -> 2.79x at the
# command line, 3.19x -> 2.89x in the chat) and the memory target: without it the
# re-import peaks at 379 MB RSS, with it 290 MB (target 300).
SIEVE = True

__all__ = [
    "MASS_DEACTIVATION",
    "ApplyResult",
    "ImportCounts",
    "ImportPreview",
    "ImportRefused",
    "ServiceError",
    "UnusableUpload",
    "apply_import",
    "discard_import",
    "expire_previews",
    "preview_import",
    "register_of",
]


@dataclass(frozen=True)
class ImportPreview:
    import_id: int | None  # None for a preview that was not kept (store=False)
    unit_code: str
    kind: str
    mode: str
    file_name: str
    sheet: str
    header_row: int
    counts: ImportCounts
    problems: tuple[ProblemInfo, ...]  # every one, in file order
    cleared: tuple[tuple[str, int], ...]  # whole-directory mode: field, records it clears
    deactivation_share: float
    needs_confirmation: bool  # apply needs confirm_mass_deactivation=True
    ignored_columns: tuple[tuple[str, str], ...]  # (letter, header) of unknown columns
    report: bytes | None  # the error report .xlsx (None: no problems at all)
    expires_at: datetime

    @property
    def errors(self) -> tuple[ProblemInfo, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> tuple[ProblemInfo, ...]:
        return tuple(p for p in self.problems if p.severity == "warning")


@dataclass(frozen=True)
class _Target:
    """The directory an upload goes to."""

    register: Register
    mode: Mode
    unit_id: int
    unit_code: str


@dataclass(frozen=True)
class _Checked:
    """An upload read, validated and diffed."""

    read: ReadResult
    rows: list[ImportRow]
    findings: list[Finding]  # the reader's, validation's, duplicates and the diff's
    diff: Diff
    fingerprint: list[object]  # the directory's, as the diff saw it
    packed: bytes | None  # the rows and the plan, to keep


# --- preview --------------------------------------------------------------------------------


def preview_import(
    database: Database,
    actor: Profile | None,
    unit_code: str,
    kind: str,
    data: bytes,
    file_name: str,
    mode: str,
    now: datetime,
    source: str = "chat",
    *,
    today: date,
    describe: Callable[[Problem], str] | None = None,
    headings: ReportHeadings | None = None,
    store: bool = True,
    progress: Progress | None = None,
) -> ImportPreview:
    """Read, validate and diff an upload; keep it as a preview (status ``preview``).

    ``today``: the office's date (its time zone is the caller's setting). Raises
    ``UnusableUpload`` for a file that cannot be read as this directory (nothing is written
    then). ``describe``/``headings`` put the error report in the reader's language (by
    default English sentences under Chinese headings). ``store=False``: a dry run, nothing
    is kept. ``progress``: told the rows read so far and how many there are
    (import_rows.Preparer), while the file is read."""
    target = _target(database, actor, unit_code, register_of(kind), mode_of(mode))
    checked = _check(database, target, data, file_name, today, pack=store, progress=progress)
    problems = ordered([locate(checked.read, f) for f in checked.findings])
    warnings = sum(1 for p in problems if p.severity == "warning")
    counts = counts_of(checked.diff, checked.rows, warnings)
    report = _error_report(checked, describe, headings)
    expires = now + timedelta(hours=PREVIEW_HOURS)
    import_id = None
    if store:
        row = _import_row(target, checked, counts, problems, report, now)
        row.sha256 = hashlib.sha256(data).hexdigest()
        row.file_name, row.source = file_name[:300], source[:16]
        row.created_by = actor.user_id if actor is not None else None
        import_id = _keep(database, row)
    share = checked.diff.deactivation_share
    return ImportPreview(
        import_id=import_id,
        unit_code=target.unit_code,
        kind=target.register.value,
        mode=target.mode,
        file_name=file_name,
        sheet=checked.read.sheet,
        header_row=checked.read.header_row,
        counts=counts,
        problems=tuple(problems),
        cleared=tuple(sorted(checked.diff.cleared.items())),
        deactivation_share=share,
        needs_confirmation=target.mode == "replace" and share > MASS_DEACTIVATION,
        ignored_columns=tuple(checked.read.ignored_columns),
        report=report,
        expires_at=expires,
    )


def _target(
    database: Database, actor: Profile | None, unit_code: str, register: Register, mode: Mode
) -> _Target:
    with reading(database) as session:
        unit = unit_for(session, actor, unit_code)
        return _Target(register, mode, unit.id, unit.code)


def _check(
    database: Database,
    target: _Target,
    data: bytes,
    file_name: str,
    today: date,
    *,
    pack: bool,
    progress: Progress | None = None,
) -> _Checked:
    """Read and validate the rows, then diff them against the directory."""
    # The collector need not walk the rows again and again as they pile up: 14-17% of
    # either import's time, preview and apply together (bench/README.md).
    with gc_settling() as settle:
        directories = _Directories(database, target)
        sieve = directories.sieve if SIEVE else None
        preparer = Preparer(
            target.register, today, sieve=sieve, pack=pack, settle=settle, progress=progress
        )
        try:
            read = read_register(data, file_name, target.register, preparer)
        except UnusableFile as exc:
            raise UnusableUpload(exc.reason, dict(exc.params)) from None
        if not preparer.rows_seen:
            raise UnusableUpload(NO_ROWS, {"sheet": read.sheet, "row": str(read.header_row)})
        if not preparer.identified:
            raise UnusableUpload(NO_IDENTIFIER, {"sheet": read.sheet})
        prepared = preparer.finish()
        directory = directories.taken()
        settle()
        with reading(database) as session:
            if directory is None:
                directory = read_directory(
                    session, target.register, target.mode, target.unit_id, None
                )
            result = diff_now(
                session,
                target.register,
                target.mode,
                target.unit_id,
                prepared.rows,
                directory=directory,
            )
    packed = None
    if prepared.packed is not None:
        packed = prepared.packed + pack_plan(target.register, result)
    return _Checked(
        read,
        prepared.rows,
        prepared.findings + result.problems,
        result,
        directory.stamp,
        packed,
    )


def _error_report(
    checked: _Checked,
    describe: Callable[[Problem], str] | None,
    headings: ReportHeadings | None,
) -> bytes | None:
    if not checked.findings:
        return None
    read, findings = checked.read, checked.findings
    report_rows(read, checked.rows, findings)
    if describe is None:
        return error_report(read, findings, headings=headings)
    return error_report(read, findings, describe=describe, headings=headings)


class _Directories:
    """The entity directory for the Preparer's sieve: brief, over the file's fields, read
    once they are known (Preparer.start); the diff's then."""

    def __init__(self, database: Database, target: _Target) -> None:
        self._database = database
        self._target = target
        self._read: Directory | None = None

    def sieve(self, fields: tuple[str, ...]) -> Sieve | None:
        t = self._target
        if t.register is not Register.ENTITIES:
            return None
        with reading(self._database) as session:
            self._read = read_directory(session, t.register, t.mode, t.unit_id, fields)
        # An empty directory (a first import) has no record a row could leave as it is.
        records = self._read.records
        return Sieve(t.register, records, fields) if records else None

    def taken(self) -> Directory | None:
        """The directory read for the sieve, if any (the diff's then)."""
        found, self._read = self._read, None
        return found


def _import_row(
    target: _Target,
    checked: _Checked,
    counts: ImportCounts,
    problems: list[ProblemInfo],
    report: bytes | None,
    now: datetime,
) -> Import:
    """The preview's row (who and what file: the caller's to fill in)."""
    result, read = checked.diff, checked.read
    return Import(
        unit_id=target.unit_id,
        kind=target.register.value,
        mode=target.mode,
        sheet=read.sheet[:100],
        counts=counts.as_json()
        | {
            "deactivation_share": result.deactivation_share,
            "active_before": result.active_before,
            "header_row": read.header_row,
            "cleared": result.cleared,
            "changes": len(result.changes),
            "fingerprint": checked.fingerprint,
            "ignored_columns": [list(pair) for pair in read.ignored_columns],
        },
        problems=pack_problems(problems),
        rows=checked.packed,
        error_report=report,
        status="preview",
        created_at=now,
        expires_at=now + timedelta(hours=PREVIEW_HOURS),
    )


def _keep(database: Database, row: Import) -> int:
    """Keep a preview: the only row a preview writes."""
    with database.unit_of_work() as uow:
        uow.session.add(row)
        uow.flush()
        import_id = row.id
        uow.commit()
    return import_id


# --- expire and discard ---------------------------------------------------------------------


def expire_previews(database: Database, now: datetime) -> int:
    """Mark the previews older than 24 hours expired and forget their rows (the maintenance
    job's work, bot/jobs/maintenance.py); the number expired."""
    with database.unit_of_work() as uow:
        result = uow.session.execute(
            update(Import)
            .where(Import.status == "preview", Import.expires_at <= now)
            .values(status="expired", rows=None)
        )
        uow.commit()
    return int(getattr(result, "rowcount", 0) or 0)


def discard_import(
    database: Database, actor: Profile | None, import_id: int, now: datetime
) -> None:
    """Drop a preview: it can no longer be applied (its rows are forgotten)."""
    with database.unit_of_work() as uow:
        row = uow.session.execute(
            select(Import).where(Import.id == import_id).with_for_update()
        ).scalar_one_or_none()
        if row is None:
            raise missing_import(import_id)
        if actor is not None:
            require_unit_access(actor, row.unit_id)
        check_open(row)
        row.status = "discarded"
        row.rows = None
        uow.commit()
