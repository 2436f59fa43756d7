"""The half-year revision (备案) of a unit's two directories, in June and December: what
changed since the last filing, filing it within the window, the windows the office sets,
and the office's overview with the units' public lists (docs/architecture.md §6).

The filing windows are data (table ``filing_windows``), not settings: the office moves
one from the chat (/window) for one half of one year, without a restart, and every
other half keeps the default (June 1–30, December 1–31).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.domain.registers import halves
from bot.domain.registers.halves import ChangeCounts, Half, LoggedChange, Period, Window
from bot.domain.registers.specs import FieldSpec
from bot.domain.registers.validation import Register, spec_of
from bot.i18n import N_
from bot.services.errors import ServiceError
from bot.services.people.membership import actor_label, require_office, unit_for
from bot.services.people.notices import NoticeContext, tell
from bot.services.people.profiles import Profile
from storage import audit, xlsx_write
from storage import registers_repo as repo
from storage.db import Database, reading
from storage.filing_windows import FilingWindows
from storage.models import FilingWindow, RecordChange, RevisionFiling, Unit, User

# The two directories (两库) a revision files, and the change-log tables of each.
DIRECTORIES: Final = ("entities", "inspectors")
_TABLES: Final[Mapping[str, tuple[str, ...]]] = {
    "entities": ("unit_entities", "entities"),
    "inspectors": ("inspectors",),
}
_FILED_NOTICE: Final[Mapping[str, str]] = {
    "H1": N_("{unit} has filed its revision of both directories for the first half of {year}."),
    "H2": N_("{unit} has filed its revision of both directories for the second half of {year}."),
}
# A window longer than this is a typing error, not a decision.
_LONGEST_WINDOW: Final = timedelta(days=120)


@dataclass(frozen=True)
class WindowInfo:
    year: int
    half: Half
    opens: date
    closes: date
    moved: bool  # set by the office, not the default


@dataclass(frozen=True)
class RevisionPreview:
    """What a unit would file now: the changes since its last filing, per directory."""

    unit_id: int
    unit_code: str
    unit_name: str
    period: Period | None  # the half whose window is open today, or None
    window: WindowInfo  # that half's window, or the next one to open
    changes: Mapping[str, ChangeCounts]
    last_filed_at: datetime | None  # the unit's latest filing, any half
    filed_at: datetime | None  # this half's filing, when there is one already


@dataclass(frozen=True)
class Filed:
    unit_code: str
    unit_name: str
    period: Period
    filed_at: datetime
    again: bool  # this half had been filed before: the filing was renewed
    changes: Mapping[str, ChangeCounts]


@dataclass(frozen=True)
class UnitFiling:
    unit_id: int
    unit_code: str
    unit_name: str
    filed_at: datetime | None
    filed_by: str | None


@dataclass(frozen=True)
class FilingOverview:
    window: WindowInfo
    units: tuple[UnitFiling, ...]

    @property
    def filed(self) -> int:
        return sum(1 for u in self.units if u.filed_at is not None)


# --- windows --------------------------------------------------------------------------------


class _Windows(FilingWindows):
    """The windows, and what the chat shows of one (whether the office moved it)."""

    def info(self, period: Period) -> WindowInfo:
        window = self(period)
        return WindowInfo(
            period.year, period.half, window.opens, window.closes, period in self.moved
        )


def _half(half: str) -> Half:
    wanted = half.strip().upper()
    for known in halves.HALVES:
        if wanted == known:
            return known
    raise ServiceError(N_("A half is H1 (June) or H2 (December), not “{half}”."), half=half)


def windows(database: Database, year: int) -> list[WindowInfo]:
    """Both halves' windows of ``year``."""
    with reading(database) as session:
        window_of = _Windows(session)
        return [window_of.info(Period(year, h)) for h in halves.HALVES]


