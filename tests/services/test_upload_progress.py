"""Rows read, reported while a file is checked: by the reader as it streams the sheet
(the total from the sheet's used range), and across the isolated child's pipe to the bot,
without weakening what the isolation guarantees (the time limit kills a child that only
ever reports)."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.services.registers import uploads
from bot.services.registers.import_rows import Progress
from storage.db import Database
from storage.isolation import ReadTimedOut, run_isolated
from tests.support.held import count_to, report_forever
from tests.support.registers import (
    ENTITY_HEADER,
    NOW,
    TODAY,
    book,
    entity_rows,
    large_entities_book,
    preview,
    setup_units,
)

BUDGET = 512 * 2**20


def _recorder() -> tuple[list[tuple[int, int | None]], Progress]:
    seen: list[tuple[int, int | None]] = []
    return seen, lambda rows, total: seen.append((rows, total))


def test_the_child_reports_cross_to_the_caller_in_order() -> None:
    seen, progress = _recorder()
    assert run_isolated(count_to, 5, memory_bytes=BUDGET, timeout=60, progress=progress) == 5
    assert seen == [(1, 5), (2, 5), (3, 5), (4, 5), (5, 5)]


def test_a_child_that_only_reports_is_still_killed_at_its_time_limit() -> None:
    seen, progress = _recorder()
    with pytest.raises(ReadTimedOut):
        run_isolated(report_forever, memory_bytes=BUDGET, timeout=0.5, progress=progress)
    assert seen and seen[0] == (1, None)
    assert run_isolated(count_to, 1, memory_bytes=BUDGET, timeout=60, progress=progress) == 1


def test_the_preview_reports_rows_read_of_the_sheets_rows(database: Database) -> None:
    """Once the header is found (nothing read yet), then after each batch of 5,000 rows;
    the total is the used range under the header, blank rows included."""
    setup_units(database)
    seen, progress = _recorder()
    rows = entity_rows(3)
    data = book([ENTITY_HEADER, rows[0], [], rows[1], rows[2]])  # row 3 is blank
    preview(database, data, progress=progress)
    assert seen == [(0, 4), (4, 4)]

    seen.clear()
    preview(database, large_entities_book(12_000), progress=progress)
    assert seen == [(0, 12_000), (5_000, 12_000), (10_000, 12_000), (12_000, 12_000)]


def test_the_isolated_preview_passes_the_reports_on(database: Database) -> None:
    setup_units(database)
    seen, progress = _recorder()
    upload = uploads.Upload(
        database.url, None, "SCJG", "entities", "f.xlsx", "update", NOW, TODAY, "zh_Hans"
    )
    limits = uploads.ReaderLimits.from_settings(Settings(_env_file=None))  # type: ignore[call-arg]
    found = uploads.preview_isolated(database, upload, large_entities_book(6_000), limits, progress)
    assert found.counts.new == 6_000
    assert seen == [(0, 6_000), (5_000, 6_000), (6_000, 6_000)]
