"""Annual plans (年度抽查计划) and their tasks (抽查任务): create, change, cancel, list.

A task belongs to the plan of its lead unit (牵头单位) for the year its window starts in.
It can be changed while it is planned, and cancelled at any time before it is done (with
a reason once it has been drawn). The rules a task must satisfy are
bot.services.draws.task_rules; the draw itself is bot.services.draws.drawing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.draws.algorithm import SamplingRequest
from bot.domain.draws.records import request_from_json, request_to_json
from bot.i18n import N_
from bot.services.draws.notices import notify_cancelled
from bot.services.draws.sampling import format_sampling, parse_sampling
from bot.services.draws.task_rules import (
    CANCELLED,
    DONE,
    DRAWN,
    IN_PROGRESS,
    MAX_TITLE,
    PLANNED,
    STATUS_WORDS,
    InspectorFilters,
    Resolved,
    TargetFilters,
    TaskInvalid,
    TaskSpec,
    matter_kinds,
    normal_code,
    require_plan,
    resolve,
    status_word,
    unit_by_code_or_name,
)
from bot.services.errors import NotAllowedError, ServiceError
from bot.services.outbox import QuietHours
from bot.services.people.membership import actor_label
from bot.services.people.notices import NoticeContext
from bot.services.people.profiles import Profile
from storage import audit
from storage.db import Database, reading
from storage.models import Matter, Plan, Task, TaskUnit, Unit

__all__ = [
    "CANCELLED",
    "DONE",
    "DRAWN",
    "IN_PROGRESS",
    "PLANNED",
    "STATUS_WORDS",
    "InspectorFilters",
    "PlanInfo",
    "TargetFilters",
    "TaskInfo",
    "TaskInvalid",
    "TaskSpec",
    "cancel_task",
    "change_task",
    "create_plan",
    "create_task",
    "format_sampling",
    "get_task",
    "list_plans",
    "list_tasks",
    "matter_kinds",
    "parse_sampling",
]


@dataclass(frozen=True)
class PlanInfo:
    id: int
    unit_code: str
    year: int
    title: str
    tasks: int


@dataclass(frozen=True)
class TaskInfo:
    id: int
    code: str
    name: str
    year: int
    unit_codes: tuple[str, ...]  # lead unit first, then partners by position
    unit_names: tuple[str, ...]
    matter_codes: tuple[str, ...]
    sampling: SamplingRequest
    window_start: date
    window_end: date
    team_size: int
    targets_per_team: int
    target_filters: TargetFilters
    inspector_filters: InspectorFilters
    status: str
    cancel_reason: str | None

    @property
    def lead_unit(self) -> str:
        return self.unit_codes[0]

    @property
    def joint(self) -> bool:
        return len(self.unit_codes) > 1

    @property
    def spec(self) -> TaskSpec:
        return TaskSpec(
            code=self.code,
            name=self.name,
            unit_code=self.unit_codes[0],
            matter_codes=self.matter_codes,
            sampling=self.sampling,
            window_start=self.window_start,
            window_end=self.window_end,
            partner_codes=self.unit_codes[1:],
            team_size=self.team_size,
            targets_per_team=self.targets_per_team,
            target_filters=self.target_filters,
            inspector_filters=self.inspector_filters,
        )


# --- authorisation --------------------------------------------------------------------------


def _require_lead_access(actor: Profile | None, unit: Unit) -> None:
    """The command line (actor None) and the office plan for every unit; a liaison only
    for their own unit as the lead unit."""
    if actor is None or actor.is_office:
        return
    if actor.liaison_unit_id != unit.id:
        raise NotAllowedError(N_("You can only plan tasks led by your own unit."))


def _label(actor: Profile | None) -> str:
    return actor_label(actor) if actor is not None else "cli"


# --- plans ----------------------------------------------------------------------------------


def create_plan(
    database: Database, actor: Profile | None, unit_code: str, year: int, title: str
) -> PlanInfo:
    title = title.strip()
    if not title or len(title) > MAX_TITLE:
        raise ServiceError(N_("A plan needs a title of at most 300 characters."))
    if not 2000 <= year <= 2199:
        raise ServiceError(N_("The year {year} is not a plan year."), year=year)
    with database.unit_of_work() as uow:
        session = uow.session
        unit = unit_by_code_or_name(session, unit_code)
        _require_lead_access(actor, unit)
        exists = session.execute(
            select(Plan.id).where(Plan.unit_id == unit.id, Plan.year == year)
        ).first()
        if exists:
            raise ServiceError(
                N_("The unit {unit} already has a plan for {year}."), unit=unit.code, year=year
            )
        plan = Plan(unit_id=unit.id, year=year, title=title)
        session.add(plan)
        session.flush()
        audit.append(
            session,
            actor=_label(actor),
            action="plan.add",
            obj=f"plan:{unit.code}:{year}",
            details={"title": title},
        )
        uow.commit()
        return PlanInfo(plan.id, unit.code, year, title, 0)


def list_plans(database: Database, unit_code: str | None = None) -> list[PlanInfo]:
    with reading(database) as session:
        query = select(Plan, Unit.code).join(Unit, Unit.id == Plan.unit_id)
        if unit_code:
            query = query.where(Unit.code == unit_code.strip().upper())
        result = []
        for plan, code in session.execute(query).all():
            count = len(session.execute(select(Task.id).where(Task.plan_id == plan.id)).all())
            result.append(PlanInfo(plan.id, code, plan.year, plan.title, count))
    return sorted(result, key=lambda p: (p.year, p.unit_code))


def ensure_plan(session: Session, unit: Unit, year: int, actor: str) -> Plan:
    """The unit's plan for ``year``, created with a default title if missing (imports)."""
    plan = session.execute(
        select(Plan).where(Plan.unit_id == unit.id, Plan.year == year)
    ).scalar_one_or_none()
    if plan is None:
        plan = Plan(unit_id=unit.id, year=year, title=f"{unit.name}{year}年度双随机抽查计划")
        session.add(plan)
        session.flush()
        audit.append(
            session,
            actor=actor,
            action="plan.add",
            obj=f"plan:{unit.code}:{year}",
            details={"title": plan.title},
        )
    return plan