def set_window(
    database: Database,
    actor: Profile,
    year: int,
    half: str,
    opens: date,
    closes: date,
    now: datetime,
) -> WindowInfo:
    """The office moves one half's filing window (the same dates again: the default)."""
    require_office(actor)
    period = Period(year, _half(half))
    if not 2000 <= year <= 2100:
        raise ServiceError(N_("{year} is not a plausible year."), year=year)
    if opens > closes or closes - opens > _LONGEST_WINDOW:
        raise ServiceError(
            N_("A filing window opens on or before it closes, and lasts at most {days} days."),
            days=_LONGEST_WINDOW.days,
        )
    with database.unit_of_work() as uow:
        session = uow.session
        row = session.execute(
            select(FilingWindow).where(FilingWindow.year == year, FilingWindow.half == period.half)
        ).scalar_one_or_none()
        if row is None:
            row = FilingWindow(year=year, half=period.half)
            session.add(row)
        row.opens, row.closes = opens, closes
        row.set_by, row.set_at = actor.user_id, now
        audit.append(
            session,
            actor=actor_label(actor),
            action="filing.window",
            obj=f"filing_window:{year}-{period.half}",
            details={"opens": opens.isoformat(), "closes": closes.isoformat()},
            at=now,
        )
        uow.commit()
    return WindowInfo(year, period.half, opens, closes, True)


# --- a unit's revision ----------------------------------------------------------------------


def _changes_since(
    session: Session, unit_id: int, directory: str, since: datetime | None
) -> ChangeCounts:
    c = RecordChange
    query = select(c.key, c.before, c.after).where(
        c.unit_id == unit_id, c.table_name.in_(_TABLES[directory])
    )
    if since is not None:
        query = query.where(c.at > since)
    rows = session.execute(query.order_by(c.id)).all()
    return halves.count_changes(LoggedChange(k, b, a) for k, b, a in rows)


def _last_filed(session: Session, unit_id: int, directory: str) -> datetime | None:
    return session.execute(
        select(func.max(RevisionFiling.filed_at)).where(
            RevisionFiling.unit_id == unit_id, RevisionFiling.directory == directory
        )
    ).scalar_one()


def _filed_in(session: Session, unit_id: int, period: Period) -> datetime | None:
    return session.execute(
        select(func.max(RevisionFiling.filed_at)).where(
            RevisionFiling.unit_id == unit_id,
            RevisionFiling.year == period.year,
            RevisionFiling.half == period.half,
        )
    ).scalar_one()


def _preview(session: Session, unit: Unit, today: date) -> RevisionPreview:
    window_of = _Windows(session)
    period = halves.open_period(today, window_of)
    if period is not None:
        window = window_of.info(period)
    else:
        window = window_of.info(_next_period(today, window_of))
    lasts = {d: _last_filed(session, unit.id, d) for d in DIRECTORIES}
    changes = {d: _changes_since(session, unit.id, d, lasts[d]) for d in DIRECTORIES}
    known = [at for at in lasts.values() if at is not None]
    return RevisionPreview(
        unit.id,
        unit.code,
        unit.name,
        period,
        window,
        changes,
        max(known) if known else None,
        _filed_in(session, unit.id, period) if period is not None else None,
    )


def _next_period(today: date, window_of: Callable[[Period], Window]) -> Period:
    try:
        return halves.next_window(today, window_of)[0]
    except ValueError:  # every later window was moved into the past: show this half's
        return halves.half_of(today)


def revision_preview(
    database: Database, actor: Profile, unit_code: str, today: date
) -> RevisionPreview:
    """What the unit's revision would file today (its liaison or the office may look)."""
    with reading(database) as session:
        unit = unit_for(session, actor, unit_code)
        return _preview(session, unit, today)


def file_revision(
    database: Database, actor: Profile, unit_code: str, today: date, notices: NoticeContext
) -> Filed:
    """File the unit's revision of both directories for the half whose window is open
    today; refused outside every window, with the window's dates. Filing the same half
    again renews it (the latest filing is the one that counts). The office is told."""
    with database.unit_of_work() as uow:
        session = uow.session
        unit = unit_for(session, actor, unit_code)
        preview = _preview(session, unit, today)
        period = preview.period
        if period is None:
            raise ServiceError(
                N_(
                    "Revisions are filed within the window only: the next opens on {opens} "
                    "and closes on {closes}."
                ),
                opens=preview.window.opens.isoformat(),
                closes=preview.window.closes.isoformat(),
            )
        for directory in DIRECTORIES:
            _record_filing(session, unit.id, period, directory, actor, notices.now)
        audit.append(
            session,
            actor=actor_label(actor),
            action="revision.file",
            obj=f"unit:{unit.code}",
            details={
                "year": period.year,
                "half": period.half,
                "changes": {d: dataclasses.asdict(c) for d, c in preview.changes.items()},
            },
            at=notices.now,
        )
        _tell_office(session, actor, unit, period, notices)
        uow.commit()
        return Filed(
            unit.code,
            unit.name,
            period,
            notices.now,
            preview.filed_at is not None,
            preview.changes,
        )


