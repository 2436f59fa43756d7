"""Nudging unacknowledged assignments (bot/domain/reminders/nudges.py has the rule).

``due_nudges`` is one unit of work: it reads every active place on a drawn task whose
window has not ended, not acknowledged and with no recusal waiting, whose assignment
notice was delivered (``sent``: a notice still waiting for the morning, or never sent,
is not chased), and writes each due period's notice with its key. It is safe to run at
any time and as often as wanted (the job runs it every ``DSR_REMINDER_INTERVAL_SECONDS``
and once at start, which catches up after a restart). A nudge computed at night or on
a day off waits for the next working morning (not urgent); an acknowledgement drops the nudges not sent yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.calendar import WorkCalendar
from bot.domain.reminders.nudges import NUDGE, PERIODS, REPORT, due_periods, nudge_key
from bot.domain.reminders.settings import NUDGE as NUDGE_KIND
from bot.i18n import translator
from bot.services.calendar import work_calendar
from bot.services.outbox import ASSIGNMENT_ACK, callback_data, inline_keyboard, notify
from bot.services.reminders.settings import kind_settings
from storage.db import Database
from storage.models import Inspector, OutboxMessage, Task, TeamMember, User

CHASED_STATUSES = ("drawn", "in_progress")


class NudgeConfig(Protocol):
    """What nudges need; ``bot.config.Settings`` satisfies it."""

    @property
    def nudge_after_hours(self) -> float: ...

    @property
    def quiet_start(self) -> time: ...

    @property
    def quiet_end(self) -> time: ...

    @property
    def tz(self) -> tzinfo: ...

    @property
    def default_locale(self) -> str: ...


@dataclass(frozen=True)
class NudgeRun:
    nudges: int  # inspectors nudged (new rows)
    reports: int  # liaisons told (new rows)


@dataclass(frozen=True)
class _Open:
    member: TeamMember
    task: Task
    inspector: Inspector
    delivered_at: datetime


def _open_places(session: Session, now: datetime, config: NudgeConfig) -> list[_Open]:
    today = now.astimezone(config.tz).date()
    rows = session.execute(
        select(TeamMember, Task, Inspector)
        .join(Task, Task.id == TeamMember.task_id)
        .join(Inspector, Inspector.id == TeamMember.inspector_id)
        .where(
            TeamMember.active.is_(True),
            TeamMember.acknowledged_at.is_(None),
            TeamMember.recusal_status.is_distinct_from("requested"),
            Task.status.in_(CHASED_STATUSES),
            Task.window_end >= today,
        )
    ).all()
    keys = {f"assign:{m.id}": (m, t, i) for m, t, i in rows}
    delivered = session.execute(
        select(OutboxMessage.key, OutboxMessage.sent_at).where(
            OutboxMessage.key.in_(list(keys)),
            OutboxMessage.status == "sent",
            OutboxMessage.sent_at.is_not(None),
        )
    ).all()
    return [_Open(*keys[key], delivered_at=sent_at) for key, sent_at in delivered if sent_at]


def _nudge(
    session: Session,
    place: _Open,
    user: User,
    now: datetime,
    config: NudgeConfig,
    workdays: WorkCalendar,
) -> bool:
    t = translator(user.locale or config.default_locale)
    task = place.task
    text = t._(
        "Reminder: please acknowledge task {code} {name} (team {team}, {start} to {end}),"
        " or ask for recusal.",
        code=task.code,
        name=task.name,
        team=place.member.team_no,
        start=t.date(task.window_start),
        end=t.date(task.window_end),
    )
    markup = inline_keyboard(
        [[(t._("Acknowledge"), callback_data(ASSIGNMENT_ACK, place.member.id))]]
    )
    return notify(
        session,
        key=nudge_key(place.member.id, NUDGE),
        chat_id=user.telegram_id,
        text=text,
        reply_markup=markup,
        now=now,
        quiet=config,
        workdays=workdays,
    )


def _report(
    session: Session, place: _Open, now: datetime, config: NudgeConfig, workdays: WorkCalendar
) -> int:
    liaisons = session.execute(
        select(User)
        .where(User.liaison_unit_id == place.inspector.unit_id, User.active.is_(True))
        .order_by(User.id)
    ).scalars()
    written = 0
    for liaison in liaisons:
        t = translator(liaison.locale or config.default_locale)
        written += notify(
            session,
            key=nudge_key(place.member.id, REPORT, liaison.id),
            chat_id=liaison.telegram_id,
            text=t._(
                "{name} has not acknowledged task {code} {task} (team {team}), notified on"
                " {date}. Please make sure the assignment has reached them.",
                name=place.inspector.name,
                code=place.task.code,
                task=place.task.name,
                team=place.member.team_no,
                date=t.date(place.delivered_at.astimezone(config.tz).date()),
            ),
            now=now,
            quiet=config,
            workdays=workdays,
        )
    return written


def next_nudge(session: Session, now: datetime, config: NudgeConfig) -> datetime | None:
    """When the next nudge or report to a liaison comes due, or None (none waiting, or the
    kind paused)."""
    settings = kind_settings(session, NUDGE_KIND, config)
    if settings.paused or settings.after_hours <= 0:
        return None
    delay = timedelta(hours=settings.after_hours)
    coming = [
        place.delivered_at + delay * period
        for place in _open_places(session, now, config)
        for period in PERIODS
        if place.delivered_at + delay * period > now
    ]
    return min(coming, default=None)


def due_nudges(database: Database, now: datetime, config: NudgeConfig) -> NudgeRun:
    """Write every reminder due at ``now`` that was not written before."""
    nudges = reports = 0
    with database.unit_of_work() as uow:
        session = uow.session
        settings = kind_settings(session, NUDGE_KIND, config)
        if settings.paused:
            return NudgeRun(0, 0)
        delay = timedelta(hours=settings.after_hours)
        places = _open_places(session, now, config)
        workdays = work_calendar(session)
        users = {
            u.inspector_id: u
            for u in session.execute(
                select(User).where(
                    User.inspector_id.in_([p.inspector.id for p in places]),
                    User.active.is_(True),
                )
            ).scalars()
        }
        for place in places:
            periods = due_periods(place.delivered_at, now, delay)
            user = users.get(place.inspector.id)
            if NUDGE in periods and user is not None:
                nudges += _nudge(session, place, user, now, config, workdays)
            if REPORT in periods:
                reports += _report(session, place, now, config, workdays)
        uow.commit()
    return NudgeRun(nudges, reports)
