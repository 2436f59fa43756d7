"""Every workbook the project writes is safe to open: no formula cells, no control
characters, text that reads back as the cleaned text, and Excel's quote prefix on text a
spreadsheet would take for a formula (storage.xlsx_safe).

Each writer is fed arbitrary strings; what it wrote is read three ways: python-calamine
(what our own import and most tools see), openpyxl (cell types and styles), and the
sheets' XML itself (no ``<f>`` element, no formula or error cell type).
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import date, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from bot.domain.registers.specs import FieldKind, FieldSpec, Register, RegisterSpec
from bot.domain.registers.validation import Finding, Problem
from storage.xlsx_draws import certificate_workbook
from storage.xlsx_invites import invite_workbook
from storage.xlsx_plan import plan_template
from storage.xlsx_read import Column, ReadResult, ReadRow
from storage.xlsx_safe import (
    EXCEL_CELL_LIMIT,
    clean_text,
    needs_quote_prefix,
    put,
    row_value,
    save,
    sheet_title,
)
from storage.xlsx_write import ReportHeadings, error_report, export_register, template
from tests.support.xlsx_checks import check_workbook, is_unwanted

# Pieces that have broken spreadsheet writers: formula starts, control characters raw and
# as OOXML escapes (upper and lower case hex, overlapping ones), what Excel calls errors.
_TRICKY = st.sampled_from(
    [
        *"=+-@＝＋－＠",
        *" \u3000\t\n\r",
        "\r\n",
        *"\x00\x01\x1b\x7f\x85\ufffe\uffff\ud800\udfff",
        *("_x0001_", "_x0000_", "_x001b_", "_x001B_", "_x000D_", "_x005F_", "_x0041", "_x"),
        *("#N/A", "#REF!", "cmd|' /C calc'!A0", 'HYPERLINK("http://x")', "舞钢市", "𠮷"),
    ]
)
DIRTY = st.lists(
    st.one_of(
        _TRICKY,
        st.text(st.characters(), max_size=12),
        st.from_regex(r"_x[0-9A-Fa-f]{4}_", fullmatch=True),
    ),
    max_size=8,
).map("".join)
# Past a cell's 32,767 UTF-16 units: plain, astral (two units each), and back-to-back
# escapes (each underscore written as seven characters).
LONG = st.builds(
    lambda piece, times: piece * times,
    st.sampled_from(["a", "𠮷", "_x0041", "=_x0001_\r\n"]),
    st.integers(3000, 40000),
)
SAMPLE = st.one_of(DIRTY, DIRTY, DIRTY, LONG)
PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check_read_back(data: bytes, samples: Iterable[str]) -> None:
    """Every sample was written as its cleaned text (or not at all when that is empty)."""
    written = check_workbook(data)
    for sample in samples:
        cleaned = clean_text(sample)
        if cleaned:
            assert cleaned in written.calamine, repr(cleaned[:80])
            assert cleaned in written.openpyxl, repr(cleaned[:80])


# --- the cleaning ------------------------------------------------------------------------------


@given(SAMPLE)
@PROPERTY
def test_cleaned_text_has_no_unwanted_characters_and_fits_a_cell(sample: str) -> None:
    cleaned = clean_text(sample)
    assert not any(is_unwanted(c) for c in cleaned)
    assert "\r" not in cleaned
    assert len(cleaned.encode("utf-16-le")) // 2 <= EXCEL_CELL_LIMIT
    lines = sample.replace("\r\n", "\n").replace("\r", "\n")
    assert "".join(c for c in lines if not is_unwanted(c)).startswith(cleaned)  # cut at the end
    assert clean_text(cleaned) == cleaned
    assert cleaned == "" or cleaned.strip(" \t\n")  # whitespace alone is not written


def test_the_cleaning_runs_before_the_formula_check() -> None:
    assert clean_text("\x01=cmd|' /C calc'!A0") == "=cmd|' /C calc'!A0"
    assert needs_quote_prefix(clean_text("\x00\x1b+1"))
    assert needs_quote_prefix(" \t=1+1") and needs_quote_prefix("＝SUM(A1)")
    assert not needs_quote_prefix("a=1") and not needs_quote_prefix("_x0001_=1")
    assert clean_text("a\r\nb\rc\td") == "a\nb\nc\td"


def test_a_short_text_is_never_cut_and_a_long_one_just_fits() -> None:
    assert clean_text("甲" * EXCEL_CELL_LIMIT) == "甲" * EXCEL_CELL_LIMIT
    assert len(clean_text("a" * (EXCEL_CELL_LIMIT + 5))) == EXCEL_CELL_LIMIT
    assert len(clean_text("𠮷" * EXCEL_CELL_LIMIT)) == EXCEL_CELL_LIMIT // 2


@given(DIRTY)
@PROPERTY
def test_sheet_titles_are_names_excel_accepts(sample: str) -> None:
    title = sheet_title(sample)
    assert 1 <= len(title) <= 31
    assert not set(title) & set("\\*?:/[]\t\n")
    assert not title.startswith("'") and not title.endswith("'")
    workbook = Workbook()
    workbook.active.title = title  # type: ignore[union-attr]
    check_workbook(save(workbook))


# --- the low-level writers ---------------------------------------------------------------------


@given(st.lists(SAMPLE, min_size=1, max_size=4))
@PROPERTY
def test_cells_of_both_kinds_of_sheet(samples: list[str]) -> None:
    streamed = Workbook(write_only=True)
    sheet = streamed.create_sheet("s")
    sheet.append([row_value(sheet, s) for s in samples])
    check_read_back(save(streamed), samples)
    ordinary = Workbook()
    for column, sample in enumerate(samples, 1):
        put(ordinary.active, 1, column, sample, number_format="@")  # type: ignore[arg-type]
    check_read_back(save(ordinary), samples)


def test_numbers_and_dates_stay_what_they_are() -> None:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("s")
    sheet.append([row_value(sheet, v) for v in (42, -1.5, True, date(2026, 6, 1), None, "")])
    read = load_workbook(io.BytesIO(save(workbook))).active
    assert read is not None
    number, negative, flag, day = next(read.iter_rows())[:4]
    assert (number.value, negative.value, flag.value) == (42, -1.5, True)
    assert (number.data_type, negative.data_type, flag.data_type) == ("n", "n", "b")
    assert day.is_date and day.value == datetime(2026, 6, 1)
    assert read.max_column == 4  # None and "" leave the cell empty


# --- every workbook the project writes -----------------------------------------------------------


@given(st.lists(SAMPLE, min_size=4, max_size=4), st.booleans())
@PROPERTY
def test_exports(samples: list[str], public: bool) -> None:
    name, legal_rep, address, code = samples
    row = {
        "name": name,
        "legal_rep": legal_rep,
        "address": address,
        "uscc": code,  # a text-formatted code column
        "kind": "enterprise",
        "status": "active",
    }
    data = export_register([row], Register.ENTITIES, public, title=name)
    check_read_back(data, samples)


@given(st.lists(SAMPLE, min_size=6, max_size=6))
@PROPERTY
def test_error_reports(samples: list[str]) -> None:
    header, value, shown, sentence, sheet, word = samples
    read = ReadResult(
        file_name="f.xlsx",
        file_format="xlsx",
        sheet=sheet,
        header_row=1,
        columns={"name": Column("name", 0, "A", header)},
        rows=[ReadRow(2, False, {"name": value})],
    )
    findings = [
        Finding(2, "error", Problem("name", shown, "field.required")),
        Finding(None, "warning", Problem(None, shown, "file.hidden_unknown")),
    ]
    data = error_report(
        read,
        findings,
        describe=lambda problem: sentence,
        headings=ReportHeadings(sheet=word, errors=word),
    )
    errors = f"A {header}：{sentence}"  # the column, then the sentence
    check_read_back(data, [value, shown, sheet, word, f"{header} (A)", errors, sentence])


@given(DIRTY, DIRTY, DIRTY)
@PROPERTY
def test_templates(title: str, header: str, note: str) -> None:
    spec = RegisterSpec(
        Register.ENTITIES,
        title,
        "t",
        (
            FieldSpec("name", header, "name", note=note),
            FieldSpec("code", "代码", "code", FieldKind.CODE),
        ),
    )
    check_read_back(template(spec), [header, note])


def test_the_real_templates() -> None:
    for register in Register:
        check_workbook(template(register))
    check_workbook(plan_template())


@given(st.lists(SAMPLE, min_size=8, max_size=8))
@PROPERTY
def test_draw_certificates(samples: list[str]) -> None:
    task_name, unit, seed_input, reason, member, cert_no, target, code = samples
    cert = {
        "draw_id": 7,
        "purpose": "replacement",
        "algorithm": "dsr-draw-v1",
        "task": {
            "code": "WG-2026-007",
            "name": task_name,
            "units": [{"code": "SCJG", "name": unit}],
            "matters": ["M-1"],
            "window_start": "2026-06-01",
            "window_end": "2026-06-30",
        },
        "seed": "ab" * 32,
        "seed_input": seed_input,
        "pool_size": 12,
        "pool_digest": "cd" * 32,
        "at": "2026-06-01T10:00:00+08:00",
        "supersedes": 6,
        "reason": reason,
        "amends": 5,
        "replacement": {
            "team": 1,
            "replaced": {"name": member, "cert_no": cert_no},
            "replacement": {"name": member, "cert_no": cert_no},
        },
        "teams": [
            {
                "team": 1,
                "members": [{"name": member, "cert_no": cert_no, "role": "leader"}],
                "targets": [{"name": target, "code": code}],
            }
        ],
    }
    check_read_back(certificate_workbook(cert), [task_name, reason, member, cert_no, target, code])


@given(DIRTY, st.lists(SAMPLE, min_size=1, max_size=5), st.lists(SAMPLE, min_size=1, max_size=5))
@PROPERTY
def test_invitation_lists(title: str, headers: list[str], row: list[str]) -> None:
    check_read_back(invite_workbook(title, headers, [row]), [*headers, *row])


def test_codes_stay_text_dates_stay_dates_in_an_export() -> None:
    row = {"name": "=甲", "cert_no": "-0401234", "cert_expires": date(2028, 12, 31)}
    blob = export_register([row], Register.INSPECTORS, public=False)
    sheet = load_workbook(io.BytesIO(blob)).active
    assert sheet is not None
    name, cert_no, expires = sheet["A2"], sheet["B2"], sheet["C2"]
    assert (name.value, name.data_type, name.quotePrefix) == ("=甲", "s", True)
    assert (cert_no.value, cert_no.number_format, cert_no.quotePrefix) == ("-0401234", "@", True)
    assert expires.is_date and expires.value == datetime(2028, 12, 31)
