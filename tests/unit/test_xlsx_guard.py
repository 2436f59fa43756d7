"""storage.xlsx_guard: what an upload is, and whether calamine may open it, decided before
calamine sees it. The files are generated here, small (a sparse sheet is a few KB)."""

from __future__ import annotations

import dataclasses
import io
import pickle
import random
import re
import zipfile
import zlib

import pytest
from openpyxl import Workbook

from storage import xlsx_guard
from storage.xlsx_guard import WorkbookLimits, check_workbook
from storage.xlsx_read import UnusableFile, column_letter
from storage.xlsx_sheet_xml import sheet_xml as scan_sheet
from tests.support.hostile_files import (
    SHEET_PART,
    cell,
    deflated_repeat,
    password_protected,
    raw_zip,
    row,
    sheet_bomb,
    sheet_xml,
    sparse,
    structure_members,
    xlsx,
    zip_bomb,
)

DEFAULT = WorkbookLimits(
    upload_bytes=64 * 2**20,
    unpacked_bytes=1024 * 2**20,
    rows=500_000,
    columns=200,
    cells=10_000_000,
)
SMALL = dataclasses.replace(DEFAULT, unpacked_bytes=8 * 2**20)


def refusal(data: bytes, limits: WorkbookLimits = DEFAULT) -> tuple[str, dict[str, str]]:
    with pytest.raises(UnusableFile) as raised:
        check_workbook(data, limits)
    return raised.value.reason, dict(raised.value.params)


def reach(data: bytes) -> tuple[int, int]:
    [used] = check_workbook(data, DEFAULT).used
    return used.rows, used.columns


def test_a_real_workbook_passes_with_its_used_range_and_hidden_rows() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "名录"
    sheet.append(["名称", "代码", "住所"])
    for i in range(2, 40):
        sheet.append([f"公司{i}", f"代码{i}", None if i % 3 else f"地址{i}"])
    sheet.row_dimensions[7].hidden = True
    sheet["E12"] = "=SUM(A1:A2)"
    buffer = io.BytesIO()
    book.save(buffer)
    data = buffer.getvalue()

    checked = check_workbook(data, DEFAULT)

    assert checked.file_format == "xlsx"
    assert [(u.sheet, u.rows, u.columns) for u in checked.used] == [("名录", 39, 5)]
    # What the reader would scan again: the same hidden rows and formulas, handed over.
    assert checked.sheets["名录"] == scan_sheet(data, "名录")
    assert checked.sheets["名录"].hidden_rows == {7}
    assert checked.sheets["名录"].formulas_without_value == {(12, 4)}


def test_one_value_at_xfd1048576_is_refused_with_the_sheets_size() -> None:
    data = sparse("A1", "XFD1048576")
    assert len(data) < 2000  # what allocated 512 GiB in calamine
    assert refusal(data) == (
        "file.sheet_too_large",
        {
            "sheet": "名录",
            "rows": "1,048,576",
            "columns": "16,384",
            "cell": "XFD1048576",
            "max_rows": "500,000",
            "max_columns": "200",
            "max_cells": "10,000,000",
        },
    )


def test_a_used_range_of_100000_by_702_is_refused() -> None:
    reason, params = refusal(sparse("A1", "ZZ100000"))
    assert reason == "file.sheet_too_large"
    assert (params["rows"], params["columns"], params["cell"]) == ("100,000", "702", "ZZ100000")


def test_cells_are_limited_as_well_as_rows_and_columns() -> None:
    # 60,000 rows × 200 columns: each within its limit, 12 M cells together.
    reason, params = refusal(sparse("A1", "GR60000"))
    assert reason == "file.sheet_too_large" and params["cell"] == "GR60000"
    assert reach(sparse("A1", "AD300000")) == (300_000, 30)  # the directory we admit


