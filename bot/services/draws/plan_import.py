"""Importing an annual plan from a spreadsheet: one row per task (docs/architecture.md §6).

Every row is validated, cell by cell (bot.domain.registers.validation.validate_row with the plan's
columns) and then by the same rules as ``create_task``/``change_task``, inside the one
unit of work that applies the file: a task code already in the database changes that
task (only while it is planned), a new code creates one, an identical row changes
nothing. Nothing is written when any row has an error, unless the valid rows are applied
on purpose; a dry run validates everything and writes nothing.

Every problem is also a ``Finding`` of the registers' kind, so the result carries the
registers' error report (storage.xlsx_write.error_report): the rows with problems as the
user wrote them, the reasons beside them, and a list of every problem.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain import cells
from bot.domain.cells import CellValue
from bot.domain.draws.plan_sheet import (
    DUPLICATE_TASK,
    LEAD_NOT_UNIT,
    OTHER_UNITS_TASK,
    PLAN_SPEC,
    whole_number,
)
from bot.domain.reasons import REASONS
from bot.domain.registers.validation import Finding, Problem, RowContext, Severity, validate_row
from bot.i18n import N_
from bot.services.draws.plans import (
    InspectorFilters,
    TargetFilters,
    TaskInvalid,
    TaskSpec,
    add_task_in,
    change_task_in,
    parse_sampling,
    task_units,
)
from bot.services.errors import ServiceError
from bot.services.people.profiles import Profile
from storage.db import Database
from storage.models import Task, Unit
from storage.xlsx_plan import read_plan
from storage.xlsx_read import ReadResult, UnusableFile
from storage.xlsx_write import ReportHeadings, error_report

ERROR: Final = "error"
WARNING: Final = "warning"
# TaskInvalid.field -> the plan sheet's column.
_COLUMN_OF: Final = {"unit": "lead"}


class PlanFileUnusable(ServiceError):  # noqa: N818 - a refusal, like ServiceError
    """The file cannot be read as a plan at all (exit code 2 on the command line);
    ``code`` is storage.xlsx_read's reason code."""

    def __init__(self, code: str, message: str, /, **params: Any) -> None:
        super().__init__(message, **params)
        self.code = code


@dataclass(frozen=True)
class PlanProblem:
    sheet: str
    row: int | None  # as Excel shows it; None for the whole file
    column: str | None  # the header as written in the file
    column_letter: str | None
    value: str | None
    reason: str  # an English msgid with {placeholders}
    params: Mapping[str, Any] = field(default_factory=dict)
    severity: str = ERROR


@dataclass(frozen=True)
class PlanImport:
    file_name: str
    sheet: str
    new: tuple[str, ...]
    changed: tuple[str, ...]
    unchanged: tuple[str, ...]
    problems: tuple[PlanProblem, ...]
    applied: bool
    report: bytes | None  # the error report .xlsx (None: no problems at all)

    @property
    def errors(self) -> tuple[PlanProblem, ...]:
        return tuple(p for p in self.problems if p.severity == ERROR)

    @property
    def warnings(self) -> tuple[PlanProblem, ...]:
        return tuple(p for p in self.problems if p.severity == WARNING)

    @property
    def counts(self) -> dict[str, int]:
        rows_with_errors = {p.row for p in self.errors}
        return {
            "new": len(self.new),
            "changed": len(self.changed),
            "unchanged": len(self.unchanged),
            "deactivated": 0,
            "errors": len(rows_with_errors),
        }


