"""What the availability and conflict screens show: the inspector picker, the /away
questions and confirmation, lists of periods and declarations, who is away."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain import dates
from bot.i18n import Translator
from bot.services.inspectors.availability import KINDS, Absence, AwayPlan, Marked, kind_name
from bot.services.inspectors.conflicts import Declared, Found
from bot.services.inspectors.records import span_words
from bot.services.people.membership import InspectorInfo
from bot.services.people.profiles import Profile
from handlers import callbacks
from handlers.common import esc

PAGE_SIZE = 8
# The days a person can pick with a button instead of typing them.
QUICK_DAYS = ("today", "tomorrow", "week", "nextweek")


def date_problem(t: Translator, error: dates.TypedDateError) -> str:
    """A typed date that could not be read, in the reader's language."""
    template = t._(dates.REASONS.get(error.reason, error.reason))
    return template.format(**error.params)


# --- picking an inspector (a liaison) -----------------------------------------------------------


def inspector_picker(
    t: Translator,
    infos: Sequence[InspectorInfo],
    page: int,
    pick: callbacks.Button,
    turn: callbacks.Button,
) -> tuple[str, InlineKeyboardMarkup]:
    pages = max(1, -(-len(infos) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    shown = infos[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    buttons = [InlineKeyboardButton(i.name, callback_data=pick.data(i.id)) for i in shown]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    nav = []
    if page > 0:
        nav.append(InlineKeyboardButton(t._("‹ Previous"), callback_data=turn.data(page - 1)))
    if page < pages - 1:
        nav.append(InlineKeyboardButton(t._("Next ›"), callback_data=turn.data(page + 1)))
    if nav:
        rows.append(nav)
    text = t._(
        "Which inspector? (page {page} of {pages}; /cancel to stop)", page=page + 1, pages=pages
    )
    return text, InlineKeyboardMarkup(rows)


def no_inspectors(t: Translator) -> str:
    return t._("Your unit has no inspectors in its directory yet.")


# --- /away --------------------------------------------------------------------------------------


def _subject(t: Translator, name: str | None) -> str:
    return esc(name) if name else t._("you")


def kind_choice(t: Translator, name: str | None) -> tuple[str, InlineKeyboardMarkup]:
    buttons = [
        InlineKeyboardButton(t._(label), callback_data=callbacks.AWAY_KIND.data(kind))
        for kind, label in KINDS.items()
    ]
    text = t._("Marking {who} away. Why? (/cancel to stop)", who=_subject(t, name))
    return text, InlineKeyboardMarkup([buttons[:2], buttons[2:]])


def ask_days(t: Translator) -> tuple[str, InlineKeyboardMarkup]:
    text = t._(
        "Which days? Type them as you would write them — 6.1, 6月1日, 2026-06-01, or a "
        "range like 6.1-6.5 or 6月1日至5日 — or pick:"
    )
    labels = {
        "today": t._("Today"),
        "tomorrow": t._("Tomorrow"),
        "week": t._("Rest of this week"),
        "nextweek": t._("Next week"),
    }
    buttons = [
        InlineKeyboardButton(labels[pick], callback_data=callbacks.AWAY_DAYS.data(pick))
        for pick in QUICK_DAYS
    ]
    return text, InlineKeyboardMarkup([buttons[:2], buttons[2:]])


def ask_note(t: Translator, start: date, end: date) -> tuple[str, InlineKeyboardMarkup]:
    text = t._(
        "{days}. Add a note (where, which course…), or skip it.", days=span_words(t, start, end)
    )
    skip = InlineKeyboardButton(t._("Skip"), callback_data=callbacks.AWAY_SKIP.data())
    return text, InlineKeyboardMarkup([[skip]])


def confirm_away(
    t: Translator, name: str | None, kind: str, plan: AwayPlan, note: str | None
) -> tuple[str, InlineKeyboardMarkup]:
    """The question before anything is written (HTML)."""
    lines = [
        t._(
            "Mark {who} away: {kind}, {days}?",
            who=_subject(t, name),
            kind=kind_name(t, kind),
            days=span_words(t, plan.start, plan.end),
        )
    ]
    if note:
        lines.append(t._("Note: {note}", note=esc(note)))
    if plan.merges:
        lines.append(t._("This joins what is already recorded for these days into one period."))
    buttons = [
        InlineKeyboardButton(t._("Confirm"), callback_data=callbacks.AWAY_OK.data()),
        InlineKeyboardButton(t._("Cancel"), callback_data=callbacks.AWAY_NO.data()),
    ]
    return "\n".join(lines), InlineKeyboardMarkup([buttons])


def marked(t: Translator, result: Marked, own: bool) -> str:
    a = result.absence
    days = span_words(t, a.start, a.end)
    if own:
        text = t._("Recorded: you are away ({kind}), {days}.", kind=kind_name(t, a.kind), days=days)
    else:
        text = t._(
            "Recorded: {name} is away ({kind}), {days}.",
            name=a.inspector_name,
            kind=kind_name(t, a.kind),
            days=days,
        )
    lines = [text, t._("You will not be drawn for tasks on these days.") if own else ""]
    if result.told:
        lines.append(t._("Your unit's liaison was told.") if own else t._("They were told."))
    return "\n".join(line for line in lines if line)


def away_cancelled(t: Translator) -> str:
    return t._("Cancelled: no absence was recorded.")


# --- lists ------------------------------------------------------------------------------------


def _absence_line(t: Translator, a: Absence, with_unit: bool = False) -> str:
    line = t._(
        "{name} — {kind}, {days}",
        name=esc(f"{a.unit_code} {a.inspector_name}" if with_unit else a.inspector_name),
        kind=kind_name(t, a.kind),
        days=span_words(t, a.start, a.end),
    )
    return t._("{line} ({note})", line=line, note=esc(a.note)) if a.note else line


def my_absences(
    t: Translator, absences: Sequence[Absence]
) -> tuple[str, InlineKeyboardMarkup | None]:
    """Current and future periods with a button to cancel each (HTML)."""
    if not absences:
        return t._("No absences recorded from today on. Mark one with /away."), None
    lines = [t._("Absences from today on:")]
    buttons = []
    for a in absences:
        lines.append(_absence_line(t, a))
        label = t._(
            "Cancel: {name} {days}", name=a.inspector_name, days=span_words(t, a.start, a.end)
        )
        buttons.append(
            [InlineKeyboardButton(label, callback_data=callbacks.AWAY_CANCEL.data(a.id))]
        )
    return "\n".join(lines), InlineKeyboardMarkup(buttons)


def absence_cancelled(t: Translator, a: Absence) -> str:
    return t._(
        "Cancelled: {name}, {days}.", name=a.inspector_name, days=span_words(t, a.start, a.end)
    )


def who_is_away(t: Translator, start: date, end: date, absences: Sequence[Absence]) -> str:
    """Who is away on a day or during a range, by unit (HTML)."""
    days = span_words(t, start, end)
    if not absences:
        return t._("Nobody is recorded as away on {days}.", days=days)
    lines = [t._("Away on {days}:", days=days)]
    lines += [_absence_line(t, a, with_unit=True) for a in absences]
    return "\n".join(lines)


# --- declared conflicts -----------------------------------------------------------------------


def ask_entity(t: Translator, name: str | None) -> str:
    return t._(
        "Declaring a conflict of interest for {who}. Send the entity's unified social credit "
        "code (or registration number), or part of its name. /cancel to stop.",
        who=_subject(t, name),
    )


def found_entities(
    t: Translator, query: str, found: Found
) -> tuple[str, InlineKeyboardMarkup | None]:
    if not found.matches:
        text = t._(
            "Nothing found for “{query}”. Send the full code, or another part of the name.",
            query=esc(query),
        )
        return text, None
    lines = [t._("Which one? Press it, or send another search.")]
    if found.more:
        lines.append(t._("More match; only the first are shown. Send more of the name."))
    buttons = []
    for m in found.matches:
        label = f"{m.name} {m.code[-6:]}" if m.code else m.name
        data = callbacks.CONFLICT_ENTITY.data(m.id)
        buttons.append([InlineKeyboardButton(label, callback_data=data)])
    return "\n".join(lines), InlineKeyboardMarkup(buttons)


def ask_reason(t: Translator, entity: str) -> str:
    return t._(
        "Why must the inspector keep away from {entity}? A few words, like 亲属关系 or 曾在该企业任职.",
        entity=esc(entity),
    )


def confirm_conflict(
    t: Translator, name: str | None, entity: str, reason: str
) -> tuple[str, InlineKeyboardMarkup]:
    text = t._(
        "Record that {who} must not inspect {entity} ({reason})?",
        who=_subject(t, name),
        entity=esc(entity),
        reason=esc(reason),
    )
    buttons = [
        InlineKeyboardButton(t._("Confirm"), callback_data=callbacks.CONFLICT_OK.data()),
        InlineKeyboardButton(t._("Cancel"), callback_data=callbacks.CONFLICT_NO.data()),
    ]
    return text, InlineKeyboardMarkup([buttons])


def declared(t: Translator, d: Declared) -> str:
    return t._(
        "Recorded: {name} will not be drawn to inspect {entity}.",
        name=d.inspector_name,
        entity=d.entity_name,
    )


def conflict_cancelled(t: Translator) -> str:
    return t._("Cancelled: no conflict of interest was recorded.")


def conflict_list(
    t: Translator, who: Profile, items: Sequence[Declared]
) -> tuple[str, InlineKeyboardMarkup | None]:
    """Declared conflicts, with a button to withdraw each the reader keeps (HTML)."""
    if not items:
        return t._("No conflicts of interest are recorded. Declare one with /conflict."), None
    lines = [t._("Declared conflicts of interest:")]
    buttons = []
    for d in items:
        lines.append(
            t._(
                "{name} — {entity} {code}: {reason}",
                name=esc(f"{d.unit_code} {d.inspector_name}"),
                entity=esc(d.entity_name),
                code=esc(d.entity_code or ""),
                reason=esc(d.reason or ""),
            )
        )
        keeps = who.inspector_id == d.inspector_id or d.unit_code == who.liaison_unit_code
        if keeps:
            label = t._("Withdraw: {name} – {entity}", name=d.inspector_name, entity=d.entity_name)
            data = callbacks.CONFLICT_WITHDRAW.data(d.id)
            buttons.append([InlineKeyboardButton(label[:60], callback_data=data)])
    return "\n".join(lines), InlineKeyboardMarkup(buttons) if buttons else None


def conflict_withdrawn(t: Translator, d: Declared) -> str:
    return t._("Withdrawn: {name} – {entity}.", name=d.inspector_name, entity=d.entity_name)
