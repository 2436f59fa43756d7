"""The import rules: bad input answered precisely with the database unchanged, the
blank-cell and absent-column rules of the two modes, deactivation and its protection,
applying the valid rows, re-diffing at apply, expiry, and what must stay unique."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import Workbook

from bot.services.people import membership
from bot.services.registers import imports
from storage.db import Database
from tests.support.registers import (
    ENTITY_HEADER,
    INSPECTOR_HEADER,
    MATTER_HEADER,
    NOW,
    TODAY,
    book,
    count,
    entities_book,
    entity_rows,
    load,
    rows_of,
    setup_units,
    snapshot,
    uscc,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "xlsx"


@pytest.fixture
def units(db: Database) -> Database:
    setup_units(db, "SCJG", "SWJ")
    return db


def preview(
    db: Database, data: bytes, kind: str = "entities", mode: str = "update", unit: str = "SCJG"
) -> imports.ImportPreview:
    return imports.preview_import(
        db, None, unit, kind, data, "f.xlsx", mode, NOW, "test", today=TODAY
    )


def unchanged_after(db: Database, action: object) -> None:
    """``action`` (a callable) leaves the directory tables and the change log as they were."""
    before, logged = snapshot(db), count(db, "record_changes")
    assert callable(action)
    action()
    assert snapshot(db) == before
    assert count(db, "record_changes") == logged


# --- bad input ----------------------------------------------------------------------------------


def _encrypted_xlsx() -> bytes:
    header = bytes.fromhex("d0cf11e0a1b11ae1") + bytes(504)
    directory = "EncryptionInfo".encode("utf-16-le").ljust(128, b"\0")
    return header + directory + "EncryptedPackage".encode("utf-16-le").ljust(128, b"\0")


def _empty_sheet() -> bytes:
    workbook = Workbook()
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _broken_zip() -> bytes:
    data = entities_book(3)
    return data[: len(data) // 2]


BAD_FILES = {
    "not a spreadsheet": (
        lambda: b"name,uscc\n\xe7\x94\xb2,914403001922038216\n",
        "file.not_spreadsheet",
    ),
    "a pdf": (lambda: b"%PDF-1.7\n...", "file.not_spreadsheet"),
    "a broken zip": (_broken_zip, "file.corrupt"),
    "an encrypted xlsx": (_encrypted_xlsx, "file.encrypted"),
    "a password-protected xls": ((FIXTURES / "encrypted.xls").read_bytes, "file.encrypted"),
    "an empty sheet": (_empty_sheet, "file.empty"),
    "no recognisable header": (lambda: book([["序号", "备注"], [1, "x"]]), "file.no_header"),
    "two columns for one field": (
        lambda: book([["名称", "企业名称", "信用代码"], ["甲", "甲", uscc(1)]]),
        "file.duplicate_column",
    ),
    "a header and no rows": (lambda: book([ENTITY_HEADER]), "file.no_rows"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_unusable_files_get_a_precise_answer_and_change_nothing(units: Database, case: str) -> None:
    make, reason = BAD_FILES[case]
    load(units, entities_book(2))
    before, imported = snapshot(units), count(units, "imports")
    with pytest.raises(imports.UnusableUpload) as caught:
        preview(units, make())
    assert caught.value.reason == reason
    assert caught.value.message  # the sentence a person reads (an msgid with parameters)
    assert snapshot(units) == before
    assert count(units, "imports") == imported  # not even a preview is kept


def test_no_header_says_what_was_expected_and_found(units: Database) -> None:
    with pytest.raises(imports.UnusableUpload) as caught:
        preview(units, book([["序号", "备注"], [1, "x"]], title="表一"))
    assert caught.value.params == {
        "expected": "市场主体名称",
        "found": "序号、备注",
        "sheet": "表一",
        "row": "1",
    }


def test_duplicate_column_names_the_columns(units: Database) -> None:
    with pytest.raises(imports.UnusableUpload) as caught:
        preview(units, book([["名称", "企业名称", "信用代码"], ["甲", "甲", uscc(1)]]))
    assert caught.value.params == {"header": "市场主体名称", "columns": "A, B"}


def test_codes_excel_turned_into_numbers_are_errors_and_block_their_rows(units: Database) -> None:
    rows = [ENTITY_HEADER, ["甲", 9.14104e17, "", "", "", ""], ["乙", uscc(2), "", "", "", ""]]
    result = preview(units, book(rows))
    assert [(p.row, p.column_letter, p.reason, p.params) for p in result.errors] == [
        (2, "B", "cell.lost_digits", {"shown": "9.14104E+17"})
    ]
    assert result.counts.errors == 1 and result.counts.new == 1
    unchanged_after(units, lambda: _refused(units, result.import_id))


def _refused(db: Database, import_id: int | None) -> None:
    with pytest.raises(imports.ImportRefused) as caught:
        imports.apply_import(db, None, import_id or 0, NOW)
    assert caught.value.code == "errors"


def test_thousands_of_rows_with_three_bad_ones(units: Database) -> None:
    rows = [ENTITY_HEADER, *entity_rows(5000)]
    rows[101][1] = uscc(100)[:17] + ("0" if uscc(100)[17] != "0" else "1")  # row 102
    rows[2501][4] = "0375"  # no phone (row 2502)
    rows[4999][1] = rows[10][1]  # a duplicate code (rows 11 and 5000)
    data = book(rows)
    result = preview(units, data)
    assert [(p.row, p.reason) for p in result.errors] == [
        (11, "dup.uscc"),
        (102, "uscc.check_digit"),
        (2502, "phone.invalid"),
        (5000, "dup.uscc"),
    ]
    assert result.counts.errors == 4 and result.counts.new == 4996
    unchanged_after(units, lambda: _refused(units, result.import_id))
    applied = imports.apply_import(units, None, result.import_id or 0, NOW, apply_valid=True)
    assert applied.counts.new == 4996 and applied.skipped_rows == (11, 102, 2502, 5000)
    assert count(units, "unit_entities") == 4996


# --- the two modes: blank cells and absent columns --------------------------------------------


def _entity(db: Database) -> tuple[object, ...]:
    return rows_of(
        db,
        "SELECT e.legal_rep, e.address, v.phone, v.risk_class, v.active FROM unit_entities v"
        " JOIN entities e ON e.id = v.entity_id ORDER BY v.id",
    )[0]


def test_update_mode_keeps_blank_cells_and_absent_columns(units: Database) -> None:
    load(units, entities_book(1))
    rows = [
        ["市场主体名称", "统一社会信用代码", "法定代表人", "风险等级"],
        ["舞钢市测试有限公司0", uscc(0), "", "B"],
    ]
    result = load(units, book(rows))
    assert result.counts.changed == 1
    assert _entity(units) == ("张0", "垭口街道0号", "13800000000", "B", True)


def test_replace_mode_clears_blank_cells_but_never_absent_columns(units: Database) -> None:
    load(units, entities_book(1))
    rows = [
        ["市场主体名称", "统一社会信用代码", "法定代表人", "风险等级"],
        ["舞钢市测试有限公司0", uscc(0), "", ""],
    ]
    result = preview(units, book(rows), mode="replace")
    assert result.cleared == (("legal_rep", 1), ("risk_class", 1))
    imports.apply_import(units, None, result.import_id or 0, NOW)
    # address and phone are not in the file: kept.
    assert _entity(units) == (None, "垭口街道0号", "13800000000", None, True)


def test_replace_mode_deactivates_records_absent_from_the_file(units: Database) -> None:
    load(units, entities_book(10))
    result = preview(units, entities_book(9), mode="replace")
    assert result.counts.deactivated == 1 and result.counts.unchanged == 9
    assert result.deactivation_share == pytest.approx(0.1) and not result.needs_confirmation
    imports.apply_import(units, None, result.import_id or 0, NOW)
    assert rows_of(units, "SELECT COUNT(*) FROM unit_entities WHERE active") == [(9,)]
    # The deactivated record comes back when a later file has it again.
    again = load(units, entities_book(10))
    assert again.counts.changed == 1
    assert rows_of(units, "SELECT COUNT(*) FROM unit_entities WHERE active") == [(10,)]


def test_an_error_row_protects_the_record_it_matches(units: Database) -> None:
    load(units, entities_book(10))
    rows = [ENTITY_HEADER, *entity_rows(10)]
    rows[3][4] = "12"  # the entity of row 4 has a bad phone now
    result = preview(units, book(rows), mode="replace")
    assert result.counts.errors == 1 and result.counts.deactivated == 0
    applied = imports.apply_import(units, None, result.import_id or 0, NOW, apply_valid=True)
    assert applied.counts.deactivated == 0
    assert rows_of(units, "SELECT COUNT(*) FROM unit_entities WHERE active") == [(10,)]


def test_deactivating_more_than_a_fifth_asks_for_confirmation(units: Database) -> None:
    load(units, entities_book(10))
    result = preview(units, entities_book(7), mode="replace")
    assert result.counts.deactivated == 3 and result.needs_confirmation
    with pytest.raises(imports.ImportRefused) as caught:
        imports.apply_import(units, None, result.import_id or 0, NOW)
    assert caught.value.code == "mass_deactivation"
    assert caught.value.params == {"count": 3, "total": 10, "share": 30}
    applied = imports.apply_import(
        units, None, result.import_id or 0, NOW, confirm_mass_deactivation=True
    )
    assert applied.counts.deactivated == 3


def test_update_mode_never_deactivates(units: Database) -> None:
    load(units, entities_book(10))
    assert preview(units, entities_book(2)).counts == imports.ImportCounts(unchanged=2)


# --- apply: against the directory as it is then ------------------------------------------------


def test_apply_rediffs_against_the_directory_as_it_is_then(units: Database) -> None:
    first = preview(units, entities_book(3))
    second = preview(units, entities_book(5))
    assert second.counts.new == 5
    imports.apply_import(units, None, first.import_id or 0, NOW)
    applied = imports.apply_import(units, None, second.import_id or 0, NOW)
    assert (applied.counts.new, applied.counts.unchanged) == (2, 3)
    assert count(units, "unit_entities") == 5


def test_a_conflict_arising_after_the_preview_blocks_its_row_at_apply(units: Database) -> None:
    rows = [["姓名", "执法证号"], ["赵六", "C-1"]]
    mine = preview(units, book(rows), "inspectors")
    assert mine.counts.new == 1
    membership.add_inspector(units, None, "SWJ", "孙八", "C-1")  # another unit takes C-1
    with pytest.raises(imports.ImportRefused) as caught:
        imports.apply_import(units, None, mine.import_id or 0, NOW)
    assert caught.value.code == "errors"
    applied = imports.apply_import(units, None, mine.import_id or 0, NOW, apply_valid=True)
    assert applied.counts.errors == 1 and applied.counts.new == 0
    assert [(p.row, p.reason, p.params) for p in applied.problems] == [
        (2, "key.taken_elsewhere", {"unit": "SWJ"})
    ]


def test_an_expired_preview_is_refused(units: Database) -> None:
    result = preview(units, entities_book(2))
    unchanged_after(units, lambda: _expired(units, result.import_id))
    assert rows_of(units, "SELECT status FROM imports") == [("expired",)]
    with pytest.raises(imports.ImportRefused) as caught:
        imports.apply_import(units, None, result.import_id or 0, NOW)
    assert caught.value.code == "expired"


def _expired(db: Database, import_id: int | None) -> None:
    with pytest.raises(imports.ImportRefused) as caught:
        imports.apply_import(db, None, import_id or 0, NOW + timedelta(hours=24, seconds=1))
    assert caught.value.code == "expired"


def test_applied_and_discarded_previews_are_refused(units: Database) -> None:
    applied = preview(units, entities_book(1))
    imports.apply_import(units, None, applied.import_id or 0, NOW)
    with pytest.raises(imports.ImportRefused) as caught:
        imports.apply_import(units, None, applied.import_id or 0, NOW)
    assert caught.value.code == "applied"
    dropped = preview(units, entities_book(2))
    imports.discard_import(units, None, dropped.import_id or 0, NOW)
    with pytest.raises(imports.ImportRefused) as caught:
        imports.apply_import(units, None, dropped.import_id or 0, NOW)
    assert caught.value.code == "discarded"
    assert count(units, "unit_entities") == 1


def test_a_preview_survives_a_restart(units: Database, database_url: str) -> None:
    result = preview(units, entities_book(4))
    units.dispose()
    fresh = Database(database_url)
    try:
        applied = imports.apply_import(fresh, None, result.import_id or 0, NOW)
        assert applied.counts.new == 4
    finally:
        fresh.dispose()


# --- keys and uniqueness ------------------------------------------------------------------------


def test_entities_without_codes_are_keyed_by_local_number_then_name_and_address(
    units: Database,
) -> None:
    header = ["对象名称", "本单位编号", "类型", "地址", "区域"]
    rows = [header, ["某食品", "P-1", "产品", "", "垭口"], ["某工地", "", "项目", "寺坡村", "寺坡"]]
    load(units, book(rows))
    rows = [
        header,
        ["某食品（改名）", "P-1", "产品", "", "院岭"],
        ["某工地", "", "项目", "寺坡村", "院岭"],
    ]
    result = load(units, book(rows))
    assert (result.counts.changed, result.counts.new) == (2, 0)
    assert rows_of(
        units,
        "SELECT e.name, v.area FROM unit_entities v JOIN entities e ON e.id = v.entity_id ORDER BY v.id",
    ) == [
        ("某食品（改名）", "院岭"),
        ("某工地", "院岭"),
    ]


def test_a_code_added_later_updates_the_record_it_was_missing_from(units: Database) -> None:
    load(units, book([["名称", "本单位编号"], ["甲公司", "L1"]]))
    result = load(units, book([["名称", "本单位编号", "信用代码"], ["甲公司", "L1", uscc(5)]]))
    assert result.counts.changed == 1
    assert rows_of(units, "SELECT uscc FROM entities") == [(uscc(5),)]


def test_a_local_number_held_by_another_record_is_an_error(units: Database) -> None:
    load(
        units,
        book([["名称", "信用代码", "本单位编号"], ["甲", uscc(1), "L1"], ["乙", uscc(2), "L2"]]),
    )
    result = preview(units, book([["名称", "信用代码", "本单位编号"], ["乙", uscc(2), "L1"]]))
    assert [(p.row, p.reason, p.params) for p in result.errors] == [
        (2, "key.taken_in_unit", {"holder": "甲"})
    ]


def test_two_records_may_swap_local_numbers(units: Database) -> None:
    header = ["名称", "信用代码", "本单位编号"]
    load(units, book([header, ["甲", uscc(1), "L1"], ["乙", uscc(2), "L2"]]))
    result = load(units, book([header, ["甲", uscc(1), "L2"], ["乙", uscc(2), "L1"]]))
    assert result.counts.changed == 2
    assert rows_of(units, "SELECT local_no FROM unit_entities ORDER BY id") == [("L2",), ("L1",)]


def test_two_rows_reaching_one_record_by_different_keys(units: Database) -> None:
    header = ["名称", "本单位编号", "信用代码"]
    load(units, book([header, ["甲", "L1", uscc(1)]]))
    result = preview(units, book([header, ["甲", "", uscc(1)], ["甲二", "L1", ""]]))
    assert [(p.row, p.reason) for p in result.errors] == [(3, "key.same_record")]


def test_inspectors_keyed_by_certificate_then_name(units: Database) -> None:
    rows = [INSPECTOR_HEADER, ["赵六", "C-1", "2030-01-01", "", ""], ["钱七", "", "", "", ""]]
    load(units, book(rows), "inspectors")
    rows = [INSPECTOR_HEADER, ["赵六六", "C-1", "2031-01-01", "", ""], ["钱七", "C-2", "", "", ""]]
    result = load(units, book(rows), "inspectors")
    assert (result.counts.changed, result.counts.new) == (2, 0)
    assert rows_of(units, "SELECT name, cert_no FROM inspectors ORDER BY id") == [
        ("赵六六", "C-1"),
        ("钱七", "C-2"),
    ]


def test_matters_keyed_by_code_then_name(units: Database) -> None:
    rows = [MATTER_HEADER, ["M1", "甲事项", "", "", "", ""], ["", "乙事项", "", "", "", ""]]
    load(units, book(rows), "matters")
    rows = [
        MATTER_HEADER,
        ["M1", "甲事项（新）", "", "", "", "3%"],
        ["M2", "乙事项", "", "", "", ""],
    ]
    result = load(units, book(rows), "matters")
    assert (result.counts.changed, result.counts.new) == (2, 0)
    assert rows_of(units, "SELECT code, name, ratio_permille FROM matters ORDER BY id") == [
        ("M1", "甲事项（新）", 30),
        ("M2", "乙事项", None),
    ]


def test_a_value_longer_than_its_column_is_an_error_not_a_crash(units: Database) -> None:
    rows = [["姓名", "执法资格"], ["赵六", "很长的资格" * 30]]
    result = preview(units, book(rows), "inspectors")
    assert [(p.reason, p.params) for p in result.errors] == [("field.too_long", {"max": "100"})]


def test_a_hidden_row_is_imported_with_a_warning(units: Database) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in [ENTITY_HEADER, *entity_rows(3)]:
        sheet.append(row)
    sheet.row_dimensions[3].hidden = True
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = preview(units, buffer.getvalue())
    assert result.counts.new == 3
    assert [(p.row, p.severity, p.reason) for p in result.warnings] == [
        (3, "warning", "row.hidden")
    ]


def test_a_formula_without_a_cached_value_blocks_its_row(units: Database) -> None:
    data = book([ENTITY_HEADER, ["甲", uscc(1), "", "", "", ""], ["乙", uscc(2), "", "", "", ""]])
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w") as zout:
        for item in zin.infolist():
            content = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = content.replace(b'<c r="C3" t="inlineStr"', b'<c r="C3"', 1)
                content = content.replace(
                    b'<c r="C3"', b'<c r="C3"><f>A1&amp;B1</f></c><c r="Z3"', 1
                )
            zout.writestr(item, content)
    result = preview(units, out.getvalue())
    assert result.counts.errors == 1 and result.counts.new == 1
    assert [(p.row, p.reason) for p in result.errors] == [(3, "cell.formula_no_value")]


def test_a_preview_with_nothing_to_change_diffs_again_if_the_directory_changed(
    units: Database,
) -> None:
    data = entities_book(3)
    load(units, data)
    idle = preview(units, data)
    assert idle.counts == imports.ImportCounts(unchanged=3)
    rows = [ENTITY_HEADER, *entity_rows(3)]
    rows[1][5] = "D"
    load(units, book(rows))  # the directory changes after the preview …
    applied = imports.apply_import(units, None, idle.import_id or 0, NOW)
    assert (applied.counts.changed, applied.counts.unchanged) == (1, 2)  # … and apply sees it
    assert rows_of(units, "SELECT risk_class FROM unit_entities ORDER BY id")[1] == ("B",)
    # Nothing changed since this preview: apply finds nothing to do, writes no change.
    quiet = preview(units, data)
    logged = count(units, "record_changes")
    assert imports.apply_import(units, None, quiet.import_id or 0, NOW).counts.unchanged == 3
    assert count(units, "record_changes") == logged


def test_stale_previews_are_expired_in_bulk(units: Database) -> None:
    old = preview(units, entities_book(1))
    fresh = imports.preview_import(
        units,
        None,
        "SCJG",
        "entities",
        entities_book(1),
        "f.xlsx",
        "update",
        NOW + timedelta(hours=23),
        "test",
        today=TODAY,
    )
    assert imports.expire_previews(units, NOW + timedelta(hours=24)) == 1
    assert rows_of(units, "SELECT id, status, rows IS NULL FROM imports ORDER BY id") == [
        (old.import_id, "expired", True),
        (fresh.import_id, "preview", False),
    ]
