"""Tasks in the chat (issue #12, part 1): what a liaison chooses from when planning a task,
creating it, the tasks a person may see, one task's page and a draw's public certificate.

Who sees what (docs/architecture.md, "Chat patterns"): the office every task; a liaison
the tasks their unit takes part in — a partner unit's liaison sees the joint task, read
only; the office and the lead unit's liaison draw. Every function checks it again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.draws.algorithm import PURPOSE_INSPECTORS, PURPOSE_TARGETS
from bot.i18n import N_
from bot.services.draws import views as draw_views
from bot.services.draws.plans import (
    CANCELLED,
    DONE,
    PLANNED,
    TaskInfo,
    TaskSpec,
    add_task_in,
    list_tasks,
    task_info,
    task_units,
)
from bot.services.draws.store import current_draw
from bot.services.errors import NotAllowedError, ServiceError
from bot.services.people.profiles import Profile
from storage.db import Database, reading
from storage.models import Draw, Matter, Task, Unit

__all__ = [
    "DrawCertificate",
    "MatterChoice",
    "TaskChoices",
    "TaskPage",
    "UnitChoice",
    "certificate_file",
    "create_chat_task",
    "require_draw_access",
    "task_choices",
    "task_page",
    "visible_tasks",
]


@dataclass(frozen=True)
class MatterChoice:
    id: int
    code: str
    name: str
    joint_ok: bool


@dataclass(frozen=True)
class UnitChoice:
    id: int
    code: str
    name: str


@dataclass(frozen=True)
class TaskChoices:
    """What a liaison picks from: the unit's active matters (with a code) and the other
    active units (partners of a joint task)."""

    unit_code: str
    unit_name: str
    matters: tuple[MatterChoice, ...]
    units: tuple[UnitChoice, ...]


@dataclass(frozen=True)
class TaskPage:
    task: TaskInfo
    matter_names: tuple[str, ...]
    may_draw: bool  # the office or the lead unit's liaison, and something left to draw
    pending: str | None  # the draw the task needs next (targets, inspectors), if any
    targets_draw_id: int | None
    inspectors_draw_id: int | None


def _liaison_unit(actor: Profile) -> int:
    if actor.liaison_unit_id is None:
        raise NotAllowedError(N_("Only a unit's liaison can do this."))
    return actor.liaison_unit_id


def task_choices(database: Database, actor: Profile) -> TaskChoices:
    unit_id = _liaison_unit(actor)
    with reading(database) as session:
        unit = session.get_one(Unit, unit_id)
        matters = session.execute(
            select(Matter)
            .where(Matter.unit_id == unit_id, Matter.active, Matter.code.is_not(None))
            .order_by(Matter.code, Matter.id)
        ).scalars()
        others = session.execute(
            select(Unit).where(Unit.active, Unit.id != unit_id).order_by(Unit.code)
        ).scalars()
        return TaskChoices(
            unit_code=unit.code,
            unit_name=unit.name,
            matters=tuple(MatterChoice(m.id, m.code or "", m.name, m.joint_ok) for m in matters),
            units=tuple(UnitChoice(u.id, u.code, u.name) for u in others),
        )


def _code_part(unit_code: str) -> str:
    """The unit's code as a task code may write it (capital letters, digits, "-")."""
    return re.sub(r"[^A-Z0-9-]", "", unit_code.upper()) or "T"


def _next_code(session: Session, unit_code: str, year: int) -> str:
    """The unit's next free task code for the year: SCJG-2026-001, -002, …"""
    prefix = f"{_code_part(unit_code)}-{year}-"
    taken = set(session.execute(select(Task.code).where(Task.code.like(f"{prefix}%"))).scalars())
    number = 1
    while f"{prefix}{number:03d}" in taken:
        number += 1
    return f"{prefix}{number:03d}"


