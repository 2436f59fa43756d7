"""Inspectors away (出差, 病假, 培训, 其他): marking, listing, cancelling, who is away.

The draw reads the same rows (bot/services/draws/pools.py, ``_away``): an inspector with a
period overlapping a task's window is never drawn for it.

Decisions, as a person using the chat would want them:

- **Overlaps.** A new period of the same kind that overlaps or touches one already
  recorded is merged with it (6.1–6.5 and then 6.4–6.8 is one trip, 6.1–6.8): the
  inspector meant "I am away longer". A period of another kind that overlaps is refused,
  naming the one recorded: two reasons for the same day are a mistake to correct (cancel
  one in /myaway), never something to guess.
- **Dates.** A period that is already over is refused (it can change no draw); a period
  may have begun before today (sick since yesterday). At most ``MAX_DAYS`` days, to catch
  a mistyped year.
- **Cancelling** deletes the row; the audit log keeps what it was.
- **Notes** are shown to the people who may read the period but kept out of the
  append-only audit log (a sick note would stay there for ever).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Final, cast

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from bot.i18n import N_, Translator
from bot.services.errors import ServiceError
from bot.services.inspectors.records import (
    actor_label,
    inspector_for,
    may_access,
    refusal,
    require_keeper,
    require_overseer,
    span_words,
    tell_others,
    unit_codes,
)
from bot.services.people.notices import NoticeContext
from bot.services.people.profiles import Profile
from storage import audit
from storage.db import Database, reading
from storage.models import Inspector, Unavailability

# The kinds of absence, in the order the chat offers them, with their names.
KINDS: Final = {
    "trip": N_("Business trip"),
    "sick": N_("Sick leave"),
    "training": N_("Training"),
    "other": N_("Other"),
}
MAX_DAYS: Final = 366
NOTE_MAX: Final = 300


@dataclass(frozen=True)
class Absence:
    id: int
    inspector_id: int
    inspector_name: str
    unit_code: str
    kind: str
    start: date
    end: date
    note: str | None


@dataclass(frozen=True)
class AwayRequest:
    inspector_id: int
    kind: str
    start: date
    end: date
    note: str | None = None


@dataclass(frozen=True)
class AwayPlan:
    """What marking would do: the period as it will be stored, and the recorded periods
    of the same kind it absorbs."""

    inspector_name: str
    start: date
    end: date
    merges: tuple[Absence, ...]


@dataclass(frozen=True)
class Marked:
    absence: Absence
    merged: int  # how many recorded periods the new one absorbed
    told: int  # how many people were told through the outbox


def kind_name(t: Translator, kind: str) -> str:
    return t._(KINDS.get(kind, KINDS["other"]))


# --- marking ----------------------------------------------------------------------------------


def check_away(database: Database, actor: Profile, request: AwayRequest, today: date) -> AwayPlan:
    """Everything ``mark_away`` checks, changing nothing (the chat asks before it writes)."""
    with reading(database) as session:
        return _plan(session, actor, request, today)[1]


def mark_away(
    database: Database,
    actor: Profile,
    request: AwayRequest,
    notices: NoticeContext,
    today: date,
) -> Marked:
    """Record a period away, merged with overlapping periods of the same kind."""
    with database.unit_of_work() as uow:
        session = uow.session
        inspector, plan = _plan(session, actor, request, today)
        note = note_form(request.note)
        rows = [session.get(Unavailability, m.id) for m in plan.merges]
        kept = next((row for row in rows if row is not None), None)
        if kept is None:
            kept = Unavailability(inspector_id=inspector.id, kind=request.kind)
            session.add(kept)
        kept.start_date, kept.end_date = plan.start, plan.end
        kept.note = note or kept.note
        kept.created_by = kept.created_by or actor.user_id
        for row in rows:
            if row is not None and row is not kept:
                session.delete(row)
        session.flush()
        change = audit.append(
            session,
            actor=actor_label(actor),
            action="away.mark",
            obj=f"inspector:{inspector.id}",
            details={
                "absence": kept.id,
                "kind": request.kind,
                "start": plan.start.isoformat(),
                "end": plan.end.isoformat(),
                "merged": [m.id for m in plan.merges],
                "note": bool(note),
            },
            at=notices.now,
        )
        told = tell_others(
            session,
            actor,
            inspector,
            f"away:{kept.id}:{change.id}",
            (
                N_("{who} marked you away: {kind}, {days}. See /myaway."),
                N_("{name} will be away: {kind}, {days}. See /whoaway."),
            ),
            notices,
            who=actor.name,
            name=inspector.name,
            kind=lambda t: kind_name(t, request.kind),
            days=lambda t: span_words(t, plan.start, plan.end),
        )
        absence = _absence(kept, inspector, _code(session, inspector))
        uow.commit()
        return Marked(absence, len(plan.merges), told)


def _plan(
    session: Session, actor: Profile, request: AwayRequest, today: date
) -> tuple[Inspector, AwayPlan]:
    if request.kind not in KINDS:
        raise ServiceError(N_("Choose one of the kinds of absence offered."))
    inspector = inspector_for(session, actor, request.inspector_id, write=True)
    _check_days(request.start, request.end, today)
    note_form(request.note)
    # Touching periods merge too: 6.1–6.5 and 6.6–6.8 are one trip.
    rows = session.execute(
        _periods()
        .where(
            Unavailability.inspector_id == inspector.id,
            Unavailability.start_date <= request.end + timedelta(days=1),
            Unavailability.end_date >= request.start - timedelta(days=1),
        )
        .order_by(Unavailability.start_date, Unavailability.id)
    ).all()
    code = _code(session, inspector)
    found = [_absence(row, inspector, code) for row, _ in rows]
    for other in found:
        clash = other.start <= request.end and other.end >= request.start
        if clash and other.kind != request.kind:
            raise ServiceError(
                N_(
                    "{name} is already recorded as away from {start} to {end} for another "
                    "reason. Cancel that period in /myaway first, or choose other dates."
                ),
                name=inspector.name,
                start=other.start.isoformat(),
                end=other.end.isoformat(),
            )
    merges = tuple(other for other in found if other.kind == request.kind)
    start = min([request.start, *(m.start for m in merges)])
    end = max([request.end, *(m.end for m in merges)])
    return inspector, AwayPlan(inspector.name, start, end, merges)


def _check_days(start: date, end: date, today: date) -> None:
    if end < start:
        raise ServiceError(N_("The end is before the start."))
    if end < today:
        raise ServiceError(
            N_("That period is over already: only absences from today on matter for draws.")
        )
    if (end - start).days + 1 > MAX_DAYS:
        raise ServiceError(
            N_("A period away is at most {days} days; check the year you typed."), days=MAX_DAYS
        )


def note_form(note: str | None) -> str | None:
    """The note as stored (spaces collapsed; None when empty), or a refusal."""
    cleaned = " ".join((note or "").split())
    if len(cleaned) > NOTE_MAX:
        raise ServiceError(N_("A note is at most {max} characters."), max=NOTE_MAX)
    return cleaned or None


# --- reading ----------------------------------------------------------------------------------


def my_absences(database: Database, actor: Profile, today: date) -> list[Absence]:
    """Current and future periods the actor keeps: their own (an inspector) and their
    unit's inspectors' (a liaison)."""
    require_keeper(actor)
    query = _periods().where(Unavailability.end_date >= today)
    with reading(database) as session:
        if actor.liaison_unit_id is not None:
            mine = Inspector.unit_id == actor.liaison_unit_id
            if actor.inspector_id is not None:
                mine = mine | (Inspector.id == actor.inspector_id)
            query = query.where(mine)
        else:
            query = query.where(Inspector.id == actor.inspector_id)
        return _read(session, query)


def who_is_away(database: Database, actor: Profile, start: date, end: date) -> list[Absence]:
    """Periods overlapping ``start``..``end``: every unit's for the office, the own unit's
    for a liaison."""
    require_overseer(actor)
    query = _periods().where(Unavailability.start_date <= end, Unavailability.end_date >= start)
    if not actor.is_office:
        query = query.where(Inspector.unit_id == actor.liaison_unit_id)
    with reading(database) as session:
        return _read(session, query)


def _periods() -> Select[Any]:
    # Typed loosely: Select's type parameters differ across SQLAlchemy 2.0 and 2.1.
    query = select(Unavailability, Inspector).join(
        Inspector, Inspector.id == Unavailability.inspector_id
    )
    return cast("Select[Any]", query)


def _read(session: Session, query: Select[Any]) -> list[Absence]:
    rows = session.execute(query).all()
    codes = unit_codes(session, {inspector.unit_id for _, inspector in rows})
    found = [_absence(row, inspector, codes[inspector.unit_id]) for row, inspector in rows]
    # Sorted here, not in SQL: PostgreSQL's collation orders Chinese names differently.
    return sorted(found, key=lambda a: (a.unit_code, a.start, a.inspector_name, a.id))


def _absence(row: Unavailability, inspector: Inspector, unit_code: str) -> Absence:
    return Absence(
        row.id,
        inspector.id,
        inspector.name,
        unit_code,
        row.kind,
        row.start_date,
        row.end_date,
        row.note,
    )


def _code(session: Session, inspector: Inspector) -> str:
    return unit_codes(session, {inspector.unit_id})[inspector.unit_id]


# --- cancelling -------------------------------------------------------------------------------


def cancel_away(
    database: Database, actor: Profile, absence_id: int, notices: NoticeContext
) -> Absence:
    """Delete a period (the audit log keeps it)."""
    with database.unit_of_work() as uow:
        session = uow.session
        row = session.get(Unavailability, absence_id)
        inspector = session.get(Inspector, row.inspector_id) if row is not None else None
        if row is None or inspector is None:
            require_keeper(actor)
            raise ServiceError(N_("That period is no longer recorded."))
        if not may_access(actor, inspector, write=True):
            raise refusal(actor)
        absence = _absence(row, inspector, _code(session, inspector))
        session.delete(row)
        change = audit.append(
            session,
            actor=actor_label(actor),
            action="away.cancel",
            obj=f"inspector:{inspector.id}",
            details={
                "absence": absence.id,
                "kind": absence.kind,
                "start": absence.start.isoformat(),
                "end": absence.end.isoformat(),
            },
            at=notices.now,
        )
        tell_others(
            session,
            actor,
            inspector,
            f"away-cancel:{absence.id}:{change.id}",
            (
                N_("{who} cancelled your absence: {kind}, {days}."),
                N_("{name} cancelled an absence: {kind}, {days}."),
            ),
            notices,
            who=actor.name,
            name=inspector.name,
            kind=lambda t: kind_name(t, absence.kind),
            days=lambda t: span_words(t, absence.start, absence.end),
        )
        uow.commit()
        return absence
