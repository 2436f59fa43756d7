"""What the office sees of the reminders (/reminders, ``dsr reminders list``): each kind's
settings and when it fires next."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.reminders.settings import NUDGE, REVISION, KindSettings
from bot.services.people.membership import require_office
from bot.services.people.profiles import Profile
from bot.services.reminders.nudges import NudgeConfig, next_nudge
from bot.services.reminders.revisions import next_revision_reminder
from bot.services.reminders.settings import kind_settings
from storage.db import Database, reading


@dataclass(frozen=True)
class Planned:
    settings: KindSettings
    next_at: datetime | None  # None: paused, or nothing waiting


def reminder_schedule(
    database: Database, actor: Profile | None, now: datetime, config: NudgeConfig
) -> list[Planned]:
    """Every kind, in a fixed order; ``actor`` None is the desk."""
    if actor is not None:
        require_office(actor)
    with reading(database) as session:
        return [
            Planned(kind_settings(session, NUDGE, config), next_nudge(session, now, config)),
            Planned(
                kind_settings(session, REVISION, config),
                next_revision_reminder(session, now, config),
            ),
        ]
