"""A plan workbook (年度抽查计划) sent in the chat (issue #12, part 1): checked, then imported.

The file is read where a hostile workbook cannot take the bot down: the whole import
(bot.services.draws.plan_import.import_plan, the one ``dsr import plan`` runs) happens in
a child process with an address-space limit and a timeout (storage/isolation.py), as the
registers' uploads do. A check is a dry run; the import runs the same file again and
applies it only when no row has an error (nothing is kept between the two, so the file
is sent to the child twice). A liaison imports the plan of their own unit only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.config import Settings
from bot.domain.reasons import describe
from bot.i18n import N_, Translator, translator
from bot.services.draws.plan_import import PlanFileUnusable, PlanImport, import_plan
from bot.services.errors import NotAllowedError, ServiceError
from bot.services.people.profiles import Profile
from bot.services.report_words import report_headings
from storage.db import Database
from storage.isolation import IsolatedFailure, run_isolated
from storage.xlsx_guard import WorkbookLimits, use_limits
from storage.xlsx_plan import plan_template

# The problems a chat message lists; the error report holds them all.
SHOWN_PROBLEMS = 10


@dataclass(frozen=True)
class PlanCheck:
    """What the chat shows of a plan file: the task codes by outcome, the first problems
    as sentences in the reader's language, and the error report workbook."""

    file_name: str
    new: tuple[str, ...]
    changed: tuple[str, ...]
    unchanged: tuple[str, ...]
    errors: int
    warnings: int
    problems: tuple[str, ...]
    applied: bool
    report: bytes | None


@dataclass(frozen=True)
class _Job:
    database_url: str
    actor: Profile
    unit_code: str
    file_name: str
    today: date
    locale: str
    apply: bool


def template() -> bytes:
    """The empty plan workbook to fill in."""
    return plan_template()


def check_plan(
    database: Database,
    actor: Profile,
    data: bytes,
    file_name: str,
    today: date,
    settings: Settings,
    *,
    locale: str,
    apply: bool = False,
) -> PlanCheck:
    """Check (``apply`` False) or import the liaison's plan file in a child process."""
    if actor.liaison_unit_code is None:
        raise NotAllowedError(N_("Only a unit's liaison can do this."))
    job = _Job(database.url, actor, actor.liaison_unit_code, file_name, today, locale, apply)
    try:
        outcome = run_isolated(
            _in_child,
            job,
            data,
            WorkbookLimits.from_settings(settings),
            memory_bytes=settings.reader_memory_mb * 2**20,
            timeout=settings.reader_timeout_seconds,
        )
    except IsolatedFailure as failure:
        raise ServiceError(failure.reason, **dict(failure.params)) from None
    if isinstance(outcome, PlanCheck):
        return outcome
    message, params = outcome
    raise ServiceError(message, **params)


def _in_child(
    job: _Job, data: bytes, workbook: WorkbookLimits
) -> PlanCheck | tuple[str, dict[str, str]]:
    """In the child: the check as plain values, or a refusal (message, params)."""
    use_limits(workbook)
    database = Database(job.database_url)
    t = translator(job.locale)
    try:
        result = import_plan(
            database,
            job.actor,
            job.unit_code,
            data,
            job.file_name,
            job.today,
            dry_run=not job.apply,
            describe=lambda p: describe(p.reason, p.params, template=t._(p.reason)),
            headings=report_headings(t),
        )
    except (PlanFileUnusable, ServiceError) as refusal:
        return refusal.message, {k: str(v) for k, v in refusal.params.items()}
    finally:
        database.dispose()
    return _check(result, t)


def _check(result: PlanImport, t: Translator) -> PlanCheck:
    lines = []
    for p in result.problems[:SHOWN_PROBLEMS]:
        column = " ".join(filter(None, (p.column_letter, p.column))) or "-"
        where = t._(
            "Sheet {sheet}, row {row}, column {column}:",
            sheet=p.sheet,
            row=p.row or "-",
            column=column,
        )
        value = f" “{p.value}”" if p.value else ""
        lines.append(f"{where}{value} {describe(p.reason, p.params, template=t._(p.reason))}")
    return PlanCheck(
        file_name=result.file_name,
        new=result.new,
        changed=result.changed,
        unchanged=result.unchanged,
        errors=len(result.errors),
        warnings=len(result.warnings),
        problems=tuple(lines),
        applied=result.applied,
        report=result.report,
    )
