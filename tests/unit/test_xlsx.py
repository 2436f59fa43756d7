"""Reading registers from workbooks and writing templates, error reports and exports.

Most workbooks are made on the fly with openpyxl; the ones in tests/fixtures/xlsx were
saved by LibreOffice (see make_fixtures.py there), so the reader also meets what a real
office program writes, including BIFF8 .xls.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from bot.domain import cells, reasons
from bot.domain.registers import validation as registers
from bot.domain.registers.uscc import check_character
from bot.domain.registers.validation import Register, RowContext, find_duplicates, validate_row
from storage import xlsx_read, xlsx_sheet_xml
from storage.xlsx_read import ReadResult, UnusableFile, column_letter, read_register
from storage.xlsx_write import (
    ReportHeadings,
    error_report,
    export_register,
    template,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "xlsx"
CTX = RowContext(today=date(2026, 6, 1))
USCC = "914403001922038216"
USCC_2 = "91440300708461136T"


def book(*sheets: tuple[str, Callable[[Worksheet], None]]) -> bytes:
    """A workbook with the given sheets, each filled by its function."""
    workbook = Workbook()
    first = workbook.active
    assert first is not None
    workbook.remove(first)
    for title, fill in sheets:
        fill(workbook.create_sheet(title))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def rows_at(top: int, left: int, rows: list[list[object]]) -> Callable[[Worksheet], None]:
    """Fill cell by cell from (top, left), 1-based (append() would start at column A)."""

    def fill(sheet: Worksheet) -> None:
        for r, values in enumerate(rows, start=top):
            for c, value in enumerate(values, start=left):
                if value is not None:
                    sheet.cell(row=r, column=c, value=value)

    return fill


def patch_member(data: bytes, member: str, edit: Callable[[bytes], bytes]) -> bytes:
    """The workbook with one zip member rewritten (for XML openpyxl cannot produce)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w") as zout:
        for item in zin.infolist():
            content = zin.read(item.filename)
            zout.writestr(item, edit(content) if item.filename == member else content)
    return out.getvalue()


def unusable(data: bytes, register: Register = Register.ENTITIES) -> UnusableFile:
    with pytest.raises(UnusableFile) as caught:
        read_register(data, "upload.xlsx", register)
    return caught.value


def validated(read: ReadResult, register: Register) -> list[registers.RowResult]:
    return [validate_row(register, row.cells, CTX) for row in read.rows]


# --- finding the header and the positions -----------------------------------------------------


def test_title_rows_synonyms_and_true_positions() -> None:
    def fill(sheet: Worksheet) -> None:
        sheet["A1"] = "舞钢市某局检查对象名录库"
        sheet.merge_cells("A1:F2")
        rows_at(
            3,
            1,
            [
                ["序号", "企业名称", "社会信用代码", "负责人", "联系电话", "备注"],
                [1, "舞钢市甲有限公司", USCC, "张三", 13812345678, "无"],
                [2, "舞钢市乙有限公司", USCC_2, "李四", "0375-2345678", None],
                [3],  # a pre-numbered empty row: blank for the register
                [None, "\u3000", "", None, None, None],
                [5, "舞钢市丙有限公司"],
            ],
        )(sheet)

    read = read_register(book(("名录", fill)), "名录.xlsx", Register.ENTITIES)
    assert (read.sheet, read.header_row, read.file_format) == ("名录", 3, "xlsx")
    assert {k: (c.letter, c.header) for k, c in read.columns.items()} == {
        "name": ("B", "企业名称"),
        "uscc": ("C", "社会信用代码"),
        "legal_rep": ("D", "负责人"),
        "phone": ("E", "联系电话"),
    }
    assert read.ignored_columns == [("A", "序号"), ("F", "备注")]
    assert [row.row for row in read.rows] == [4, 5, 8]
    assert read.rows[0].cells == {
        "name": "舞钢市甲有限公司",
        "uscc": USCC,
        "legal_rep": "张三",
        "phone": 13812345678.0,
    }
    assert read.problems == []
    assert read.hidden_rows_known