class _Row:
    """One row being imported (None: the whole file): its problems, where they are, and
    its task.

    Each problem is kept twice: as a PlanProblem (the terminal, --json) and as a Finding
    on the raw cell (the error report, which shows the cells as written).
    """

    def __init__(self, read: ReadResult, number: int | None, raw: Mapping[str, CellValue]) -> None:
        self.read = read
        self.number = number
        self.raw = raw
        self.problems: list[PlanProblem] = []
        self.findings: list[Finding] = []

    def add(
        self,
        key: str | None,
        reason: str,
        params: Mapping[str, Any],
        severity: Severity = ERROR,
    ) -> None:
        column = self.read.column_of(key)
        raw = self.raw.get(key) if key is not None else None
        # The reader's and validation's reason codes become their English msgids, so
        # every problem (task rules' too) is one msgid with params wherever it is shown.
        msgid = REASONS.get(reason, reason)
        frozen = MappingProxyType(dict(params))
        self.problems.append(
            PlanProblem(
                sheet=self.read.sheet,
                row=self.number,
                column=column.header if column else None,
                column_letter=column.letter if column else None,
                value=cells.clean_text(raw) if key is not None else None,
                reason=msgid,
                params=frozen,
                severity=severity,
            )
        )
        self.findings.append(Finding(self.number, severity, Problem(key, raw, msgid, frozen)))

    @property
    def failed(self) -> bool:
        return any(p.severity == ERROR for p in self.problems)


