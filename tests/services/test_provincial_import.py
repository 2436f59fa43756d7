"""A directory as a provincial platform exports it (issue #11, part 2): one 注册号/统一社会
信用代码 column mixing 18-character USCCs with 15- and 13-digit registration numbers and an
old written form, the registration authority and the supervising office beside them. Each
code lands in its field, the old numbers are warned, the malformed code is an error, no
column is left unread, and the registration number keys the record on the next import.
An import in which no row has any identifier is refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.i18n import translator
from bot.services.registers import imports, wording
from storage.db import Database
from tests.support.registers import (
    NOW,
    book,
    count,
    preview,
    rows_of,
    setup_units,
    snapshot,
    uscc,
)

HEADER = ["企业名称", "注册号/统一社会信用代码", "登记机关", "管辖单位"]
MALFORMED = uscc(5)[:17] + ("0" if uscc(5)[17] != "0" else "1")  # the check character wrong
ROWS = [
    # name, code, registration authority, supervising office; Excel rows 2 to 8
    ["舞钢市甲有限公司", uscc(1), "舞钢市市场监督管理局", "垭口市场监管所"],
    ["舞钢市乙副食店", uscc(2, "92"), "舞钢市市场监督管理局", "院岭市场监管所"],
    ["舞钢市丙机械厂", "110108000000016", "舞钢市工商行政管理局", "垭口市场监管所"],
    ["舞钢市丁商行", "320583000123456", "昆山市工商行政管理局", "院岭市场监管所"],
    ["舞钢市戊建材部", 3205831000123, "昆山市工商行政管理局", "院岭市场监管所"],
    ["无锡市己纺织厂", "企独苏锡总字第001234号", "无锡市工商行政管理局", "垭口市场监管所"],
    ["舞钢市庚养殖场", MALFORMED, "舞钢市市场监督管理局", "垭口市场监管所"],
]
EXPORT = book([HEADER, *ROWS], title="市场主体名录")


@pytest.fixture
def units(db: Database) -> Database:
    setup_units(db, "SCJG")
    return db


def _stored(db: Database) -> dict[str, tuple[Any, ...]]:
    found = rows_of(
        db,
        "SELECT e.name, e.uscc, e.regno, e.registration_authority, e.kind, v.area"
        " FROM entities e JOIN unit_entities v ON v.entity_id = e.id",
    )
    return {r[0]: r[1:] for r in found}


def test_a_provincial_export_stores_every_code_in_its_field(units: Database) -> None:
    found = preview(units, EXPORT)
    assert found.ignored_columns == ()  # every column is read
    assert found.counts.new == 6 and found.counts.errors == 1
    warnings = [(p.row, p.column, p.reason) for p in found.warnings]
    assert warnings == [
        (4, "注册号/统一社会信用代码", "uscc.old_regno"),
        (5, "注册号/统一社会信用代码", "uscc.old_regno_check"),
        (6, "注册号/统一社会信用代码", "uscc.old_regno_13"),
        (7, "注册号/统一社会信用代码", "uscc.old_regno_written"),
    ]
    assert [(p.row, p.column_letter, p.reason) for p in found.errors] == [
        (8, "B", "uscc.check_digit")
    ]

    assert found.import_id is not None
    applied = imports.apply_import(units, None, found.import_id, NOW, apply_valid=True)
    assert applied.counts.new == 6 and applied.skipped_rows == (8,)
    # name: (USCC, registration number, registration authority, kind, area)
    assert _stored(units) == {
        ROWS[0][0]: (uscc(1), None, ROWS[0][2], "enterprise", ROWS[0][3]),
        ROWS[1][0]: (uscc(2, "92"), None, ROWS[1][2], "individual", ROWS[1][3]),
        ROWS[2][0]: (None, "110108000000016", ROWS[2][2], "other", ROWS[2][3]),
        ROWS[3][0]: (None, "320583000123456", ROWS[3][2], "other", ROWS[3][3]),
        ROWS[4][0]: (None, "3205831000123", ROWS[4][2], "other", ROWS[4][3]),
        ROWS[5][0]: (None, "企独苏锡总字第001234号", ROWS[5][2], "other", ROWS[5][3]),
    }


def test_the_registration_number_keys_the_record_on_the_next_import(units: Database) -> None:
    first = preview(units, EXPORT)
    assert first.import_id is not None
    imports.apply_import(units, None, first.import_id, NOW, apply_valid=True)
    again = preview(units, EXPORT)
    assert (again.counts.new, again.counts.unchanged) == (0, 6)
    # Renamed and moved to another office: still the record its registration number names
    # (by name alone it would be a new one), for a 15-digit and for a written-form number.
    moved = [row[:] for row in ROWS]
    moved[3][0], moved[3][3] = "舞钢市丁商贸有限公司", "垭口市场监管所"
    moved[5][0] = "无锡市己纺织有限公司"
    changed = preview(units, book([HEADER, *moved]))
    assert (changed.counts.new, changed.counts.changed, changed.counts.unchanged) == (0, 2, 4)


def test_a_record_known_by_its_registration_number_takes_the_kind_of_its_new_uscc(
    units: Database,
) -> None:
    """The next year's export has the USCC the entity got since: the record (found by its
    name) gets the code and, with no kind column, the kind the code says."""
    first = preview(units, EXPORT)
    assert first.import_id is not None
    imports.apply_import(units, None, first.import_id, NOW, apply_valid=True)
    later = [row[:] for row in ROWS[:6]]
    later[4][1] = uscc(9, "92")  # 舞钢市戊建材部: an individual business
    found = preview(units, book([HEADER, *later]))
    assert (found.counts.new, found.counts.changed) == (0, 1)
    assert found.import_id is not None
    imports.apply_import(units, None, found.import_id, NOW)
    assert _stored(units)[ROWS[4][0]] == (
        uscc(9, "92"),
        "3205831000123",  # kept: the file's column held the USCC this time
        ROWS[4][2],
        "individual",
        ROWS[4][3],
    )


def test_the_same_registration_number_twice_in_a_file_is_an_error(units: Database) -> None:
    rows = [HEADER, ROWS[2], [*ROWS[2][:1], "110108000000016", "", ""]]
    rows[2][0] = "舞钢市丙机械厂分厂"
    found = preview(units, book(rows))
    assert [(p.row, p.reason, p.params) for p in found.errors] == [
        (2, "dup.reg_no", {"rows": "3"}),
        (3, "dup.reg_no", {"rows": "2"}),
    ]


# --- no identifier: refused -------------------------------------------------------------------

NAMELESS_KEYS = book(
    [["企业名称", "住所", "管辖单位"], ["舞钢市甲商店", "垭口街道1号", "垭口市场监管所"]],
    title="名录",
)


def test_an_import_with_no_identifier_is_refused_and_writes_nothing(units: Database) -> None:
    before, kept = snapshot(units), count(units, "imports")
    with pytest.raises(imports.UnusableUpload) as caught:
        preview(units, NAMELESS_KEYS)
    assert caught.value.reason == "file.no_identifier"
    assert caught.value.params == {"sheet": "名录"}
    assert snapshot(units) == before and count(units, "imports") == kept
    sentence = wording.reason_text(translator("zh_Hans"), "file.no_identifier", {"sheet": "名录"})
    assert "统一社会信用代码、注册号或本单位编号" in sentence and "名录" in sentence


def test_one_row_with_an_identifier_is_enough(units: Database) -> None:
    rows = [["企业名称", "住所", "本单位编号"], ["甲商店", "一号", ""], ["乙商店", "二号", "B-2"]]
    assert preview(units, book(rows)).counts.new == 2


def test_identifiers_that_are_all_malformed_are_errors_not_a_refusal(units: Database) -> None:
    rows = [["企业名称", "统一社会信用代码"], ["甲商店", "暂无"], ["乙商店", MALFORMED]]
    found = preview(units, book(rows))
    assert found.counts.errors == 2


def test_the_command_line_refuses_it_with_exit_2(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "名录.xlsx"
    path.write_bytes(NAMELESS_KEYS)
    code, out, err = cli("import", "entities", str(path), "--unit", "SCJG", "--json")
    assert code == 2
    assert json.loads(out)["error"]["code"] == "file.no_identifier"
    assert "本单位编号" in err
    code, out, err = cli("import", "entities", str(path), "--unit", "SCJG")
    assert code == 2 and "注册号" in err and out == ""


def test_the_command_line_lists_no_ignored_column_for_the_export(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    path.write_bytes(EXPORT)
    code, out, _ = cli("import", "entities", str(path), "--unit", "SCJG", "--json", "--dry-run")
    assert json.loads(out)["ignored_columns"] == []
    assert code == 1  # the malformed code is an error
