"""How the office reads a kind of reminder, in the chat (/reminders) and at the desk
(``dsr reminders list``) alike: its name, its rule, its state."""

from __future__ import annotations

from datetime import tzinfo

from bot.domain.reminders.settings import NUDGE, KindSettings
from bot.i18n import N_, Translator
from bot.services.reminders.schedule import Planned

KIND_NAMES = {
    "nudge": N_("Assignment not acknowledged"),
    "revision": N_("June/December revision not filed"),
}


def kind_name(t: Translator, kind: str) -> str:
    return t._(KIND_NAMES[kind])


def kind_rule(t: Translator, settings: KindSettings) -> str:
    if settings.kind == NUDGE:
        return t._(
            "the inspector after {hours} h without acknowledgement, the liaison after {twice} h",
            hours=t.number(settings.after_hours),
            twice=t.number(settings.after_hours * 2),
        )
    return t._(
        "every {days} days from the window's first working day, from {time}",
        days=settings.every_days,
        time=settings.send_at.strftime("%H:%M"),
    )


def kind_state(t: Translator, planned: Planned, tz: tzinfo) -> str:
    if planned.settings.paused:
        return t._("paused")
    if planned.next_at is None:
        return t._("nothing waiting")
    return t._("next: {at}", at=t.datetime(planned.next_at, "short", tz=tz))
