"""When an assignment nobody acknowledged is chased: the first kind of reminder, and the
pattern every later one follows.

A reminder is *computed*, never scheduled: from facts in the database (when the notice
was delivered, whether it was acknowledged) and the time now, a pure rule says which
periods are due. Each due period has a key of its own — the subject and the period,
``nudge:<member>:<period>`` — so computing again (every few minutes, or after a restart
that missed some runs) writes nothing twice, and a run that was missed is caught up.

Periods of an assignment delivered at ``t`` and not acknowledged, with ``d`` the delay:

1. at ``t + d``: the inspector is nudged;
2. at ``t + 2d``: the liaison of the inspector's unit is told.

Both are due at once after a long outage; both are then written (a late nudge still
helps, and the liaison should know). Quiet hours are the outbox's business: a reminder
computed at night is written with the morning as its earliest time.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

NUDGE: Final = 1  # the inspector
REPORT: Final = 2  # the inspector's liaison
PERIODS: Final = (NUDGE, REPORT)


def due_periods(delivered_at: datetime, now: datetime, delay: timedelta) -> tuple[int, ...]:
    """The periods due at ``now`` for a notice delivered at ``delivered_at`` and still not
    acknowledged; () when none (or when the delay is not positive: nudges are off)."""
    if delivered_at.tzinfo is None or now.tzinfo is None:
        raise ValueError("aware datetimes only")
    if delay <= timedelta(0):
        return ()
    waited = now - delivered_at
    return tuple(p for p in PERIODS if waited >= delay * p)


def nudge_key(member_id: int, period: int, recipient: int | None = None) -> str:
    """The period's key: one per subject and period (and recipient, for a report that
    goes to each liaison of a unit)."""
    key = f"nudge:{member_id}:{period}"
    return key if recipient is None else f"{key}:{recipient}"