def test_data_starting_at_c5_keeps_excel_row_numbers_and_letters() -> None:
    data = book(("人员", rows_at(5, 3, [["姓名", "执法证号"], ["赵六", "A1"], ["钱七", "A2"]])))
    read = read_register(data, "x.xlsx", Register.INSPECTORS)
    assert read.header_row == 5
    assert {k: c.letter for k, c in read.columns.items()} == {"name": "C", "cert_no": "D"}
    assert [(row.row, row.cells["name"]) for row in read.rows] == [(6, "赵六"), (7, "钱七")]


def test_column_letters() -> None:
    assert [column_letter(i) for i in (0, 25, 26, 51, 52, 701, 702)] == [
        "A",
        "Z",
        "AA",
        "AZ",
        "BA",
        "ZZ",
        "AAA",
    ]


def test_the_first_sheet_with_the_header_is_read_and_named() -> None:
    data = book(
        ("说明", rows_at(1, 1, [["填表说明"], ["名称请填全称"]])),
        ("汇总", rows_at(1, 1, [["区域", "户数"], ["垭口", 3]])),
        ("名录", rows_at(2, 2, [["名称", "统一社会信用代码"], ["甲", USCC]])),
        ("名录二", rows_at(1, 1, [["名称"], ["乙"]])),
    )
    read = read_register(data, "x.xlsx", Register.ENTITIES)
    assert read.sheet == "名录"
    assert read.header_row == 2
    assert [row.cells for row in read.rows] == [{"name": "甲", "uscc": USCC}]


def test_a_hidden_sheet_is_only_tried_after_the_visible_ones() -> None:
    workbook = Workbook()
    old = workbook.active
    assert old is not None
    old.title = "旧"
    rows_at(1, 1, [["名称"], ["旧的"]])(old)
    old.sheet_state = "hidden"
    rows_at(1, 1, [["名称"], ["新的"]])(workbook.create_sheet("新"))
    buffer = io.BytesIO()
    workbook.save(buffer)
    read = read_register(buffer.getvalue(), "x.xlsx", Register.ENTITIES)
    assert read.sheet == "新"


def test_a_row_naming_the_required_fields_wins_over_group_labels() -> None:
    # Group labels above the real header happen to be field names too.
    data = book(
        (
            "S",
            rows_at(
                1,
                1,
                [
                    [None, "联系方式", "风险等级", "状态"],
                    ["名称", "电话", None, None],
                    ["甲", "13812345678", None, None],
                ],
            ),
        )
    )
    read = read_register(data, "x.xlsx", Register.ENTITIES)
    assert read.header_row == 2
    assert [row.cells for row in read.rows] == [{"name": "甲", "phone": "13812345678"}]


def test_two_columns_for_one_field_is_an_error() -> None:
    data = book(("S", rows_at(1, 1, [["名称", "电话", "联系电话"], ["甲", "1", "2"]])))
    error = unusable(data)
    assert error.reason == "file.duplicate_column"
    assert error.params == {"header": "联系方式", "columns": "B, C"}


def test_no_recognisable_header_says_what_was_expected_and_found() -> None:
    data = book(("Sheet1", rows_at(2, 1, [["单位", "地点", "电话"], ["甲", "乙", "丙"]])))
    error = unusable(data)
    assert error.reason == "file.no_header"
    assert error.params == {
        "expected": "市场主体名称",
        "found": "单位、地点、电话",
        "sheet": "Sheet1",
        "row": "2",
    }
    # The closest row is the one naming most fields, even without the required one.
    closer = book(
        ("A", rows_at(1, 1, [["甲", "乙"]])),
        ("B", rows_at(3, 1, [["统一社会信用代码", "联系电话"]])),
    )
    error = unusable(closer)
    assert (error.params["sheet"], error.params["row"]) == ("B", "3")
    assert error.params["found"] == "统一社会信用代码、联系电话"


# --- cells the way Excel stores them ----------------------------------------------------------


