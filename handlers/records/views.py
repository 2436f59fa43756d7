"""What the register records' screens show: search results, a record's page and its
buttons, the questions of a change or an addition and their confirmations, summaries, the
history. Field names and choice labels are the registers' own (Chinese headers, English
names); values are shown as a person reads them in the spreadsheet."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, tzinfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain import dates
from bot.domain.cells import OPEN_ENDED
from bot.domain.registers.specs import FieldKind, FieldSpec, Register
from bot.domain.registers.validation import spec_of
from bot.i18n import Translator
from bot.services.registers.edits import Done, InvalidValue
from bot.services.registers.lookup import HistoryEntry, Hit, RecordPage
from bot.services.registers.wording import reason_text
from handlers import callbacks
from handlers.common import esc

PAGE_SIZE = 8
Keyboard = InlineKeyboardMarkup


def english(t: Translator) -> bool:
    return t.locale.startswith("en")


def colon(t: Translator) -> str:
    return ": " if english(t) else "："


def register_title(t: Translator, kind: str) -> str:
    spec = spec_of(Register(kind))
    return spec.title_en if english(t) else spec.title


def field_label(t: Translator, spec: FieldSpec) -> str:
    return spec.header_en if english(t) else spec.header


def field_of(kind: str, key: str) -> FieldSpec:
    return spec_of(Register(kind)).field(key)


def shown(t: Translator, spec: FieldSpec, value: object) -> str:
    """A value as a person reads it (labels for codes, 是/否, a percentage, 长期)."""
    lang = "en" if english(t) else "zh"
    if value is None or value in ("", ()):
        return "—"
    if spec.kind is FieldKind.ENUM and isinstance(value, str):
        return spec.label(value, lang)
    if spec.kind is FieldKind.TAGS and isinstance(value, tuple | list):
        return "、".join(spec.label(str(v), lang) for v in value) or "—"
    if spec.kind is FieldKind.BOOL:
        return t._("yes") if value is True else t._("no")
    if spec.kind is FieldKind.RATIO and isinstance(value, int):
        return f"{value / 10:g}%"
    if spec.kind is FieldKind.DATE and value == OPEN_ENDED:
        return t._("no expiry (长期)")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def invalid_value(t: Translator, kind: str, key: str, error: InvalidValue) -> str:
    """Why a typed value is refused, as an import would say it of the same cell."""
    if error.reason in dates.REASONS:
        sentence = t._(dates.REASONS[error.reason]).format(**error.params)
    else:
        sentence = reason_text(t, error.reason, error.params)
    label = field_label(t, field_of(kind, key))
    return t._(
        "{field}: {reason} Nothing was changed; type it again.", field=label, reason=sentence
    )


# --- finding ----------------------------------------------------------------------------------


def pick_register(t: Translator) -> tuple[str, Keyboard]:
    buttons = [
        [
            InlineKeyboardButton(
                register_title(t, r.value), callback_data=callbacks.RECORD_KIND.data(r.value)
            )
        ]
        for r in Register
    ]
    return t._("Which register? (/cancel to stop)"), InlineKeyboardMarkup(buttons)


def ask_query(t: Translator, kind: str | None) -> tuple[str, Keyboard | None]:
    if kind is None:
        return (
            t._(
                "Type a code, part of a name or a certificate number to find a record (/cancel to stop)."
            ),
            None,
        )
    add = InlineKeyboardButton(t._("➕ Add a record"), callback_data=callbacks.RECORD_ADD.data())
    text = t._(
        "{register}: type a code, part of a name or a certificate number to find a record,"
        " or add one. (/cancel to stop)",
        register=register_title(t, kind),
    )
    return text, InlineKeyboardMarkup([[add]])


def _hit_label(t: Translator, hit: Hit, many_units: bool) -> str:
    parts = [hit.name]
    if hit.key:
        parts.append(hit.key)
    if many_units:
        parts.append(hit.unit_code)
    label = " · ".join(parts)
    return label if hit.active else t._("{label} (deactivated)", label=label)


def hits(t: Translator, found: Sequence[Hit], page: int) -> tuple[str, Keyboard]:
    pages = max(1, -(-len(found) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    many = len({h.unit_code for h in found}) > 1
    rows = [
        [
            InlineKeyboardButton(
                _hit_label(t, h, many)[:60], callback_data=callbacks.RECORD_OPEN.data(h.kind, h.id)
            )
        ]
        for h in found[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    ]
    nav = []
    if page > 0:
        nav.append(
            InlineKeyboardButton(
                t._("‹ Previous"), callback_data=callbacks.RECORD_HITS.data(page - 1)
            )
        )
    if page < pages - 1:
        nav.append(
            InlineKeyboardButton(t._("Next ›"), callback_data=callbacks.RECORD_HITS.data(page + 1))
        )
    if nav:
        rows.append(nav)
    text = t.n_(
        "Found {n} record (page {page} of {pages}). Choose one, or type another search.",
        "Found {n} records (page {page} of {pages}). Choose one, or type another search.",
        len(found),
        page=page + 1,
        pages=pages,
    )
    return text, InlineKeyboardMarkup(rows)


def no_hits(t: Translator, typed: str) -> str:
    return t._("Nothing matches “{typed}”. Type another code or name, or /cancel.", typed=typed)


# --- a record ---------------------------------------------------------------------------------


def record_buttons(t: Translator, page: RecordPage) -> Keyboard:
    kind, rid = page.kind, page.id
    toggle = (
        InlineKeyboardButton(
            t._("Deactivate"), callback_data=callbacks.RECORD_ACTIVE.data(kind, rid, 0)
        )
        if page.active
        else InlineKeyboardButton(
            t._("Reactivate"), callback_data=callbacks.RECORD_ACTIVE.data(kind, rid, 1)
        )
    )
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t._("Change"), callback_data=callbacks.RECORD_EDIT.data(kind, rid)
                ),
                toggle,
            ],
            [
                InlineKeyboardButton(
                    t._("History"), callback_data=callbacks.RECORD_LOG.data(kind, rid)
                )
            ],
        ]
    )


def record_text(t: Translator, page: RecordPage) -> str:
    """The record's page (HTML): its register and unit, then every field."""
    head = t._(
        "<b>{name}</b>\n{register} · {unit}",
        name=esc(page.name),
        register=register_title(t, page.kind),
        unit=esc(page.unit_name),
    )
    lines = [head]
    if not page.active:
        lines.append(t._("⛔ Deactivated: left out of every draw."))
    spec = spec_of(Register(page.kind))
    for key, value in page.values.items():
        f = spec.field(key)
        lines.append(f"{esc(field_label(t, f))}{colon(t)}{esc(shown(t, f, value))}")
    if page.shared:
        lines.append(
            t._(
                "Another unit's directory holds this entity too: its name, code, address and status are shared."
            )
        )
    return "\n".join(lines)