def _tags(values: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = values.get(key)
    return tuple(value) if value else ()


def _spec(row: _Row, unit: Unit, today: date) -> TaskSpec | None:
    result = validate_row(PLAN_SPEC, row.raw, RowContext(today))
    for problem in result.errors:
        row.add(problem.field, problem.reason, problem.params)
    for problem in result.warnings:
        row.add(problem.field, problem.reason, problem.params, WARNING)
    values = result.values
    lead = values.get("lead")
    if isinstance(lead, str) and lead not in (unit.code, unit.name) and lead.upper() != unit.code:
        row.add("lead", LEAD_NOT_UNIT, {"unit": unit.code})
    numbers = {}
    for key in ("team_size", "targets_per_team"):
        parsed = whole_number(row.raw.get(key))
        if parsed.error is not None:
            row.add(key, parsed.error, parsed.params)
        numbers[key] = parsed.value
    for key in ("window_start", "window_end"):
        if values.get(key) == cells.OPEN_ENDED:  # "长期" is no window
            row.add(key, cells.DATE_INVALID, {"shown": cells.clean_text(row.raw.get(key)) or ""})
    sampling = None
    if values.get("sampling") is not None:
        try:
            sampling = parse_sampling(str(values["sampling"]))
        except TaskInvalid as exc:
            row.add("sampling", exc.message, exc.params)
    if row.failed:
        return None
    assert sampling is not None  # required fields are present when there is no error
    team_size, per_team = numbers["team_size"], numbers["targets_per_team"]
    assert team_size is not None and per_team is not None
    start, end = values["window_start"], values["window_end"]
    assert isinstance(start, date) and isinstance(end, date)
    return TaskSpec(
        code=str(values["code"]),
        name=str(values["name"]),
        unit_code=unit.code,
        matter_codes=_tags(values, "matters"),
        sampling=sampling,
        window_start=start,
        window_end=end,
        partner_codes=_tags(values, "partners"),
        team_size=team_size,
        targets_per_team=per_team,
        target_filters=TargetFilters(
            kinds=_tags(values, "kinds"),
            industries=_tags(values, "industries"),
            areas=_tags(values, "areas"),
            risk_classes=_tags(values, "risk_classes"),
            exclude_drawn_this_year=bool(values.get("exclude_drawn")),
        ),
        inspector_filters=InspectorFilters(
            expertise=_tags(values, "expertise"), areas=_tags(values, "inspector_areas")
        ),
    )


def _apply_row(
    session: Session,
    actor: Profile | None,
    row: _Row,
    spec: TaskSpec,
    unit: Unit,
    today: date,
) -> str | None:
    """Create or change the row's task in a savepoint; "new", "changed", "unchanged", or
    None when the task rules refuse it (the problem is on the row)."""
    savepoint = session.begin_nested()
    try:
        existing = session.execute(
            select(Task).where(Task.code == spec.code.strip().upper())
        ).scalar_one_or_none()
        if existing is None:
            add_task_in(session, actor, spec, today, auto_plan=True)
            outcome = "new"
        else:
            lead = task_units(session, existing.id)[0]
            if lead.id != unit.id:
                row.add("code", OTHER_UNITS_TASK, {"code": existing.code, "unit": lead.code})
                savepoint.rollback()
                return None
            _, changed = change_task_in(session, actor, spec, today, auto_plan=True)
            outcome = "changed" if changed else "unchanged"
    except TaskInvalid as exc:
        savepoint.rollback()
        key = _COLUMN_OF.get(exc.field or "", exc.field)
        row.add(key, exc.message, exc.params)
        return None
    except ServiceError as exc:
        savepoint.rollback()
        row.add(None, exc.message, exc.params)
        return None
    savepoint.commit()
    return outcome


def _reader_rows(read: ReadResult) -> list[_Row]:
    """The reader's findings (hidden rows, formulas without a result, the whole file's)
    in the import's form. No cells are given: the report takes a row's cells from
    ``read.rows``, and the terminal shows no value for these."""
    found = []
    for finding in read.problems:
        where = _Row(read, finding.row, {})
        problem = finding.problem
        where.add(problem.field, problem.reason, problem.params, finding.severity)
        found.append(where)
    return found


def _import_rows(
    session: Session,
    actor: Profile | None,
    read: ReadResult,
    unit: Unit,
    today: date,
    outcomes: Mapping[str, list[str]],
) -> list[_Row]:
    """Validate and apply every row (each in its savepoint); the rows, with their
    problems. The read rows' cells are left as they are: the report shows them."""
    rows = []
    seen: dict[str, int] = {}
    for read_row in read.rows:
        row = _Row(read, read_row.row, read_row.cells)
        spec = _spec(row, unit, today)
        if spec is not None:
            code = spec.code.strip().upper()
            if code in seen:
                row.add("code", DUPLICATE_TASK, {"row": seen[code]})
            else:
                seen[code] = read_row.row
                outcome = _apply_row(session, actor, row, spec, unit, today)
                if outcome is not None:
                    outcomes[outcome].append(code)
        rows.append(row)
    return rows


def _report(
    read: ReadResult,
    rows: Iterable[_Row],
    describe: Callable[[Problem], str] | None,
    headings: ReportHeadings | None,
) -> bytes | None:
    """The error report of the import's findings; None when there is none."""
    findings = [f for row in rows for f in row.findings]
    if not findings:
        return None
    if describe is None:  # error_report's own default: English sentences
        return error_report(read, findings, headings=headings)
    return error_report(read, findings, describe=describe, headings=headings)


def import_plan(
    database: Database,
    actor: Profile | None,
    unit_code: str,
    data: bytes,
    file_name: str,
    today: date,
    *,
    dry_run: bool = False,
    apply_valid: bool = False,
    describe: Callable[[Problem], str] | None = None,
    headings: ReportHeadings | None = None,
) -> PlanImport:
    """Validate the plan file and apply it (see the module's docstring).

    ``describe``/``headings`` put the error report in the reader's language (by default
    English sentences under Chinese headings); ``describe`` receives problems whose
    ``reason`` is an English msgid with ``{placeholders}`` filled from ``params``.
    """
    try:
        read = read_plan(data, file_name)
    except UnusableFile as exc:
        raise PlanFileUnusable(
            exc.reason, REASONS.get(exc.reason, exc.reason), **dict(exc.params)
        ) from None
    outcomes: dict[str, list[str]] = {"new": [], "changed": [], "unchanged": []}
    with database.unit_of_work() as uow:
        session = uow.session
        unit = session.execute(
            select(Unit).where(Unit.code == unit_code.strip().upper(), Unit.active)
        ).scalar_one_or_none()
        if unit is None:
            raise ServiceError(N_("There is no unit with the code {code}."), code=unit_code)
        rows = _reader_rows(read) + _import_rows(session, actor, read, unit, today, outcomes)
        problems = [p for row in rows for p in row.problems]
        has_errors = any(p.severity == ERROR for p in problems)
        applied = not dry_run and (not has_errors or apply_valid)
        applied = applied and bool(outcomes["new"] or outcomes["changed"])
        if applied:
            uow.commit()
    return PlanImport(
        file_name=file_name,
        sheet=read.sheet,
        new=tuple(outcomes["new"]),
        changed=tuple(outcomes["changed"]),
        unchanged=tuple(outcomes["unchanged"]),
        problems=tuple(problems),
        applied=applied,
        report=_report(read, rows, describe, headings),
    )