def test_values_normalised_through_validation() -> None:
    data = book(
        (
            "名录",
            rows_at(
                1,
                1,
                [
                    ["名称", "统一社会信用代码", "联系电话", "类型"],
                    ["甲", "９１４４０３００１９２２０３８２１６", 13812345678, "企业"],
                    ["乙", 9.14104e17, 3752345678, "个体工商户"],
                    ["丙", "9.14104E+17", "0375-2345678", "其它"],
                ],
            ),
        )
    )
    read = read_register(data, "x.xlsx", Register.ENTITIES)
    results = validated(read, Register.ENTITIES)
    assert results[0].values == {
        "name": "甲",
        "uscc": USCC,
        "phone": "13812345678",
        "kind": "enterprise",
    }
    assert results[0].errors == results[0].warnings == []
    assert [(p.field, p.reason, dict(p.params)) for p in results[1].errors] == [
        ("uscc", "cell.lost_digits", {"shown": "9.14104E+17"})
    ]
    assert results[1].values["phone"] == "0375-2345678"
    assert [p.reason for p in results[1].warnings] == ["phone.leading_zero"]
    assert [p.reason for p in results[2].errors] == ["cell.lost_digits"]
    assert results[2].values["kind"] == "other"


def test_dates_as_serials_typed_dates_and_text() -> None:
    data = book(
        (
            "人员",
            rows_at(
                1,
                1,
                [
                    ["姓名", "有效期至"],
                    ["甲", 46174],  # a serial in a General cell
                    ["乙", date(2026, 6, 1)],
                    ["丙", datetime(2026, 6, 1, 0, 0)],
                    ["丁", "2026年6月1日"],
                    ["戊", "2026/6/1"],
                    ["己", "20260601"],
                ],
            ),
        )
    )
    read = read_register(data, "x.xlsx", Register.INSPECTORS)
    values = [r.values["cert_expires"] for r in validated(read, Register.INSPECTORS)]
    assert values == [date(2026, 6, 1)] * 6


def test_hidden_rows_are_read_with_a_warning() -> None:
    def fill(sheet: Worksheet) -> None:
        rows_at(1, 1, [["名称"], ["甲"], ["乙"], ["丙"]])(sheet)
        sheet.row_dimensions[3].hidden = True

    read = read_register(book(("S", fill)), "x.xlsx", Register.ENTITIES)
    assert [(row.row, row.hidden) for row in read.rows] == [(2, False), (3, True), (4, False)]
    assert [(f.row, f.severity, f.problem.reason) for f in read.problems] == [
        (3, "warning", "row.hidden")
    ]


def test_formula_without_cached_value_is_an_error_on_its_cell() -> None:
    def fill(sheet: Worksheet) -> None:
        rows_at(1, 1, [["名称", "统一社会信用代码"], ["甲", "=A1&A1"], [None, None], ["丙", USCC]])(
            sheet
        )
        sheet["A3"] = "=B2"  # a row with nothing but a formula is not blank

    read = read_register(book(("S", fill)), "x.xlsx", Register.ENTITIES)
    assert [row.row for row in read.rows] == [2, 3, 4]
    assert [(f.row, f.severity, f.problem.field, f.problem.reason) for f in read.problems] == [
        (2, "error", "uscc", "cell.formula_no_value"),
        (3, "error", "name", "cell.formula_no_value"),
    ]


def test_formulas_with_cached_values_are_fine() -> None:
    data = book(("S", rows_at(1, 1, [["名称", "联系方式"], ["甲", "=1+1"], ["乙", '=""']])))

    def cache(xml: bytes) -> bytes:
        xml = re.sub(rb"<f>1\+1</f><v\s*/>", b"<f>1+1</f><v>2</v>", xml)
        # Excel's form of a formula that computed the empty string.
        return re.sub(
            rb'<c r="B3"([^>]*)><f>""</f><v\s*/>', rb'<c r="B3" t="str"><f>""</f><v></v>', xml
        )

    patched = patch_member(data, "xl/worksheets/sheet1.xml", cache)
    read = read_register(patched, "x.xlsx", Register.ENTITIES)
    assert read.problems == []
    assert [row.cells["phone"] for row in read.rows] == [2.0, ""]


def test_hidden_rows_written_by_other_programs() -> None:
    xml = (
        b'<worksheet><sheetData><x:row r="2" hidden="true"/><row r="5" spans="1:3" hidden="1">'
        b'</row><row r="6" hidden="0"/><row hidden="false"/></sheetData></worksheet>'
    )
    assert xlsx_sheet_xml.scan_sheet_xml(xml).hidden_rows == {2, 5}
    without_numbers = b"<sheetData><row/><row hidden='1'/><row/></sheetData>"
    assert xlsx_sheet_xml.scan_sheet_xml(without_numbers).hidden_rows == {2}


