"""What the notices of a drawn task say, read in the caller's unit of work: the task, its
teams' active members (with the Telegram user linked to each, if any) and targets, and
the people of its units. Plain values, so the texts in bot/services/draws/notices.py are
functions of a translator and these.

Only what an inspector needs on the spot is read: a target's name, code, address and (for
the team's leader) the contact person and phone. A risk class is never read here, so no
notice can show one (docs/architecture.md §5).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import (
    Assignment,
    Entity,
    Inspector,
    Matter,
    Task,
    TaskUnit,
    TeamMember,
    Unit,
    UnitEntity,
    User,
)


@dataclass(frozen=True)
class TargetFact:
    key: str  # the code drawn: the USCC, or E<number>
    name: str
    address: str | None
    contact: str | None  # contact person and phone, as the unit's directory has them


@dataclass(frozen=True)
class MemberFact:
    id: int  # the team member row
    team_no: int
    role: str  # leader | member
    position: int
    inspector_id: int
    name: str
    cert_no: str | None
    unit_id: int
    unit_code: str
    unit_name: str
    user: User | None  # the linked, active Telegram user; None: not on the bot yet


@dataclass(frozen=True)
class TaskFacts:
    id: int
    code: str
    name: str
    status: str
    window_start: date
    window_end: date
    matters: tuple[str, ...]
    unit_ids: tuple[int, ...]  # lead unit first
    unit_names: tuple[str, ...]
    members: tuple[MemberFact, ...]  # active members, by team and position
    targets: dict[int, tuple[TargetFact, ...]]  # team -> its active targets

    @property
    def lead_unit_id(self) -> int:
        return self.unit_ids[0]

    def team(self, team_no: int) -> list[MemberFact]:
        return [m for m in self.members if m.team_no == team_no]


def linked_users(session: Session, inspector_ids: Iterable[int]) -> dict[int, User]:
    """inspector id -> the active user linked to that inspector record."""
    wanted = list(set(inspector_ids))
    if not wanted:
        return {}
    rows = session.execute(
        select(User).where(User.inspector_id.in_(wanted), User.active.is_(True))
    ).scalars()
    return {u.inspector_id: u for u in rows if u.inspector_id is not None}


def members_of(session: Session, rows: Sequence[TeamMember]) -> list[MemberFact]:
    """The facts of team member rows (active or not), in the order given."""
    ids = [r.inspector_id for r in rows]
    people = {
        i.id: (i, u)
        for i, u in session.execute(
            select(Inspector, Unit)
            .join(Unit, Unit.id == Inspector.unit_id)
            .where(Inspector.id.in_(ids))
        )
    }
    users = linked_users(session, ids)
    facts = []
    for row in rows:
        inspector, unit = people[row.inspector_id]
        facts.append(
            MemberFact(
                id=row.id,
                team_no=row.team_no,
                role=row.role,
                position=row.position,
                inspector_id=inspector.id,
                name=inspector.name,
                cert_no=inspector.cert_no,
                unit_id=unit.id,
                unit_code=unit.code,
                unit_name=unit.name,
                user=users.get(inspector.id),
            )
        )
    return facts


def _targets(
    session: Session, task_id: int, unit_ids: Sequence[int]
) -> dict[int, tuple[TargetFact, ...]]:
    rows = list(
        session.execute(
            select(Assignment.team_no, Assignment.key, Entity)
            .join(Entity, Entity.id == Assignment.entity_id)
            .where(Assignment.task_id == task_id, Assignment.active.is_(True))
            .order_by(Assignment.team_no, Assignment.id)
        )
    )
    contacts: dict[int, str] = {}
    rank = {unit_id: n for n, unit_id in enumerate(unit_ids)}
    views = session.execute(
        select(
            UnitEntity.entity_id, UnitEntity.unit_id, UnitEntity.contact_name, UnitEntity.phone
        ).where(
            UnitEntity.entity_id.in_([e.id for _, _, e in rows]),
            UnitEntity.unit_id.in_(list(unit_ids)),
        )
    ).all()
    # The lead unit's contact first, else the first participating unit's that has one.
    for entity_id, _, name, phone in sorted(views, key=lambda v: rank[v.unit_id], reverse=True):
        contact = " ".join(x for x in (name, phone) if x)
        if contact:
            contacts[entity_id] = contact
    teams: dict[int, list[TargetFact]] = {}
    for team_no, key, entity in rows:
        teams.setdefault(team_no, []).append(
            TargetFact(key, entity.name, entity.address, contacts.get(entity.id))
        )
    return {team: tuple(found) for team, found in teams.items()}


def task_facts(session: Session, task: Task) -> TaskFacts:
    units = list(
        session.execute(
            select(Unit)
            .join(TaskUnit, TaskUnit.unit_id == Unit.id)
            .where(TaskUnit.task_id == task.id)
            .order_by(TaskUnit.position)
        ).scalars()
    )
    matters = {
        m.id: m
        for m in session.execute(select(Matter).where(Matter.id.in_(task.matter_ids))).scalars()
    }
    rows = session.execute(
        select(TeamMember)
        .where(TeamMember.task_id == task.id, TeamMember.active.is_(True))
        .order_by(TeamMember.team_no, TeamMember.position)
    ).scalars()
    unit_ids = tuple(u.id for u in units)
    return TaskFacts(
        id=task.id,
        code=task.code,
        name=task.name,
        status=task.status,
        window_start=task.window_start,
        window_end=task.window_end,
        matters=tuple(
            " ".join(x for x in (matters[i].code, matters[i].name) if x)
            for i in task.matter_ids
            if i in matters
        ),
        unit_ids=unit_ids,
        unit_names=tuple(u.name for u in units),
        members=tuple(members_of(session, list(rows))),
        targets=_targets(session, task.id, unit_ids),
    )


def liaisons(session: Session, unit_ids: Iterable[int]) -> list[User]:
    """The active liaisons of the units, by unit then by id."""
    wanted = list(unit_ids)
    rows = session.execute(
        select(User)
        .where(User.liaison_unit_id.in_(wanted), User.active.is_(True))
        .order_by(User.id)
    ).scalars()
    return sorted(rows, key=lambda u: (wanted.index(u.liaison_unit_id or 0), u.id))


def office_users(session: Session) -> list[User]:
    return list(
        session.execute(
            select(User).where(User.is_office.is_(True), User.active.is_(True)).order_by(User.id)
        ).scalars()
    )
