"""Chasing the half-year revision (备案) of the directories (the rule is in
bot/domain/reminders/revisions.py).

``due_revision_reminders`` is one unit of work, safe to run at any time and as often as
wanted: on a working day inside a filing window it writes, for every active unit that has
not filed this half, the latest due weekly reminder to each of its liaisons, and to the
office the list of those units on the report days. Each has its key, so nothing is written
twice; a unit that files has its reminders not yet sent dropped. On a day off nothing is
written: the first working day after it catches up (the latest due occurrence only).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.calendar import WorkCalendar
from bot.domain.registers import halves
from bot.domain.registers.halves import Period, Window
from bot.domain.reminders import revisions as rule
from bot.domain.reminders.settings import REVISION, KindSettings
from bot.i18n import N_
from bot.services.calendar import work_calendar
from bot.services.people.notices import NoticeContext, tell
from bot.services.reminders.settings import ReminderConfig, every, kind_settings
from storage import outbox
from storage.db import Database
from storage.filing_windows import FilingWindows
from storage.models import RevisionFiling, Unit, User

_TO_LIAISON = {
    "H1": N_(
        "Reminder: the June revision of {unit}'s two directories is not filed yet. The window "
        "closes on {closes}. Bring the directories up to date, then send /filing."
    ),
    "H2": N_(
        "Reminder: the December revision of {unit}'s two directories is not filed yet. The "
        "window closes on {closes}. Bring the directories up to date, then send /filing."
    ),
}
_TO_OFFICE = {
    "H1": N_("June revision: {count} units have not filed yet (window closes {closes}): {units}"),
    "H2": N_(
        "December revision: {count} units have not filed yet (window closes {closes}): {units}"
    ),
}


@dataclass(frozen=True)
class RevisionRun:
    liaisons: int  # reminders written to liaisons
    office: int  # laggard lists written to the office


@dataclass(frozen=True)
class _Half:
    period: Period
    window: Window
    calendar: WorkCalendar
    today: date  # the last day whose reminders are due (today once send_at has come)
    settings: KindSettings


def _open_half(session: Session, now: datetime, config: ReminderConfig) -> _Half | None:
    """The half whose window is open, when today is a working day and the kind is not
    paused, else None."""
    settings = kind_settings(session, REVISION, config)
    local = now.astimezone(config.tz)
    calendar = work_calendar(session)
    if settings.paused or not calendar.is_workday(local.date()):
        return None
    window_of = FilingWindows(session)
    period = halves.open_period(local.date(), window_of)
    if period is None:
        return None
    today = rule.reminder_day(local, settings.send_at)
    return _Half(period, window_of(period), calendar, today, settings)


def next_revision_reminder(
    session: Session, now: datetime, config: ReminderConfig
) -> datetime | None:
    """When the next weekly reminder goes out (this window's or the next one's), or None
    when the kind is paused. Units that file meanwhile are not reminded then."""
    settings = kind_settings(session, REVISION, config)
    if settings.paused:
        return None
    calendar, window_of = work_calendar(session), FilingWindows(session)
    today = now.astimezone(config.tz).date()
    periods = [p for p in (halves.open_period(today, window_of),) if p is not None]
    periods.append(halves.next_window(today, window_of)[0])
    for period in periods:
        for day in rule.unit_reminder_days(window_of(period), calendar, every(settings)):
            at = datetime.combine(day, settings.send_at, tzinfo=config.tz)
            if at > now:
                return at
    return None


def _laggards(session: Session, period: Period) -> tuple[list[Unit], list[int]]:
    """The active units that have not filed in ``period`` (by code), and the ids of those
    that have."""
    filed = set(
        session.execute(
            select(RevisionFiling.unit_id).where(
                RevisionFiling.year == period.year, RevisionFiling.half == period.half
            )
        ).scalars()
    )
    units = session.execute(select(Unit).where(Unit.active).order_by(Unit.code)).scalars()
    return [u for u in units if u.id not in filed], sorted(filed)


def _remind_units(session: Session, half: _Half, units: list[Unit], ctx: NoticeContext) -> int:
    days = rule.unit_reminder_days(half.window, half.calendar, every(half.settings))
    occurrence = rule.latest_due(days, half.today)
    if occurrence is None:
        return 0
    liaisons = session.execute(
        select(User)
        .where(User.active, User.liaison_unit_id.in_([u.id for u in units]))
        .order_by(User.id)
    ).scalars()
    by_unit = {u.id: u for u in units}
    written = 0
    for liaison in liaisons:
        unit = by_unit[liaison.liaison_unit_id or 0]
        written += tell(
            session,
            liaison,
            rule.unit_key(half.period, unit.id, occurrence, liaison.id),
            _TO_LIAISON[half.period.half],
            ctx,
            unit=unit.name,
            closes=lambda t: t.date(half.window.closes),
        )
    return written


def _report_to_office(session: Session, half: _Half, units: list[Unit], ctx: NoticeContext) -> int:
    due = [
        (which, day)
        for which, day in rule.office_report_days(half.window, half.calendar).items()
        if day <= half.today
    ]
    if not due or not units:
        return 0
    which = due[-1][0]  # the latest list only: a late mid-window list is old news
    office = session.execute(select(User).where(User.active, User.is_office)).scalars()
    written = 0
    for user in office:
        written += tell(
            session,
            user,
            rule.office_key(half.period, which, user.id),
            _TO_OFFICE[half.period.half],
            ctx,
            count=len(units),
            closes=lambda t: t.date(half.window.closes),
            units="、".join(u.name for u in units),
        )
    return written


def due_revision_reminders(
    database: Database, ctx: NoticeContext, config: ReminderConfig
) -> RevisionRun:
    """Write every revision reminder due at ``ctx.now`` that was not written before."""
    with database.unit_of_work() as uow:
        session = uow.session
        half = _open_half(session, ctx.now, config)
        if half is None:
            return RevisionRun(0, 0)
        ctx = dataclasses.replace(ctx, workdays=half.calendar)
        laggards, filed = _laggards(session, half.period)
        for unit_id in filed:
            outbox.drop_pending(session, prefix=rule.unit_prefix(half.period, unit_id))
        run = RevisionRun(
            _remind_units(session, half, laggards, ctx),
            _report_to_office(session, half, laggards, ctx),
        )
        uow.commit()
        return run
