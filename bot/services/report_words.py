"""The error report's own words (sheet names, headings) in the reader's language: the
same for every import, at the desk and in the chat."""

from __future__ import annotations

from bot.i18n import Translator
from storage.xlsx_write import ReportHeadings


def report_headings(t: Translator) -> ReportHeadings:
    """The error report's own words in the translator's language."""
    return ReportHeadings(
        sheet=t._("Error report"),
        list_sheet=t._("Problems"),
        sheet_column=t._("Sheet"),
        row=t._("Row"),
        column=t._("Column"),
        column_letter=t._("Column letter"),
        value=t._("Value"),
        severity=t._("Severity"),
        reason=t._("Reason"),
        errors=t._("Errors"),
        warnings=t._("Warnings"),
        error=t._("error"),
        warning=t._("warning"),
        whole_file=t._("(whole file)"),
    )
