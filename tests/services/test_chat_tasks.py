"""The chat's use cases of tasks and draws (issue #12): who may see and draw a task, the
pools before the seed with the figures of a short pool, filter by filter, and a draw by
the lead unit's liaison that the office's desk can verify."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from bot.domain.draws.algorithm import PURPOSE_INSPECTORS, PURPOSE_TARGETS
from bot.services.draws import chat_draw, plans, task_chat
from bot.services.draws import drawing as draws
from bot.services.draws.filter_text import format_filters, parse_filters
from bot.services.draws.plans import TargetFilters, TaskInvalid
from bot.services.errors import NotAllowedError
from bot.services.outbox import QuietHours
from bot.services.people.notices import NoticeContext
from bot.services.people.profiles import Profile
from storage.db import Database, reading
from storage.models import Plan, PoolCommitment
from tests.conftest import TZ
from tests.support.city import NOW, TODAY, City, Seeds, build_city, spec

NOTICES = NoticeContext(NOW, QuietHours(TZ))


def _liaison(city: City, unit: str, telegram_id: int) -> Profile:
    return Profile(telegram_id, None, unit, None, False, city.units[unit], unit, "", None, True)


OFFICE = Profile(8, None, "o", None, True, None, None, None, None, True)


@pytest.fixture
def city(db: Database) -> City:
    return build_city(db)


def _commitments(db: Database) -> int:
    with reading(db) as session:
        return int(session.execute(select(func.count(PoolCommitment.id))).scalar_one())


def test_a_short_pool_is_explained_and_nothing_is_fixed(db: Database, city: City) -> None:
    task = plans.create_task(
        db,
        None,
        spec(
            sampling=plans.parse_sampling("A=1,B=30"),
            target_filters=TargetFilters(industries=("餐饮",), areas=("城区",)),
        ),
        TODAY,
    )
    lead = _liaison(city, "SCJG", 7)
    preview = chat_draw.preview_draw(db, lead, task.id, NOW, tz=TZ)
    assert preview.purpose == PURPOSE_TARGETS and not preview.ready
    # 24 entities of SCJG, all of M01's kinds; odd ones sell retail (12 out), 6 rural.
    assert preview.funnel == (("directory", 24), ("kind", 0), ("industry", 12), ("area", 6))
    assert preview.size == 6 and preview.targets_short
    assert [s.stratum for s in preview.strata if s.short] == ["B"]
    unit = preview.inspectors[0]
    assert (unit.unit_code, unit.eligible, unit.total) == ("SCJG", 10, 15)
    assert dict(unit.removed) == {"inactive": 1, "uncertified": 1, "expired": 2, "away": 1}
    assert _commitments(db) == 0


def test_the_lead_liaison_draws_and_a_partner_only_looks(db: Database, city: City) -> None:
    task = plans.create_task(db, None, spec(partner_codes=("SWJ",)), TODAY)
    lead = _liaison(city, "SCJG", 7)
    partner = _liaison(city, "SWJ", 9)
    other = _liaison(city, "HB", 10)

    page = task_chat.task_page(db, partner, task.id)
    assert not page.may_draw and page.task.code == task.code
    assert task_chat.task_page(db, lead, task.id).may_draw
    with pytest.raises(NotAllowedError):
        task_chat.task_page(db, other, task.id)
    with pytest.raises(NotAllowedError):
        chat_draw.preview_draw(db, partner, task.id, NOW, tz=TZ)
    assert [t.code for t in task_chat.visible_tasks(db, partner)] == [task.code]
    assert task_chat.visible_tasks(db, other) == []

    preview = chat_draw.preview_draw(db, lead, task.id, NOW, tz=TZ)
    assert preview.ready and preview.commitment_id is not None
    assert preview.commitment_id is not None
    with pytest.raises(NotAllowedError):  # a typed seed is the office's alone
        chat_draw.draw_now(
            db,
            lead,
            task.id,
            preview.commitment_id,
            now=NOW,
            tz=TZ,
            notices=NOTICES,
            seed_input="123",
        )
    seeds = Seeds("chat-service")
    targets = chat_draw.draw_now(
        db,
        lead,
        task.id,
        preview.commitment_id,
        now=NOW,
        tz=TZ,
        notices=NOTICES,
        token_hex=seeds,
    )
    assert targets.purpose == PURPOSE_TARGETS
    second = chat_draw.preview_draw(db, lead, task.id, NOW, tz=TZ)
    assert second.purpose == PURPOSE_INSPECTORS and second.ready
    assert second.commitment_id is not None
    inspectors = chat_draw.draw_now(
        db,
        lead,
        task.id,
        second.commitment_id,
        now=NOW,
        tz=TZ,
        notices=NOTICES,
        token_hex=seeds,
    )
    assert draws.show_draw(db, inspectors.id)["actor"] == "tg:7"
    assert draws.verify_draw(db, inspectors.id) == []
    cert = task_chat.certificate_file(db, partner, inspectors.id)
    assert cert.workbook[:2] == b"PK" and cert.task_code == task.code
    assert "risk" not in str(cert.data)
    with pytest.raises(NotAllowedError):
        task_chat.certificate_file(db, other, inspectors.id)
    assert not task_chat.task_page(db, lead, task.id).may_draw


def test_a_chat_task_gets_the_next_code_and_its_plan(db: Database, city: City) -> None:
    lead = _liaison(city, "SCJG", 7)
    draft = spec(window_start=date(2027, 3, 1), window_end=date(2027, 3, 10))
    checked = task_chat.create_chat_task(db, lead, draft, TODAY, dry_run=True)
    assert checked.code == "SCJG-2027-001"
    assert plans.list_tasks(db) == []
    first = task_chat.create_chat_task(db, lead, draft, TODAY)
    second = task_chat.create_chat_task(db, lead, draft, TODAY)
    assert (first.code, second.code) == ("SCJG-2027-001", "SCJG-2027-002")
    with reading(db) as session:
        years = session.execute(select(Plan.year).where(Plan.unit_id == city.units["SCJG"]))
        assert sorted(years.scalars()) == [2026, 2027]
    with pytest.raises(NotAllowedError):
        task_chat.create_chat_task(db, OFFICE, draft, TODAY)


def test_filters_as_typed_in_the_chat() -> None:
    typed = "行业：餐饮、零售；区域=城区\n类型：个体户; 风险: a，U"
    filters = parse_filters(typed)
    assert filters == TargetFilters(
        kinds=("individual",),
        industries=("餐饮", "零售"),
        areas=("城区",),
        risk_classes=("A", "U"),
    )
    assert parse_filters(format_filters(filters)) == filters
    assert parse_filters("") == TargetFilters() and format_filters(TargetFilters()) == ""
    for bad in ("行业 餐饮", "颜色：红", "风险：E", "类型：飞机", "行业：；"):
        with pytest.raises(TaskInvalid):
            parse_filters(bad)
