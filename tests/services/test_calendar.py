"""Working days on the official calendar: deadlines on the package's data (a check on
2026-09-28 across National Day and its make-up day), a 2027 schedule imported from a file
and the deadline across the new year, the provisional flag without one, and a wrong file."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

from openpyxl import Workbook

from bot.services import calendar
from storage.db import Database
from tests.services.conftest import Cli

# The State Council's 2027 schedule, as far as a test needs it (New Year and Spring Festival).
SCHEDULE_2027 = [
    ("2027-01-01", "休息日", "元旦"),
    ("2027-02-06", "休", "春节"),
    ("2027-02-07", "休", "春节"),
    ("2027-02-08", "休", "春节"),
    ("2027-02-09", "休", "春节"),
    ("2027-02-10", "休", "春节"),
    ("2027-02-11", "休", "春节"),
    ("2027-02-12", "休", "春节"),
    ("2027-02-13", "休", "春节"),
    ("2027-02-14", "班", "春节"),
]


def book(rows: list[tuple[str, str, str]], extra: str | None = None) -> bytes:
    wb = Workbook()
    sheet = wb.active
    assert sheet is not None
    sheet.append(["2027年部分节假日安排"])
    sheet.append(["日期", "类型", "名称"] + ([extra] if extra else []))
    for row in rows:
        sheet.append(list(row) + (["x"] if extra else []))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_a_deadline_across_national_day_on_the_published_schedule(db: Database) -> None:
    # Sep 29, 30 (1-2), Oct 1-7 off, Oct 8, 9 and Saturday Oct 10 worked (3-5), then
    # three full weeks (6-20): Friday Oct 30.
    assert calendar.deadline(db, date(2026, 9, 28), 20) == (date(2026, 10, 30), False)


def test_across_the_new_year_provisional_until_2027_is_loaded(db: Database) -> None:
    # Without 2027's schedule, January 1 is a Friday like any other: provisional.
    assert calendar.deadline(db, date(2026, 12, 28), 5) == (date(2027, 1, 4), True)
    found = calendar.read_schedule(book(SCHEDULE_2027), "2027.xlsx", date(2026, 12, 3))
    assert found.problems == () and found.ignored_columns == ()
    assert found.years == (2027,) and len(found.days) == 10
    calendar.set_days(db, "office", found.days)
    # Dec 29, 30, 31 (1-3), Jan 1 off, Jan 4, 5 (4-5).
    assert calendar.deadline(db, date(2026, 12, 28), 5) == (date(2027, 1, 5), False)
    # Across the Spring Festival: Feb 5 (Fri) -> Feb 14 (the make-up Sunday) is the 1st.
    assert calendar.deadline(db, date(2027, 2, 5), 1) == (date(2027, 2, 14), False)


def test_a_wrong_schedule_is_refused_whole(db: Database) -> None:
    rows = [
        ("2027-01-01", "休息日", "元旦"),
        ("2027-01-01", "休息日", "元旦"),  # twice
        ("2027-02-10", "班", "春节"),  # a Wednesday cannot be a make-up working day
        ("2027-02-30", "休", "春节"),  # no such day
        ("2027-02-11", "放风筝", ""),  # no such kind
    ]
    found = calendar.read_schedule(book(rows, extra="备注2"), "bad.xlsx", date(2026, 12, 3))
    by_row = {row: reason for row, reason, _ in found.problems}
    assert set(by_row) == {4, 5, 6, 7}
    assert "also in row 3" in by_row[4].format(row=3)
    assert "weekday" in by_row[5]
    assert found.ignored_columns == ("D 备注2",)
    assert calendar.load_calendar(db).is_official(date(2027, 1, 1)) is False


def test_the_desk_imports_a_schedule_and_computes_a_deadline(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "2027.xlsx"
    path.write_bytes(book(SCHEDULE_2027))
    code, out, _ = cli("calendar", "import", str(path))
    assert code == 0 and "2027" in out and "--yes" in out
    code, out, _ = cli("calendar", "deadline", "2026-12-28", "--working-days", "5", "--json")
    assert json.loads(out) == {"deadline": "2027-01-04", "provisional": True}  # not recorded
    assert cli("calendar", "import", str(path), "--yes")[0] == 0
    code, out, _ = cli("calendar", "deadline", "2026-12-28", "--working-days", "5", "--json")
    assert json.loads(out) == {"deadline": "2027-01-05", "provisional": False}
    code, out, _ = cli("calendar", "deadline", "2026-09-28", "--working-days", "20")
    assert out.strip() == "2026-10-30"
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(book([("2027-02-10", "班", "春节")]))
    code, _, err = cli("calendar", "import", str(bad), "--yes")
    assert code == 1 and "第 3 行" in err and "未登记" in err


def test_the_office_is_told_once_that_next_year_is_missing(db: Database) -> None:
    from datetime import UTC, datetime

    from bot.services.outbox import QuietHours
    from bot.services.people.notices import NoticeContext
    from bot.services.reminders.calendar_year import due_calendar_notices
    from tests.conftest import TZ
    from tests.support.registers import person, rows_of

    person(db, 100, office=True)

    def run(day: date) -> int:
        when = datetime(day.year, day.month, day.day, 2, tzinfo=UTC)
        return due_calendar_notices(db, NoticeContext(when, QuietHours(TZ)))

    assert run(date(2026, 11, 1)) == 0  # 2027 is more than 45 days away
    assert run(date(2026, 11, 20)) == 1
    assert run(date(2026, 12, 3)) == 0  # once
    assert rows_of(db, "SELECT key FROM outbox WHERE key LIKE 'calendar:%'") == [
        ("calendar:2027:1",)
    ]
    calendar.set_days(db, "office", [calendar.DaySetting(date(2027, 1, 1), False, "元旦")])
    assert run(date(2027, 11, 20)) == 1  # 2028, in its turn
