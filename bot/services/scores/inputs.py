"""A unit's scoring inputs for a year, read from the rows the bot already keeps: the
registers, the documents filed, the half-year revisions against their windows, the tasks
and their draws, and the office's judgments (docs/architecture.md, "The evaluation").

Results (and with them completed tasks, follow-ups and publication), work information
reports, requested materials and commendations are not recorded in the bot yet: their
inputs stay ``None``, and their items say "no results yet" / "no data yet" with 0 points.
The issue that records them fills those fields here and nothing else changes.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, tzinfo
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.domain.registers import halves
from bot.domain.registers.halves import Period, Window
from bot.domain.scores.inputs import (
    Judgment,
    MatterFact,
    Registers,
    Revision,
    TaskFact,
    UnitInputs,
)
from storage.models import (
    Document,
    Draw,
    FilingWindow,
    Inspector,
    Matter,
    RevisionFiling,
    Task,
    TaskUnit,
    Unit,
    UnitEntity,
)
from storage.models import (
    Judgment as JudgmentRow,
)

# The two directories a half-year revision files (bot/services/registers/filings.py).
_DIRECTORIES = frozenset({"entities", "inspectors"})


def _count(session: Session, model: type[Matter | UnitEntity | Inspector], unit_id: int) -> int:
    return int(
        session.execute(
            select(func.count()).select_from(model).where(model.unit_id == unit_id, model.active)
        ).scalar_one()
    )


def _registers(session: Session, unit_id: int, year: int) -> Registers:
    rules = session.execute(
        select(func.count())
        .select_from(Document)
        .where(Document.unit_id == unit_id, Document.kind == "rules", Document.year <= year)
    ).scalar_one()
    return Registers(
        matters=_count(session, Matter, unit_id),
        entities=_count(session, UnitEntity, unit_id),
        inspectors=_count(session, Inspector, unit_id),
        rules_document=bool(rules),
    )


def _window(session: Session, period: Period) -> Window:
    """The half's filing window: the office's when it moved it, else the default."""
    row = session.execute(
        select(FilingWindow).where(
            FilingWindow.year == period.year, FilingWindow.half == period.half
        )
    ).scalar_one_or_none()
    if row is not None:
        return Window(row.opens, row.closes)
    return halves.default_window(*period)


def _revisions(session: Session, unit_id: int, year: int, tz: tzinfo) -> tuple[Revision, ...]:
    """Each half of the year: filed when both directories were, on the later day."""
    found = []
    for half in halves.HALVES:
        rows = session.execute(
            select(RevisionFiling.directory, RevisionFiling.filed_at).where(
                RevisionFiling.unit_id == unit_id,
                RevisionFiling.year == year,
                RevisionFiling.half == half,
            )
        ).all()
        filed = {directory: at for directory, at in rows}
        filed_on = None
        if filed.keys() >= _DIRECTORIES:
            filed_on = max(filed[d] for d in _DIRECTORIES).astimezone(tz).date()
        found.append(Revision(half, _window(session, Period(year, half)).closes, filed_on))
    return tuple(found)


def _documents(session: Session, unit_id: int, year: int) -> dict[str, int]:
    rows = session.execute(
        select(Document.kind, func.count(func.distinct(Document.id)))
        .where(Document.unit_id == unit_id, Document.year == year)
        .group_by(Document.kind)
    ).all()
    return {kind: int(n) for kind, n in rows}


def _tasks(session: Session, unit_id: int, year: int) -> tuple[list[TaskFact], set[int]]:
    """This year's tasks the unit takes part in (not cancelled), and the matters the tasks
    it leads inspect."""
    tasks = (
        session.execute(
            select(Task)
            .join(TaskUnit, TaskUnit.task_id == Task.id)
            .where(
                TaskUnit.unit_id == unit_id,
                Task.status != "cancelled",
                Task.window_start <= date(year, 12, 31),
                Task.window_end >= date(year, 1, 1),
            )
        )
        .scalars()
        .all()
    )
    ids = [t.id for t in tasks]
    units: dict[int, list[tuple[int, int]]] = defaultdict(list)
    drawn: set[int] = set()
    if ids:
        for task_id, member, position in session.execute(
            select(TaskUnit.task_id, TaskUnit.unit_id, TaskUnit.position).where(
                TaskUnit.task_id.in_(ids)
            )
        ):
            units[task_id].append((position, member))
        drawn = set(
            session.execute(
                select(Draw.task_id).where(Draw.task_id.in_(ids), Draw.purpose == "targets")
            ).scalars()
        )
    facts: list[TaskFact] = []
    matters: set[int] = set()
    for task in sorted(tasks, key=lambda t: t.code):
        members = sorted(units[task.id])
        facts.append(
            TaskFact(
                task.code,
                task.name,
                joint=len(members) > 1,
                due=task.window_end.year == year,
                drawn=task.id in drawn,
            )
        )
        if members and members[0][1] == unit_id:
            matters |= set(task.matter_ids or [])
    return facts, matters


def _judgments(session: Session, unit_id: int, year: int) -> dict[str, Judgment]:
    rows = session.execute(
        select(JudgmentRow).where(JudgmentRow.unit_id == unit_id, JudgmentRow.year == year)
    ).scalars()
    return {row.item: Judgment(Decimal(row.points), row.note, row.evidence_name) for row in rows}


def gather(session: Session, unit: Unit, year: int, today: date, tz: tzinfo) -> UnitInputs:
    """Everything the rubric scores ``unit`` on for ``year``, as plain values."""
    tasks, inspected = _tasks(session, unit.id, year)
    matters = session.execute(
        select(Matter).where(Matter.unit_id == unit.id, Matter.active).order_by(Matter.id)
    ).scalars()
    return UnitInputs(
        today=today,
        registers=_registers(session, unit.id, year),
        revisions=_revisions(session, unit.id, year, tz),
        judgments=_judgments(session, unit.id, year),
        documents=_documents(session, unit.id, year),
        matters=tuple(
            MatterFact(m.code or m.name, m.name, m.double_random, m.id in inspected)
            for m in matters
        ),
        tasks=tuple(tasks),
    )