# --- task rows ------------------------------------------------------------------------------


def _fill(task: Task, resolved: Resolved, plan: Plan) -> None:
    spec = resolved.spec
    task.plan_id = plan.id
    task.name = spec.name
    task.matter_ids = [m.id for m in resolved.matters]
    task.target_filters = spec.target_filters.to_json()
    task.inspector_filters = spec.inspector_filters.to_json()
    task.sampling = request_to_json(spec.sampling)
    task.team_size = spec.team_size
    task.targets_per_team = spec.targets_per_team
    task.window_start = spec.window_start
    task.window_end = spec.window_end


def _set_units(session: Session, task: Task, units: Sequence[Unit]) -> None:
    for row in session.execute(select(TaskUnit).where(TaskUnit.task_id == task.id)).scalars():
        session.delete(row)
    session.flush()
    for position, unit in enumerate(units, start=1):
        session.add(TaskUnit(task_id=task.id, unit_id=unit.id, position=position))
    session.flush()


def _spec_json(spec: TaskSpec) -> dict[str, Any]:
    return {
        "name": spec.name,
        "units": [spec.unit_code, *spec.partner_codes],
        "matters": list(spec.matter_codes),
        "sampling": request_to_json(spec.sampling),
        "window": [spec.window_start.isoformat(), spec.window_end.isoformat()],
        "team_size": spec.team_size,
        "targets_per_team": spec.targets_per_team,
        "target_filters": spec.target_filters.to_json(),
        "inspector_filters": spec.inspector_filters.to_json(),
    }


