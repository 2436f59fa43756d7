"""What the filing screens show: a unit's revision before it is filed, the office's
overview of a half-year, the filing windows. Built from a Translator and plain values."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import tzinfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.registers.halves import ChangeCounts
from bot.i18n import Translator
from bot.services.registers.filings import (
    Filed,
    FilingOverview,
    RevisionPreview,
    WindowInfo,
)
from handlers import callbacks
from handlers.common import esc


def half_name(t: Translator, year: int, half: str) -> str:
    if half == "H1":
        return t._("first half of {year}", year=year)
    return t._("second half of {year}", year=year)


def directory_name(t: Translator, directory: str) -> str:
    if directory == "entities":
        return t._("inspection targets")
    return t._("inspectors")


def window_text(t: Translator, window: WindowInfo) -> str:
    return t._(
        "{half}: {opens} – {closes}",
        half=half_name(t, window.year, window.half),
        opens=t.date(window.opens, "long"),
        closes=t.date(window.closes, "long"),
    )


def _changes(t: Translator, changes: Mapping[str, ChangeCounts]) -> list[str]:
    return [
        t._(
            "{directory}: {new} new, {changed} changed, {deactivated} deactivated",
            directory=directory_name(t, directory),
            new=counts.new,
            changed=counts.changed,
            deactivated=counts.deactivated,
        )
        for directory, counts in changes.items()
    ]


def preview(
    t: Translator, found: RevisionPreview, tz: tzinfo
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The changes since the last filing, and a confirmation when the window is open."""
    if found.last_filed_at is None:
        since = t._(
            "Changes to the directories of {unit} (never filed before):", unit=esc(found.unit_name)
        )
    else:
        since = t._(
            "Changes to the directories of {unit} since the last filing on {when}:",
            unit=esc(found.unit_name),
            when=t.datetime(found.last_filed_at, "short", tz=tz),
        )
    lines = [since, *_changes(t, found.changes), ""]
    if found.period is None:
        lines.append(
            t._(
                "Revisions are filed within the window only. The next window: {window}.",
                window=window_text(t, found.window),
            )
        )
        return "\n".join(lines), None
    if found.filed_at is not None:
        lines.append(
            t._(
                "The revision for the {half} was filed on {when}. File it again to include "
                "the changes made since?",
                half=half_name(t, found.window.year, found.window.half),
                when=t.datetime(found.filed_at, "short", tz=tz),
            )
        )
    else:
        lines.append(
            t._(
                "File this as the revision of both directories for the {half} (window until "
                "{closes})? The office sees it.",
                half=half_name(t, found.window.year, found.window.half),
                closes=t.date(found.window.closes, "long"),
            )
        )
    button = InlineKeyboardButton(
        t._("Confirm the filing"), callback_data=callbacks.FILING_OK.data(found.unit_id)
    )
    return "\n".join(lines), InlineKeyboardMarkup([[button]])


def filed(t: Translator, done: Filed, tz: tzinfo) -> str:
    half = half_name(t, done.period.year, done.period.half)
    when = t.datetime(done.filed_at, "short", tz=tz)
    if done.again:
        return t._(
            "Filed again: the revision of {unit} for the {half}, on {when}.",
            unit=done.unit_name,
            half=half,
            when=when,
        )
    return t._(
        "Filed: the revision of {unit} for the {half}, on {when}. The office has been told.",
        unit=done.unit_name,
        half=half,
        when=when,
    )


def overview(t: Translator, found: FilingOverview, tz: tzinfo) -> tuple[str, InlineKeyboardMarkup]:
    """Which units have filed this half and when, and the public lists to download (HTML)."""
    window = found.window
    lines = [
        t._(
            "Revisions for the {half} (window {opens} – {closes}): {filed} of {units} units filed.",
            half=half_name(t, window.year, window.half),
            opens=t.date(window.opens, "long"),
            closes=t.date(window.closes, "long"),
            filed=found.filed,
            units=len(found.units),
        )
    ]
    buttons = []
    for unit in found.units:
        if unit.filed_at is None:
            state = t._("not filed")
        else:
            state = t._(
                "filed {when} by {who}",
                when=t.datetime(unit.filed_at, "short", tz=tz),
                who=esc(unit.filed_by or "?"),
            )
        lines.append(
            f"{'✅' if unit.filed_at else '⬜'} {esc(unit.unit_code)} {esc(unit.unit_name)}: {state}"
        )
        label = t._("{code}: public lists", code=unit.unit_code)
        buttons.append(
            [InlineKeyboardButton(label, callback_data=callbacks.FILING_PUBLIC.data(unit.unit_id))]
        )
    for directory in ("entities", "inspectors"):
        label = t._("All units: {directory} (one workbook)", directory=directory_name(t, directory))
        buttons.append(
            [InlineKeyboardButton(label, callback_data=callbacks.FILING_PUBLIC_ALL.data(directory))]
        )
    return "\n".join(lines), InlineKeyboardMarkup(buttons)


def windows_text(t: Translator, windows: Sequence[WindowInfo]) -> str:
    lines = [t._("Filing windows:")]
    for window in windows:
        mark = t._(" (set by the office)") if window.moved else ""
        lines.append(window_text(t, window) + mark)
    lines.append("")
    lines.append(
        t._(
            "To move one: /window YEAR H1|H2 FIRST-DAY LAST-DAY, for example "
            "/window 2026 H2 2026-12-01 2027-01-10."
        )
    )
    return "\n".join(lines)


def window_set(t: Translator, window: WindowInfo) -> str:
    return t._("Filing window set: {window}.", window=window_text(t, window))


def public_list_name(t: Translator, code: str, directory: str) -> str:
    return t._(
        "{code} {directory} public list.xlsx", code=code, directory=directory_name(t, directory)
    )


def all_public_lists_name(t: Translator, directory: str) -> str:
    return t._("All units {directory} public list.xlsx", directory=directory_name(t, directory))
