"""Telling the office, once, that a year's official schedule is missing: deadlines that
fall in it are counted on weekends only (provisional) until the office loads it.

From 45 days before a year begins — December's checks already have deadlines in January —
every member of the office gets one notice per missing year (key ``calendar:<year>:<user>``).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Final

from sqlalchemy import select

from bot.i18n import N_
from bot.services.calendar import work_calendar
from bot.services.people.notices import NoticeContext, tell
from storage.db import Database
from storage.models import User

AHEAD: Final = timedelta(days=45)
_MISSING: Final = N_(
    "The official holiday schedule for {year} is not recorded yet: deadlines that fall in "
    "{year} are counted with weekends only and shown as provisional. When the State Council "
    "publishes it, load it: send /calendar, or at the desk dsr calendar import FILE."
)


def due_calendar_notices(database: Database, ctx: NoticeContext) -> int:
    """Write the notice for each year that starts within 45 days (or has started) and has
    no official schedule; returns how many notices are new."""
    today = ctx.now.astimezone(ctx.quiet.tz).date()
    with database.unit_of_work() as uow:
        session = uow.session
        calendar = work_calendar(session)
        years = sorted({today.year, (today + AHEAD).year})
        missing = [y for y in years if not calendar.is_official(date(y, 1, 1))]
        written = 0
        if missing:
            office = session.execute(select(User).where(User.active, User.is_office)).scalars()
            for user in office:
                for year in missing:
                    written += tell(
                        session, user, f"calendar:{year}:{user.id}", _MISSING, ctx, year=year
                    )
        uow.commit()
        return written