def test_the_sheet_xml_read_in_pieces_says_what_it_says_whole() -> None:
    """Pieces are cut before row start tags, whatever their size: rows without numbers
    count on across pieces, prefixed tags and formulas without values are found."""
    rows = [b'<row r="1"><c r="A1" t="s"><v>0</v></c></row>']
    for n in range(2, 40):
        hidden = b' hidden="1"' if n % 7 == 0 else b""
        number = b"" if n % 5 == 0 else b' r="%d"' % n
        cell = b'<c r="B%d"><f>A%d*2</f><v/></c>' % (n, n) if n % 9 == 0 else b""
        tag = b"x:row" if n % 4 == 0 else b"row"
        rows.append(b"<%s%s%s>%s</%s>" % (tag, number, hidden, cell, tag))
    xml = b"<worksheet><sheetData>" + b"".join(rows) + b"</sheetData></worksheet>"
    whole = xlsx_sheet_xml.scan_sheet_xml(xml)
    assert whole.hidden_rows == {7, 14, 21, 28, 35}
    assert whole.formulas_without_value == {(9, 1), (18, 1), (27, 1), (36, 1)}
    for size in (1, 7, 50, 333, len(xml)):
        pieces = [xml[i : i + size] for i in range(0, len(xml), size)]
        assert xlsx_sheet_xml.scan_parts(pieces) == whole, size


# --- files that are not usable ----------------------------------------------------------------