def _record_filing(
    session: Session, unit_id: int, period: Period, directory: str, actor: Profile, now: datetime
) -> None:
    row = session.execute(
        select(RevisionFiling).where(
            RevisionFiling.unit_id == unit_id,
            RevisionFiling.year == period.year,
            RevisionFiling.half == period.half,
            RevisionFiling.directory == directory,
        )
    ).scalar_one_or_none()
    if row is None:
        row = RevisionFiling(
            unit_id=unit_id, year=period.year, half=period.half, directory=directory
        )
        session.add(row)
    row.filed_at, row.filed_by = now, actor.user_id


def _tell_office(
    session: Session, actor: Profile, unit: Unit, period: Period, notices: NoticeContext
) -> None:
    office = session.execute(select(User).where(User.active, User.is_office)).scalars()
    stamp = notices.now.strftime("%Y%m%d%H%M%S")
    for user in office:
        if user.id == actor.user_id:
            continue
        tell(
            session,
            user,
            f"filed:{unit.id}:{period.year}{period.half}:{stamp}",
            _FILED_NOTICE[period.half],
            notices,
            unit=unit.name,
            year=period.year,
        )


# --- the office's overview ------------------------------------------------------------------


def filing_overview(database: Database, actor: Profile, year: int, half: str) -> FilingOverview:
    """Every active unit and when it filed this half (None: not yet)."""
    require_office(actor)
    period = Period(year, _half(half))
    with reading(database) as session:
        window = _Windows(session).info(period)
        filed = {
            unit_id: (at, name)
            for unit_id, at, name in session.execute(
                select(RevisionFiling.unit_id, func.max(RevisionFiling.filed_at), User.name)
                .outerjoin(User, User.id == RevisionFiling.filed_by)
                .where(RevisionFiling.year == year, RevisionFiling.half == period.half)
                .group_by(RevisionFiling.unit_id, User.name)
            ).all()
        }
        units = session.execute(select(Unit).where(Unit.active)).scalars().all()
        rows = [
            UnitFiling(
                u.id,
                u.code,
                u.name,
                filed[u.id][0] if u.id in filed else None,
                filed[u.id][1] if u.id in filed else None,
            )
            for u in units
        ]
    return FilingOverview(window, tuple(sorted(rows, key=lambda r: r.unit_code)))


def current_period(database: Database, today: date) -> Period:
    """The half the office looks at today: the one whose window is open, else the one
    whose window comes next, else today's."""
    with reading(database) as session:
        window_of = _Windows(session)
        return halves.open_period(today, window_of) or halves.half_of(today)


# --- public lists ---------------------------------------------------------------------------

_UNIT_COLUMN: Final = FieldSpec("unit_name", "单位", "unit", max_length=200, width=28)


def all_public_lists(database: Database, actor: Profile, kind: str) -> bytes:
    """Every active unit's public list (公示) of one directory in one workbook: a column
    for the unit, then the public columns of the unit's own export (no risk class, phone
    or contact person; no individual business's address)."""
    require_office(actor)
    if kind not in DIRECTORIES:
        raise ServiceError(N_("There is no directory “{kind}”."), kind=kind)
    register = Register(kind)
    spec = spec_of(register)
    combined = dataclasses.replace(spec, fields=(_UNIT_COLUMN, *spec.fields))
    rows: list[dict[str, object]] = []
    with reading(database) as session:
        units = session.execute(select(Unit).where(Unit.active)).scalars().all()
        for unit in sorted(units, key=lambda u: u.code):
            for values in repo.directory_rows(session, register, unit.id):
                rows.append({"unit_name": unit.name, **values})
    title = f"{spec.title}（公示，全部成员单位）"
    return xlsx_write.export_register(rows, combined, True, title=title)
