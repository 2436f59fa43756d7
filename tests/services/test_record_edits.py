"""Editing register records by hand (bot.services.registers.lookup and edits): finding,
reading, changing one field (checked as an Excel cell), deactivating and reactivating,
adding, the history; who may."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.cells import ENUM_INVALID, OPEN_ENDED
from bot.services.errors import NotAllowedError, ServiceError
from bot.services.registers import edits, lookup
from bot.services.registers.edits import InvalidValue
from storage.db import Database
from tests.support.registers import (
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
    setup_units,
    snapshot,
    uscc,
)


@pytest.fixture
def city(db: Database) -> dict[str, object]:
    setup_units(db, "SCJG", "GAJ")
    load(db, entities_book(3))
    load(
        db,
        book([INSPECTOR_HEADER, ["李强", "41000001", "2028-12-31", "食品", "垭口"]]),
        "inspectors",
    )
    load(
        db,
        book(
            [MATTER_HEADER, ["SJ-001", "食品生产企业检查", "食品安全法", "企业", "现场检查", "5%"]]
        ),
        "matters",
    )
    return {
        "office": person(db, 1, office=True),
        "liaison": person(db, 2, liaison_of="SCJG"),
        "other": person(db, 3, liaison_of="GAJ"),
    }


def test_find_by_code_name_and_certificate(db: Database, city: dict[str, object]) -> None:
    liaison = city["liaison"]
    hits = lookup.find_records(db, liaison, uscc(1))  # type: ignore[arg-type]
    assert [(h.kind, h.name) for h in hits] == [("entities", "舞钢市测试有限公司1")]
    by_name = lookup.find_records(db, liaison, "测试有限")  # type: ignore[arg-type]
    assert len(by_name) == 3
    assert [h.name for h in lookup.find_records(db, liaison, "41000001")] == ["李强"]  # type: ignore[arg-type]
    assert [h.name for h in lookup.find_records(db, liaison, "sj-001")] == ["食品生产企业检查"]  # type: ignore[arg-type]
    # Another unit's liaison finds nothing of SCJG's; the office finds it.
    assert lookup.find_records(db, city["other"], "李强") == []  # type: ignore[arg-type]
    assert len(lookup.find_records(db, city["office"], "李强")) == 1  # type: ignore[arg-type]
    with pytest.raises(ServiceError):
        lookup.find_records(db, liaison, "李")  # type: ignore[arg-type]


def test_view_and_access(db: Database, city: dict[str, object]) -> None:
    hit = lookup.find_records(db, city["liaison"], uscc(1))[0]  # type: ignore[arg-type]
    page = lookup.view_record(db, city["liaison"], "entities", hit.id)  # type: ignore[arg-type]
    assert page.values["risk_class"] == "B" and page.unit_code == "SCJG"
    with pytest.raises(NotAllowedError):
        lookup.view_record(db, city["other"], "entities", hit.id)  # type: ignore[arg-type]
    inspector = person(db, 4)
    with pytest.raises(NotAllowedError):
        lookup.find_records(db, inspector, "测试有限")


def test_change_a_field_as_an_import_checks_it(db: Database, city: dict[str, object]) -> None:
    liaison = city["liaison"]
    hit = lookup.find_records(db, liaison, "41000001")[0]  # type: ignore[arg-type]
    before = snapshot(db)
    with pytest.raises(InvalidValue) as bad:
        edits.change_field(db, liaison, "inspectors", hit.id, "cert_expires", "6.31", NOW, TODAY)  # type: ignore[arg-type]
    assert bad.value.reason == "typed_date.no_such_day"
    assert snapshot(db) == before
    done = edits.change_field(
        db,
        liaison,  # type: ignore[arg-type]
        "inspectors",
        hit.id,
        "cert_expires",
        "2030年6月30日",
        NOW,
        TODAY,
    )
    assert done.after == {"cert_expires": date(2030, 6, 30)}
    assert done.page.values["cert_expires"] == date(2030, 6, 30)
    # A year-less day as people type it; 长期 as a cell says it.
    typed = edits.check_change(db, liaison, "inspectors", hit.id, "cert_expires", "7.1", TODAY)  # type: ignore[arg-type]
    assert typed.after == date(TODAY.year, 7, 1)
    # A range as people type it, or as a validity period is written: its end is meant.
    ranged = edits.check_change(db, liaison, "inspectors", hit.id, "cert_expires", "6.1-6.5", TODAY)  # type: ignore[arg-type]
    assert ranged.after == date(TODAY.year, 6, 5)
    period = edits.check_change(
        db,
        liaison,  # type: ignore[arg-type]
        "inspectors",
        hit.id,
        "cert_expires",
        "2026.1.1-2031.12.31",
        TODAY,
    )
    assert period.after == date(2031, 12, 31)
    forever = edits.check_change(db, liaison, "inspectors", hit.id, "cert_expires", "长期", TODAY)  # type: ignore[arg-type]
    assert forever.after == OPEN_ENDED
    log = changes(db)[-1]
    assert (log.source, log.before["cert_expires"], log.after) == (
        "manual",
        "2028-12-31",
        {"cert_expires": "2030-06-30"},
    )
    assert count(db, "audit_log", "action = 'record.change'") == 1


def test_bad_enum_and_uscc_and_taken_values(db: Database, city: dict[str, object]) -> None:
    liaison = city["liaison"]
    first, second = lookup.find_records(db, liaison, "测试有限")[:2]  # type: ignore[arg-type]
    with pytest.raises(InvalidValue) as bad:
        edits.check_change(db, liaison, "entities", first.id, "risk_class", "E", TODAY)  # type: ignore[arg-type]
    assert bad.value.reason == ENUM_INVALID
    with pytest.raises(InvalidValue):
        edits.check_change(db, liaison, "entities", first.id, "uscc", "91410481MA0000000X", TODAY)  # type: ignore[arg-type]
    with pytest.raises(ServiceError):
        edits.check_change(db, liaison, "entities", first.id, "uscc", str(second.key), TODAY)  # type: ignore[arg-type]
    with pytest.raises(InvalidValue):
        edits.check_change(db, liaison, "entities", first.id, "name", None, TODAY)  # type: ignore[arg-type]
    with pytest.raises(ServiceError, match="registration number"):
        edits.check_change(db, liaison, "entities", first.id, "uscc", "410481000012345", TODAY)  # type: ignore[arg-type]
    done = edits.change_field(db, liaison, "entities", first.id, "risk_class", "高风险", NOW, TODAY)  # type: ignore[arg-type]
    assert done.page.values["risk_class"] == "D"


def test_deactivate_reactivate_and_history(db: Database, city: dict[str, object]) -> None:
    liaison = city["liaison"]
    hit = lookup.find_records(db, liaison, "sj-001")[0]  # type: ignore[arg-type]
    off = edits.set_active(db, liaison, "matters", hit.id, False, NOW)  # type: ignore[arg-type]
    assert not off.page.active
    assert not lookup.view_record(db, liaison, "matters", hit.id).active  # type: ignore[arg-type]
    with pytest.raises(ServiceError):
        edits.set_active(db, liaison, "matters", hit.id, False, NOW)  # type: ignore[arg-type]
    assert edits.set_active(db, liaison, "matters", hit.id, True, NOW).page.active  # type: ignore[arg-type]
    edits.change_field(db, liaison, "matters", hit.id, "ratio", "10%", NOW, TODAY)  # type: ignore[arg-type]
    page, entries = lookup.history(db, liaison, "matters", hit.id)  # type: ignore[arg-type]
    assert page.values["ratio"] == 100
    assert [(e.source, e.after) for e in entries[:3]] == [
        ("manual", {"ratio": 100}),
        ("manual", {"active": True}),
        ("manual", {"active": False}),
    ]
    assert entries[-1].before is None and entries[-1].source == "import"
    assert entries[0].who == "user2"
    with pytest.raises(NotAllowedError):
        lookup.history(db, city["other"], "matters", hit.id)  # type: ignore[arg-type]
    with pytest.raises(NotAllowedError):
        edits.set_active(db, city["other"], "matters", hit.id, False, NOW)  # type: ignore[arg-type]


def test_add_records(db: Database, city: dict[str, object]) -> None:
    liaison = city["liaison"]
    added = edits.add_record(
        db,
        liaison,  # type: ignore[arg-type]
        "inspectors",
        "SCJG",
        {"name": "王芳", "cert_no": "41000009", "cert_expires": "2029.12.31"},
        NOW,
        TODAY,
    )
    assert added.page.name == "王芳" and added.page.values["cert_no"] == "41000009"
    # A certificate number another inspector holds is refused.
    with pytest.raises(InvalidValue):
        edits.add_record(
            db,
            liaison,  # type: ignore[arg-type]
            "inspectors",
            "SCJG",
            {"name": "重复", "cert_no": "41000001"},
            NOW,
            TODAY,
        )
    # An entity with the USCC another unit's directory holds is linked, never doubled.
    shared = edits.add_record(
        db,
        city["other"],  # type: ignore[arg-type]
        "entities",
        "GAJ",
        {"name": "舞钢市测试有限公司1", "uscc": uscc(1)},
        NOW,
        TODAY,
    )
    assert shared.page.unit_code == "GAJ" and count(db, "entities") == 3
    # Its name is a shared fact now: a change says so before it is made.
    renamed = edits.check_change(
        db, city["other"], "entities", shared.page.id, "name", "新名", TODAY
    )  # type: ignore[arg-type]
    assert renamed.shared
    entity = edits.add_record(
        db,
        liaison,  # type: ignore[arg-type]
        "entities",
        "SCJG",
        {"name": "新开超市", "kind": "个体"},
        NOW,
        TODAY,
    )
    assert entity.page.values["kind"] == "individual"
    with pytest.raises(ServiceError):
        edits.add_record(db, liaison, "entities", "SCJG", {"name": "无类型"}, NOW, TODAY)  # type: ignore[arg-type]
    with pytest.raises(NotAllowedError):
        edits.add_record(db, city["other"], "matters", "SCJG", {"name": "越权"}, NOW, TODAY)  # type: ignore[arg-type]
    matter = edits.add_record(
        db, liaison, "matters", "SCJG", {"name": "广告检查", "code": "SJ-002"}, NOW, TODAY
    )  # type: ignore[arg-type]
    assert matter.page.values["double_random"] is True
    with pytest.raises(ServiceError):
        edits.add_record(
            db, liaison, "matters", "SCJG", {"name": "别名", "code": "SJ-002"}, NOW, TODAY
        )  # type: ignore[arg-type]
