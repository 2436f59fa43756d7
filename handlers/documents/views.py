"""What the document screens show: the kinds to choose from, the list, the answers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import Translator
from bot.services.people.membership import UnitInfo
from bot.services.registers.directories import DOCUMENT_KIND_NAMES, DOCUMENT_KINDS, DocumentInfo
from handlers import callbacks
from handlers.common import esc

# The list shows every version; buttons to download go to the latest ones only.
MAX_BUTTONS = 20


def kind_name(t: Translator, kind: str) -> str:
    return t._(DOCUMENT_KIND_NAMES.get(kind, kind))


def kind_choice(t: Translator) -> tuple[str, InlineKeyboardMarkup]:
    buttons = [
        [InlineKeyboardButton(kind_name(t, kind), callback_data=callbacks.DOC_KIND.data(index))]
        for index, kind in enumerate(DOCUMENT_KINDS)
    ]
    return t._("Which document do you file? (/cancel to stop)"), InlineKeyboardMarkup(buttons)


def ask_file(t: Translator, kind: str, year: int) -> str:
    return t._(
        "Send the {kind} for {year} as a file (PDF, Word or Excel, at most 20 MB). A caption, "
        "if you add one, becomes its title. /cancel to stop.",
        kind=kind_name(t, kind),
        year=year,
    )


def not_a_file(t: Translator) -> str:
    return t._("Send the document as a file (📎 → File), or /cancel to stop.")


def filed(t: Translator, info: DocumentInfo) -> str:
    return t._(
        "Filed: {kind} {year}, version {version} — {title}. The office can see it.",
        kind=kind_name(t, info.kind),
        year=info.year,
        version=info.version,
        title=info.title,
    )


def cancelled(t: Translator) -> str:
    return t._("Cancelled: no document was filed.")


def unit_choice(t: Translator, units: Sequence[UnitInfo]) -> tuple[str, InlineKeyboardMarkup]:
    buttons = [
        [InlineKeyboardButton(f"{u.code} {u.name}", callback_data=callbacks.DOC_LIST.data(u.id))]
        for u in units
    ]
    return t._("Whose documents?"), InlineKeyboardMarkup(buttons)


def document_list(
    t: Translator, unit_name: str, documents: Sequence[DocumentInfo], tz: tzinfo, *, can_file: bool
) -> tuple[str, InlineKeyboardMarkup | None]:
    """Every version of every filed document, and buttons to download the latest (HTML)."""
    if not documents:
        lines = [t._("{unit} has filed no documents yet.", unit=esc(unit_name))]
    else:
        lines = [t._("Documents of {unit}:", unit=esc(unit_name))]
    for d in documents:
        lines.append(
            t._(
                "{kind} {year} v{version}: {title} ({size} KB, {when})",
                kind=kind_name(t, d.kind),
                year=d.year,
                version=d.version,
                title=esc(d.title),
                size=max(1, d.size // 1024),
                when=t.datetime(d.uploaded_at, "short", tz=tz),
            )
        )
    buttons = [
        [
            InlineKeyboardButton(
                t._(
                    "⬇ {kind} {year} v{version}",
                    kind=kind_name(t, d.kind),
                    year=d.year,
                    version=d.version,
                ),
                callback_data=callbacks.DOC_GET.data(d.id),
            )
        ]
        for d in list(reversed(documents))[:MAX_BUTTONS]
    ]
    if can_file:
        buttons.append(
            [InlineKeyboardButton(t._("File a document"), callback_data=callbacks.DOC_NEW.data())]
        )
    return "\n".join(lines), InlineKeyboardMarkup(buttons) if buttons else None
