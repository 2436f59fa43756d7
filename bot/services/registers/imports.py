"""Importing a directory from a spreadsheet: preview, then apply (or discard).

The preview reads and validates the whole file, diffs it against the unit's directory,
and keeps the result (counts, problems, the error report, the normalised rows) in an
``imports`` row that expires after 24 hours; nothing else is written. Apply
(bot.services.registers.import_apply, re-exported here) diffs the kept rows again, against the
directory as it is at that moment, and writes every change with its change log row
(record_changes) and one audit entry, in one unit of work. Undo is in
bot.services.registers.import_undo.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Final

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.domain.registers.diff import Mode, Sieve
from bot.domain.registers.validation import Finding, Problem, Register
from bot.i18n import N_
from bot.services.errors import ServiceError
from bot.services.people.membership import require_unit_access, unit_for
from bot.services.people.profiles import Profile
from bot.services.registers.import_apply import (
    MASS_DEACTIVATION,
    ApplyResult,
    HandOver,
    apply_import,
    check_open,
)
from bot.services.registers.import_rows import (
    Preparer,
    ProblemInfo,
    locate,
    ordered,
    pack_problems,
    report_rows,
    unpack_problems,
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
from storage.bulk import gc_paused
from storage.db import Database, reading
from storage.models import Import
from storage.xlsx_read import UnusableFile, read_register
from storage.xlsx_write import ReportHeadings, error_report

PREVIEW_HOURS: Final = 24
NO_ROWS: Final = "file.no_rows"

__all__ = [
    "MASS_DEACTIVATION",
    "ApplyResult",
    "HandOver",
    "ImportCounts",
    "ImportPreview",
    "ImportRefused",
    "ServiceError",
    "UnusableUpload",
    "apply_import",
    "discard_import",
    "error_report_of",
    "expire_previews",
    "preview_import",
    "problems_of",
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
    # With ``hand_over=True``: the validated rows and their diff, for an apply in this
    # process (apply_import(..., hand_over=preview.hand_over)).
    hand_over: HandOver | None = field(default=None, repr=False, compare=False)

    @property
    def errors(self) -> tuple[ProblemInfo, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> tuple[ProblemInfo, ...]:
        return tuple(p for p in self.problems if p.severity == "warning")


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
    hand_over: bool = False,
) -> ImportPreview:
    """Read, validate and diff an upload; keep it as a preview (status ``preview``).

    Raises ``UnusableUpload`` for a file that cannot be read as this directory (nothing is
    written then). ``describe``/``headings`` put the error report in the reader's
    language (by default English sentences under Chinese headings). ``store=False``: a dry
    run, nothing is kept.

    ``hand_over=True`` (the command line, which applies or discards at once): the preview
    keeps its rows in memory, for this process's apply, instead of in the database: a
    100k-row file is neither packed nor unpacked, and apply need not diff again unless the
    directory changed in between. Applied later by id, such a preview is refused.
    """
    register = register_of(kind)
    import_mode = mode_of(mode)
    with reading(database) as session:
        unit = unit_for(session, actor, unit_code)
        unit_id, code = unit.id, unit.code
        guess = _last_fields(session, register, unit_id)
    store_rows = store and not hand_over
    with gc_paused(), ThreadPoolExecutor(max_workers=1) as background:
        directories = _Directories(database, register, import_mode, unit_id, guess, background)
        preparer = Preparer(register, today, sieve=directories.sieve, pack=store_rows)
        try:
            read = read_register(data, file_name, register, preparer)
        except UnusableFile as exc:
            raise UnusableUpload(exc.reason, dict(exc.params)) from None
        if not preparer.rows_seen:
            raise UnusableUpload(NO_ROWS, {"sheet": read.sheet, "row": str(read.header_row)})
        prepared = preparer.finish()
        with reading(database) as session:
            directory = directories.read or read_directory(
                session, register, import_mode, unit_id, None
            )
            stamp = directory.stamp
            result = diff_now(
                session,
                register,
                import_mode,
                unit_id,
                prepared.rows,
                detail=hand_over,
                directory=directory,
            )
        del directory
        directories.read = None
        findings: list[Finding] = prepared.findings + result.problems
        problems = ordered([locate(read, f) for f in findings])
        warnings = sum(1 for p in problems if p.severity == "warning")
        counts = counts_of(result, prepared.rows, warnings)
        report = None
        if findings:
            report_rows(read, prepared.rows, findings)
            report = (
                error_report(read, findings, describe=describe, headings=headings)
                if describe is not None
                else error_report(read, findings, headings=headings)
            )
        packed = prepared.packed
    needs_confirmation = import_mode == "replace" and result.deactivation_share > MASS_DEACTIVATION
    expires = now + timedelta(hours=PREVIEW_HOURS)
    import_id = None
    if store:
        import_id = _keep(
            database,
            actor,
            unit_id,
            register,
            import_mode,
            file_name,
            data,
            read.sheet,
            counts.as_json()
            | {
                "deactivation_share": result.deactivation_share,
                "header_row": read.header_row,
                "cleared": result.cleared,
                "changes": len(result.changes),
                "fingerprint": stamp,
                "fields": list(directories.fields or ()),
                "ignored_columns": [list(pair) for pair in read.ignored_columns],
            },
            problems,
            packed,
            report,
            source,
            now,
            expires,
        )
    handed = None
    if hand_over and import_id is not None:
        handed = HandOver(import_id, prepared.rows, result, stamp)
    return ImportPreview(
        import_id=import_id,
        unit_code=code,
        kind=register.value,
        mode=import_mode,
        file_name=file_name,
        sheet=read.sheet,
        header_row=read.header_row,
        counts=counts,
        problems=tuple(problems),
        cleared=tuple(sorted(result.cleared.items())),
        deactivation_share=result.deactivation_share,
        needs_confirmation=needs_confirmation,
        ignored_columns=tuple(read.ignored_columns),
        report=report,
        expires_at=expires,
        hand_over=handed,
    )


class _Directories:
    """The entity directory, brief over the file's fields, for the Preparer's sieve. A
    re-import's is read while calamine parses the sheet (it lets go of the GIL), over
    the fields of the unit's last import (a re-import's file looks like the last one);
    when the file's fields turn out otherwise, it is read again over them."""

    def __init__(
        self,
        database: Database,
        register: Register,
        mode: Mode,
        unit_id: int,
        guess: tuple[str, ...] | None,
        background: ThreadPoolExecutor,
    ) -> None:
        self._args = (database, register, mode, unit_id)
        self._register = register
        self._guess = guess
        self._early: Future[Directory] | None = None
        if register is Register.ENTITIES and guess is not None:
            self._early = background.submit(self._load, guess)
        self.read: Directory | None = None
        self.fields: tuple[str, ...] | None = None

    def _load(self, fields: tuple[str, ...] | None) -> Directory:
        database, register, mode, unit_id = self._args
        with reading(database) as session:
            return read_directory(session, register, mode, unit_id, fields)

    def sieve(self, fields: tuple[str, ...]) -> Sieve | None:
        register = self._register
        if register is not Register.ENTITIES:
            return None
        early, self._early = self._early, None
        found = early.result() if early is not None else None
        early = None
        if found is None or fields != self._guess:
            found = None  # a wrong guess: its records go before the right ones come
            found = self._load(fields)
        self.read, self.fields = found, fields
        # An empty directory (a first import) has no record a row could leave as it is.
        return Sieve(register, found.records, fields) if found.records else None


