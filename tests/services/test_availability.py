"""Inspectors away and declared conflicts (bot.services.inspectors): who may read and
write whose records, merging and refusing overlaps, notices both ways, the audit log, and
the draw leaving out whoever was marked away through the service."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from bot.services.draws import drawing as draws
from bot.services.draws import plans
from bot.services.errors import NotAllowedError, ServiceError
from bot.services.inspectors import availability, conflicts
from bot.services.inspectors.availability import AwayRequest
from bot.services.outbox import QuietHours
from bot.services.people import profiles as people
from bot.services.people.notices import NoticeContext
from bot.services.people.profiles import Profile
from storage.db import Database, reading
from storage.models import AuditEntry, Conflict, Entity, OutboxMessage, Unavailability, User
from tests.conftest import TZ
from tests.support.city import NOW, TODAY, City, Seeds, build_city, spec, uscc

CODE = "WG-2026-007"
DASH = "\u2009–\u2009"  # how Babel writes a range of days
NOTICES = NoticeContext(NOW, QuietHours(TZ, quiet_start=NOW.time(), quiet_end=NOW.time()))
# People of the city: the office, SCJG's liaison, two SCJG inspectors, SWJ's liaison.
OFFICE, LIAISON, SC001, SC002, SWJ_LIAISON = 1, 2, 3, 4, 5


@pytest.fixture
def city(db: Database) -> City:
    city = build_city(db)
    with db.unit_of_work() as uow:
        uow.session.add_all(
            [
                User(telegram_id=OFFICE, name="刘主任", is_office=True),
                User(telegram_id=LIAISON, name="王芳", liaison_unit_id=city.units["SCJG"]),
                User(telegram_id=SC001, name="市监1", inspector_id=city.inspectors["SC001"]),
                User(telegram_id=SC002, name="市监2", inspector_id=city.inspectors["SC002"]),
                User(telegram_id=SWJ_LIAISON, name="税务联络员", liaison_unit_id=city.units["SWJ"]),
            ]
        )
        uow.commit()
    return city


def who(db: Database, telegram_id: int) -> Profile:
    profile = people.load_profile(db, telegram_id)
    assert profile is not None
    return profile


def away(
    db: Database,
    actor: int,
    inspector: int,
    start: date,
    end: date,
    kind: str = "trip",
    note: str | None = None,
) -> availability.Marked:
    request = AwayRequest(inspector, kind, start, end, note)
    return availability.mark_away(db, who(db, actor), request, NOTICES, TODAY)


def outbox(db: Database) -> list[tuple[int, str]]:
    with reading(db) as session:
        rows = session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars()
        return [(row.chat_id, row.payload["params"]["text"]) for row in rows]


def audit_actions(db: Database) -> list[str]:
    with reading(db) as session:
        return list(session.execute(select(AuditEntry.action).order_by(AuditEntry.id)).scalars())


# --- marking, listing, cancelling -------------------------------------------------------------


def test_an_inspector_marks_themself_away_and_the_liaison_is_told(db: Database, city: City) -> None:
    mine = city.inspectors["SC001"]
    marked = away(db, SC001, mine, date(2026, 6, 10), date(2026, 6, 12), note="省局培训班")
    assert (marked.absence.kind, marked.absence.start, marked.absence.end) == (
        "trip",
        date(2026, 6, 10),
        date(2026, 6, 12),
    )
    assert (marked.merged, marked.told) == (0, 1)
    assert outbox(db) == [
        (LIAISON, f"市监1 将不在岗：出差，2026年6月10日{DASH}12日。查看 /whoaway。")
    ]
    assert audit_actions(db)[-1] == "away.mark"
    listed = availability.my_absences(db, who(db, SC001), TODAY)
    assert [(a.inspector_name, a.note) for a in listed] == [("市监1", "省局培训班")]


def test_a_liaison_marks_an_inspector_away_and_the_inspector_is_told(
    db: Database, city: City
) -> None:
    marked = away(db, LIAISON, city.inspectors["SC002"], date(2026, 6, 1), date(2026, 6, 3), "sick")
    assert marked.told == 1
    assert outbox(db) == [
        (SC002, f"王芳 已将您登记为不在岗：病假，2026年6月1日{DASH}3日。查看 /myaway。")
    ]
    # The liaison lists the unit's periods; the inspector their own; nobody else's.
    names = [a.inspector_name for a in availability.my_absences(db, who(db, LIAISON), TODAY)]
    assert names == ["市监2", "市监出差"]  # build_city's 市监出差 too
    assert availability.my_absences(db, who(db, SC001), TODAY) == []
    cancelled = availability.cancel_away(db, who(db, SC002), marked.absence.id, NOTICES)
    assert cancelled.id == marked.absence.id
    assert outbox(db)[-1] == (LIAISON, f"市监2 取消了不在岗记录：病假，2026年6月1日{DASH}3日。")
    names = [a.inspector_name for a in availability.my_absences(db, who(db, LIAISON), TODAY)]
    assert names == ["市监出差"]
    assert audit_actions(db)[-2:] == ["away.mark", "away.cancel"]


def test_overlaps_of_the_same_kind_merge_and_of_another_kind_are_refused(
    db: Database, city: City
) -> None:
    mine = city.inspectors["SC001"]
    first = away(db, SC001, mine, date(2026, 6, 1), date(2026, 6, 5))
    second = away(db, SC001, mine, date(2026, 6, 4), date(2026, 6, 8))
    assert (second.absence.id, second.absence.start, second.absence.end) == (
        first.absence.id,
        date(2026, 6, 1),
        date(2026, 6, 8),
    )
    assert second.merged == 1
    third = away(db, SC001, mine, date(2026, 6, 9), date(2026, 6, 9))  # touching: merged
    assert third.absence.end == date(2026, 6, 9)
    with pytest.raises(ServiceError) as refused:
        away(db, SC001, mine, date(2026, 6, 9), date(2026, 6, 10), kind="training")
    assert refused.value.params == {"name": "市监1", "start": "2026-06-01", "end": "2026-06-09"}
    away(db, SC001, mine, date(2026, 6, 10), date(2026, 6, 10), kind="training")  # after it: fine
    kinds = [(a.kind, a.start, a.end) for a in availability.my_absences(db, who(db, SC001), TODAY)]
    assert kinds == [
        ("trip", date(2026, 6, 1), date(2026, 6, 9)),
        ("training", date(2026, 6, 10), date(2026, 6, 10)),
    ]
    plan = availability.check_away(
        db, who(db, SC001), AwayRequest(mine, "trip", date(2026, 5, 30), date(2026, 6, 2)), TODAY
    )
    assert (plan.start, plan.end, [m.id for m in plan.merges]) == (
        date(2026, 5, 30),
        date(2026, 6, 9),
        [first.absence.id],
    )


@pytest.mark.parametrize(
    ("start", "end", "kind", "note"),
    [
        (date(2026, 5, 1), date(2026, 5, 31), "trip", None),  # over already
        (date(2026, 6, 5), date(2026, 6, 1), "trip", None),
        (date(2026, 6, 1), date(2027, 6, 5), "trip", None),  # a mistyped year
        (date(2026, 6, 1), date(2026, 6, 1), "holiday", None),
        (date(2026, 6, 1), date(2026, 6, 1), "trip", "很" * 301),
    ],
)
def test_impossible_periods_are_refused(
    db: Database, city: City, start: date, end: date, kind: str, note: str | None
) -> None:
    with pytest.raises(ServiceError):
        away(db, SC001, city.inspectors["SC001"], start, end, kind, note)
    assert audit_actions(db) == []


def test_only_oneself_or_ones_own_units_liaison_writes(db: Database, city: City) -> None:
    scjg = city.inspectors["SC002"]
    for actor in (SC001, SWJ_LIAISON, OFFICE):
        with pytest.raises(NotAllowedError):
            away(db, actor, scjg, date(2026, 6, 1), date(2026, 6, 1))
    mine = away(db, SC002, scjg, date(2026, 6, 1), date(2026, 6, 1)).absence
    for actor in (SC001, SWJ_LIAISON, OFFICE):
        with pytest.raises(NotAllowedError):
            availability.cancel_away(db, who(db, actor), mine.id, NOTICES)
    with pytest.raises(NotAllowedError):
        availability.my_absences(db, who(db, OFFICE), TODAY)
    with pytest.raises(NotAllowedError):
        availability.who_is_away(db, who(db, SC001), TODAY, TODAY)
    swj = availability.my_absences(db, who(db, SWJ_LIAISON), TODAY)
    assert [a.inspector_name for a in swj] == ["税务病假"]


def test_who_is_away_on_a_date(db: Database, city: City) -> None:
    away(db, LIAISON, city.inspectors["SC001"], date(2026, 6, 1), date(2026, 6, 5))
    # build_city recorded 市监出差 (SCJG, 6.10–6.12) and 税务病假 (SWJ, 5.20–6.8).
    office = availability.who_is_away(db, who(db, OFFICE), date(2026, 6, 3), date(2026, 6, 3))
    assert [(a.unit_code, a.inspector_name) for a in office] == [
        ("SCJG", "市监1"),
        ("SWJ", "税务病假"),
    ]
    liaison = availability.who_is_away(db, who(db, LIAISON), date(2026, 6, 3), date(2026, 6, 11))
    assert [a.inspector_name for a in liaison] == ["市监1", "市监出差"]
    swj = availability.who_is_away(db, who(db, SWJ_LIAISON), date(2026, 6, 3), date(2026, 6, 3))
    assert [a.inspector_name for a in swj] == ["税务病假"]


# --- the draw respects it ---------------------------------------------------------------------


def test_an_inspector_marked_away_is_never_drawn_for_an_overlapping_window(
    db: Database, city: City
) -> None:
    """The task's window is 6.8–6.19. SC001–SC003 are away on days inside it (SC003 only
    on its last day), SC004 after it; a liaison and the inspectors themselves marked them."""
    away(db, SC001, city.inspectors["SC001"], date(2026, 6, 1), date(2026, 6, 8))
    away(db, LIAISON, city.inspectors["SC002"], date(2026, 6, 12), date(2026, 6, 12), "sick")
    away(db, LIAISON, city.inspectors["SC003"], date(2026, 6, 19), date(2026, 7, 1), "training")
    away(db, LIAISON, city.inspectors["SC004"], date(2026, 6, 20), date(2026, 6, 30))
    plans.create_task(db, None, spec(), TODAY)
    seeds = Seeds("away")
    draws.run_targets_draw(db, None, CODE, now=NOW, token_hex=seeds, tz=TZ)
    result = draws.run_inspectors_draw(db, None, CODE, now=NOW, token_hex=seeds, tz=TZ)
    pool = {entry["key"] for entry in draws.show_draw(db, result.id)["pool"]}
    drawn = {member for team in result.teams for member in team.members}
    assert {"SC001", "SC002", "SC003"}.isdisjoint(pool | drawn)
    # Eligible were SC001–SC010; three are away in the window, SC004 is not.
    assert pool == {f"SC{n:03d}" for n in (4, 5, 6, 7, 8, 9, 10)}
    assert len(drawn) == 6 and drawn <= pool


def test_cancelling_puts_the_inspector_back_in_the_pool(db: Database, city: City) -> None:
    marked = away(db, SC001, city.inspectors["SC001"], date(2026, 6, 8), date(2026, 6, 19))
    availability.cancel_away(db, who(db, LIAISON), marked.absence.id, NOTICES)
    plans.create_task(db, None, spec(), TODAY)
    draws.run_targets_draw(db, None, CODE, now=NOW, tz=TZ)
    result = draws.run_inspectors_draw(db, None, CODE, now=NOW, tz=TZ)
    assert "SC001" in {entry["key"] for entry in draws.show_draw(db, result.id)["pool"]}


# --- declared conflicts -----------------------------------------------------------------------


def test_a_conflict_found_by_code_or_name_is_declared_listed_and_withdrawn(
    db: Database, city: City
) -> None:
    mine = city.inspectors["SC001"]
    inspector = who(db, SC001)
    by_code = conflicts.find_entities(db, inspector, mine, f" {uscc(3).lower()} ")
    assert [m.id for m in by_code.matches] == [city.entities[3]]
    # An entity only SWJ keeps (24–27) is found by its code, never by its name.
    assert conflicts.find_entities(db, inspector, mine, uscc(25)).matches
    assert conflicts.find_entities(db, inspector, mine, "测试25号").matches == []
    by_name = conflicts.find_entities(db, inspector, mine, "测试0")
    assert len(by_name.matches) == conflicts.SHOWN and by_name.more
    assert conflicts.find_entities(db, inspector, mine, "100%").matches == []
    declared = conflicts.declare_conflict(
        db, inspector, mine, city.entities[3], " 亲属 关系 ", NOTICES
    )
    assert (declared.entity_name, declared.reason) == ("舞钢市测试03号有限公司", "亲属 关系")
    assert outbox(db)[-1] == (
        LIAISON,
        "市监1 申报了与 舞钢市测试03号有限公司 的利害关系回避。查看 /conflicts。",
    )
    with pytest.raises(ServiceError):
        conflicts.declare_conflict(db, inspector, mine, city.entities[3], "again", NOTICES)
    assert [d.id for d in conflicts.conflicts(db, who(db, LIAISON))] == [declared.id]
    assert [d.id for d in conflicts.conflicts(db, who(db, OFFICE))] == [declared.id]
    assert conflicts.conflicts(db, who(db, SWJ_LIAISON)) == []
    assert conflicts.conflicts(db, who(db, SC002)) == []
    with pytest.raises(NotAllowedError):
        conflicts.withdraw_conflict(db, who(db, SWJ_LIAISON), declared.id, NOTICES)
    conflicts.withdraw_conflict(db, who(db, LIAISON), declared.id, NOTICES)
    assert outbox(db)[-1][0] == SC001
    assert audit_actions(db)[-2:] == ["conflict.declare", "conflict.withdraw"]
    with reading(db) as session:
        assert session.execute(select(func.count()).select_from(Conflict)).scalar_one() == 0


def test_conflicts_are_written_only_by_the_inspector_or_their_liaison(
    db: Database, city: City
) -> None:
    scjg = city.inspectors["SC002"]
    for actor in (SC001, SWJ_LIAISON, OFFICE):
        with pytest.raises(NotAllowedError):
            conflicts.find_entities(db, who(db, actor), scjg, uscc(3))
        with pytest.raises(NotAllowedError):
            conflicts.declare_conflict(db, who(db, actor), scjg, city.entities[3], "x", NOTICES)
    with pytest.raises(ServiceError):
        conflicts.declare_conflict(db, who(db, LIAISON), scjg, city.entities[3], "  ", NOTICES)
    with pytest.raises(ServiceError):
        conflicts.find_entities(db, who(db, LIAISON), scjg, "测")


def test_a_conflict_declared_in_the_chat_keeps_the_inspector_off_that_target(
    db: Database, city: City
) -> None:
    """Entity 12 is the only D-class target: everyone but SC001 declares a conflict with
    it through the service, so the one team cannot be formed (as test_draws shows for
    conflicts written directly)."""
    plans.create_task(
        db,
        None,
        spec(
            sampling=plans.parse_sampling("D=2"),
            target_filters=plans.TargetFilters(risk_classes=("D",)),
        ),
        TODAY,
    )
    draws.run_targets_draw(db, None, CODE, now=NOW, tz=TZ)
    liaison = who(db, LIAISON)
    for n in range(2, 11):
        inspector = city.inspectors[f"SC{n:03d}"]
        conflicts.declare_conflict(db, liaison, inspector, city.entities[12], "亲属", NOTICES)
    with pytest.raises(draws.DrawRefused) as refused:
        draws.run_inspectors_draw(db, None, CODE, now=NOW, tz=TZ)
    assert [params["conflicted"] for _, params in refused.value.lines] == [9]


def test_a_removed_entity_or_period_is_answered(db: Database, city: City) -> None:
    with pytest.raises(ServiceError):
        availability.cancel_away(db, who(db, SC001), 999, NOTICES)
    with pytest.raises(ServiceError):
        conflicts.withdraw_conflict(db, who(db, SC001), 999, NOTICES)
    with pytest.raises(ServiceError):
        conflicts.declare_conflict(db, who(db, SC001), city.inspectors["SC001"], 999, "x", NOTICES)
    with reading(db) as session:
        assert session.execute(select(func.count()).select_from(Unavailability)).scalar_one() == 2
        assert session.get(Entity, city.entities[3]) is not None
    assert isinstance(NOW, datetime)
