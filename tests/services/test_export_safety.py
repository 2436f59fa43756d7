"""Untrusted input: a value uploaded to look like a formula, or hidden behind a control
character escaped the OOXML way (``_x0001_``), comes out of every export and error report
as text with Excel's quote prefix, never as a formula (storage.xlsx_safe)."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook

from bot.services.registers import directories as registers
from storage.db import Database
from tests.support.registers import ENTITY_HEADER, load, preview, setup_units, uscc
from tests.support.xlsx_checks import check_workbook

CALC = "cmd|' /C calc'!A0"
# As found: the control character written as an OOXML escape that the reader decodes.
SMUGGLED = [f"_x0001_={CALC}", f"_x0000_={CALC}", f"_x001b_={CALC}"]
# Typed after an apostrophe in Excel: text that a spreadsheet takes for a formula.
TYPED = ["=1+1", "+86 138", "-2", "@SUM(A1)"]


def upload(rows: list[list[object]]) -> bytes:
    """An uploaded workbook whose text cells are text (openpyxl would make "=…" a formula)."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    for line in sheet.iter_rows():
        for cell in line:
            if isinstance(cell.value, str):
                cell.data_type = "s"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def payload_rows(phone: str = "") -> list[list[object]]:
    """One entity per payload, in its name, legal representative and address (the
    columns a public export shows) and its contact person (a full export's too)."""
    header = [*ENTITY_HEADER, "联系人"]
    rows: list[list[object]] = [header]
    for i, payload in enumerate(SMUGGLED + TYPED):
        rows.append([f"{payload} 公司{i}", uscc(i), payload, payload, phone, "A", payload])
    return rows


def prefixed_texts(data: bytes) -> list[str]:
    """The text of every quote-prefixed cell, after the checks every workbook passes."""
    check_workbook(data)
    found = []
    for sheet in load_workbook(io.BytesIO(data)).worksheets:
        for row in sheet.iter_rows():
            found += [c.value for c in row if c.quotePrefix and isinstance(c.value, str)]
    return found


@pytest.fixture
def units(db: Database) -> Database:
    setup_units(db, "SCJG")
    return db


@pytest.mark.parametrize(("public", "columns"), [(True, 3), (False, 4)])
def test_an_import_exported_again_has_no_formula(
    units: Database, public: bool, columns: int
) -> None:
    load(units, upload(payload_rows()))
    blob = registers.export_directory(units, None, "SCJG", "entities", public=public)
    prefixed = prefixed_texts(blob)
    assert len(prefixed) == columns * len(SMUGGLED + TYPED)
    assert prefixed.count(f"={CALC}") == (columns - 1) * len(SMUGGLED)
    for typed in TYPED:
        assert prefixed.count(typed) == columns - 1


def test_an_error_report_shows_the_payloads_as_text(units: Database) -> None:
    result = preview(units, upload(payload_rows(phone="12345")))  # an invalid phone each
    assert result.report is not None
    prefixed = prefixed_texts(result.report)
    assert prefixed.count(f"={CALC}") >= 3 * len(SMUGGLED)
    for typed in TYPED:
        assert prefixed.count(typed) >= 3
