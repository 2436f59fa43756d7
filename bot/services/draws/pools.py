"""The pools of a draw (docs/dsr-draw-v1.md): which targets and which inspectors can be drawn.

Pools are read with SQLAlchemy Core, never as ORM objects: a targets pool can hold a whole
city's directory (1,000,000 rows), and the draw must stay close to the cost of reading
and hashing the keys (bench/bench_draw.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

from sqlalchemy import ColumnElement, Select, and_, distinct, func, null, or_, select
from sqlalchemy.orm import Session

from bot.domain.draws.algorithm import (
    TOTAL_STRATUM,
    DrawError,
    InspectorCandidate,
    SamplingRequest,
    TargetCandidate,
    normalise_key,
)
from bot.services.draws.plans import (
    CANCELLED,
    DRAWN,
    IN_PROGRESS,
    InspectorFilters,
    TargetFilters,
    matter_kinds,
)
from storage.models import (
    Assignment,
    Conflict,
    Entity,
    Inspector,
    Matter,
    Plan,
    Task,
    TeamMember,
    Unavailability,
    Unit,
    UnitEntity,
)

NO_CLASS: Final = "U"
# Why an inspector of a participating unit is not in the pool, in the order checked.
INACTIVE: Final = "inactive"
UNCERTIFIED: Final = "uncertified"
BAD_KEY: Final = "bad_key"
EXPIRED: Final = "expired"
FILTERED: Final = "filtered"
AWAY: Final = "away"
BUSY: Final = "busy"
REASONS: Final = (INACTIVE, UNCERTIFIED, BAD_KEY, EXPIRED, FILTERED, AWAY, BUSY)


# --- targets ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetPool:
    """The candidates, with their keys as stored: the draw normalises them (doing it here
    too would cost a second pass over a 1,000,000 pool), and ``entity_ids`` finds the
    entities of the few keys drawn."""

    candidates: list[TargetCandidate]  # stratum "*" for a total request


def entity_ids(session: Session, pool: TargetPool, keys: Sequence[str]) -> dict[str, int]:
    """Drawn key -> entity id: E<id> for an entity without USCC, else by its USCC."""
    found: dict[str, int] = {}
    numbered = {int(k[1:]): k for k in keys if k[:1] == "E" and k[1:].isdigit()}
    for chunk in _chunks(list(numbered)):
        found.update(
            (numbered[entity_id], entity_id)
            for entity_id in session.execute(
                select(Entity.id).where(Entity.id.in_(chunk), Entity.uscc.is_(None))
            ).scalars()
        )
    _by_uscc(session, {k: k for k in keys if k not in found}, found)
    missing = {k for k in keys if k not in found}
    if missing:  # a USCC stored in another form (lower case, full width): its stored form
        stored = {}
        for candidate in pool.candidates:
            try:
                normal = normalise_key(candidate.key)
            except DrawError:
                continue
            if normal in missing:
                stored[candidate.key] = normal
        _by_uscc(session, stored, found)
    return found


def _by_uscc(session: Session, wanted: dict[str, str], found: dict[str, int]) -> None:
    """``wanted``: USCC as stored -> drawn key."""
    for chunk in _chunks(list(wanted)):
        for entity_id, uscc in session.execute(
            select(Entity.id, Entity.uscc).where(Entity.uscc.in_(chunk))
        ):
            if uscc in wanted:
                found[wanted[uscc]] = entity_id


def _chunks(values: list[Any], size: int = 500) -> list[list[Any]]:
    return [values[i : i + size] for i in range(0, len(values), size)]


def _wanted_kinds(matters: Sequence[Matter], filters: TargetFilters) -> set[str] | None:
    """The target kinds the task draws from (its filter within its matters'); None: any."""
    kinds = matter_kinds(matters)
    wanted = set(filters.kinds) & kinds if kinds is not None and filters.kinds else None
    if wanted is None:
        wanted = set(filters.kinds) or kinds
    return wanted


def _drawn_this_year(task: Task, units: Sequence[Unit]) -> Select[Any]:
    """Entities drawn by another task of the lead unit's plan for the task's year."""
    return (
        select(Assignment.entity_id)
        .join(Task, Task.id == Assignment.task_id)
        .join(Plan, Plan.id == Task.plan_id)
        .where(
            Assignment.active.is_(True),
            Task.id != task.id,
            Task.status != CANCELLED,
            Plan.unit_id == units[0].id,
            Plan.year == select(Plan.year).where(Plan.id == task.plan_id).scalar_subquery(),
        )
    )


def _target_query(
    task: Task, units: Sequence[Unit], matters: Sequence[Matter], filters: TargetFilters
) -> tuple[Select[Any], bool]:
    """The pool query, and whether its rows carry (unit, class, matches) for grouping.

    One unit: every filter is in SQL and a row is a pool entry. Several units: a row per
    (unit, entity); an entity is in the pool when one of the units' views matches, and its
    class is the lead unit's, else the first unit's (by position) that holds one.
    """
    ue = UnitEntity.__table__.c
    e = Entity.__table__.c
    conditions: list[ColumnElement[bool]] = [
        ue.unit_id.in_([u.id for u in units]),
        ue.active.is_(True),
        e.status == "active",
    ]
    wanted = _wanted_kinds(matters, filters)
    if wanted is not None:
        conditions.append(e.kind.in_(sorted(wanted)))
    if filters.exclude_drawn_this_year:
        conditions.append(e.id.not_in(_drawn_this_year(task, units)))
    view: list[ColumnElement[bool]] = []
    if filters.industries:
        view.append(ue.industry.in_(filters.industries))
    if filters.areas:
        view.append(ue.area.in_(filters.areas))
    source = UnitEntity.__table__.join(Entity.__table__, e.id == ue.entity_id)
    if len(units) == 1:
        classes = filters.risk_classes
        if classes:
            named = [c for c in classes if c != NO_CLASS]
            in_class: list[ColumnElement[bool]] = [ue.risk_class.in_(named)] if named else []
            if NO_CLASS in classes:
                in_class.append(ue.risk_class.is_(None))
            view.append(or_(*in_class))
        single: Select[Any] = select(e.id, e.uscc, ue.risk_class).select_from(source)
        return single.where(*conditions, *view), False
    columns: list[Any] = [e.id, e.uscc, ue.unit_id, ue.risk_class]
    if view:
        columns.append(and_(*view).label("matches"))
    grouped: Select[Any] = select(*columns).select_from(source)
    return grouped.where(*conditions), True


def target_pool(
    session: Session,
    task: Task,
    units: Sequence[Unit],
    matters: Sequence[Matter],
    filters: TargetFilters,
    request: SamplingRequest,
) -> TargetPool:
    query, grouped = _target_query(task, units, matters, filters)
    rows = session.execute(query)
    total = request.is_total
    if not grouped:
        if total:
            star = TOTAL_STRATUM
            return TargetPool([TargetCandidate(u or f"E{i}", star) for i, u, _ in rows])
        return TargetPool([TargetCandidate(u or f"E{i}", c or NO_CLASS) for i, u, c in rows])

    position = {u.id: i for i, u in enumerate(units)}
    best: dict[int, tuple[int, str | None]] = {}  # entity -> (position, class) of its class
    matched: dict[int, str | None] = {}  # entity -> uscc, for entities a view matches
    for row in rows:
        entity_id, uscc, unit_id, risk_class = row[0], row[1], row[2], row[3]
        if len(row) == 4 or row[4]:
            matched[entity_id] = uscc
        if risk_class is not None:
            pos = position[unit_id]
            if entity_id not in best or pos < best[entity_id][0]:
                best[entity_id] = (pos, risk_class)
    classes = set(filters.risk_classes)
    candidates: list[TargetCandidate] = []
    for entity_id, uscc in matched.items():
        risk_class = best[entity_id][1] if entity_id in best else None
        stratum = risk_class or NO_CLASS
        if classes and stratum not in classes:
            continue
        key = uscc or f"E{entity_id}"
        candidates.append(TargetCandidate(key, TOTAL_STRATUM if total else stratum))
    return TargetPool(candidates)


# --- inspectors -------------------------------------------------------------------------------


@dataclass(frozen=True)
class InspectorStatus:
    id: int
    unit_code: str
    name: str
    key: str | None  # the normalised cert_no, when it has a usable one
    reason: str | None  # None: eligible; else one of REASONS
    detail: str | None  # the reason in words for a replacement record


@dataclass(frozen=True)
class InspectorPool:
    statuses: list[InspectorStatus]
    candidates: list[InspectorCandidate] = field(default_factory=list)
    by_key: dict[str, int] = field(default_factory=dict)  # key -> inspector id

    def counts(self, unit_code: str) -> dict[str, int]:
        """How many of the unit's inspectors are out of the pool, per reason."""
        counts = dict.fromkeys(REASONS, 0)
        counts["total"] = counts["eligible"] = 0
        for status in self.statuses:
            if status.unit_code == unit_code:
                counts["total"] += 1
                counts[status.reason or "eligible"] += 1
        return counts


def _matches(tags: Sequence[str] | None, wanted: Sequence[str]) -> bool:
    return not wanted or bool(set(tags or ()) & set(wanted))


def inspector_pool(
    session: Session,
    task: Task,
    units: Sequence[Unit],
    filters: InspectorFilters,
    start: date,
    end: date,
) -> InspectorPool:
    """Every inspector of the participating units with why he is (not) eligible for the
    days ``start``..``end``: the task's window for a draw, what is left of it for a
    replacement."""
    unit_code = {u.id: u.code for u in units}
    i = Inspector.__table__.c
    # The tag lists are JSON: read (and decoded) only when the task filters on them.
    filtered = bool(filters.expertise or filters.areas)
    tags = (i.expertise, i.areas) if filtered else (null(), null())
    rows = session.execute(
        select(i.id, i.unit_id, i.name, i.cert_no, i.cert_expires, *tags, i.active).where(
            i.unit_id.in_(list(unit_code))
        )
    ).all()
    unit_ids = list(unit_code)
    away = _away(session, unit_ids, start, end)
    busy = _busy(session, unit_ids, task, start, end)
    statuses = []
    for row in rows:
        key = _inspector_key(row.cert_no)
        reason, detail = _why_not_eligible(row, key, filters, end, away, busy)
        statuses.append(
            InspectorStatus(row.id, unit_code[row.unit_id], row.name, key, reason, detail)
        )
    eligible = [s for s in statuses if s.reason is None and s.key is not None]
    return InspectorPool(
        statuses,
        [InspectorCandidate(s.key, s.unit_code) for s in eligible if s.key],
        {s.key: s.id for s in eligible if s.key},
    )


def _away(session: Session, unit_ids: list[int], start: date, end: date) -> dict[int, str]:
    """Inspectors with an unavailability overlapping ``start``..``end``: the first of them."""
    away: dict[int, str] = {}
    for inspector_id, kind, first, last in session.execute(
        select(
            Unavailability.inspector_id,
            Unavailability.kind,
            Unavailability.start_date,
            Unavailability.end_date,
        )
        .join(Inspector, Inspector.id == Unavailability.inspector_id)
        .where(
            Inspector.unit_id.in_(unit_ids),
            Unavailability.start_date <= end,
            Unavailability.end_date >= start,
        )
        .order_by(Unavailability.start_date, Unavailability.id)
    ):
        away.setdefault(inspector_id, f"unavailable: {kind} {first}..{last}")
    return away


def _busy(
    session: Session, unit_ids: list[int], task: Task, start: date, end: date
) -> dict[int, str]:
    """Inspectors on the team of another drawn or running task whose window overlaps
    ``start``..``end``: the earliest such task."""
    busy: dict[int, str] = {}
    for inspector_id, code, first, last in session.execute(
        select(TeamMember.inspector_id, Task.code, Task.window_start, Task.window_end)
        .join(Task, Task.id == TeamMember.task_id)
        .join(Inspector, Inspector.id == TeamMember.inspector_id)
        .where(
            Inspector.unit_id.in_(unit_ids),
            TeamMember.active.is_(True),
            Task.id != task.id,
            Task.status.in_((DRAWN, IN_PROGRESS)),
            Task.window_start <= end,
            Task.window_end >= start,
        )
        .order_by(Task.window_start, Task.code)
    ):
        busy.setdefault(inspector_id, f"busy: task {code} {first}..{last}")
    return busy


def _inspector_key(cert_no: str | None) -> str | None:
    """The draw key of a certificate number; None when there is none or it is unusable."""
    if not (cert_no and cert_no.strip()):
        return None
    try:
        return normalise_key(cert_no)
    except DrawError:
        return None


def _why_not_eligible(
    row: Any,  # a row of inspector_pool's query; Row's type parameters differ across 2.0/2.1
    key: str | None,
    filters: InspectorFilters,
    end: date,
    away: dict[int, str],
    busy: dict[int, str],
) -> tuple[str | None, str | None]:
    """The first reason (of REASONS, in their order) that keeps the inspector out of the
    pool and its detail, or (None, None) when he can be drawn."""
    if not row.active:
        return INACTIVE, "no longer active"
    if not (row.cert_no and row.cert_no.strip()):
        return UNCERTIFIED, "no certificate number"
    if key is None:
        return BAD_KEY, "certificate number unusable as a key"
    if row.cert_expires is None or row.cert_expires < end:
        shown = row.cert_expires.isoformat() if row.cert_expires else "not recorded"
        return EXPIRED, f"certificate valid until {shown}"
    # Columns 5 and 6 are the tag lists, read only when the task filters on them.
    filtered = bool(filters.expertise or filters.areas)
    if filtered and not (_matches(row[5], filters.expertise) and _matches(row[6], filters.areas)):
        return FILTERED, "outside the task's expertise/area filters"
    if row.id in away:
        return AWAY, away[row.id]
    if row.id in busy:
        return BUSY, busy[row.id]
    return None, None


def conflicts_with_targets(
    session: Session, task_id: int, draw_id: int, keys_of: dict[int, str]
) -> list[tuple[str, str]]:
    """Declared conflicts between the given inspectors (id -> key) and the targets of a
    targets draw, as (inspector key, target key)."""
    rows = session.execute(
        select(Conflict.inspector_id, Assignment.key)
        .join(Assignment, Assignment.entity_id == Conflict.entity_id)
        .where(Assignment.task_id == task_id, Assignment.draw_id == draw_id)
    )
    return sorted(
        {(keys_of[inspector], target) for inspector, target in rows if inspector in keys_of}
    )


# --- why a targets pool is small ------------------------------------------------------------

# The task's target filters in the order the funnel applies them.
DIRECTORY: Final = "directory"
KIND: Final = "kind"
DRAWN_THIS_YEAR: Final = "drawn_this_year"
INDUSTRY: Final = "industry"
AREA: Final = "area"
RISK_CLASS: Final = "risk_class"


def target_funnel(
    session: Session,
    task: Task,
    units: Sequence[Unit],
    matters: Sequence[Matter],
    filters: TargetFilters,
    pool_size: int,
) -> list[tuple[str, int]]:
    """How the pool comes about: (DIRECTORY, the active entities of the participating
    units' directories), then (filter, how many it removed) for each filter the task
    sets, in the order above. The last step ends at ``pool_size`` (the pool as
    target_pool builds it, so the figures always add up to what will be drawn from)."""
    ue = UnitEntity.__table__.c
    e = Entity.__table__.c
    source = UnitEntity.__table__.join(Entity.__table__, e.id == ue.entity_id)
    conditions: list[ColumnElement[bool]] = [
        ue.unit_id.in_([u.id for u in units]),
        ue.active.is_(True),
        e.status == "active",
    ]

    def entities() -> int:
        query = select(func.count(distinct(e.id))).select_from(source).where(*conditions)
        return int(session.execute(query).scalar_one())

    steps: list[tuple[str, ColumnElement[bool] | None]] = []
    wanted = _wanted_kinds(matters, filters)
    if wanted is not None:
        steps.append((KIND, e.kind.in_(sorted(wanted))))
    if filters.exclude_drawn_this_year:
        steps.append((DRAWN_THIS_YEAR, e.id.not_in(_drawn_this_year(task, units))))
    if filters.industries:
        steps.append((INDUSTRY, ue.industry.in_(filters.industries)))
    if filters.areas:
        steps.append((AREA, ue.area.in_(filters.areas)))
    if filters.risk_classes:
        steps.append((RISK_CLASS, None))  # the classes are settled as target_pool does
    before = entities()
    funnel = [(DIRECTORY, before)]
    for index, (name, condition) in enumerate(steps):
        last = index == len(steps) - 1
        if condition is not None:
            conditions.append(condition)
        after = pool_size if last or condition is None else entities()
        funnel.append((name, max(before - after, 0)))
        before = after
    return funnel