def test_16384_columns_in_one_row_are_refused() -> None:
    data = xlsx(sheet_xml(row(1, *(cell(f"{column_letter(i)}1") for i in range(16_384)))))
    assert len(data) < 200_000
    reason, params = refusal(data)
    assert (reason, params["columns"], params["cell"]) == ("file.sheet_too_large", "16,384", "XFD1")


@pytest.mark.slow
def test_a_sheet_with_1048575_rows_present_is_refused() -> None:
    rows = b"".join(
        b'<row r="%d"><c r="A%d"><v>1</v></c></row>' % (i, i) for i in range(1, 1_048_576)
    )
    data = xlsx(sheet_xml(rows))
    assert len(data) < 8 * 2**20
    reason, params = refusal(data)
    assert (reason, params["rows"], params["columns"]) == ("file.sheet_too_large", "1,048,575", "1")


def test_the_dimension_element_and_empty_cells_do_not_count() -> None:
    """calamine builds its range from cells with values: a <dimension> claiming the whole
    sheet, or a formatted empty cell far out (Excel writes <c r=".." s=".."/>), must not
    refuse a good file."""
    data = xlsx(
        sheet_xml(
            row(1, cell("A1"), cell("B1")) + b'<row r="1048576"><c r="XFD1048576" s="1"/></row>',
            dimension="A1:XFD1048576",
        )
    )
    assert reach(data) == (1, 2)


def test_a_lying_dimension_does_not_hide_the_real_cells() -> None:
    data = xlsx(sheet_xml(row(1, cell("A1")) + row(900_000, cell("B900000")), dimension="A1:B2"))
    assert refusal(data)[1]["rows"] == "900,000"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # cells out of order: the far one first
        (row(1, cell("XFD1"), cell("A1")) + row(2, cell("A2")), (2, 16_384)),
        # cells without a reference follow the one before
        (b'<row r="3">' + b"<c><v>1</v></c>" * 250 + b"</row>", (3, 250)),
        # rows without a reference follow the one before
        (row(999_998, cell("A999998")) + b"<row><c><v>1</v></c></row>", (999_999, 1)),
        # a namespace prefix, single quotes, lower case, attributes in another order
        (b"<x:row r='5'><x:c r='c5'><x:v>1</x:v></x:c></x:row>", (5, 3)),
        (b'<row r="7"><c t="n" r="KZ7"><v>1</v></c></row>', (7, 312)),
        (b'<row r="7"><c\nr="B700000"><v>1</v></c></row>', (700_000, 2)),
    ],
)
def test_unusual_spellings_are_measured_too(body: bytes, expected: tuple[int, int]) -> None:
    limits = dataclasses.replace(DEFAULT, rows=2_000_000, columns=20_000, cells=2**62)
    [used] = check_workbook(xlsx(sheet_xml(body)), limits).used
    assert (used.rows, used.columns) == expected


def test_a_part_holding_sheet_data_that_no_sheet_names_is_measured() -> None:
    data = xlsx(
        sheet_xml(row(1, cell("A1"))),
        extra={"xl/worksheets/sheet9.xml": sheet_xml(row(1, cell("A1")) + row(2, cell("ZZ2")))},
    )
    assert refusal(data)[1]["sheet"] == "xl/worksheets/sheet9.xml"


def test_a_zip_bomb_with_honest_sizes_is_refused_before_inflating() -> None:
    assert refusal(zip_bomb(2048, honest=True)) == ("file.too_large", {"megabytes": "1,024"})


def test_a_zip_bomb_that_lies_about_its_sizes_is_refused_while_inflating() -> None:
    data = zip_bomb(64, honest=False)
    assert len(data) < 100_000
    assert refusal(data, SMALL) == ("file.too_large", {"megabytes": "8"})
    assert refusal(sheet_bomb(64), SMALL) == ("file.too_large", {"megabytes": "8"})


