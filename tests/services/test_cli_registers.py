"""The registers' ``dsr`` commands: templates, imports (--json, exit codes), exports,
undo, units, admins, inspectors and documents."""

from __future__ import annotations

import io
import json
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from bot.cli.registers import reason
from bot.i18n import translator
from storage.db import Database
from tests.conftest import FIXTURES
from tests.support.registers import (
    ENTITY_HEADER,
    INSPECTOR_HEADER,
    book,
    count,
    entities_book,
    entity_rows,
    rows_of,
    snapshot,
    uscc,
)


def write(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_template_is_written_and_reads_back(cli: Any, tmp_path: Path) -> None:
    code, out, _ = cli("template", "inspectors", "--out", str(tmp_path / "t.xlsx"))
    assert code == 0 and "t.xlsx" in out
    sheet = load_workbook(tmp_path / "t.xlsx").worksheets[0]
    assert sheet["A2"].value == "姓名"


def test_import_json_has_the_designed_shape_and_exit_1_on_errors(
    cli: Any, tmp_path: Path, database: Database
) -> None:
    rows = [ENTITY_HEADER, *entity_rows(3)]
    rows[2][1] = 9.14104e17
    path = write(tmp_path, "e.xlsx", book(rows))
    before = snapshot(database)
    code, out, _ = cli("import", "entities", path, "--unit", "SCJG", "--json", "--dry-run")
    assert code == 1
    result = json.loads(out)
    assert set(result) == {"counts", "errors", "warnings", "ignored_columns"}
    assert result["ignored_columns"] == []
    assert result["counts"] == {
        "new": 2,
        "changed": 0,
        "unchanged": 0,
        "deactivated": 0,
        "errors": 1,
    }
    t = translator("zh_Hans")
    assert result["errors"] == [
        {
            "sheet": "名录",
            "row": 3,
            "column": "统一社会信用代码",
            "column_letter": "B",
            "value": 9.14104e17,
            "reason": reason(t, "cell.lost_digits", {"shown": "9.14104E+17"}),
        }
    ]
    assert result["warnings"] == []
    assert snapshot(database) == before and count(database, "imports") == 0  # a dry run
    # Without --dry-run and with errors: nothing written either, exit 1.
    code, out, _ = cli(
        "import", "entities", path, "--unit", "SCJG", "--report", str(tmp_path / "r.xlsx")
    )
    assert code == 1
    assert snapshot(database) == before
    assert load_workbook(tmp_path / "r.xlsx").worksheets[0].max_row == 2
    # --apply-valid: the two good rows go in, exit 0.
    code, out, _ = cli("import", "entities", path, "--unit", "SCJG", "--apply-valid", "--json")
    assert code == 0
    assert json.loads(out)["counts"]["new"] == 2
    assert count(database, "unit_entities") == 2


def test_clean_import_applies_and_the_same_file_again_changes_nothing(
    cli: Any, tmp_path: Path, database: Database
) -> None:
    path = write(tmp_path, "e.xlsx", entities_book(4))
    code, out, err = cli("import", "entities", path, "--unit", "SCJG")
    assert code == 0, err
    assert count(database, "unit_entities") == 4
    logged = count(database, "record_changes")
    code, out, _ = cli("import", "entities", path, "--unit", "SCJG", "--json")
    assert code == 0
    assert json.loads(out)["counts"] == {
        "new": 0,
        "changed": 0,
        "unchanged": 4,
        "deactivated": 0,
        "errors": 0,
    }
    assert count(database, "record_changes") == logged


def test_unusable_input_is_exit_2(cli: Any, tmp_path: Path, database: Database) -> None:
    path = write(tmp_path, "x.xlsx", b"%PDF-1.7")
    code, out, err = cli("import", "entities", path, "--unit", "SCJG", "--json")
    assert code == 2
    assert json.loads(out)["error"]["code"] == "file.not_spreadsheet"
    assert err.strip()
    assert cli("import", "entities", str(tmp_path / "missing.xlsx"), "--unit", "SCJG")[0] == 2
    assert count(database, "imports") == 0


def test_replace_mode_needs_confirmation_to_deactivate_a_lot(
    cli: Any, tmp_path: Path, database: Database
) -> None:
    cli("import", "entities", write(tmp_path, "a.xlsx", entities_book(5)), "--unit", "SCJG")
    smaller = write(tmp_path, "b.xlsx", entities_book(2))
    code, out, _ = cli("import", "entities", smaller, "--unit", "SCJG", "--mode", "replace")
    assert code == 1 and "--confirm-deactivation" in out
    assert rows_of(database, "SELECT COUNT(*) FROM unit_entities WHERE active") == [(5,)]
    code, out, _ = cli(
        "import",
        "entities",
        smaller,
        "--unit",
        "SCJG",
        "--mode",
        "replace",
        "--confirm-deactivation",
    )
    assert code == 0
    assert rows_of(database, "SELECT COUNT(*) FROM unit_entities WHERE active") == [(2,)]


def test_export_and_undo(cli: Any, tmp_path: Path, database: Database) -> None:
    rows = [
        [*ENTITY_HEADER, "类型"],
        ["舞钢市乙商行", uscc(2, "92"), "王五", "某小区3号楼", "13912345678", "A", "个体工商户"],
    ]
    empty = snapshot(database)
    cli("import", "entities", write(tmp_path, "a.xlsx", book(rows)), "--unit", "SCJG")
    code, _, _ = cli(
        "export", "entities", "--unit", "SCJG", "--public", "--out", str(tmp_path / "p.xlsx")
    )
    assert code == 0
    public = load_workbook(io.BytesIO((tmp_path / "p.xlsx").read_bytes())).worksheets[0]
    cells = {str(c.value) for row in public.iter_rows() for c in row if c.value}
    assert "舞钢市乙商行" in cells and "13912345678" not in cells and "某小区3号楼" not in cells
    code, _, _ = cli("export", "entities", "--unit", "SCJG", "--out", str(tmp_path / "f.xlsx"))
    assert code == 0
    full = load_workbook(tmp_path / "f.xlsx").worksheets[0]
    assert "13912345678" in {str(c.value) for row in full.iter_rows() for c in row}
    code, out, _ = cli("undo-import", "--unit", "SCJG", "entities")
    assert code == 0 and "a.xlsx" in out
    assert snapshot(database) == empty
    code, _, err = cli("undo-import", "--unit", "SCJG", "entities")
    assert code == 1 and err.strip()


def test_units_admins_inspectors_and_documents(
    cli: Any, tmp_path: Path, database: Database
) -> None:
    assert cli("unit", "add", "SWJ", "税务局")[0] == 0
    assert cli("unit", "add", "SWJ", "税务局")[0] == 1  # exists already
    assert cli("admin", "add", "12345")[0] == 0
    assert cli("inspector", "add", "--unit", "SWJ", "赵六", "--cert", "C-9")[0] == 0
    assert rows_of(database, "SELECT name, cert_no FROM inspectors") == [("赵六", "C-9")]
    assert rows_of(database, "SELECT is_office FROM users WHERE telegram_id = 12345") == [(True,)]
    doc = write(tmp_path, "细则.pdf", b"%PDF-1.7 rules")
    for _ in range(2):
        args = ["document", "file", doc, "--unit", "SWJ", "--kind", "rules", "--year", "2026"]
        assert cli(*args, "--title", "实施细则")[0] == 0
    code, out, _ = cli("document", "list", "--unit", "SWJ", "--json")
    assert code == 0
    assert [(d["kind"], d["version"], d["size"]) for d in json.loads(out)] == [
        ("rules", 1, 14),
        ("rules", 2, 14),
    ]


def test_columns_not_read_are_listed(cli: Any, tmp_path: Path, database: Database) -> None:
    """Never drop data in silence: a column the import does not read is named, in the
    text and in --json."""
    rows = [[*ENTITY_HEADER, "备注", "经营范围"], *[[*r, "x", "y"] for r in entity_rows(2)]]
    path = write(tmp_path, "e.xlsx", book(rows))
    code, out, _ = cli("import", "entities", path, "--unit", "SCJG", "--json", "--dry-run")
    assert code == 0
    assert json.loads(out)["ignored_columns"] == [
        {"column_letter": "G", "header": "备注"},
        {"column_letter": "H", "header": "经营范围"},
    ]
    code, out, _ = cli("import", "entities", path, "--unit", "SCJG", "--dry-run")
    line = next(x for x in out.splitlines() if x.startswith("未读取的列："))
    assert "G 备注" in line and "H 经营范围" in line


@pytest.mark.parametrize(
    ("zone", "expired"), [("Pacific/Pago_Pago", False), ("Pacific/Kiritimati", True)]
)
def test_an_import_follows_the_offices_time_zone(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, zone: str, expired: bool
) -> None:
    """DSR_TIMEZONE decides what "today" is: a certificate that ends on Pago Pago's today
    is still valid there, and already expired where the day is one or two days later."""
    monkeypatch.setenv("DSR_TIMEZONE", zone)
    ends = datetime.now(ZoneInfo("Pacific/Pago_Pago")).date()
    rows = [INSPECTOR_HEADER, ["赵六", "41000001", ends.isoformat(), "", ""]]
    path = write(tmp_path, "i.xlsx", book(rows))
    _, out, _ = cli("import", "inspectors", path, "--unit", "SCJG", "--json", "--dry-run")
    warnings = [w["reason"] for w in json.loads(out)["warnings"]]
    t = translator("zh_Hans")
    sentence = reason(t, "inspector.cert_expired", {"date": ends.isoformat()})
    assert (sentence in warnings) is expired, warnings


def test_an_xls_is_read_in_a_child_process(
    cli: Any, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An .xls has no sheet XML to measure before parsing: it is read in a child with a
    memory budget, so a file that needs more ends as a refusal (exit 2), not a signal."""
    path = str(FIXTURES / "xlsx" / "entities_lo.xls")
    code, out, _ = cli("import", "entities", path, "--unit", "SCJG", "--json")
    assert code == 0, out
    imported = json.loads(out)["counts"]["new"]
    assert imported > 0 and count(database, "unit_entities") == imported
    monkeypatch.setenv("DSR_READER_MEMORY_MB", "64")  # too little for any reader: a stand-in
    code, _, err = cli("import", "entities", path, "--unit", "SCJG", "--dry-run")
    assert code == 2 and "64 MB" in err
    assert count(database, "unit_entities") == imported