def record_page(t: Translator, page: RecordPage) -> tuple[str, Keyboard]:
    return record_text(t, page), record_buttons(t, page)


def confirm_active(t: Translator, page: RecordPage, on: bool) -> tuple[str, Keyboard]:
    if on:
        text = t._("Reactivate “{name}”? It can be drawn again.", name=esc(page.name))
        label = t._("Reactivate")
    else:
        text = t._(
            "Deactivate “{name}”? It stays in the directory and its history, but no draw picks it.",
            name=esc(page.name),
        )
        label = t._("Deactivate")
    yes = InlineKeyboardButton(
        label, callback_data=callbacks.RECORD_ACTIVE_OK.data(page.kind, page.id, int(on))
    )
    back = InlineKeyboardButton(
        t._("Back"), callback_data=callbacks.RECORD_OPEN.data(page.kind, page.id)
    )
    return text, InlineKeyboardMarkup([[yes, back]])


def active_done(t: Translator, done: Done) -> str:
    if done.page.active:
        head = t._("Reactivated: {name}.", name=esc(done.page.name))
    else:
        head = t._("Deactivated: {name}.", name=esc(done.page.name))
    return head + "\n\n" + record_text(t, done.page)


# --- history and endings ----------------------------------------------------------------------


def _source(t: Translator, source: str) -> str:
    if source == "import":
        return t._("Import")
    if source == "undo":
        return t._("Import undone")
    return t._("By hand")


def _entry_line(t: Translator, kind: str, entry: HistoryEntry, tz: tzinfo) -> str:
    spec = spec_of(Register(kind))
    when = entry.at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    head = f"{when} {esc(entry.who)}（{_source(t, entry.source)}）"
    if entry.before is None:
        return head + "：" + t._("added")
    parts = []
    for key, after in (entry.after or {}).items():
        if key == "active":
            parts.append(t._("reactivated") if after else t._("deactivated"))
            continue
        if key not in spec.keys:
            continue
        f = spec.field(key)
        before = entry.before.get(key)
        parts.append(
            f"{esc(field_label(t, f))} {esc(shown(t, f, before))} → {esc(shown(t, f, after))}"
        )
    return head + "：" + ("；".join(parts) or "—")


def history(
    t: Translator, page: RecordPage, entries: Sequence[HistoryEntry], tz: tzinfo
) -> tuple[str, Keyboard]:
    lines = [t._("<b>History of {name}</b> (newest first):", name=esc(page.name))]
    if not entries:
        lines.append(t._("No changes recorded."))
    lines += [_entry_line(t, page.kind, e, tz) for e in entries]
    back = InlineKeyboardButton(
        t._("Back"), callback_data=callbacks.RECORD_OPEN.data(page.kind, page.id)
    )
    return "\n".join(lines), InlineKeyboardMarkup([[back]])


def cancelled(t: Translator) -> str:
    return t._("Cancelled; nothing was changed.")