def test_a_part_whose_crc_or_size_is_wrong_is_damaged() -> None:
    sheet = sheet_xml(row(1, cell("A1")))
    packed = deflated_repeat(sheet, 1)
    good = zlib.crc32(sheet)
    for crc, size in ((good, len(sheet)), (good ^ 1, len(sheet)), (good, len(sheet) + 1)):
        data = raw_zip([*structure_members(), (SHEET_PART, packed, crc, len(packed), size)])
        if (crc, size) == (good, len(sheet)):
            assert reach(data) == (1, 1)
        else:
            assert refusal(data)[0] == "file.corrupt"


def test_what_is_not_a_workbook_gets_its_own_reason() -> None:
    assert refusal(b"GIF89a garbage renamed .xlsx" * 10)[0] == "file.not_spreadsheet"
    assert refusal(password_protected())[0] == "file.encrypted"
    assert refusal(b"<html><body><table><tr><td>1</td></tr></table>")[0] == "file.html_disguised"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "a zip, not a workbook")
    assert refusal(buffer.getvalue())[0] == "file.not_spreadsheet"
    assert refusal(sparse("A1")[:300])[0] == "file.corrupt"  # a broken download


def test_a_damaged_file_is_refused_and_nothing_else_escapes() -> None:
    generator = random.Random(7)
    base = sparse("A1", "C9")
    reasons = set()
    for _ in range(600):
        data = bytearray(base)
        for _ in range(generator.randint(1, 6)):
            data[generator.randrange(len(data))] = generator.randrange(256)
        try:
            check_workbook(bytes(data[: generator.randint(len(data) // 2, len(data))]), DEFAULT)
        except UnusableFile as refused:
            reasons.add(refused.reason)
    assert "file.corrupt" in reasons


def test_the_upload_and_its_parts_are_counted() -> None:
    limits = dataclasses.replace(DEFAULT, upload_bytes=1000)
    assert refusal(sparse("A1", "B2"), limits) == (
        "file.upload_too_large",
        {"megabytes": "0.0", "max": "0"},
    )
    extra = {f"xl/media/{i}.bin": b"" for i in range(30)}
    limits = dataclasses.replace(DEFAULT, parts=20)
    assert refusal(xlsx(sheet_xml(row(1, cell("A1"))), extra), limits) == (
        "file.too_many_parts",
        {"count": "35", "max": "20"},
    )


def test_an_endless_row_is_refused() -> None:
    limits = dataclasses.replace(DEFAULT, row_xml_bytes=2**20)
    body = b'<row r="1">' + b'<c r="A1"><v>1</v></c>' * 100_000 + b"</row>"
    assert refusal(xlsx(sheet_xml(body)), limits)[0] == "file.row_too_large"


def test_limits_come_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DSR_UPLOAD_MAX_COLUMNS", "2")
    with pytest.raises(UnusableFile) as raised:
        check_workbook(sparse("A1", "C1"))
    assert raised.value.params["max_columns"] == "2"


@pytest.mark.parametrize("number", [0, 1, 9, 10, 99, 100, 199, 500_000, 1_048_575])
def test_number_after_matches_exactly_the_greater_numbers(number: int) -> None:
    pattern = re.compile(xlsx_guard._number_after(number) + rb"$")
    for other in {*range(max(0, number - 30), number + 30), number * 10, number + 1000}:
        assert bool(pattern.match(str(other).encode())) == (other > number), other


@pytest.mark.parametrize("count", [0, 1, 26, 27, 30, 200, 702, 703, 16_383])
def test_letters_after_matches_exactly_the_later_columns(count: int) -> None:
    pattern = re.compile(xlsx_guard._letters_after(count) + rb"$")
    for index in {*range(max(0, count - 40), count + 40), 16_383, 0}:
        letters = column_letter(index).encode()
        later = index + 1 > count
        assert bool(pattern.match(letters)) == later, letters
        assert bool(pattern.match(letters.lower())) == later, letters


def test_a_refusal_crosses_a_process_boundary_whole() -> None:
    error = UnusableFile("file.sheet_too_large", {"rows": "1,048,576"})
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.reason, dict(copy.params)) == ("file.sheet_too_large", {"rows": "1,048,576"})