def create_chat_task(
    database: Database, actor: Profile, spec: TaskSpec, today: date, *, dry_run: bool = False
) -> TaskInfo:
    """Create the liaison's task for their own unit as the lead unit. The code is the
    unit's next free one (``spec.code`` is ignored); the unit's plan for the year is
    added when it has none. ``dry_run`` checks everything and writes nothing (the
    confirmation shown before anything is written)."""
    unit_id = _liaison_unit(actor)
    with database.unit_of_work() as uow:
        session = uow.session
        unit = session.get_one(Unit, unit_id)
        code = _next_code(session, unit.code, spec.window_start.year)
        own = TaskSpec(
            code=code,
            name=spec.name,
            unit_code=unit.code,
            matter_codes=spec.matter_codes,
            sampling=spec.sampling,
            window_start=spec.window_start,
            window_end=spec.window_end,
            partner_codes=spec.partner_codes,
            team_size=spec.team_size,
            targets_per_team=spec.targets_per_team,
            target_filters=spec.target_filters,
            inspector_filters=spec.inspector_filters,
        )
        task = add_task_in(session, actor, own, today, auto_plan=True)
        info = task_info(session, task)
        if not dry_run:
            uow.commit()
    return info


def visible_tasks(database: Database, actor: Profile) -> list[TaskInfo]:
    """The office: every task; a liaison: their unit's tasks, joint ones included."""
    if not actor.is_office:
        _liaison_unit(actor)
    return list_tasks(database, actor)


def _require_sight(session: Session, actor: Profile, task_id: int) -> list[Unit]:
    units = task_units(session, task_id)
    if actor.is_office:
        return units
    if actor.liaison_unit_id is None or actor.liaison_unit_id not in {u.id for u in units}:
        raise NotAllowedError(N_("You can only manage your own unit."))
    return units


def _pending(session: Session, task: Task) -> str | None:
    if task.status in (CANCELLED, DONE):
        return None
    if task.status == PLANNED:
        return PURPOSE_TARGETS
    if current_draw(session, task.id, PURPOSE_INSPECTORS) is None:
        return PURPOSE_INSPECTORS
    return None


def task_page(database: Database, actor: Profile, task_id: int) -> TaskPage:
    with reading(database) as session:
        task = session.get(Task, task_id)
        if task is None:
            raise ServiceError(N_("There is no such task."))
        units = _require_sight(session, actor, task.id)
        info = task_info(session, task)
        names = {
            m.id: m.name
            for m in session.execute(select(Matter).where(Matter.id.in_(task.matter_ids)))
            .scalars()
            .all()
        }
        lead = actor.is_office or actor.liaison_unit_id == units[0].id
        pending = _pending(session, task)
        targets = current_draw(session, task.id, PURPOSE_TARGETS)
        inspectors = current_draw(session, task.id, PURPOSE_INSPECTORS)
        return TaskPage(
            task=info,
            matter_names=tuple(names.get(i, "") for i in task.matter_ids),
            may_draw=lead and pending is not None,
            pending=pending,
            targets_draw_id=targets.id if targets is not None else None,
            inspectors_draw_id=inspectors.id if inspectors is not None else None,
        )


@dataclass(frozen=True)
class DrawCertificate:
    task_code: str
    data: dict[str, Any]  # bot.services.draws.views.certificate: no risk class
    workbook: bytes


def certificate_file(database: Database, actor: Profile, draw_id: int) -> DrawCertificate:
    """The public certificate of a draw, its values and its workbook, for the office and
    the liaisons of the task's units: it names the drawn entities and inspectors, never a
    risk class (bot/services/draws/views.py)."""
    from storage.xlsx_draws import certificate_workbook

    with reading(database) as session:
        found = session.execute(
            select(Draw.task_id, Task.code)
            .join(Task, Task.id == Draw.task_id)
            .where(Draw.id == draw_id)
        ).first()
        if found is None:
            raise ServiceError(N_("There is no such draw."))
        _require_sight(session, actor, found.task_id)
        code = found.code
    data = draw_views.certificate(database, draw_id)
    return DrawCertificate(code, data, certificate_workbook(data))


def require_draw_access(database: Database, actor: Profile, task_id: int) -> None:
    """The office, or the liaison of the task's lead unit; a partner unit's liaison sees
    the task but does not draw it, and another unit's liaison does not see it at all."""
    with reading(database) as session:
        if session.get(Task, task_id) is None:
            raise ServiceError(N_("There is no such task."))
        units = _require_sight(session, actor, task_id)
        if not actor.is_office and actor.liaison_unit_id != units[0].id:
            raise NotAllowedError(
                N_("Only the office or the liaison of the task's lead unit can draw it.")
            )