def add_task_in(
    session: Session, actor: Profile | None, spec: TaskSpec, today: date, *, auto_plan: bool
) -> Task:
    """Create a task inside the caller's unit of work (create_task and imports)."""
    resolved = resolve(session, spec, today)
    _require_lead_access(actor, resolved.units[0])
    if session.execute(select(Task.id).where(Task.code == resolved.spec.code)).first():
        raise TaskInvalid(
            "code", N_("A task with the code {code} already exists."), code=resolved.spec.code
        )
    if resolved.plan is None and auto_plan:
        plan = ensure_plan(session, resolved.units[0], spec.window_start.year, _label(actor))
    else:
        plan = require_plan(resolved)
    task = Task(code=resolved.spec.code, status=PLANNED, created_by=_user_id(actor))
    _fill(task, resolved, plan)
    session.add(task)
    session.flush()
    _set_units(session, task, resolved.units)
    audit.append(
        session,
        actor=_label(actor),
        action="task.add",
        obj=f"task:{task.code}",
        details=_spec_json(resolved.spec),
    )
    return task


def change_task_in(
    session: Session, actor: Profile | None, spec: TaskSpec, today: date, *, auto_plan: bool
) -> tuple[Task, bool]:
    """Change a planned task inside the caller's unit of work; (task, changed?)."""
    code = normal_code(spec.code)
    task = _task_row(session, code, lock=True)
    lead = _lead_unit(session, task)
    _require_lead_access(actor, lead)
    resolved = resolve(session, spec, today)
    _require_lead_access(actor, resolved.units[0])
    before = _spec_json(_info(session, task).spec)
    after = _spec_json(resolved.spec)
    if before == after:
        return task, False
    if task.status != PLANNED:
        raise TaskInvalid(
            None,
            N_("The task {code} is {status}: it can only be changed while it is planned."),
            code=task.code,
            status=status_word(task.status),
        )
    if resolved.plan is None and auto_plan:
        plan = ensure_plan(session, resolved.units[0], spec.window_start.year, _label(actor))
    else:
        plan = require_plan(resolved)
    _fill(task, resolved, plan)
    _set_units(session, task, resolved.units)
    audit.append(
        session,
        actor=_label(actor),
        action="task.change",
        obj=f"task:{task.code}",
        details={"before": before, "after": after},
    )
    return task, True


def _user_id(actor: Profile | None) -> int | None:
    return actor.user_id if actor is not None else None


# --- task use cases ---------------------------------------------------------------------------


def create_task(database: Database, actor: Profile | None, spec: TaskSpec, today: date) -> TaskInfo:
    with database.unit_of_work() as uow:
        task = add_task_in(uow.session, actor, spec, today, auto_plan=False)
        info = _info(uow.session, task)
        uow.commit()
    return info


def change_task(database: Database, actor: Profile | None, spec: TaskSpec, today: date) -> TaskInfo:
    """Replace a planned task's fields with ``spec`` (its code names the task)."""
    with database.unit_of_work() as uow:
        task, changed = change_task_in(uow.session, actor, spec, today, auto_plan=False)
        info = _info(uow.session, task)
        if changed:
            uow.commit()
    return info


def cancel_task(
    database: Database,
    actor: Profile | None,
    code: str,
    reason: str | None,
    *,
    notices: NoticeContext | None = None,
) -> TaskInfo:
    """Cancel a task that is not done. Once drawn, a reason is required (the draw records
    stay; the teams stop counting as busy because the task is no longer active).

    Everyone told of a place on its teams, and its units' liaisons, are told it is
    cancelled, in the same unit of work (bot/services/draws/notices.py). ``notices``
    carries the quiet hours (the chat and the desk pass their settings); without it these
    urgent notices go out at once, day or night, since the office's zone is unknown here."""
    reason = (reason or "").strip() or None
    if reason is not None and len(reason) > MAX_TITLE:
        raise ServiceError(N_("A reason can have at most 300 characters."))
    with database.unit_of_work() as uow:
        session = uow.session
        task = _task_row(session, normal_code(code), lock=True)
        _require_lead_access(actor, _lead_unit(session, task))
        if task.status in (DONE, CANCELLED):
            raise ServiceError(
                N_("The task {code} is {status} and cannot be cancelled."),
                code=task.code,
                status=status_word(task.status),
            )
        if task.status != PLANNED and reason is None:
            raise ServiceError(
                N_("The task {code} has been drawn: cancelling it needs a reason."),
                code=task.code,
            )
        before = task.status
        task.status = CANCELLED
        task.cancel_reason = reason
        session.flush()
        audit.append(
            session,
            actor=_label(actor),
            action="task.cancel",
            obj=f"task:{task.code}",
            details={"status_before": before, "reason": reason},
        )
        notify_cancelled(session, task, reason, notices or _no_quiet_hours())
        info = _info(session, task)
        uow.commit()
    return info


