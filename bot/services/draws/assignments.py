"""An inspector's assignments: /mytasks and acknowledging one.

An inspector sees their own places on teams only — never another inspector's, whatever
the button pressed says (the data names a team member; the service checks it is the
actor's). Current: an active place on a task drawn or in progress whose window has not
ended. Past: everything else (the window over, the task done or cancelled, the place
withdrawn by a redraw or a replacement), newest first, up to ``PAST_SHOWN``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.i18n import N_
from bot.services.draws.plans import DRAWN, IN_PROGRESS
from bot.services.errors import NotAllowedError, ServiceError
from bot.services.people.membership import actor_label
from bot.services.people.profiles import Profile
from storage import audit, outbox
from storage.db import Database, reading
from storage.models import Assignment, Entity, Task, TeamMember

PAST_SHOWN: Final = 10

# What became of a place, as /mytasks shows it.
WAITING = "waiting"  # not acknowledged yet
ACKNOWLEDGED = "acknowledged"
RECUSAL_REQUESTED = "recusal_requested"
WITHDRAWN = "withdrawn"  # replaced, or the task drawn again
CANCELLED = "cancelled"
ENDED = "ended"


@dataclass(frozen=True)
class AssignmentInfo:
    member_id: int
    task_code: str
    task_name: str
    team_no: int
    role: str
    window_start: date
    window_end: date
    state: str
    targets: tuple[str, ...]  # names, in the team's order

    @property
    def open(self) -> bool:
        """Still answerable: acknowledge or ask for recusal."""
        return self.state in (WAITING, ACKNOWLEDGED)


@dataclass(frozen=True)
class MyTasks:
    current: tuple[AssignmentInfo, ...]
    past: tuple[AssignmentInfo, ...]


def _state(member: TeamMember, task: Task, today: date) -> str:
    if task.status == "cancelled":
        return CANCELLED
    if not member.active:
        return WITHDRAWN
    if task.status not in (DRAWN, IN_PROGRESS) or task.window_end < today:
        return ENDED
    if member.recusal_status == "requested":
        return RECUSAL_REQUESTED
    return ACKNOWLEDGED if member.acknowledged_at is not None else WAITING


def _targets(session: Session, member: TeamMember) -> tuple[str, ...]:
    names = session.execute(
        select(Entity.name)
        .join(Assignment, Assignment.entity_id == Entity.id)
        .where(
            Assignment.task_id == member.task_id,
            Assignment.team_no == member.team_no,
            Assignment.active.is_(True),
        )
        .order_by(Assignment.id)
    ).scalars()
    return tuple(names)


def info_of(session: Session, member: TeamMember, task: Task, today: date) -> AssignmentInfo:
    return AssignmentInfo(
        member_id=member.id,
        task_code=task.code,
        task_name=task.name,
        team_no=member.team_no,
        role=member.role,
        window_start=task.window_start,
        window_end=task.window_end,
        state=_state(member, task, today),
        targets=_targets(session, member) if member.active else (),
    )


def require_inspector(actor: Profile) -> int:
    if actor.inspector_id is None:
        raise NotAllowedError(N_("Only an inspector linked to the directory can do this."))
    return actor.inspector_id


def own_member(session: Session, actor: Profile, member_id: int) -> tuple[TeamMember, Task]:
    """The actor's own place on a team, locked for a change; refused for anyone else's."""
    inspector_id = require_inspector(actor)
    row = session.execute(
        select(TeamMember, Task)
        .join(Task, Task.id == TeamMember.task_id)
        .where(TeamMember.id == member_id)
        .with_for_update()
    ).first()
    if row is None or row[0].inspector_id != inspector_id:
        raise NotAllowedError(N_("This is not one of your assignments."))
    return row[0], row[1]


def my_assignments(database: Database, actor: Profile, today: date) -> MyTasks:
    inspector_id = require_inspector(actor)
    with reading(database) as session:
        rows = session.execute(
            select(TeamMember, Task)
            .join(Task, Task.id == TeamMember.task_id)
            .where(TeamMember.inspector_id == inspector_id)
            .order_by(Task.window_start.desc(), TeamMember.id.desc())
        ).all()
        infos = [info_of(session, m, t, today) for m, t in rows]
    current = sorted((i for i in infos if i.open or i.state == RECUSAL_REQUESTED), key=_soonest)
    past = [i for i in infos if i not in current][:PAST_SHOWN]
    return MyTasks(tuple(current), tuple(past))


def _soonest(info: AssignmentInfo) -> tuple[date, int]:
    return info.window_start, info.member_id


def acknowledge(
    database: Database, actor: Profile, member_id: int, now: datetime, *, tz: tzinfo
) -> AssignmentInfo:
    """The inspector confirms they received the assignment (a second press changes
    nothing). Nudges not sent yet for it are dropped."""
    today = now.astimezone(tz).date()
    with database.unit_of_work() as uow:
        session = uow.session
        member, task = own_member(session, actor, member_id)
        if not member.active or task.status not in (DRAWN, IN_PROGRESS):
            raise ServiceError(
                N_("Task {code}: this assignment no longer holds; see /mytasks."),
                code=task.code,
            )
        if member.acknowledged_at is None:
            member.acknowledged_at = now
            outbox.drop_pending(session, prefix=f"nudge:{member.id}:")
            audit.append(
                session,
                actor=actor_label(actor),
                action="assignment.ack",
                obj=f"team_member:{member.id}",
                details={"task": task.code, "team": member.team_no},
                at=now,
            )
        info = info_of(session, member, task, today)
        uow.commit()
    return info