def _last_fields(session: Session, register: Register, unit_id: int) -> tuple[str, ...] | None:
    """The fields of the unit's last import of this directory (see _Directories)."""
    counts = session.execute(
        select(Import.counts)
        .where(Import.unit_id == unit_id, Import.kind == register.value)
        .order_by(Import.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    fields = counts.get("fields") if isinstance(counts, dict) else None
    return tuple(fields) if isinstance(fields, list) and fields else None


def _keep(
    database: Database,
    actor: Profile | None,
    unit_id: int,
    register: Register,
    mode: Mode,
    file_name: str,
    data: bytes,
    sheet: str,
    counts: dict[str, object],
    problems: Sequence[ProblemInfo],
    packed: bytes | None,
    report: bytes | None,
    source: str,
    now: datetime,
    expires: datetime,
) -> int:
    """Keep a preview: the only row a preview writes."""
    with database.unit_of_work() as uow:
        row = Import(
            unit_id=unit_id,
            kind=register.value,
            mode=mode,
            file_name=file_name[:300],
            sha256=hashlib.sha256(data).hexdigest(),
            sheet=sheet[:100],
            counts=counts,
            problems=pack_problems(problems),
            rows=packed,
            error_report=report,
            status="preview",
            source=source[:16],
            created_by=actor.user_id if actor is not None else None,
            created_at=now,
            expires_at=expires,
        )
        uow.session.add(row)
        uow.flush()
        import_id = row.id
        uow.commit()
    return import_id


def error_report_of(database: Database, actor: Profile | None, import_id: int) -> bytes | None:
    """The error report .xlsx kept with a preview (None when the file had no problems)."""
    with reading(database) as session:
        row = _import(session, actor, import_id)
        return row.error_report


def problems_of(database: Database, actor: Profile | None, import_id: int) -> list[ProblemInfo]:
    with reading(database) as session:
        return unpack_problems(_import(session, actor, import_id).problems)


def _import(session: Session, actor: Profile | None, import_id: int) -> Import:
    row = session.get(Import, import_id)
    if row is None:
        raise ServiceError(N_("There is no import {id}."), id=import_id)
    if actor is not None:
        require_unit_access(actor, row.unit_id)
    return row


def expire_previews(database: Database, now: datetime) -> int:
    """Mark the previews older than 24 hours expired and forget their rows (a job's work);
    the number expired."""
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
            raise ServiceError(N_("There is no import {id}."), id=import_id)
        if actor is not None:
            require_unit_access(actor, row.unit_id)
        check_open(row)
        row.status = "discarded"
        row.rows = None
        uow.commit()
