"""The office's controls over the reminders (the rules and defaults are in
bot/domain/reminders/settings.py): read by every run of the reminders, changed from the chat
(/reminders) or the desk (``dsr reminders set``), and the next firing of each kind."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from typing import Protocol

from sqlalchemy.orm import Session

from bot.domain.reminders import settings as rules
from bot.domain.reminders.settings import KindSettings, SettingError
from bot.i18n import N_
from bot.services.errors import ServiceError
from bot.services.people.membership import actor_label, require_office
from bot.services.people.profiles import Profile
from storage import audit
from storage.db import Database, reading
from storage.models import ReminderSetting


class ReminderConfig(Protocol):
    """The defaults from the settings; ``bot.config.Settings`` satisfies it."""

    @property
    def nudge_after_hours(self) -> float: ...

    @property
    def tz(self) -> tzinfo: ...


_INVALID = {
    "kind": N_("There is no reminder called “{value}”. The kinds: {kinds}."),
    "every_days": N_("The interval is a number of days from 1 to 31, not “{value}”."),
    "after_hours": N_("The delay is a number of hours from 1 to 336, not “{value}”."),
}


def kind_settings(session: Session, kind: str, config: ReminderConfig) -> KindSettings:
    """The kind's settings: the office's where it changed them, else the defaults."""
    row = session.get(ReminderSetting, kind)
    default_hours = config.nudge_after_hours
    if row is None:
        return KindSettings(kind, after_hours=default_hours)
    return KindSettings(
        kind,
        paused=row.paused,
        send_at=row.send_at or rules.DEFAULT_SEND_AT,
        every_days=row.every_days or rules.DEFAULT_EVERY_DAYS,
        after_hours=row.after_hours or default_hours,
        changed=True,
    )


def all_settings(database: Database, config: ReminderConfig) -> list[KindSettings]:
    with reading(database) as session:
        return [kind_settings(session, kind, config) for kind in rules.KINDS]


@dataclass(frozen=True)
class Change:
    """What the office changes; None leaves a setting as it is."""

    paused: bool | None = None
    send_at: time | None = None
    every_days: int | None = None
    after_hours: float | None = None


def _checked(kind: str, change: Change) -> Change:
    try:
        if kind not in rules.KINDS:
            raise SettingError("kind")
        if change.every_days is not None:
            rules.check_every_days(change.every_days)
        if change.after_hours is not None:
            rules.check_after_hours(change.after_hours)
    except SettingError as exc:
        value = kind if exc.field == "kind" else getattr(change, exc.field)
        raise ServiceError(
            _INVALID[exc.field], value=str(value), kinds="、".join(rules.KINDS)
        ) from None
    return change


def change_kind(
    database: Database,
    actor: Profile | None,
    kind: str,
    change: Change,
    now: datetime,
    config: ReminderConfig,
) -> KindSettings:
    """The office changes one kind's settings (``actor`` None: at the desk); audited."""
    if actor is not None:
        require_office(actor)
    _checked(kind, change)
    with database.unit_of_work() as uow:
        session = uow.session
        row = session.get(ReminderSetting, kind)
        if row is None:
            row = ReminderSetting(kind=kind, paused=False)
            session.add(row)
        for name in ("paused", "send_at", "every_days", "after_hours"):
            value = getattr(change, name)
            if value is not None:
                setattr(row, name, value)
        row.updated_by = actor.user_id if actor is not None else None
        row.updated_at = now
        audit.append(
            session,
            actor=actor_label(actor) if actor is not None else "cli",
            action="reminders.set",
            obj=f"reminder:{kind}",
            details={name: str(value) for name, value in vars(change).items() if value is not None},
            at=now,
        )
        session.flush()
        result = kind_settings(session, kind, config)
        uow.commit()
        return result


def every(settings: KindSettings) -> timedelta:
    return timedelta(days=settings.every_days)
