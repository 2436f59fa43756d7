"""What the register screens show: templates, the upload's questions, progress, the
preview with its problems, and the outcome of applying it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import Translator
from bot.services.people.membership import UnitInfo
from bot.services.registers import wording
from bot.services.registers.imports import ApplyResult, ImportPreview
from handlers import callbacks
from handlers.common import esc

KINDS = ("entities", "inspectors", "matters")
# The first problems shown in the chat; all of them are in the error report.
SHOWN_PROBLEMS = 10


def kind_name(t: Translator, kind: str) -> str:
    return {
        "entities": t._("inspection target directory (检查对象名录库)"),
        "inspectors": t._("inspector directory (执法检查人员名录库)"),
        "matters": t._("matter list (抽查事项清单)"),
    }[kind]


def _rows(buttons: Sequence[InlineKeyboardButton]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[b] for b in buttons])


def template_choice(t: Translator) -> tuple[str, InlineKeyboardMarkup]:
    text = t._("Which template do you need? Fill it in and send it back here.")
    buttons = [
        InlineKeyboardButton(kind_name(t, k), callback_data=callbacks.TEMPLATE.data(k))
        for k in KINDS
    ]
    return text, _rows(buttons)


def template_file_name(t: Translator, kind: str) -> str:
    return {
        "entities": t._("entity-directory-template.xlsx"),
        "inspectors": t._("inspector-directory-template.xlsx"),
        "matters": t._("matter-list-template.xlsx"),
    }[kind]


def unit_choice(t: Translator, units: Sequence[UnitInfo]) -> tuple[str, InlineKeyboardMarkup]:
    text = t._("Which unit's directory is this file for?")
    buttons = [
        InlineKeyboardButton(f"{u.code} {u.name}", callback_data=callbacks.UPLOAD_UNIT.data(u.id))
        for u in units
    ]
    return text, _rows(buttons)


def kind_choice(t: Translator, file_name: str) -> tuple[str, InlineKeyboardMarkup]:
    text = t._("Received {file}. Which directory does it hold?", file=esc(file_name))
    buttons = [
        InlineKeyboardButton(kind_name(t, k), callback_data=callbacks.UPLOAD_KIND.data(k))
        for k in KINDS
    ]
    return text, _rows(buttons)


def mode_choice(t: Translator) -> tuple[str, InlineKeyboardMarkup]:
    text = t._(
        "How should the file change the directory?\n"
        "• Add and update: rows in the file are added or updated; nothing else changes.\n"
        "• Whole directory: the file is the whole directory; records not in it are "
        "deactivated, and blank cells clear values."
    )
    buttons = [
        InlineKeyboardButton(
            t._("Add and update"), callback_data=callbacks.UPLOAD_MODE.data("update")
        ),
        InlineKeyboardButton(
            t._("Whole directory"), callback_data=callbacks.UPLOAD_MODE.data("replace")
        ),
    ]
    return text, _rows(buttons)


def progress(t: Translator, file_name: str, rows: int, total: int | None) -> str:
    if rows == 0:
        return t._("Reading {file}…", file=file_name)
    if total:
        return t._(
            "Reading {file}: {rows} of {total} rows checked…",
            file=file_name,
            rows=t.number(rows),
            total=t.number(total),
        )
    return t._("Reading {file}: {rows} rows checked…", file=file_name, rows=t.number(rows))


def preview(
    t: Translator, found: ImportPreview, tz: tzinfo
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The counts, the first problems and what can be done next (HTML)."""
    lines = [
        t._(
            "{file}, sheet {sheet}: {directory} of {unit}.",
            file=esc(found.file_name),
            sheet=esc(found.sheet),
            directory=kind_name(t, found.kind),
            unit=esc(found.unit_code),
        ),
        wording.counts_line(t, found.counts),
    ]
    lines += _cleared_and_ignored(t, found)
    problems = list(found.problems)
    lines += [esc(wording.problem_line(t, p)) for p in problems[:SHOWN_PROBLEMS]]
    if len(problems) > SHOWN_PROBLEMS:
        lines.append(wording.more_problems(t, len(problems) - SHOWN_PROBLEMS))
    if found.import_id is None:
        return "\n".join(lines), None
    lines.append(_what_next(t, found, tz))
    return "\n".join(lines), _preview_buttons(t, found)


def _cleared_and_ignored(t: Translator, found: ImportPreview) -> list[str]:
    lines = [esc(line) for line in wording.cleared_lines(t, found.kind, found.cleared)]
    if found.ignored_columns:
        columns = t.list([f"{letter} {header}" for letter, header in found.ignored_columns])
        lines.append(t._("Columns not read: {columns}.", columns=esc(columns)))
    return lines


def _what_next(t: Translator, found: ImportPreview, tz: tzinfo) -> str:
    expires = t.datetime(found.expires_at, "short", tz=tz)
    if found.counts.errors:
        return t._(
            "Rows with errors are not imported. Fix them and send the file again, or apply "
            "the valid rows now. This preview can be applied until {expires}.",
            expires=expires,
        )
    return t._("Apply these changes? This preview can be applied until {expires}.", expires=expires)


def _preview_buttons(t: Translator, found: ImportPreview) -> InlineKeyboardMarkup:
    assert found.import_id is not None
    import_id = found.import_id
    first = (
        InlineKeyboardButton(
            t._("Apply the valid rows"), callback_data=callbacks.IMPORT_APPLY_VALID.data(import_id)
        )
        if found.counts.errors
        else InlineKeyboardButton(
            t._("Apply"), callback_data=callbacks.IMPORT_APPLY.data(import_id)
        )
    )
    discard = InlineKeyboardButton(
        t._("Discard"), callback_data=callbacks.IMPORT_DISCARD.data(import_id)
    )
    return InlineKeyboardMarkup([[first, discard]])


def mass_deactivation(
    t: Translator, import_id: int, question: str, valid_only: bool
) -> tuple[str, InlineKeyboardMarkup]:
    """The second confirmation of a whole-directory import that deactivates many records."""
    text = (
        question
        + "\n"
        + t._("Records not in the file are deactivated. Is the file really the whole directory?")
    )
    confirm = InlineKeyboardButton(
        t._("Yes, deactivate them"),
        callback_data=callbacks.IMPORT_CONFIRM_MASS.data(import_id, int(valid_only)),
    )
    discard = InlineKeyboardButton(
        t._("Discard"), callback_data=callbacks.IMPORT_DISCARD.data(import_id)
    )
    return text, InlineKeyboardMarkup([[confirm, discard]])


def applied(t: Translator, result: ApplyResult) -> str:
    lines = [t._("Applied."), wording.counts_line(t, result.counts)]
    lines += [wording.problem_line(t, p) for p in result.problems[:SHOWN_PROBLEMS]]
    return "\n".join(lines)


def discarded(t: Translator) -> str:
    return t._("Discarded: nothing was changed.")


def error_report_name(t: Translator, file_name: str) -> str:
    stem = file_name.rsplit(".", 1)[0]
    return t._("{file}-error-report.xlsx", file=stem)


def error_report_caption(t: Translator, count: int) -> str:
    return t.n_(
        "{n} problem, marked in your rows: fix it and send the file again.",
        "All {n} problems, marked in your rows: fix them and send the file again.",
        count,
    )
