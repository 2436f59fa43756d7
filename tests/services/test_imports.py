"""Importing directories: preview, apply, re-upload, the change log, linking entities,
files saved by LibreOffice, who may import, exports and templates."""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.services.errors import NotAllowedError
from bot.services.people import membership
from bot.services.registers import directories as registers
from bot.services.registers import imports
from storage import audit
from storage.db import Database
from storage.models import AuditEntry, Inspector
from storage.xlsx_read import read_register
from tests.support.registers import (
    ENTITY_HEADER,
    INSPECTOR_HEADER,
    MATTER_HEADER,
    NOW,
    TODAY,
    book,
    changes,
    count,
    entities_book,
    load,
    person,
    preview,
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


# --- preview and apply ---------------------------------------------------------------------


def test_preview_writes_only_the_import_row(units: Database) -> None:
    before = snapshot(units)
    result = preview(units, entities_book(5))
    assert result.counts == imports.ImportCounts(new=5)
    assert result.import_id is not None and result.report is None
    assert result.expires_at == NOW + timedelta(hours=24)
    assert snapshot(units) == before
    assert count(units, "record_changes") == 0
    assert rows_of(units, "SELECT status, sheet FROM imports") == [("preview", "名录")]


def test_apply_creates_entities_views_change_log_and_one_audit_entry(units: Database) -> None:
    office = person(units, 1, office=True)
    result = load(units, entities_book(3), actor=office)
    assert result.counts.new == 3 and result.logged == 3
    views = rows_of(
        units,
        "SELECT e.uscc, e.name, e.legal_rep, e.address, e.kind, e.status, v.phone, v.risk_class,"
        " v.active FROM unit_entities v JOIN entities e ON e.id = v.entity_id ORDER BY v.id",
    )
    assert views[0] == (
        uscc(0),
        "舞钢市测试有限公司0",
        "张0",
        "垭口街道0号",
        "enterprise",
        "active",
        "13800000000",
        "A",
        True,
    )
    log = changes(units)
    assert [(c.table_name, c.source, c.actor, c.before) for c in log] == [
        ("unit_entities", "import", "tg:1", None)
    ] * 3
    assert log[0].after is not None
    assert log[0].after["uscc"] == uscc(0) and log[0].after["new_entity"] is True
    assert log[0].key == f"uscc:{uscc(0)}" and log[0].import_id == result.import_id
    assert log[0].at == NOW
    assert rows_of(units, "SELECT status, applied_at IS NOT NULL FROM imports") == [
        ("applied", True)
    ]
    with units.unit_of_work(write=False) as uow:
        report = audit.verify(uow.session)
        actions = list(uow.session.execute(select(AuditEntry.action)).scalars())
    assert report.ok
    assert actions.count("import.apply") == 1


def test_reupload_of_the_same_file_changes_nothing(units: Database) -> None:
    data = entities_book(20)
    load(units, data)
    before, logged = snapshot(units), count(units, "record_changes")
    again = preview(units, data)
    assert again.counts == imports.ImportCounts(unchanged=20)
    result = imports.apply_import(units, None, again.import_id or 0, NOW)
    assert result.counts == imports.ImportCounts(unchanged=20) and result.logged == 0
    assert snapshot(units) == before
    assert count(units, "record_changes") == logged


def test_changed_values_are_logged_with_before_and_after(units: Database) -> None:
    load(units, entities_book(2))
    rows = [
        ENTITY_HEADER,
        ["舞钢市测试有限公司0", uscc(0), "李四", "垭口街道0号", "13800000000", "D"],
    ]
    result = load(units, book(rows))
    assert (result.counts.changed, result.counts.unchanged) == (1, 0)
    log = changes(units)[-2:]
    by_table = {c.table_name: c for c in log}
    assert by_table["entities"].after == {"legal_rep": "李四"}
    assert by_table["entities"].before is not None
    assert by_table["entities"].before["legal_rep"] == "张0"
    assert by_table["unit_entities"].after == {"risk_class": "D"}
    assert by_table["unit_entities"].before is not None
    assert by_table["unit_entities"].before["risk_class"] == "A"


def test_counts_errors_as_rows_and_the_report_lists_every_problem(units: Database) -> None:
    rows = [ENTITY_HEADER, *[[f"甲{i}", uscc(i), "", "", "", ""] for i in range(4)]]
    rows[2][1] = uscc(1)[:17] + ("0" if uscc(1)[17] != "0" else "1")  # a wrong check digit
    rows[3][4] = "12345"  # not a phone number
    rows[3][5] = "E"  # not a risk class
    result = preview(units, book(rows))
    assert result.counts.errors == 2 and result.counts.new == 2
    errors = [(p.row, p.column_letter, p.reason) for p in result.errors]
    assert errors == [
        (3, "B", "uscc.check_digit"),
        (4, "E", "phone.invalid"),
        (4, "F", "enum.invalid"),
    ]
    assert result.errors[0].sheet == "名录" and result.errors[0].column == "统一社会信用代码"
    assert result.errors[2].params["shown"] == "E"
    assert result.report is not None
    listing = load_workbook(io.BytesIO(result.report)).worksheets[1]
    assert listing.max_row == 4  # header + three problems


def test_a_kept_preview_is_applied_by_id_from_its_plan(units: Database) -> None:
    kept = preview(units, entities_book(3))
    assert rows_of(units, "SELECT status, rows IS NULL FROM imports") == [("preview", False)]
    result = imports.apply_import(units, None, kept.import_id or 0, NOW)
    assert result.counts == imports.ImportCounts(new=3) and result.logged == 3
    assert count(units, "entities") == 3
    # A preview whose rows are gone (expired, discarded) is refused, nothing written.
    later = preview(units, entities_book(5))
    imports.expire_previews(units, NOW + timedelta(hours=24))
    with pytest.raises(imports.ImportRefused) as refused:
        imports.apply_import(units, None, later.import_id or 0, NOW)
    assert refused.value.code == "expired"
    assert count(units, "entities") == 3


def test_a_kept_preview_diffs_again_when_the_directory_changed(units: Database) -> None:
    data = book([ENTITY_HEADER, ["舞钢市测试有限公司0", uscc(0), "张0", "", "", "B"]])
    kept = preview(units, data)
    assert kept.counts.new == 1
    # Meanwhile another unit brings in the same entity: apply links to it, not a second one.
    load(units, entities_book(1), unit="SWJ")
    result = imports.apply_import(units, None, kept.import_id or 0, NOW)
    assert result.counts.new == 1
    assert count(units, "entities") == 1 and count(units, "unit_entities") == 2
    assert changes(units)[-1].after["new_entity"] is False  # type: ignore[index]


# --- entities shared between units -----------------------------------------------------------


def test_an_entity_known_through_another_unit_is_linked_not_duplicated(units: Database) -> None:
    load(units, entities_book(2))
    rows = [ENTITY_HEADER, ["舞钢市测试有限公司0", uscc(0), "", "", "13912345678", "C"]]
    result = load(units, book(rows), unit="SWJ")
    assert result.counts.new == 1
    assert count(units, "entities") == 2
    assert count(units, "unit_entities") == 3
    mine = rows_of(
        units,
        "SELECT v.phone, v.risk_class, e.legal_rep FROM unit_entities v JOIN entities e"
        " ON e.id = v.entity_id JOIN units u ON u.id = v.unit_id WHERE u.code = 'SWJ'",
    )
    # The other unit's blank legal representative does not clear the shared fact.
    assert mine == [("13912345678", "C", "张0")]
    log = changes(units)[-1]
    assert log.after is not None and log.after["new_entity"] is False


def test_changing_shared_facts_from_another_unit_is_allowed_and_recorded(units: Database) -> None:
    load(units, entities_book(1))
    rows = [ENTITY_HEADER, ["舞钢市测试有限公司0", uscc(0), "王五", "", "", ""]]
    load(units, book(rows), unit="SWJ")
    assert rows_of(units, "SELECT legal_rep FROM entities") == [("王五",)]
    facts = [c for c in changes(units) if c.table_name == "entities"]
    assert len(facts) == 1 and facts[0].after == {"legal_rep": "王五"}
    assert facts[0].unit_id == rows_of(units, "SELECT id FROM units WHERE code = 'SWJ'")[0][0]


# --- inspectors and matters -------------------------------------------------------------------


def test_inspectors_import_and_reimport(units: Database) -> None:
    rows = [
        INSPECTOR_HEADER,
        ["赵六", "豫0401001", "2028-12-31", "食品、药品", "垭口"],
        ["钱七", "", "", "特种设备", ""],
    ]
    result = load(units, book(rows), "inspectors")
    assert result.counts.new == 2
    with units.unit_of_work(write=False) as uow:
        stored = uow.session.execute(
            select(
                Inspector.name, Inspector.cert_no, Inspector.cert_expires, Inspector.expertise
            ).order_by(Inspector.id)
        ).all()
    assert tuple(stored[0]) == ("赵六", "豫0401001", date(2028, 12, 31), ["食品", "药品"])
    assert tuple(stored[1]) == ("钱七", None, None, ["特种设备"])
    again = preview(units, book(rows), "inspectors")
    assert again.counts == imports.ImportCounts(unchanged=2, warnings=1)  # 钱七 has no cert


def test_matters_import_with_tags_ratio_and_booleans(units: Database) -> None:
    rows = [
        [*MATTER_HEADER, "是否双随机", "是否可联合"],
        [
            "M-1",
            "食品生产监督检查",
            "《食品安全法》",
            "企业、个体工商户",
            "现场检查、抽样检测",
            "5%",
            "是",
            "否",
        ],
        ["", "广告监测", "", "", "网络监测", "", "", ""],
    ]
    result = load(units, book(rows), "matters")
    assert result.counts.new == 2
    stored = rows_of(
        units,
        "SELECT code, name, target_kind, method, ratio_permille, double_random, joint_ok"
        " FROM matters ORDER BY id",
    )
    assert stored[0] == (
        "M-1",
        "食品生产监督检查",
        "enterprise,individual",
        "onsite,sampling",
        50,
        True,
        False,
    )
    assert stored[1] == (None, "广告监测", None, "online", None, True, False)
    again = preview(units, book(rows), "matters")
    assert again.counts == imports.ImportCounts(unchanged=2)


# --- files saved by LibreOffice -----------------------------------------------------------------


@pytest.mark.parametrize("name", ["entities_lo.xlsx", "entities_lo.xls"])
def test_libreoffice_entities(units: Database, name: str) -> None:
    data = (FIXTURES / name).read_bytes()
    result = imports.preview_import(
        units, None, "SCJG", "entities", data, name, "update", NOW, today=TODAY
    )
    assert result.counts.new == 3 and result.counts.errors == 0
    assert result.sheet == "名录" and result.header_row == 3
    applied = imports.apply_import(units, None, result.import_id or 0, NOW)
    assert applied.counts.new == 3
    assert rows_of(units, "SELECT risk_class FROM unit_entities ORDER BY id") == [
        ("A",),
        ("B",),
        ("C",),
    ]
    again = imports.preview_import(
        units, None, "SCJG", "entities", data, name, "update", NOW, today=TODAY
    )
    assert again.counts.unchanged == 3


@pytest.mark.parametrize("name", ["inspectors_c5.xlsx", "inspectors_c5.xls"])
def test_libreoffice_inspectors(units: Database, name: str) -> None:
    data = (FIXTURES / name).read_bytes()
    result = imports.preview_import(
        units, None, "SCJG", "inspectors", data, name, "update", NOW, today=TODAY
    )
    assert result.counts.new == 2 and result.counts.errors == 0
    imports.apply_import(units, None, result.import_id or 0, NOW)
    with units.unit_of_work(write=False) as uow:
        expiries = uow.session.execute(
            select(Inspector.cert_expires).order_by(Inspector.id)
        ).scalars()
        assert list(expiries) == [date(2028, 12, 31), date(2027, 6, 30)]


# --- who may import and export ------------------------------------------------------------------


def test_a_liaison_imports_and_exports_only_for_their_own_unit(units: Database) -> None:
    liaison = person(units, 7, liaison_of="SCJG")
    inspector_only = person(units, 8)
    load(units, entities_book(2), actor=liaison)
    before = snapshot(units)
    with pytest.raises(NotAllowedError):
        imports.preview_import(
            units,
            liaison,
            "SWJ",
            "entities",
            entities_book(1),
            "x.xlsx",
            "update",
            NOW,
            today=TODAY,
        )
    with pytest.raises(NotAllowedError):
        registers.export_directory(units, liaison, "SWJ", "entities")
    with pytest.raises(NotAllowedError):
        registers.export_directory(units, liaison, "SWJ", "entities", public=True)
    with pytest.raises(NotAllowedError):
        registers.export_directory(units, inspector_only, "SCJG", "entities")
    mine = imports.preview_import(
        units, liaison, "SCJG", "entities", entities_book(3), "x.xlsx", "update", NOW, today=TODAY
    )
    office = person(units, 9, office=True)
    with pytest.raises(NotAllowedError):
        imports.apply_import(units, person(units, 10, liaison_of="SWJ"), mine.import_id or 0, NOW)
    assert snapshot(units) == before
    imports.apply_import(units, office, mine.import_id or 0, NOW)  # the office: any unit
    registers.export_directory(units, office, "SWJ", "entities")


# --- exports and templates ------------------------------------------------------------------------


def test_full_export_reads_back_as_the_same_directory(units: Database) -> None:
    data = entities_book(6)
    load(units, data)
    exported = registers.export_directory(units, None, "SCJG", "entities")
    again = preview(units, exported)
    assert again.counts == imports.ImportCounts(unchanged=6)


def test_public_export_has_no_private_facts(units: Database) -> None:
    rows = [
        [*ENTITY_HEADER, "联系人", "类型"],
        ["舞钢市甲有限公司", uscc(1), "张三", "垭口街道1号", "13812345678", "D", "李四", "企业"],
        [
            "舞钢市乙商行",
            uscc(2, "92"),
            "王五",
            "某小区3号楼",
            "13912345678",
            "A",
            "赵六",
            "个体工商户",
        ],
    ]
    load(units, book(rows))
    blob = registers.export_directory(units, None, "SCJG", "entities", public=True)
    sheet = load_workbook(io.BytesIO(blob)).worksheets[0]
    text = "\n".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None)
    for private in (
        "13812345678",
        "13912345678",
        "李四",
        "赵六",
        "D类",
        "A类",
        "某小区3号楼",
        "风险",
        "联系",
    ):
        assert private not in text, private
    for public in ("舞钢市甲有限公司", "舞钢市乙商行", "垭口街道1号", uscc(1), "张三"):
        assert public in text, public


