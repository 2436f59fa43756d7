"""Notices to people, written to the outbox in the caller's transaction (docs/architecture.md §8).

A service that changes something a person must hear about (an assignment, a reminder)
calls ``notify`` inside its own unit of work: the notice is committed with the change or not
at all, and its idempotency key makes a second firing write nothing. The sender task
delivers it later. Quiet hours are decided here, when the notice is written: a notice
that is not urgent waits for the morning; an urgent one goes out now, silently.

Telegram-free: the payload is Bot API JSON.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import Any, Protocol

from sqlalchemy.orm import Session

from bot.domain.calendar import WorkCalendar
from storage import outbox

CALLBACK_DATA_MAX_BYTES = 64  # Telegram's limit for callback_data


class QuietHoursConfig(Protocol):
    """What quiet hours need; ``bot.config.Settings`` satisfies it."""

    @property
    def quiet_start(self) -> time: ...

    @property
    def quiet_end(self) -> time: ...

    @property
    def tz(self) -> tzinfo: ...


@dataclass(frozen=True)
class QuietHours:
    """Quiet hours as plain values: 21:00–08:00 by default, in the office's time zone
    (always the caller's: Settings.tz, from DSR_TIMEZONE)."""

    tz: tzinfo
    quiet_start: time = time(21, 0)
    quiet_end: time = time(8, 0)


def is_quiet(local: time, start: time, end: time) -> bool:
    """Quiet hours are [start, end), crossing midnight when end ≤ start;
    start == end means no quiet hours at all."""
    if start <= end:
        return start <= local < end
    return local >= start or local < end


def quiet_hours_not_before(now_utc: datetime, quiet: QuietHoursConfig) -> datetime | None:
    """When a notice written at ``now_utc`` may wake its reader: None outside quiet hours,
    else the next ``quiet_end`` in local time, as an aware UTC datetime."""
    if now_utc.tzinfo is None:
        raise ValueError("now_utc must be an aware datetime")
    local = now_utc.astimezone(quiet.tz)
    local_time = local.time()
    if not is_quiet(local_time, quiet.quiet_start, quiet.quiet_end):
        return None
    # Before the end time we are in the morning part of the window: it ends today.
    # Otherwise we are in the evening part of a window crossing midnight: it ends tomorrow.
    day = local.date() if local_time < quiet.quiet_end else local.date() + timedelta(days=1)
    # combine() with a ZoneInfo picks the right offset for that date (DST zones included).
    return datetime.combine(day, quiet.quiet_end, tzinfo=quiet.tz).astimezone(UTC)


def working_hours_not_before(
    now_utc: datetime, quiet: QuietHoursConfig, workdays: WorkCalendar
) -> datetime | None:
    """As ``quiet_hours_not_before``, and a day off waits too: None on a working day
    outside quiet hours, else the end of quiet hours on the next working day (reminders:
    nothing on a weekend or a holiday, docs/architecture.md "Reminders")."""
    wake = quiet_hours_not_before(now_utc, quiet)
    local = (wake or now_utc).astimezone(quiet.tz)
    day = workdays.next_workday(local.date())
    if day == local.date():
        return wake
    return datetime.combine(day, quiet.quiet_end, tzinfo=quiet.tz).astimezone(UTC)


# Buttons on notices (docs/architecture.md §8). A notice is written by a service, which
# may not import handlers, so the data is built here in handlers/callbacks.py's format
# (``1:<action>:<id>``); callbacks.py declares a ``Button`` for each action below (it stays
# the one registry of button kinds) and tests/unit/test_notice_buttons.py checks they agree.
CALLBACK_VERSION = "1"
ASSIGNMENT_ACK = "as.ack"  # the inspector acknowledges an assignment (team member id)
RECUSAL_ASK = "as.rec"  # the inspector asks for recusal (team member id)
RECUSAL_APPROVE = "rec.ok"  # the lead unit's liaison or the office approves (team member id)
RECUSAL_REFUSE = "rec.no"  # … or refuses, with a reason (team member id)
BROADCAST_REPORT = "bc.xlsx"  # the office downloads a broadcast's report (broadcast id)
NOTICE_ACTIONS = (ASSIGNMENT_ACK, RECUSAL_ASK, RECUSAL_APPROVE, RECUSAL_REFUSE, BROADCAST_REPORT)


def callback_data(action: str, *values: int) -> str:
    """``1:<action>:<value>…`` for a button on a notice; whole numbers only."""
    if action not in NOTICE_ACTIONS:
        raise ValueError(f"{action!r} is not a notice button (bot/services/outbox.py)")
    return ":".join([CALLBACK_VERSION, action, *(str(int(v)) for v in values)])


def inline_keyboard(rows: Sequence[Sequence[tuple[str, str]]]) -> dict[str, Any]:
    """Bot API JSON for an inline keyboard of ``(label, callback_data)`` buttons.

    Callback data must be short, deterministic ASCII (``ack:<id>``; docs/architecture.md §8):
    a longer value would make Telegram refuse the whole notice at send time, long after the
    transaction that wrote it, so it is refused here instead.
    """
    keyboard: list[list[dict[str, str]]] = []
    for row in rows:
        buttons: list[dict[str, str]] = []
        for label, data in row:
            if not data.isascii() or not 1 <= len(data) <= CALLBACK_DATA_MAX_BYTES:
                raise ValueError(f"callback data must be 1-64 ASCII bytes: {data!r}")
            buttons.append({"text": label, "callback_data": data})
        keyboard.append(buttons)
    return {"inline_keyboard": keyboard}


def notify(
    session: Session,
    *,
    key: str,
    chat_id: int,
    text: str,
    reply_markup: Mapping[str, Any] | None = None,
    urgent: bool = False,
    now: datetime,
    quiet: QuietHoursConfig,
    parse_mode: str | None = None,
    workdays: WorkCalendar | None = None,
) -> bool:
    """Write a ``sendMessage`` notice to the outbox; True when it is new, False when a
    notice with ``key`` already exists (nothing is written then).

    ``text`` is already rendered in the recipient's language. Runs inside the caller's unit
    of work and never commits. ``quiet`` is usually the Settings object. With ``workdays``
    (reminders), a notice written on a day off waits for the next working morning.
    """
    params: dict[str, Any] = {"chat_id": chat_id, "text": text}
    if parse_mode is not None:
        params["parse_mode"] = parse_mode
    if reply_markup is not None:
        params["reply_markup"] = dict(reply_markup)
    not_before: datetime | None = None
    if workdays is None:
        wake = quiet_hours_not_before(now, quiet)
    else:
        wake = working_hours_not_before(now, quiet, workdays)
    if wake is not None:
        if urgent:
            # It must arrive now, but a night-time buzz is not worth it: deliver silently.
            params["disable_notification"] = True
        else:
            not_before = wake
    return outbox.enqueue(
        session,
        key=key,
        chat_id=chat_id,
        method="sendMessage",
        params=params,
        urgent=urgent,
        not_before=not_before,
        now=now,
    )
