"""Large re-imports: rows that leave their record as it is keep only their keys, the
directory is read brief (and early, over the last import's fields), and everything the
preview and apply say is what they say on whole rows."""

from __future__ import annotations

import gc
import io
import zlib

import orjson
import pytest
from openpyxl import load_workbook

from bot.domain.registers.validation import Register
from bot.services.registers import imports
from bot.services.registers.import_rows import Prepared, Preparer, RowPacker, unpack_rows
from storage.db import Database
from storage.xlsx_read import ReadResult, ReadRow, read_register
from tests.support.registers import (
    ENTITY_HEADER,
    NOW,
    book,
    count,
    entity_rows,
    load,
    preview,
    rows_of,
    setup_units,
)


@pytest.fixture
def units(db: Database) -> Database:
    setup_units(db, "SCJG", "SWJ")
    return db


def test_unchanged_rows_keep_only_their_keys(
    units: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = entity_rows(6)
    load(units, book([ENTITY_HEADER, *rows]))
    rows[2][4] = "13912345678"  # one changed phone
    prepared: list[Prepared] = []
    finish = Preparer.finish

    def kept_rows(self: Preparer) -> Prepared:
        prepared.append(finish(self))
        return prepared[-1]

    monkeypatch.setattr(Preparer, "finish", kept_rows)
    kept = preview(units, book([ENTITY_HEADER, *rows]))
    assert kept.counts == imports.ImportCounts(changed=1, unchanged=5)
    by_row = {r.row: r for r in prepared[0].rows}
    assert by_row[4].same_as is None and by_row[4].values["phone"] == "13912345678"
    unchanged = [r for r in by_row.values() if r.same_as is not None]
    assert len(unchanged) == 5
    assert all(set(r.values) <= {"uscc", "local_no", "name"} for r in unchanged)
    result = imports.apply_import(units, None, kept.import_id or 0, NOW)
    assert result.counts == imports.ImportCounts(changed=1, unchanged=5) and result.logged == 1
    assert rows_of(units, "SELECT phone FROM unit_entities WHERE phone = '13912345678'") == [
        ("13912345678",)
    ]


def test_a_preview_of_unchanged_rows_applies_after_the_directory_changed(
    units: Database,
) -> None:
    """The sieve keeps only the keys of unchanged rows in memory, but the kept preview
    holds them whole: when the directory changed meanwhile, apply diffs them again."""
    rows = entity_rows(4)
    load(units, book([ENTITY_HEADER, *rows]))
    kept = preview(units, book([ENTITY_HEADER, *rows]))
    rows[0][2] = "王五"
    load(units, book([ENTITY_HEADER, rows[0]]))  # meanwhile
    result = imports.apply_import(units, None, kept.import_id or 0, NOW)
    assert result.counts == imports.ImportCounts(changed=1, unchanged=3)
    assert rows_of(units, "SELECT count(*) FROM entities WHERE legal_rep = '王五'") == [(0,)]


def test_a_kept_preview_packs_every_row_whole_and_diffs_again_at_apply(units: Database) -> None:
    rows = entity_rows(4)
    load(units, book([ENTITY_HEADER, *rows]))
    kept = preview(units, book([ENTITY_HEADER, *rows]))
    assert kept.counts == imports.ImportCounts(unchanged=4)
    changed = [*rows[1]]
    changed[2] = "王五"
    load(units, book([ENTITY_HEADER, changed]))  # meanwhile: the file now changes it back
    result = imports.apply_import(units, None, kept.import_id or 0, NOW)
    assert result.counts == imports.ImportCounts(changed=1, unchanged=3)
    assert rows_of(units, "SELECT count(*) FROM entities WHERE legal_rep = '王五'") == [(0,)]


def test_a_reimport_with_other_columns_than_last_time(units: Database) -> None:
    rows = entity_rows(3)
    load(units, book([ENTITY_HEADER, *rows]))
    fewer = [ENTITY_HEADER[:3], *[r[:3] for r in rows]]  # the guess (six columns) is wrong
    again = preview(
        units,
        book(fewer),
    )
    assert again.counts == imports.ImportCounts(unchanged=3)
    fewer[1][2] = "赵六"
    again = preview(
        units,
        book(fewer),
    )
    assert again.counts == imports.ImportCounts(changed=1, unchanged=2)


def test_duplicates_of_an_unchanged_row_are_both_errors_with_their_keys_shown(
    units: Database,
) -> None:
    rows = entity_rows(2)
    load(units, book([ENTITY_HEADER, *rows]))
    result = preview(units, book([ENTITY_HEADER, *rows, rows[0]]))
    assert result.counts.errors == 2 and result.counts.unchanged == 1
    assert {p.row for p in result.errors} == {2, 4}
    assert result.report is not None
    shown = load_workbook(io.BytesIO(result.report)).worksheets[0]
    lines = {r[0]: r for r in shown.iter_rows(min_row=2, values_only=True)}
    assert lines[2][1] == rows[0][0] and lines[2][2] == rows[0][1]  # name and USCC
    assert lines[4][3] == rows[0][2]  # the later copy, whole: its legal representative too


def test_a_sink_failure_is_not_a_broken_file() -> None:
    class Failing:
        def start(self, read: ReadResult) -> None:
            pass

        def take(self, rows: list[ReadRow]) -> list[ReadRow]:
            raise LookupError("the sink's own")

    with pytest.raises(LookupError, match="the sink's own"):
        read_register(
            book([ENTITY_HEADER, *entity_rows(2)]), "f.xlsx", Register.ENTITIES, Failing()
        )


def test_rows_packed_in_the_first_format_still_unpack() -> None:
    assert unpack_rows(RowPacker([]).finish([])) == []
    packer = RowPacker(["uscc", "name"])
    packer.add(2, {"uscc": "A", "name": "甲"})
    packer.add(3, {"uscc": "B", "name": None, "reg_no": "R"})  # a key only this row has
    packed = [(r.row, dict(r.values), r.blocked) for r in unpack_rows(packer.finish([3]))]
    assert packed == [
        (2, {"uscc": "A", "name": "甲"}, False),
        (3, {"uscc": "B", "name": None, "reg_no": "R"}, True),
    ]
    legacy = {
        "format": 1,
        "columns": ["uscc", "name"],
        "rows": [[2, 1, "A", "甲"], [3, 0, "B", None]],
    }
    unpacked = unpack_rows(zlib.compress(orjson.dumps(legacy)))
    assert [(r.row, dict(r.values), r.blocked) for r in unpacked] == [
        (2, {"uscc": "A", "name": "甲"}, True),
        (3, {"uscc": "B", "name": None}, False),
    ]
    second = {"format": 2, "columns": ["uscc"], "rows": [[2, "A"], [3, "B"]], "blocked": [3]}
    unpacked = unpack_rows(zlib.compress(orjson.dumps(second)))
    assert [(r.row, dict(r.values), r.blocked) for r in unpacked] == [
        (2, {"uscc": "A"}, False),
        (3, {"uscc": "B"}, True),
    ]


def test_entities_of_another_unit_are_not_compared_by_digest(units: Database) -> None:
    rows = entity_rows(3)
    load(units, book([ENTITY_HEADER, *rows]), unit="SWJ")
    first = preview(
        units,
        book([ENTITY_HEADER, *rows]),
    )
    assert first.counts == imports.ImportCounts(new=3)  # views of known entities
    imports.apply_import(units, None, first.import_id or 0, NOW)
    assert count(units, "entities") == 3 and count(units, "unit_entities") == 6


def test_an_import_leaves_the_garbage_collector_as_it_found_it(units: Database) -> None:
    """The GC is settled (gc.freeze), never switched off, and nothing stays frozen."""
    seen: list[tuple[bool, int]] = []

    def during(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            seen.append((gc.isenabled(), gc.get_freeze_count()))

    gc.callbacks.append(during)
    try:
        kept = preview(units, book([ENTITY_HEADER, *entity_rows(3)]))
        gc.collect()
        imports.apply_import(units, None, kept.import_id or 0, NOW)
    finally:
        gc.callbacks.remove(during)
    assert seen and all(enabled for enabled, _ in seen)
    assert gc.isenabled() and gc.get_freeze_count() == 0