def test_not_a_spreadsheet() -> None:
    assert (
        unusable(b"name,uscc\n\xe7\x94\xb2,914403001922038216\n").reason == "file.not_spreadsheet"
    )
    assert unusable(b"%PDF-1.7\n...").reason == "file.not_spreadsheet"
    assert unusable(b"").reason == "file.not_spreadsheet"
    docx = io.BytesIO()
    with zipfile.ZipFile(docx, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    assert unusable(docx.getvalue()).reason == "file.not_spreadsheet"


def test_a_web_page_saved_as_xls() -> None:
    page = "\ufeff<html><body><table><tr><td>名称</td></tr></table></body></html>".encode()
    assert unusable(page).reason == "file.html_disguised"
    assert unusable(b"MIME-Version: 1.0\r\nContent-Type: multipart/related").reason == (
        "file.html_disguised"
    )


def test_a_broken_zip() -> None:
    data = book(("S", rows_at(1, 1, [["名称"], ["甲"]])))
    assert unusable(data[: len(data) // 2]).reason == "file.corrupt"
    garbled = data[:200] + bytes(len(data) - 200)
    assert unusable(garbled).reason == "file.corrupt"


def test_a_workbook_that_unpacks_too_big(monkeypatch: pytest.MonkeyPatch) -> None:
    data = book(("S", rows_at(1, 1, [["名称"], ["甲"]])))
    monkeypatch.setattr(xlsx_read, "MAX_UNPACKED", 1024)
    error = unusable(data)
    assert error.reason == "file.too_large"
    assert error.params == {"megabytes": "0"}


def test_an_encrypted_xlsx_container() -> None:
    # What Excel writes for a workbook with an open password: an OLE compound file (not a
    # zip) whose directory holds the EncryptionInfo and EncryptedPackage streams. The
    # reader needs only the signature and the directory entry names.
    header = bytes.fromhex("d0cf11e0a1b11ae1") + bytes(504)
    directory = "EncryptionInfo".encode("utf-16-le").ljust(128, b"\0")
    directory += "EncryptedPackage".encode("utf-16-le").ljust(128, b"\0")
    assert unusable(header + directory).reason == "file.encrypted"


def test_a_password_protected_xls_saved_by_libreoffice() -> None:
    error = unusable((FIXTURES / "encrypted.xls").read_bytes(), Register.INSPECTORS)
    assert error.reason == "file.encrypted"


def test_empty_workbooks() -> None:
    assert unusable(book(("S", lambda sheet: None))).reason == "file.empty"
    blank = book(("A", rows_at(3, 3, [["\u3000", ""]])), ("B", lambda sheet: None))
    assert unusable(blank).reason == "file.empty"


def test_a_workbook_without_sheets() -> None:
    data = book(("S", rows_at(1, 1, [["名称"]])))
    gutted = patch_member(
        data, "xl/workbook.xml", lambda x: re.sub(rb"<sheets>.*</sheets>", b"<sheets/>", x)
    )
    assert unusable(gutted).reason == "file.no_sheets"


def test_every_reader_reason_has_a_sentence() -> None:
    codes = {
        value
        for name, value in vars(xlsx_read).items()
        if name.isupper() and isinstance(value, str) and re.fullmatch(r"[a-z]+\.[a-z_]+", value)
    }
    assert len(codes) >= 10
    assert codes <= set(reasons.REASONS), codes - set(reasons.REASONS)


# --- fixtures saved by LibreOffice ------------------------------------------------------------


@pytest.mark.parametrize("name", ["entities_lo.xlsx", "entities_lo.xls"])
def test_libreoffice_entities(name: str) -> None:
    data = (FIXTURES / name).read_bytes()
    assert len(data) < 30_000
    read = read_register(data, name, Register.ENTITIES)
    assert (read.sheet, read.header_row) == ("名录", 3)  # the notes sheet comes first
    assert {k: c.letter for k, c in read.columns.items()} == {
        "name": "B",
        "uscc": "C",
        "legal_rep": "D",
        "address": "E",
        "phone": "F",
        "kind": "G",
        "risk_class": "H",
    }
    assert [row.row for row in read.rows] == [4, 5, 7]
    results = validated(read, Register.ENTITIES)
    assert [r.errors for r in results] == [[], [], []]
    assert [r.values["uscc"] for r in results] == [USCC, USCC_2, "91330100799655058B"]
    assert [r.values["phone"] for r in results] == ["13812345678", "0375-8123456", "13912345678"]
    assert [r.values["risk_class"] for r in results] == ["A", "B", "C"]
    assert [r.values["kind"] for r in results] == ["enterprise", "individual", "cooperative"]
    if name.endswith(".xlsx"):
        assert read.hidden_rows_known
        assert [row.hidden for row in read.rows] == [False, False, True]
        assert [(f.row, f.problem.reason) for f in read.problems] == [(7, "row.hidden")]
    else:
        assert not read.hidden_rows_known
        assert read.file_format == "xls"
        assert [(f.row, f.problem.reason) for f in read.problems] == [(None, "file.hidden_unknown")]


@pytest.mark.parametrize("name", ["inspectors_c5.xls", "inspectors_c5.xlsx"])
def test_libreoffice_inspectors_starting_at_c5(name: str) -> None:
    read = read_register((FIXTURES / name).read_bytes(), name, Register.INSPECTORS)
    assert (read.sheet, read.header_row) == ("执法人员", 5)
    assert {k: c.letter for k, c in read.columns.items()} == {
        "name": "C",
        "cert_no": "D",
        "cert_expires": "E",
        "expertise": "F",
    }
    assert [row.row for row in read.rows] == [6, 7]
    results = validated(read, Register.INSPECTORS)
    assert [r.values["cert_expires"] for r in results] == [date(2028, 12, 31), date(2027, 6, 30)]
    assert results[0].values["expertise"] == ("食品", "药品")
    assert [row.hidden for row in read.rows] == (
        [False, True] if name.endswith("x") else [False] * 2
    )


# --- templates ----------------------------------------------------------------------------------


@pytest.mark.parametrize("register", list(Register))
def test_template_layout(register: Register) -> None:
    spec = registers.spec_of(register)
    workbook = load_workbook(io.BytesIO(template(register)))
    sheet = workbook.active
    assert sheet is not None
    assert sheet.title == spec.title
    assert sheet.freeze_panes == "A4"
    assert [c.value for c in sheet[2]] == [f.header for f in spec.fields]
    assert [c.value for c in sheet[3]] == [f.note or None for f in spec.fields]
    assert [str(r) for r in sheet.merged_cells.ranges] == [
        f"A1:{column_letter(len(spec.fields) - 1)}1"
    ]
    for index, f in enumerate(spec.fields):
        letter = column_letter(index)
        text_kinds = (registers.FieldKind.CODE, registers.FieldKind.USCC, registers.FieldKind.PHONE)
        if f.kind in text_kinds:
            assert sheet.column_dimensions[letter].number_format == "@", f.key
    validated_columns = {
        str(v.sqref).split(":")[0][:-1]: v for v in sheet.data_validations.dataValidation
    }
    for index, f in enumerate(spec.fields):
        if f.kind in (registers.FieldKind.ENUM, registers.FieldKind.BOOL) and f.choices:
            validation = validated_columns[column_letter(index)]
            assert validation.formula1 == '"' + ",".join(c.zh for c in f.choices) + '"'
            assert validation.showErrorMessage is f.closed


def test_a_filled_template_reads_back() -> None:
    workbook = load_workbook(io.BytesIO(template(Register.ENTITIES)))
    sheet = workbook.active
    assert sheet is not None
    keys = registers.ENTITIES.keys
    sheet.cell(row=4, column=keys.index("name") + 1, value="舞钢市甲有限公司")
    sheet.cell(row=4, column=keys.index("uscc") + 1, value=USCC)
    sheet.cell(row=4, column=keys.index("kind") + 1, value="企业")
    sheet.cell(row=4, column=keys.index("risk_class") + 1, value="B类（信用风险一般）")
    sheet.cell(row=5, column=keys.index("name") + 1, value="舞钢市乙商行")
    buffer = io.BytesIO()
    workbook.save(buffer)
    read = read_register(buffer.getvalue(), "模板.xlsx", Register.ENTITIES)
    assert read.header_row == 2
    assert list(read.columns) == list(keys)
    assert [row.row for row in read.rows] == [4, 5]  # the notes row is not data
    first = validate_row(Register.ENTITIES, read.rows[0].cells, CTX)
    assert first.errors == []
    assert (first.values["uscc"], first.values["risk_class"]) == (USCC, "B")


def test_an_untouched_template_has_no_rows() -> None:
    for register in Register:
        assert read_register(template(register), "t.xlsx", register).rows == []


# --- error reports ------------------------------------------------------------------------------


def test_error_report() -> None:
    def fill(sheet: Worksheet) -> None:
        rows_at(
            1,
            2,
            [
                ["名称", "统一社会信用代码", "联系电话"],
                ["甲", USCC, "13812345678"],
                [None, USCC[:17] + "7", "12"],
                ["丙", USCC, None],
            ],
        )(sheet)
        # Text that looks like a formula, as a person can type it after an apostrophe.
        sheet["B3"] = '=HYPERLINK("http://x")'
        sheet["B3"].data_type = "s"

    data = book(("名录", fill))
    read = read_register(data, "名录.xlsx", Register.ENTITIES)
    results = validated(read, Register.ENTITIES)
    findings = list(read.problems)
    for row, result in zip(read.rows, results, strict=True):
        findings += result.findings(row.row)
    findings += find_duplicates(
        Register.ENTITIES, [(row.row, r.values) for row, r in zip(read.rows, results, strict=True)]
    )
    findings.append(
        registers.Finding(None, "warning", registers.Problem(None, None, "file.hidden_unknown"))
    )
    workbook = load_workbook(io.BytesIO(error_report(read, findings)))
    report, listing = workbook.worksheets
    assert (report.title, listing.title) == ("错误报告", "问题清单")
    lines = [[c.value for c in row] for row in report.iter_rows()]
    assert lines[0] == ["行号", "名称 (B)", "统一社会信用代码 (C)", "联系电话 (D)", "错误", "警告"]
    assert lines[1][0] == "（整个文件）"
    assert [line[0] for line in lines[2:]] == [2, 3, 4]  # every row with a problem
    row3 = next(row for row in report.iter_rows() if row[0].value == 3)
    assert row3[1].value == '=HYPERLINK("http://x")'
    assert row3[1].data_type == "s"  # an uploaded "=..." never becomes a formula
    assert row3[2].fill.fgColor.rgb.endswith("FFC7CE")
    assert "C 统一社会信用代码：" in row3[4].value
    assert "D 联系电话：" in row3[4].value
    listed = [[c.value for c in row] for row in listing.iter_rows(min_row=2)]
    assert ["名录", 3, "统一社会信用代码", "C", USCC[:17] + "7", "错误"] in [r[:6] for r in listed]
    assert any(r[6].startswith("The same unified social credit code") for r in listed)


def test_error_report_takes_translated_words() -> None:
    data = book(("S", rows_at(1, 1, [["名称"], [None], ["甲"]])))
    read = read_register(data, "x.xlsx", Register.ENTITIES)
    finding = registers.Finding(3, "error", registers.Problem("name", "甲", "field.required"))
    blob = error_report(
        read,
        [finding],
        describe=lambda p: f"<{p.reason}>",
        headings=ReportHeadings(sheet="Errors", row="Row", errors="Errors"),
    )
    sheet = load_workbook(io.BytesIO(blob))["Errors"]
    assert [c.value for c in sheet[1]][:2] == ["Row", "名称 (A)"]
    assert sheet["C2"].value == "A 名称：<field.required>"


# --- exports ------------------------------------------------------------------------------------

ENTITY_ROWS: list[dict[str, object]] = [
    {
        "name": "舞钢市甲有限公司",
        "uscc": USCC,
        "kind": "enterprise",
        "legal_rep": "张三",
        "address": "舞钢市垭口街道1号",
        "contact_name": "李四",
        "phone": "13812345678",
        "risk_class": "D",
        "status": "active",
    },
    {
        "name": "舞钢市乙商行",
        "uscc": None,
        "reg_no": "410481000012345",
        "kind": "individual",
        "legal_rep": "王五",
        "address": "舞钢市某小区3号楼",
        "risk_class": "A",
        "status": "closed",
    },
]


def test_public_export_leaves_out_private_facts() -> None:
    sheet = load_workbook(
        io.BytesIO(export_register(ENTITY_ROWS, Register.ENTITIES, public=True))
    ).active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    assert "风险等级" not in header
    assert "联系方式" not in header
    assert "联络人" not in header
    rows = [
        dict(zip(header, (c.value for c in row), strict=True)) for row in sheet.iter_rows(min_row=2)
    ]
    assert rows[0]["经常居住地"] == "舞钢市垭口街道1号"
    assert rows[1]["经常居住地"] is None  # an individual business's address is a home
    assert rows[1]["类型"] == "个体工商户"
    assert rows[1]["状态"] == "停业"
    flat = repr([[c.value for c in row] for row in sheet.iter_rows()])
    assert "13812345678" not in flat
    assert "某小区" not in flat


def test_full_export_reads_back_to_the_same_values() -> None:
    blob = export_register(
        ENTITY_ROWS, Register.ENTITIES, public=False, title="舞钢市某局检查对象名录库"
    )
    read = read_register(blob, "export.xlsx", Register.ENTITIES)
    assert read.header_row == 2
    results = validated(read, Register.ENTITIES)
    assert [r.errors for r in results] == [[], []]
    for original, result in zip(ENTITY_ROWS, results, strict=True):
        for key, value in original.items():
            assert result.values[key] == value, key
    sheet = load_workbook(io.BytesIO(blob)).active
    assert sheet is not None
    uscc_cell = sheet["B3"]
    assert (uscc_cell.value, uscc_cell.number_format) == (USCC, "@")


def test_export_of_inspectors_and_matters_reads_back() -> None:
    inspectors: list[dict[str, object]] = [
        {
            "name": "赵六",
            "cert_no": "豫0401234",
            "cert_expires": date(2028, 12, 31),
            "qualification": "certified_staff",
            "expertise": ("食品", "药品"),
            "areas": ("垭口",),
        },
        {
            "name": "钱七",
            "cert_no": None,
            "cert_expires": cells.OPEN_ENDED,
            "qualification": "协管员",
        },
    ]
    matters: list[dict[str, object]] = [
        {
            "code": "M-1",
            "name": "食品生产监督检查",
            "target_kind": ("enterprise", "individual"),
            "method": ("onsite", "座谈"),
            "ratio": 25,
            "double_random": True,
            "joint_ok": False,
        }
    ]
    for register, rows in ((Register.INSPECTORS, inspectors), (Register.MATTERS, matters)):
        read = read_register(export_register(rows, register, public=False), "e.xlsx", register)
        results = validated(read, register)
        for original, result in zip(rows, results, strict=True):
            assert result.errors == []
            for key, value in original.items():
                assert result.values[key] == value, (register, key)


def test_big_codes_survive_a_round_trip_as_text() -> None:
    digits = "91410481" + "000000000"
    code = digits + check_character(digits)
    blob = export_register([{"name": "甲", "uscc": code}], Register.ENTITIES, public=False)
    read = read_register(blob, "e.xlsx", Register.ENTITIES)
    assert read.rows[0].cells["uscc"] == code
