"""An upload from the chat, checked where a hostile file cannot take the bot down.

The whole preview (read, validate, diff, keep) runs in a child process with an
address-space limit and a timeout (storage/isolation.py): python-calamine aborts its
process when an allocation fails, and one liaison's file must not end everyone's service.
The child keeps the preview in the database and hands back only its id; the bot reads the
kept preview from there — the same way it does when a button is pressed after a restart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.config import Settings
from bot.i18n import N_, translator
from bot.services.errors import ServiceError
from bot.services.people.membership import require_unit_access
from bot.services.people.profiles import Profile
from bot.services.registers import wording
from bot.services.registers.import_rows import Progress, unpack_problems
from bot.services.registers.import_support import ImportCounts, UnusableUpload
from bot.services.registers.imports import PREVIEW_HOURS, ImportPreview, preview_import
from bot.services.report_words import report_headings
from storage.db import Database, reading
from storage.isolation import IsolatedFailure, preload, run_isolated
from storage.models import Import, Unit
from storage.xlsx_guard import WorkbookLimits, use_limits
from storage.xlsx_read import UnusableFile, container_format

# The child runs this module's _preview_in_child: its server imports it once, with the
# database drivers (a child need not map their libraries under its memory limit).
preload(__name__, "sqlite3", "psycopg")


def parsed_unchecked(data: bytes) -> bool:
    """Whether ``data`` is a workbook whose used range cannot be measured before parsing
    (.xls, .xlsb, .ods: no sheet XML to scan), so that only a child process bounds what
    reading it costs. An .xlsx is checked in full first, and garbage is refused at once."""
    try:
        return container_format(data) in ("xls", "xlsb", "ods")
    except UnusableFile:
        return False


@dataclass(frozen=True)
class Upload:
    """What the child needs (it opens the database itself: nothing live crosses over)."""

    database_url: str
    actor: Profile | None  # None: the office at the command line
    unit_code: str
    kind: str
    file_name: str
    mode: str
    now: datetime
    today: date
    locale: str
    source: str = "chat"


@dataclass(frozen=True)
class ReaderLimits:
    memory_bytes: int
    timeout_seconds: float
    workbook: WorkbookLimits  # the parent's: a fork server's environment may be older

    @classmethod
    def from_settings(cls, settings: Settings) -> ReaderLimits:
        return cls(
            memory_bytes=settings.reader_memory_mb * 2**20,
            timeout_seconds=settings.reader_timeout_seconds,
            workbook=WorkbookLimits.from_settings(settings),
        )


def preview_isolated(
    database: Database,
    upload: Upload,
    data: bytes,
    limits: ReaderLimits,
    progress: Progress | None = None,
) -> ImportPreview:
    """Check ``data`` in a child process and return the kept preview. A file the child
    cannot finish (memory budget, time limit, a crash) is refused like any unusable file.
    ``progress``: called here (in this thread) with the rows the child has read so far and
    how many there are (None: not known), as it reads them."""
    try:
        outcome = run_isolated(
            _preview_in_child,
            upload,
            data,
            limits.workbook,
            memory_bytes=limits.memory_bytes,
            timeout=limits.timeout_seconds,
            progress=progress,
        )
    except IsolatedFailure as failure:
        raise UnusableUpload(failure.reason, dict(failure.params)) from None
    if isinstance(outcome, int):
        return kept_preview(database, upload.actor, outcome)
    kind, message, params = outcome
    if kind == "unusable":
        raise UnusableUpload(message, params)
    raise ServiceError(message, **params)


def _preview_in_child(
    upload: Upload, data: bytes, workbook: WorkbookLimits, progress: Progress | None = None
) -> int | tuple[str, str, dict[str, str]]:
    """In the child: the preview, kept; its id, or a refusal as plain values (exceptions
    with their own constructors do not always survive pickling)."""
    use_limits(workbook)
    database = Database(upload.database_url)
    t = translator(upload.locale)
    try:
        found = preview_import(
            database,
            upload.actor,
            upload.unit_code,
            upload.kind,
            data,
            upload.file_name,
            upload.mode,
            upload.now,
            upload.source,
            today=upload.today,
            describe=lambda p: wording.reason_text(t, p.reason, p.params),
            headings=report_headings(t),
            progress=progress,
        )
    except UnusableUpload as refusal:
        return ("unusable", refusal.reason, {k: str(v) for k, v in refusal.params.items()})
    except ServiceError as refusal:
        return ("refused", refusal.message, {k: str(v) for k, v in refusal.params.items()})
    finally:
        database.dispose()
    assert found.import_id is not None
    return found.import_id


def kept_preview(database: Database, actor: Profile | None, import_id: int) -> ImportPreview:
    """A preview as it was kept (counts, problems, the error report), for showing it."""
    with reading(database) as session:
        row = session.get(Import, import_id)
        if row is None:
            raise ServiceError(N_("There is no import {id}."), id=import_id)
        if actor is not None:
            require_unit_access(actor, row.unit_id)
        unit_code = session.get(Unit, row.unit_id).code  # type: ignore[union-attr]
        counts = dict(row.counts or {})
        expires = row.expires_at or row.created_at + timedelta(hours=PREVIEW_HOURS)
        return ImportPreview(
            import_id=row.id,
            unit_code=unit_code,
            kind=row.kind,
            mode=row.mode,
            file_name=row.file_name,
            sheet=row.sheet or "",
            header_row=int(counts.get("header_row") or 0),
            counts=_counts(counts),
            problems=tuple(unpack_problems(row.problems)),
            cleared=tuple(
                sorted((str(f), int(n)) for f, n in (counts.get("cleared") or {}).items())
            ),
            deactivation_share=float(counts.get("deactivation_share") or 0.0),
            needs_confirmation=False,  # apply asks again when it must
            ignored_columns=tuple(
                (str(letter), str(header)) for letter, header in counts.get("ignored_columns") or ()
            ),
            report=row.error_report,
            expires_at=expires,
        )


def _counts(kept: dict[str, object]) -> ImportCounts:
    def number(key: str) -> int:
        value = kept.get(key)
        return int(value) if isinstance(value, int | float) else 0

    return ImportCounts(
        new=number("new"),
        changed=number("changed"),
        unchanged=number("unchanged"),
        deactivated=number("deactivated"),
        errors=number("errors"),
        warnings=number("warnings"),
    )