@pytest.mark.parametrize("kind", ["entities", "inspectors", "matters"])
def test_templates_read_back_empty(kind: str) -> None:
    data = registers.template(kind)
    assert read_register(data, "t.xlsx", imports.register_of(kind)).rows == []


def test_directory_listing(units: Database) -> None:
    load(units, entities_book(3))
    listed = registers.directory(units, None, "SCJG", "entities")
    assert [e.values["uscc"] for e in listed] == [uscc(0), uscc(1), uscc(2)]


# --- documents ------------------------------------------------------------------------------------


def test_documents_are_versioned(units: Database) -> None:
    first = registers.file_document(
        units, None, "SCJG", "rules", 2026, "实施细则", "a.docx", b"v1", NOW
    )
    second = registers.file_document(
        units, None, "SCJG", "rules", 2026, "实施细则（修订）", "b.docx", b"v2!", NOW
    )
    other = registers.file_document(
        units, None, "SCJG", "annual_plan", 2026, "年度计划", None, b"p", NOW
    )
    assert (first.version, second.version, other.version) == (1, 2, 1)
    listed = registers.list_documents(units, None, "SCJG")
    assert [(d.kind, d.version, d.size) for d in listed] == [
        ("rules", 1, 2),
        ("rules", 2, 3),
        ("annual_plan", 1, 1),
    ]
    info, data = registers.document_file(units, None, second.id)
    assert data == b"v2!" and info.title == "实施细则（修订）"
    liaison = person(units, 5, liaison_of="SWJ")
    with pytest.raises(NotAllowedError):
        registers.file_document(units, liaison, "SCJG", "rules", 2026, "x", None, b"x", NOW)
    with pytest.raises(NotAllowedError):
        registers.document_file(units, liaison, first.id)
    with pytest.raises(imports.ServiceError):
        registers.file_document(units, None, "SCJG", "memo", 2026, "x", None, b"x", NOW)


def test_an_inspector_added_by_hand_is_logged_like_an_import(units: Database) -> None:
    info = membership.add_inspector(units, None, "SCJG", " 王明 ", "41000001", now=NOW)
    [logged] = changes(units)
    assert (logged.table_name, logged.record_id, logged.source, logged.actor) == (
        "inspectors",
        info.id,
        "manual",
        "cli",
    )
    assert logged.before is None and logged.after == {"name": "王明", "cert_no": "41000001"}
    assert logged.key == "cert_no:41000001" and logged.at == NOW and logged.import_id is None
