"""Reason codes and their sentences (English source strings; translated by bot.i18n).

Code everywhere carries a stable reason code plus parameters (``Problem.reason``,
``UsccCheck.errors``, ``UnusableFile.reason``); only the moment a person reads it turns
the code into a sentence in their language. The sentences are wrapped in ``N_`` — a no-op
that lets Babel extract them (``pybabel extract -k N_``) without translating at import
time, when nobody's language is known yet. The i18n layer looks the English text up here
and passes it through gettext, then fills the ``{placeholders}`` from the parameters.

A sentence describes the value; where it is (sheet, row, column) is said around it.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext marker name
    """Mark a string for extraction; return it unchanged."""
    return message


REASONS: Final[Mapping[str, str]] = MappingProxyType(
    {
        # --- the USCC (GB 32100-2015) -------------------------------------------------------
        "uscc.length": N_("A unified social credit code has 18 characters; this one has {length}."),
        "uscc.charset": N_(
            "A unified social credit code uses digits and capital letters except I, O, S, V"
            " and Z; this one contains {chars}."
        ),
        "uscc.department": N_(
            "The first character (registration department) is not one the national"
            " standard defines."
        ),
        "uscc.category": N_(
            "The second character (institution category) does not exist for this"
            " registration department."
        ),
        "uscc.region": N_("Characters 3 to 8 must be the 6-digit administrative division code."),
        "uscc.region_unknown": N_(
            "Characters 3 to 8 do not start with a known province code; please check them."
        ),
        "uscc.check_digit": N_(
            "The last character does not match the rest of the code: a character is"
            " probably mistyped."
        ),
        "uscc.org_code_check": N_(
            "The check character of the embedded organisation code (character 17) does not"
            " match; registries hold such codes, so it is imported, but please check it."
        ),
        "uscc.old_regno": N_(
            "This is a 15-digit registration number, not a unified social credit code; it is"
            " kept as the registration number."
        ),
        "uscc.old_regno_check": N_(
            "This is a 15-digit registration number, not a unified social credit code, and its"
            " check digit does not match (true of many numbers issued before 2007). It is kept"
            " as the registration number; please check it."
        ),
        "uscc.old_regno_13": N_(
            "This is a 13-digit registration number from before 2007, not a unified social"
            " credit code; it is kept as the registration number."
        ),
        "uscc.old_regno_written": N_(
            "This is a registration number in its old written form, not a unified social"
            " credit code; it is kept as the registration number."
        ),
        # --- cells ----------------------------------------------------------------------------
        "cell.lost_digits": N_(
            "Excel stored this code as a number ({shown}) and has already lost its last"
            " digits. Format the column as text and type the codes again."
        ),
        "cell.not_a_code": N_("This cell does not hold a code."),
        "cell.formula_no_value": N_(
            "This cell holds a formula whose result was never saved. Open the file in Excel"
            " or WPS, save it, and upload it again."
        ),
        "phone.invalid": N_(
            "Not a phone number: write an 11-digit mobile number or a landline with its area"
            " code, such as 0375-1234567."
        ),
        "phone.no_area_code": N_(
            "The landline number {shown} has no area code; write it as 0375-1234567."
        ),
        "phone.leading_zero": N_(
            "Excel stored this phone number as a number and dropped its leading 0; it was put"
            " back. Format the column as text to keep it."
        ),
        "date.invalid": N_("Not a date: write it as 2026-06-01 or 2026年6月1日."),
        "date.range": N_("The date {shown} is out of the plausible range."),
        "bool.invalid": N_("Write 是 or 否 here."),
        "enum.invalid": N_("“{shown}” is not one of the allowed values: {allowed}."),
        "ratio.invalid": N_("Not a ratio: write it as 5% or 0.05."),
        "ratio.range": N_("A ratio must be more than 0 and at most 100%."),
        "ratio.rounded": N_("The ratio {shown} was rounded to {permille}‰."),
        # --- fields and rows ------------------------------------------------------------------
        "field.required": N_("This column must be filled in."),
        "field.too_long": N_("Too long: at most {max} characters."),
        "field.forbidden_chars": N_("A code cannot contain “|” or control characters."),
        "row.hidden": N_("This row is hidden in the spreadsheet; it is imported like the others."),
        "entity.kind_mismatch": N_(
            "The type does not match the unified social credit code, which says {uscc_kind}."
        ),
        "inspector.no_cert": N_(
            "No enforcement certificate number: this person cannot be drawn for inspections."
        ),
        "inspector.cert_expired": N_(
            "The enforcement certificate expired on {date}: this person cannot be drawn until"
            " it is renewed."
        ),
        "inspector.cert_expiring": N_(
            "The enforcement certificate expires on {date}, in {days} days."
        ),
        "matter.target_kind_other": N_(
            "“{shown}” is not a known target type; it is recorded as other."
        ),
        "dup.uscc": N_("The same unified social credit code is also in row(s) {rows}."),
        "dup.reg_no": N_("The same registration number is also in row(s) {rows}."),
        "dup.local_no": N_("The same local number is also in row(s) {rows}."),
        "dup.cert_no": N_("The same certificate number is also in row(s) {rows}."),
        "dup.code": N_("The same matter code is also in row(s) {rows}."),
        "dup.name": N_("The same name is also in row(s) {rows}."),
        "dup.name_address": N_(
            "The same type, name and address are also in row(s) {rows}, and none of them has"
            " a code or local number to tell them apart."
        ),
        # --- rows against the directory (bot.domain.registers.diff) ---------------------------
        "key.same_record": N_(
            "This row and row {row} both match the same record ({key}). Keep one of them."
        ),
        "key.ambiguous": N_(
            "{count} records in the directory match this name. Add the unified social credit"
            " code or the local number to say which one is meant."
        ),
        "key.taken_in_unit": N_(
            "This value already belongs to “{holder}” in this directory; each record needs its own."
        ),
        "key.taken_elsewhere": N_("This certificate number belongs to an inspector of {unit}."),
        # --- whole files ----------------------------------------------------------------------
        "file.not_spreadsheet": N_(
            "This file is not an Excel workbook. Upload a .xlsx or .xls file."
        ),
        "file.html_disguised": N_(
            "This file is a web page saved with an Excel name. Open it in Excel or WPS, save"
            " it as .xlsx, and upload that."
        ),
        "file.encrypted": N_(
            "This workbook is protected by a password. Remove the password (File › Info ›"
            " Protect Workbook) and upload it again."
        ),
        "file.too_large": N_(
            "This workbook unpacks to more than {megabytes} MB. Split it into smaller files."
        ),
        "file.corrupt": N_("This workbook is damaged and cannot be read. Save it again."),
        # --- limits of a workbook from outside (storage/xlsx_guard.py, storage/isolation.py) ---
        "file.upload_too_large": N_(
            "This file is {megabytes} MB; at most {max} MB can be read. Split it into smaller"
            " files."
        ),
        "file.too_many_parts": N_(
            "This workbook is made of {count} parts; at most {max} can be read. Open it in"
            " Excel or WPS, save it again as .xlsx, and upload that."
        ),
        "file.sheet_too_large": N_(
            "The sheet {sheet} uses {rows} rows × {columns} columns (cell {cell}); at most"
            " {max_rows} rows, {max_columns} columns and {max_cells} cells can be read. Delete"
            " the empty rows and columns beyond your data and save again."
        ),
        "file.row_too_large": N_(
            "A row of the sheet {sheet} takes more than {megabytes} MB; no register row is"
            " that long. Open the file in Excel or WPS, save it again, and upload that."
        ),
        "file.memory_budget": N_(
            "Reading this workbook needed more than {megabytes} MB of memory, the most one"
            " file may use. Delete what is not needed (empty rows and columns, other sheets,"
            " pictures) or split it into smaller files, and upload it again."
        ),
        "file.read_timeout": N_(
            "Reading this workbook took longer than {seconds} seconds, the most one file may"
            " take. Split it into smaller files and upload it again."
        ),
        "file.reader_crashed": N_(
            "The spreadsheet reader stopped on this workbook ({detail}). Open it in Excel or"
            " WPS, save it again as .xlsx, and upload that."
        ),
        "file.no_sheets": N_("This workbook has no worksheets."),
        "file.empty": N_("Every worksheet in this workbook is empty."),
        "file.no_header": N_(
            "No worksheet has a header row with {expected}. The closest row found"
            " (sheet {sheet}, row {row}) reads: {found}."
        ),
        "file.duplicate_column": N_("Columns {columns} both hold “{header}”. Keep one of them."),
        "file.no_identifier": N_(
            "No row of the worksheet {sheet} has a unified social credit code, a registration"
            " number or a local number (本单位编号), so its records could not be told apart when"
            " the directory is imported again. Add one of these columns and fill it in for"
            " every row, then upload the file again."
        ),
        "file.no_rows": N_(
            "The worksheet {sheet} has its header in row {row} but no rows below it."
        ),
        "file.hidden_unknown": N_(
            "Hidden rows cannot be detected in this file format (.xls, .xlsb, .ods); any"
            " hidden rows are imported too."
        ),
    }
)


class _Lenient(dict[str, object]):
    """A format map that shows a missing parameter as its placeholder, so a sentence is
    never lost for want of one value."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def placeholders(message: str) -> frozenset[str]:
    """The ``{names}`` a sentence interpolates (for the catalog check)."""
    return frozenset(name for _, name, _, _ in string.Formatter().parse(message) if name)


def describe(
    reason: str,
    params: Mapping[str, object] | None = None,
    *,
    template: str | None = None,
) -> str:
    """The sentence for a reason code with its parameters filled in.

    ``template`` is the (translated) sentence to use; by default the English one. An
    unknown code is returned as it is, so a new code shows up rather than vanishing.
    """
    text = template if template is not None else REASONS.get(reason, reason)
    return text.format_map(_Lenient(params or {}))