def _no_quiet_hours() -> NoticeContext:
    """Now, with no quiet hours (start == end): for callers that pass no settings."""
    return NoticeContext(datetime.now(UTC), QuietHours(UTC, time(0), time(0)))


def get_task(database: Database, code: str) -> TaskInfo:
    with reading(database) as session:
        return _info(session, _task_row(session, normal_code(code)))


def list_tasks(
    database: Database,
    actor: Profile | None = None,
    *,
    unit_code: str | None = None,
    year: int | None = None,
) -> list[TaskInfo]:
    """Tasks in which ``unit_code`` takes part (all when None). A liaison sees the tasks
    of their own unit only."""
    with reading(database) as session:
        query = select(Task).order_by(Task.window_start, Task.code)
        unit_id: int | None = None
        if unit_code:
            unit_id = unit_by_code_or_name(session, unit_code).id
        if actor is not None and not actor.is_office:
            if actor.liaison_unit_id is None or unit_id not in (None, actor.liaison_unit_id):
                raise NotAllowedError(N_("You can only manage your own unit."))
            unit_id = actor.liaison_unit_id
        if unit_id is not None:
            query = query.where(
                Task.id.in_(select(TaskUnit.task_id).where(TaskUnit.unit_id == unit_id))
            )
        infos = [_info(session, task) for task in session.execute(query).scalars()]
    return [i for i in infos if year is None or i.year == year]


# --- reading rows -----------------------------------------------------------------------------


def _task_row(session: Session, code: str, *, lock: bool = False) -> Task:
    query = select(Task).where(Task.code == code)
    if lock:
        query = query.with_for_update()
    task = session.execute(query).scalar_one_or_none()
    if task is None:
        raise ServiceError(N_("There is no task with the code {code}."), code=code)
    return task


def task_units(session: Session, task_id: int) -> list[Unit]:
    """The participating units in order: lead first, then partners by position."""
    rows = session.execute(
        select(Unit)
        .join(TaskUnit, TaskUnit.unit_id == Unit.id)
        .where(TaskUnit.task_id == task_id)
        .order_by(TaskUnit.position)
    ).scalars()
    return list(rows)


def _lead_unit(session: Session, task: Task) -> Unit:
    return task_units(session, task.id)[0]


def _info(session: Session, task: Task) -> TaskInfo:
    units = task_units(session, task.id)
    matters = {
        m.id: m.code or ""
        for m in session.execute(select(Matter).where(Matter.id.in_(task.matter_ids))).scalars()
    }
    year = session.execute(select(Plan.year).where(Plan.id == task.plan_id)).scalar_one()
    return TaskInfo(
        id=task.id,
        code=task.code,
        name=task.name,
        year=year,
        unit_codes=tuple(u.code for u in units),
        unit_names=tuple(u.name for u in units),
        matter_codes=tuple(matters.get(i, "") for i in task.matter_ids),
        sampling=request_from_json(task.sampling),
        window_start=task.window_start,
        window_end=task.window_end,
        team_size=task.team_size,
        targets_per_team=task.targets_per_team,
        target_filters=TargetFilters.from_json(task.target_filters),
        inspector_filters=InspectorFilters.from_json(task.inspector_filters),
        status=task.status,
        cancel_reason=task.cancel_reason,
    )


def task_info(session: Session, task: Task) -> TaskInfo:
    """For the draw service, inside its own unit of work."""
    return _info(session, task)


def task_row(session: Session, code: str, *, lock: bool = False) -> Task:
    return _task_row(session, normal_code(code), lock=lock)
