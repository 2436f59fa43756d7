"""The year's rubric as the office tunes it: the parameters it changed for one year (table
``rubric_params``), over the city's defaults (bot/domain/scores/rubric.py); and the
office's judgments of the items it scores by hand (一1, 一3, 一4)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.scores import rubric as rb
from bot.domain.scores.rubric import Rubric, RubricError
from bot.i18n import N_
from bot.services.errors import ServiceError
from bot.services.people.membership import require_office, unit_for
from bot.services.people.profiles import Profile
from bot.services.scores.snapshots import refuse_if_frozen
from storage import audit
from storage.db import Database, reading
from storage.models import Judgment, RubricParam

# A judgment's note is a sentence or two for the score sheet, not a report.
MAX_NOTE = 1000
MAX_EVIDENCE_BYTES = 20 * 2**20


@dataclass(frozen=True)
class ParamValue:
    item: str
    name: str
    value: Decimal
    default: Decimal
    low: Decimal
    high: Decimal
    description: str  # msgid
    changed: bool


@dataclass(frozen=True)
class Judged:
    unit_code: str
    year: int
    item: str
    points: Decimal
    note: str
    evidence: str | None


def _refusal(exc: RubricError) -> ServiceError:
    return ServiceError(exc.message, **exc.params)


def load_rubric(session: Session, year: int) -> Rubric:
    rows = session.execute(select(RubricParam).where(RubricParam.year == year)).scalars()
    return Rubric(year, {(row.item, row.name): Decimal(row.value) for row in rows})


def show_rubric(database: Database, year: int) -> tuple[Rubric, list[ParamValue]]:
    """The year's rubric and every parameter with its value (anyone may read the rules)."""
    with reading(database) as session:
        rubric = load_rubric(session, year)
    values = [
        ParamValue(
            item.code,
            p.name,
            rubric.value(item.code, p.name),
            p.default,
            p.low,
            p.high,
            p.description,
            rubric.changed(item.code, p.name),
        )
        for item in rb.ITEMS
        for p in item.params
    ]
    return rubric, values


def set_param(
    database: Database,
    actor: Profile | None,
    year: int,
    item_code: str,
    name: str,
    value: str,
    now: datetime,
) -> ParamValue:
    """The office changes one parameter for one year; the default value removes the change."""
    if actor is not None:
        require_office(actor)
    if not 2000 <= year <= 2100:
        raise ServiceError(N_("{year} is not a plausible year."), year=year)
    try:
        item = rb.item(item_code)
        param = item.param(name.strip())
        number = rb.check_value(param, value)
    except RubricError as exc:
        raise _refusal(exc) from None
    with database.unit_of_work() as uow:
        session = uow.session
        refuse_if_frozen(session, year)
        row = session.execute(
            select(RubricParam).where(
                RubricParam.year == year,
                RubricParam.item == item.code,
                RubricParam.name == param.name,
            )
        ).scalar_one_or_none()
        before = row.value if row is not None else None
        if number == param.default:
            if row is not None:
                session.delete(row)
        elif row is None:
            session.add(
                RubricParam(
                    year=year,
                    item=item.code,
                    name=param.name,
                    value=rb.plain(number),
                    set_by=actor.user_id if actor else None,
                    set_at=now,
                )
            )
        else:
            row.value = rb.plain(number)
            row.set_by = actor.user_id if actor else None
            row.set_at = now
        audit.append(
            session,
            actor=f"tg:{actor.telegram_id}" if actor else "cli",
            action="rubric.set",
            obj=f"rubric:{year}:{item.code}:{param.name}",
            details={"before": before, "after": rb.plain(number)},
            at=now,
        )
        uow.commit()
    return ParamValue(
        item.code,
        param.name,
        number,
        param.default,
        param.low,
        param.high,
        param.description,
        number != param.default,
    )


def judge(
    database: Database,
    actor: Profile | None,
    year: int,
    unit_code: str,
    item_code: str,
    points: str,
    note: str,
    now: datetime,
    evidence: tuple[str, bytes] | None = None,
) -> Judged:
    """The office scores a judged item of a unit, within the item's points, with a note
    (and, when given, an evidence file); judging again replaces the judgment."""
    if actor is not None:
        require_office(actor)
    try:
        item = rb.item(item_code)
    except RubricError as exc:
        raise _refusal(exc) from None
    if item.rule != "judged":
        raise ServiceError(
            N_("The bot scores item {item} itself; the office judges {judged}."),
            item=item.code,
            judged=", ".join(rb.JUDGED),
        )
    scale = rb.Param("points", Decimal(0), Decimal(0), item.max_points, "")
    try:
        number = rb.check_value(scale, points)
    except RubricError:
        raise ServiceError(
            N_("Item {item} takes 0 to {max} points, not “{points}”."),
            item=item.code,
            max=rb.plain(item.max_points),
            points=points,
        ) from None
    note = note.strip()[:MAX_NOTE]
    if evidence is not None and len(evidence[1]) > MAX_EVIDENCE_BYTES:
        raise ServiceError(N_("The file is larger than {megabytes} MB."), megabytes=20)
    with database.unit_of_work() as uow:
        session = uow.session
        refuse_if_frozen(session, year)
        unit = unit_for(session, None, unit_code)
        if unit.is_office:
            raise ServiceError(N_("The office is not scored: choose a member unit."))
        row = session.execute(
            select(Judgment).where(
                Judgment.unit_id == unit.id, Judgment.year == year, Judgment.item == item.code
            )
        ).scalar_one_or_none()
        if row is None:
            row = Judgment(unit_id=unit.id, year=year, item=item.code)
            session.add(row)
        row.points = rb.plain(number)
        row.note = note
        if evidence is not None:
            row.evidence_name, row.evidence = evidence[0][:300], evidence[1]
        row.judged_by = actor.user_id if actor else None
        row.judged_at = now
        audit.append(
            session,
            actor=f"tg:{actor.telegram_id}" if actor else "cli",
            action="score.judge",
            obj=f"judgment:{unit.code}:{year}:{item.code}",
            details={"points": rb.plain(number), "note": note, "evidence": row.evidence_name},
            at=now,
        )
        uow.commit()
        return Judged(unit.code, year, item.code, number, note, row.evidence_name)
