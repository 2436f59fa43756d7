"""An import's outcome in a person's words, the same at the desk and in the chat: the
counts, one line per problem (where it is, the value, the reason), what whole-directory
mode clears. Plain text; the chat escapes it for HTML where it needs to."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.domain.reasons import REASONS, describe
from bot.domain.registers.validation import spec_of
from bot.i18n import Translator
from bot.services.registers.import_rows import ProblemInfo
from bot.services.registers.import_support import ImportCounts, register_of


def reason_text(t: Translator, code: str, params: Mapping[str, object]) -> str:
    """A reason code's sentence in the translator's language, parameters filled in."""
    return describe(code, params, template=t._(REASONS.get(code, code)))


def problem_line(t: Translator, problem: ProblemInfo) -> str:
    """ "✗ Sheet 名录, row 7, column B 统一社会信用代码: “9141…” <reason>" (! for a warning)."""
    column = f"{problem.column_letter} {problem.column}" if problem.column else "-"
    where = t._(
        "Sheet {sheet}, row {row}, column {column}:",
        sheet=problem.sheet or "-",
        row=problem.row or "-",
        column=column,
    )
    value = f" “{problem.value}”" if problem.value not in (None, "") else ""
    mark = "✗" if problem.severity == "error" else "!"
    return f"{mark} {where}{value} {reason_text(t, problem.reason, problem.params)}"


def more_problems(t: Translator, count: int) -> str:
    return t._("… and {count} more (all of them are in the error report).", count=count)


def counts_line(t: Translator, counts: ImportCounts) -> str:
    return t._(
        "New: {new}; changed: {changed}; unchanged: {unchanged}; to deactivate: {deactivated};"
        " rows with errors: {errors}.",
        new=counts.new,
        changed=counts.changed,
        unchanged=counts.unchanged,
        deactivated=counts.deactivated,
        errors=counts.errors,
    )


def cleared_lines(t: Translator, kind: str, cleared: Sequence[tuple[str, int]]) -> list[str]:
    spec = spec_of(register_of(kind))
    return [
        t._(
            "Whole-directory mode clears “{field}” in {count} record(s).",
            field=spec.field(field).header,
            count=count,
        )
        for field, count in cleared
    ]
