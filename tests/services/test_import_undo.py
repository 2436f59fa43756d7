"""Undoing the last applied import of a directory: exactly back, or a clear refusal."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.services.errors import NotAllowedError
from bot.services.registers import import_undo, imports
from storage import audit
from storage.db import Database
from storage.models import Inspector, RecordChange, User
from tests.support.registers import (
    ENTITY_HEADER,
    INSPECTOR_HEADER,
    NOW,
    book,
    changes,
    count,
    entities_book,
    entity_rows,
    load,
    person,
    rows_of,
    setup_units,
    snapshot,
    uscc,
)

LATER = NOW + timedelta(hours=1)


@pytest.fixture
def units(db: Database) -> Database:
    setup_units(db, "SCJG", "SWJ")
    return db


def undo(db: Database, kind: str = "entities", unit: str = "SCJG") -> import_undo.UndoResult:
    return import_undo.undo_last_import(db, None, unit, kind, LATER)


def test_undo_of_a_first_import_empties_the_directory(units: Database) -> None:
    empty = snapshot(units)
    load(units, entities_book(30))
    result = undo(units)
    assert (result.restored, result.deleted, result.deactivated) == (0, 30, 0)
    assert snapshot(units) == empty
    assert rows_of(units, "SELECT status FROM imports") == [("undone",)]
    undone = [c for c in changes(units) if c.source == "undo"]
    assert len(undone) == 30 and all(c.after is None and c.actor == "cli" for c in undone)
    with units.unit_of_work(write=False) as uow:
        assert audit.verify(uow.session).ok


def test_undo_restores_changed_and_deactivated_records_exactly(units: Database) -> None:
    load(units, entities_book(10))
    before = snapshot(units)
    rows = [ENTITY_HEADER, *entity_rows(8)]
    rows[1][2] = "新法人"  # a shared fact
    rows[2][5] = "D"  # the unit's view
    rows[3][4] = ""  # cleared in whole-directory mode
    result = load(units, book(rows), mode="replace", now=NOW + timedelta(minutes=5))
    assert (result.counts.changed, result.counts.deactivated) == (3, 2)
    assert snapshot(units) != before
    undone = undo(units)
    assert undone.restored == 5
    assert snapshot(units) == before  # every column, updated_at included


def test_undo_then_undo_again_walks_back_through_the_imports(units: Database) -> None:
    empty = snapshot(units)
    load(units, entities_book(3))
    after_first = snapshot(units)
    load(units, entities_book(5), now=NOW + timedelta(minutes=1))
    undo(units)
    assert snapshot(units) == after_first
    undo(units)
    assert snapshot(units) == empty
    with pytest.raises(imports.ImportRefused) as caught:
        undo(units)
    assert caught.value.code == "nothing"


def test_an_undone_import_does_not_stand_in_the_way(units: Database) -> None:
    load(units, entities_book(3))
    after_first = snapshot(units)
    rows = [ENTITY_HEADER, *entity_rows(3)]
    rows[1][5] = "D"
    load(units, book(rows), now=NOW + timedelta(minutes=1))
    undo(units)  # its changes, and its undo's, no longer count as changes since
    load(units, entities_book(3, start=100), now=NOW + timedelta(minutes=3))  # other records
    undo(units)
    assert snapshot(units) == after_first
    assert undo(units).deleted == 3


def test_undo_refuses_when_another_unit_changed_a_shared_entity_since(units: Database) -> None:
    load(units, entities_book(2))
    rows = [ENTITY_HEADER, ["舞钢市测试有限公司0", uscc(0), "王五", "", "", ""]]
    load(units, book(rows), unit="SWJ", now=NOW + timedelta(minutes=1))
    before = snapshot(units)
    with pytest.raises(imports.ImportRefused) as caught:
        undo(units)
    assert caught.value.code == "changed_since"
    assert caught.value.params["count"] == 1
    assert caught.value.params["key"] == f"uscc:{uscc(0)}"
    assert caught.value.params["actor"] == "cli"
    assert snapshot(units) == before


def test_undo_refuses_when_a_record_was_edited_since(units: Database) -> None:
    load(units, entities_book(2))
    view = rows_of(units, "SELECT id FROM unit_entities ORDER BY id")[0][0]
    with units.unit_of_work() as uow:  # what an edit in the chat logs
        uow.session.add(
            RecordChange(
                table_name="unit_entities",
                record_id=view,
                unit_id=1,
                key="x",
                before={"phone": None},
                after={"phone": "13800000001"},
                actor="tg:5",
                source="chat",
                at=LATER,
            )
        )
        uow.commit()
    with pytest.raises(imports.ImportRefused) as caught:
        undo(units)
    assert caught.value.code == "changed_since"
    assert caught.value.params["actor"] == "tg:5"


def test_undo_keeps_an_entity_another_unit_holds(units: Database) -> None:
    load(units, entities_book(2))
    load(
        units, book([ENTITY_HEADER, entity_rows(1)[0]]), unit="SWJ", now=NOW + timedelta(minutes=1)
    )
    result = undo(units)  # the first unit's import
    assert result.deleted == 2
    assert count(units, "entities") == 1  # the entity the other unit holds stays
    assert rows_of(
        units, "SELECT u.code FROM unit_entities v JOIN units u ON u.id = v.unit_id"
    ) == [("SWJ",)]


def test_undo_restores_shared_facts_it_changed_when_linking(units: Database) -> None:
    load(units, entities_book(1))
    before = snapshot(units)
    rows = [ENTITY_HEADER, ["舞钢市测试有限公司0", uscc(0), "王五", "", "", ""]]
    load(units, book(rows), unit="SWJ", now=NOW + timedelta(minutes=1))
    undo(units, unit="SWJ")
    assert snapshot(units) == before


def test_undo_deactivates_a_created_inspector_something_points_at(units: Database) -> None:
    rows = [INSPECTOR_HEADER, ["赵六", "C-1", "", "", ""], ["钱七", "C-2", "", "", ""]]
    load(units, book(rows), "inspectors")
    with units.unit_of_work() as uow:
        inspector = uow.session.execute(
            select(Inspector.id).where(Inspector.cert_no == "C-1")
        ).scalar_one()
        uow.session.add(User(telegram_id=55, name="赵六", inspector_id=inspector))
        uow.commit()
    result = undo(units, "inspectors")
    assert (result.deleted, result.deactivated) == (1, 1)
    assert rows_of(units, "SELECT name, active FROM inspectors") == [("赵六", False)]


def test_a_liaison_cannot_undo_another_units_import(units: Database) -> None:
    load(units, entities_book(2))
    liaison = person(units, 3, liaison_of="SWJ")
    with pytest.raises(NotAllowedError):
        import_undo.undo_last_import(units, liaison, "SCJG", "entities", LATER)
    own = person(units, 4, liaison_of="SCJG")
    assert import_undo.undo_last_import(units, own, "SCJG", "entities", LATER).deleted == 2
