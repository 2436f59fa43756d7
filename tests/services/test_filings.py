"""Half-year revisions: the changes since the last filing, the filing window (default and
moved by the office), filing and filing again, the office's overview and the all-units
public list; a liaison of another unit is refused at every step."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple

import pytest
from openpyxl import load_workbook

from bot.services.errors import NotAllowedError, ServiceError
from bot.services.outbox import QuietHours
from bot.services.people import membership
from bot.services.people.notices import NoticeContext
from bot.services.people.profiles import Profile
from bot.services.registers import filings, unit_page
from storage.db import Database
from tests.conftest import TZ
from tests.support.registers import count, entities_book, load, person

DECEMBER = datetime(2026, 12, 10, 2, 0, tzinfo=UTC)  # 10:00 in the office's zone
DEC_DAY = DECEMBER.astimezone(TZ).date()
OFFICE_TG, LIAISON_TG, OTHER_TG = 100, 201, 202


def _notices(now: datetime = DECEMBER) -> NoticeContext:
    return NoticeContext(now, QuietHours(TZ))


class City(NamedTuple):
    office: Profile
    liaison: Profile  # of SCJG
    other: Profile  # the liaison of SW


@pytest.fixture
def city(db: Database) -> City:
    membership.add_unit(db, None, "SCJG", "市场监管局")
    membership.add_unit(db, None, "SW", "税务局")
    return City(
        person(db, OFFICE_TG, office=True),
        person(db, LIAISON_TG, liaison_of="SCJG"),
        person(db, OTHER_TG, liaison_of="SW"),
    )


def test_changes_since_the_last_filing_then_filing_in_december(db: Database, city: City) -> None:
    liaison = city.liaison
    load(db, entities_book(5), now=DECEMBER - timedelta(days=30))
    membership.add_inspector(db, None, "SCJG", "王明", "41000001", now=DECEMBER)
    found = filings.revision_preview(db, liaison, "SCJG", DEC_DAY)
    assert (found.period, found.last_filed_at, found.filed_at) == ((2026, "H2"), None, None)
    assert found.changes["entities"].new == 5 and found.changes["inspectors"].new == 1

    done = filings.file_revision(db, liaison, "SCJG", DEC_DAY, _notices())
    assert (done.period, done.again, done.filed_at) == ((2026, "H2"), False, DECEMBER)
    assert count(db, "revision_filings", "year = 2026 AND half = 'H2'") == 2
    # The office is told, in its language.
    assert count(db, "outbox", f"chat_id = {OFFICE_TG}") == 1

    # After the filing: a changed record, a deactivated one, a new one.
    later = DECEMBER + timedelta(days=1)
    load(db, entities_book(4), mode="replace", now=later, confirm=True)
    load(db, entities_book(1, start=20), now=later)
    found = filings.revision_preview(db, liaison, "SCJG", later.date())
    assert found.last_filed_at == DECEMBER and found.filed_at == DECEMBER
    counts = found.changes["entities"]
    assert (counts.new, counts.deactivated) == (1, 1)
    assert found.changes["inspectors"].total == 0
    again = filings.file_revision(db, liaison, "SCJG", later.date(), _notices(later))
    assert again.again and count(db, "revision_filings") == 2

    overview = filings.filing_overview(db, city.office, 2026, "H2")
    assert [(u.unit_code, u.filed_at) for u in overview.units] == [
        ("SCJG", later),
        ("SW", None),
    ]
    assert overview.filed == 1


def test_filing_is_refused_outside_the_window_with_its_dates(db: Database, city: City) -> None:
    march = date(2026, 3, 5)
    with pytest.raises(ServiceError) as refused:
        filings.file_revision(db, city.liaison, "SCJG", march, _notices())
    assert refused.value.params == {"opens": "2026-06-01", "closes": "2026-06-30"}
    assert count(db, "revision_filings") == 0
    preview = filings.revision_preview(db, city.liaison, "SCJG", march)
    assert preview.period is None and (preview.window.year, preview.window.half) == (2026, "H1")


def test_the_office_moves_a_window(db: Database, city: City) -> None:
    office, liaison = city.office, city.liaison
    jan = date(2027, 1, 8)
    with pytest.raises(ServiceError):
        filings.file_revision(db, liaison, "SCJG", jan, _notices())
    with pytest.raises(NotAllowedError):
        filings.set_window(db, liaison, 2026, "H2", date(2026, 12, 1), jan, DECEMBER)
    with pytest.raises(ServiceError):
        filings.set_window(db, office, 2026, "H2", jan, date(2026, 12, 1), DECEMBER)
    moved = filings.set_window(
        db,
        office,
        2026,
        "h2",
        date(2026, 12, 1),
        date(2027, 1, 15),
        DECEMBER,
    )
    assert moved.moved and moved.half == "H2"
    # Early January now files the second half of 2026.
    done = filings.file_revision(db, liaison, "SCJG", jan, _notices())
    assert done.period == (2026, "H2")
    shown = filings.windows(db, 2026)
    assert [(w.half, w.moved) for w in shown] == [("H1", False), ("H2", True)]


def test_another_units_liaison_is_refused_at_every_step(db: Database, city: City) -> None:
    other = city.other
    with pytest.raises(NotAllowedError):
        filings.revision_preview(db, other, "SCJG", DEC_DAY)
    with pytest.raises(NotAllowedError):
        filings.file_revision(db, other, "SCJG", DEC_DAY, _notices())
    with pytest.raises(NotAllowedError):
        filings.filing_overview(db, other, 2026, "H2")
    with pytest.raises(NotAllowedError):
        filings.all_public_lists(db, other, "entities")
    with pytest.raises(NotAllowedError):
        unit_page.unit_page(db, other, 1, DEC_DAY)
    assert count(db, "revision_filings") == 0


def test_all_units_public_list_keeps_risk_classes_and_phones_in(db: Database, city: City) -> None:
    load(db, entities_book(3))
    load(db, entities_book(2, start=10), unit="SW")
    data = filings.all_public_lists(db, city.office, "entities")
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    header = rows[1]
    assert header[0] == "单位"
    assert not {"风险等级", "联系电话", "联系人"} & set(header)
    units = [r[0] for r in rows[2:]]
    assert units == ["市场监管局"] * 3 + ["税务局"] * 2
    text = str(rows)
    assert "138" not in text  # no phone number anywhere


def test_the_unit_page(db: Database, city: City) -> None:
    load(db, entities_book(3))
    membership.add_inspector(db, None, "SCJG", "王明", "41000001")
    page = unit_page.unit_page(db, city.office, 1, DEC_DAY)
    assert (page.code, page.entities, page.inspectors, page.joined) == ("SCJG", 3, 1, 0)
    assert page.liaisons == (f"user{LIAISON_TG}",)
    assert page.last_change is not None and page.last_filing is None
    assert page.away_today == ()
