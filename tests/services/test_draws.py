"""The draw service: pools, eligibility, the records, replacement, redraw, refusals with
their numbers, the public certificate, append-only storage, and verification of every
record by the service and by the standalone tool (and failure on tampered copies)."""

from __future__ import annotations

import copy
import hashlib
import io
import json
import subprocess
import sys
import zlib
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from bot.domain.draws.algorithm import order
from bot.services.draws import drawing as draws
from bot.services.draws import plans
from bot.services.draws.plans import InspectorFilters, TargetFilters
from bot.services.draws.store import DrawRefused, encode_record
from bot.services.errors import NotAllowedError, ServiceError
from bot.services.people.profiles import Profile
from storage import audit
from storage.db import Database, reading
from storage.models import (
    Assignment,
    AuditEntry,
    Draw,
    Entity,
    Inspector,
    PoolCommitment,
    Task,
    TeamMember,
    Unavailability,
    UnitEntity,
)
from storage.xlsx_draws import certificate_workbook
from tests.conftest import TZ
from tests.support.city import (
    NOW,
    SHANGHAI,
    START,
    TODAY,
    City,
    Seeds,
    add_entity,
    build_city,
    declare_conflict,
    spec,
)

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "verify_draw.py"
CODE = "WG-2026-007"


@pytest.fixture
def city(db: Database) -> City:
    return build_city(db)


def _count(db: Database, model: type) -> int:
    with reading(db) as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def _tool(tmp_path: Path, records: list[dict[str, Any]], name: str = "r.json") -> tuple[int, str]:
    path = tmp_path / name
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(TOOL), str(path)], capture_output=True, text=True, check=False
    )
    return done.returncode, done.stdout + done.stderr


def _chain(db: Database, draw_id: int) -> list[dict[str, Any]]:
    """The record with what it links to, as an auditor would be handed them."""
    record = draws.show_draw(db, draw_id)
    chain = [record]
    if record["purpose"] == "replacement":  # with the draw it amends and earlier replacements
        earlier = [
            draws.show_draw(db, d.id)
            for d in draws.list_draws(db)
            if d.amends_id == record["amends"] and d.id < draw_id
        ]
        chain = [draws.show_draw(db, record["amends"]), *earlier, record]
    base = chain[0]
    if base["purpose"] == "inspectors":
        chain.insert(0, draws.show_draw(db, base["params"]["targets_draw_id"]))
    return chain


def _tampered(record: dict[str, Any]) -> list[dict[str, Any]]:
    copies = []
    for path, value in (
        (("seed",), "0" * 64),
        (("pool", 0, "key"), "91410481MA99999999"),
        (("selected", 0), "E99999"),
        (("teams", 0, "targets", 0), "E99999"),
    ):
        bad = copy.deepcopy(record)
        target: Any = bad
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value
        copies.append(bad)
    if "members" in record["teams"][0]:
        bad = copy.deepcopy(record)
        members = bad["teams"][0]["members"]
        members[0], members[-1] = members[-1], members[0]
        copies.append(bad)
    return copies


def assert_verifies_both_ways(db: Database, tmp_path: Path, draw_id: int) -> None:
    """MATCH by the service (by id, and on the records) and by tools/verify_draw.py; a
    tampered copy fails both."""
    assert draws.verify_draw(db, draw_id) == []
    chain = _chain(db, draw_id)
    assert draws.verify_draw(db, chain) == []
    for record in chain:  # stored as orjson writes it: the canonical JSON, byte for byte
        blob, digest = encode_record(record)
        canonical = audit.canonical_json(record).encode()
        assert zlib.decompress(blob) == canonical
        assert digest == hashlib.sha256(canonical).hexdigest()
    code, out = _tool(tmp_path, chain, f"draw-{draw_id}.json")
    assert code == 0 and out.startswith("MATCH"), out
    for bad in _tampered(chain[-1]):
        assert draws.verify_draw(db, [*chain[:-1], bad]) != []
        code, out = _tool(tmp_path, [*chain[:-1], bad], f"bad-{draw_id}.json")
        assert code == 1 and out.startswith("DIFFERENT"), out


def _busy_task(db: Database, seeds: Seeds) -> draws.DrawResult:
    """Another task in an overlapping window, drawn: its two inspectors are busy."""
    plans.create_task(
        db,
        None,
        spec(
            code="WG-2026-050",
            matter_codes=("M02",),
            sampling=plans.parse_sampling("1"),
            window_start=date(2026, 6, 15),
            window_end=date(2026, 6, 30),
        ),
        TODAY,
    )
    draws.run_targets_draw(db, None, "WG-2026-050", now=NOW, token_hex=seeds, tz=TZ)
    return draws.run_inspectors_draw(db, None, "WG-2026-050", now=NOW, token_hex=seeds, tz=TZ)


# --- the whole flow ---------------------------------------------------------------------------


def test_joint_task_targets_inspectors_replacement_redraw(
    db: Database, city: City, tmp_path: Path
) -> None:
    seeds = Seeds("flow")
    busy = _busy_task(db, seeds)
    busy_members = set(busy.teams[0].members)
    for i in range(24):  # SC001 has a conflict with every target of SCJG's directory
        declare_conflict(db, city, "SC001", i)
    declare_conflict(db, city, "SW001", 24)
    plans.create_task(
        db, None, spec(partner_codes=("SWJ",), team_size=3, targets_per_team=2), TODAY
    )

    # targets: strata from the lead unit, else the partner; a joint pool is the union
    targets = draws.run_targets_draw(db, None, CODE, now=NOW, token_hex=seeds, tz=TZ)
    record = draws.show_draw(db, targets.id)
    strata = {e["key"]: e["stratum"] for e in record["pool"]}
    assert len(strata) == 28  # 24 of SCJG, 4 more of SWJ (10 shared)
    assert strata[city.key(0)] == "A"  # SCJG says A, SWJ says D: the lead unit's
    assert strata[city.key(9)] == "D"  # SCJG has no class: SWJ's
    assert strata[city.key(14)] == "U" and strata[city.key(24)] == "B"
    assert record["params"]["n_by_stratum"] == {"A": 2, "B": 3, "C": 1, "D": 0, "U": 0}
    assert [len(t.targets) for t in targets.teams] == [2, 2, 2]
    assert record["at"] == "2026-06-01T09:30:00+08:00" and record["actor"] == "cli"
    assert plans.get_task(db, CODE).status == "drawn"
    assert_verifies_both_ways(db, tmp_path, targets.id)

    # inspectors: eligibility, unit-first picks, conflicts, leader first
    inspectors = draws.run_inspectors_draw(db, None, CODE, now=NOW, token_hex=seeds, tz=TZ)
    record = draws.show_draw(db, inspectors.id)
    pool = {e["key"]: e["unit"] for e in record["pool"]}
    expected = {f"SC{n:03d}" for n in range(1, 11)} | {f"SW{n:03d}" for n in range(1, 7)}
    assert set(pool) == expected - busy_members  # not SC011/SC016 (certificate), SC012
    # (no certificate), SC013 (inactive), SC014/SW007 (away), nor the busy ones
    assert record["params"]["units"] == ["SCJG", "SWJ"]
    assert record["params"]["targets_draw_id"] == targets.id
    drawn = {k for t in targets.teams for k in t.targets}
    declared = {("SC001", city.key(i)) for i in range(24)} | {("SW001", city.key(24))}
    assert {(c["member"], c["target"]) for c in record["conflicts"]} == {
        (m, t) for m, t in declared if t in drawn and m in pool
    }
    for team in inspectors.teams:
        assert [pool[m] for m in team.members[:2]] == ["SCJG", "SWJ"]
        assert not {(m, t) for m in team.members for t in team.targets} & declared
    with reading(db) as session:
        rows = session.execute(
            select(TeamMember.team_no, TeamMember.position, TeamMember.role, Inspector.cert_no)
            .join(Inspector, Inspector.id == TeamMember.inspector_id)
            .order_by(TeamMember.team_no, TeamMember.position)
            .where(TeamMember.draw_id == inspectors.id)
        ).all()
    assert [(r.team_no, r.position, r.role) for r in rows[:3]] == [
        (1, 1, "leader"),
        (1, 2, "member"),
        (1, 3, "member"),
    ]
    assert [r.cert_no for r in rows] == [m for t in inspectors.teams for m in t.members]
    assert_verifies_both_ways(db, tmp_path, inspectors.id)

    # replacement: the team's only SWJ member; the first unplaced SWJ inspector in the
    # original order is away since, so he is passed over with the reason
    team = next(t for t in inspectors.teams if [pool[m] for m in t.members].count("SWJ") == 1)
    recused = next(m for m in team.members if pool[m] == "SWJ")
    ranked = order(inspectors.seed, CODE, "inspectors", pool)
    placed = {m for t in inspectors.teams for m in t.members}
    free_swj = [k for k in ranked if pool[k] == "SWJ" and k not in placed]
    conflicted = {m for m, t in declared if t in team.targets}
    free_swj = [k for k in free_swj if k not in conflicted]
    away = free_swj[0]
    with db.unit_of_work() as uow:
        uow.session.add(
            Unavailability(
                inspector_id=city.inspectors[away],
                kind="training",
                start_date=date(2026, 6, 9),
                end_date=date(2026, 6, 9),
            )
        )
        uow.commit()
    replaced = draws.replace_member(
        db, None, CODE, team.team, recused.lower(), "与检查对象有利害关系", NOW, tz=TZ
    )
    assert (replaced.replaced, replaced.replacement) == (recused, free_swj[1])
    reasons = {key: (why, detail) for key, why, detail in replaced.passed_over}
    assert reasons[away] == ("ineligible", "unavailable: training 2026-06-09..2026-06-09")
    assert {reasons[k][0] for k in placed if k in reasons} == {"placed"}
    assert "other_unit" in {why for why, _ in reasons.values()}
    assert replaced.amends_id == inspectors.id
    assert replaced.seed == inspectors.seed and replaced.pool_digest == inspectors.pool_digest
    after = replaced.teams[0].members
    assert after == tuple(free_swj[1] if m == recused else m for m in team.members)
    with reading(db) as session:
        old = session.execute(
            select(TeamMember).where(
                TeamMember.inspector_id == city.inspectors[recused],
                TeamMember.task_id == inspectors_task_id(db),
            )
        ).scalar_one()
        new = session.get_one(TeamMember, old.replaced_by_id)
    assert (old.active, old.recusal_status, old.recusal_reason) == (
        False,
        "approved",
        "与检查对象有利害关系",
    )
    assert (new.active, new.role, new.position, new.draw_id) == (
        True,
        old.role,
        old.position,
        replaced.id,
    )
    assert new.inspector_id == city.inspectors[free_swj[1]]
    assert_verifies_both_ways(db, tmp_path, replaced.id)

    # a second replacement on the same team (its leader) starts from the team as it
    # stands, and the replacement leads it
    leader = after[0]
    second = draws.replace_member(db, None, CODE, team.team, leader, "出差", NOW, tz=TZ)
    assert second.teams[0].members == (second.replacement, *after[1:])
    assert recused in {k for k, why, _ in second.passed_over if why == "placed"}
    with reading(db) as session:
        role = session.execute(
            select(TeamMember.role).where(TeamMember.draw_id == second.id)
        ).scalar_one()
    assert role == "leader"
    assert_verifies_both_ways(db, tmp_path, second.id)

    # redraw: new records supersede; the old rows stay, their assignments and teams go
    redrawn = draws.redraw(
        db, None, CODE, "风险分类数据更新后重新抽取", NOW, token_hex=seeds, tz=TZ
    )
    assert [(r.purpose, r.supersedes_id) for r in redrawn] == [
        ("targets", targets.id),
        ("inspectors", inspectors.id),
    ]
    listed = {d.id: d for d in draws.list_draws(db, CODE)}
    assert listed[targets.id].superseded_by == redrawn[0].id
    assert listed[inspectors.id].superseded_by == redrawn[1].id
    assert listed[redrawn[0].id].reason == "风险分类数据更新后重新抽取"
    with reading(db) as session:
        active = session.execute(
            select(Assignment.draw_id, func.count())
            .where(Assignment.active.is_(True), Assignment.task_id == inspectors_task_id(db))
            .group_by(Assignment.draw_id)
        ).all()
        members = (
            session.execute(
                select(TeamMember.draw_id).where(
                    TeamMember.active.is_(True), TeamMember.task_id == inspectors_task_id(db)
                )
            )
            .scalars()
            .all()
        )
    assert active == [(redrawn[0].id, 6)]
    assert set(members) == {redrawn[1].id}
    for result in redrawn:
        assert_verifies_both_ways(db, tmp_path, result.id)
    assert (
        draws.redraw(db, None, CODE, "组员调整", NOW, purpose="inspectors", token_hex=seeds, tz=TZ)[
            0
        ].supersedes_id
        == redrawn[1].id
    )

    # every record ever made verifies; one audit entry per draw; the chain holds
    for info in draws.list_draws(db):
        assert draws.verify_draw(db, info.id) == []
    with reading(db) as session:
        actions = (
            session.execute(select(AuditEntry.action).where(AuditEntry.action.like("draw.%")))
            .scalars()
            .all()
        )
        assert audit.verify(session).ok
    assert len(actions) == len(draws.list_draws(db))


def inspectors_task_id(db: Database) -> int:
    with reading(db) as session:
        return int(session.execute(select(Task.id).where(Task.code == CODE)).scalar_one())


# --- the pool is fixed before the seed ----------------------------------------------------------


def test_pool_commitment_shown_before_the_seed(db: Database, city: City) -> None:
    plans.create_task(db, None, spec(), TODAY)
    shown = draws.commit_pool(db, None, CODE, "targets", NOW, tz=TZ)
    assert shown.size == 24
    result = draws.run_targets_draw(
        db, None, CODE, now=NOW, commitment_id=shown.commitment_id, token_hex=Seeds(), tz=TZ
    )
    assert (result.pool_size, result.pool_digest) == (shown.size, shown.digest)
    with reading(db) as session:
        linked = session.get_one(PoolCommitment, shown.commitment_id).draw_id
    assert linked == result.id

    first = draws.commit_pool(db, None, CODE, "inspectors", NOW, tz=TZ)
    second = draws.commit_pool(db, None, CODE, "inspectors", NOW, tz=TZ)
    assert first.digest == second.digest
    with pytest.raises(DrawRefused) as err:  # not the latest one shown
        draws.run_inspectors_draw(
            db, None, CODE, now=NOW, commitment_id=first.commitment_id, token_hex=Seeds(), tz=TZ
        )
    assert err.value.params == {"code": CODE}
    with db.unit_of_work() as uow:  # the pool changes after it was shown
        uow.session.add(
            Unavailability(
                inspector_id=city.inspectors["SC002"],
                kind="sick",
                start_date=START,
                end_date=START,
            )
        )
        uow.commit()
    with pytest.raises(DrawRefused) as err:
        draws.run_inspectors_draw(
            db, None, CODE, now=NOW, commitment_id=second.commitment_id, token_hex=Seeds(), tz=TZ
        )
    assert err.value.params["shown_size"] == second.size
    assert err.value.params["size"] == second.size - 1
    assert _count(db, Draw) == 1 and _count(db, TeamMember) == 0


def test_a_targets_pool_that_changed_is_refused(db: Database, city: City) -> None:
    plans.create_task(db, None, spec(), TODAY)
    shown = draws.commit_pool(db, None, CODE, "targets", NOW, tz=TZ)
    add_entity(db, city, "SCJG", 30, "B")
    with pytest.raises(DrawRefused):
        draws.run_targets_draw(db, None, CODE, now=NOW, commitment_id=shown.commitment_id, tz=TZ)
    assert _count(db, Draw) == 0 and plans.get_task(db, CODE).status == "planned"


# --- seeds ------------------------------------------------------------------------------------


def test_seed_from_a_ceremony_and_given_seeds(db: Database, city: City, tmp_path: Path) -> None:
    plans.create_task(db, None, spec(), TODAY)
    typed = " 第２０２６１５０期 福彩３Ｄ 开奖号码 3 7 1 "
    result = draws.run_targets_draw(db, None, CODE, now=NOW, seed_input=typed, tz=TZ)
    expected = hashlib.sha256("第2026150期 福彩3D 开奖号码 3 7 1".encode()).hexdigest()
    assert (result.seed, result.seed_input) == (expected, typed)
    given = "AB" * 32
    inspectors = draws.run_inspectors_draw(db, None, CODE, now=NOW, seed=given, tz=TZ)
    assert inspectors.seed == given.lower() and inspectors.seed_input is None
    assert_verifies_both_ways(db, tmp_path, inspectors.id)


@pytest.mark.parametrize(
    ("seed", "seed_input"), [("xyz", None), ("a" * 63, None), (None, "  "), ("a" * 64, "x")]
)
def test_bad_seeds_are_refused(
    db: Database, city: City, seed: str | None, seed_input: str | None
) -> None:
    plans.create_task(db, None, spec(), TODAY)
    with pytest.raises(ServiceError):
        draws.run_targets_draw(db, None, CODE, now=NOW, seed=seed, seed_input=seed_input, tz=TZ)
    assert _count(db, Draw) == 0 and _count(db, PoolCommitment) == 0


# --- refusals, with the numbers, storing nothing --------------------------------------------


def _nothing_stored(db: Database) -> None:
    assert _count(db, Draw) == 0
    assert _count(db, Assignment) == 0
    assert _count(db, PoolCommitment) == 0
    with reading(db) as session:
        actions = session.execute(select(AuditEntry.action)).scalars().all()
    assert "draw.targets" not in actions


def test_too_few_targets_names_each_stratum(db: Database, city: City) -> None:
    plans.create_task(db, None, spec(sampling=plans.parse_sampling("A=5,B=3,D=3")), TODAY)
    with pytest.raises(DrawRefused) as err:
        draws.run_targets_draw(db, None, CODE, now=NOW, tz=TZ)
    assert err.value.params == {"code": CODE}
    assert [params for _, params in err.value.lines] == [
        {"stratum": "A", "requested": 5, "available": 4},
        {"stratum": "D", "requested": 3, "available": 2},
    ]
    _nothing_stored(db)
    assert plans.get_task(db, CODE).status == "planned"


def test_an_empty_filter_result(db: Database, city: City) -> None:
    plans.create_task(db, None, spec(target_filters=TargetFilters(industries=("采矿",))), TODAY)
    with pytest.raises(DrawRefused) as err:
        draws.run_targets_draw(db, None, CODE, now=NOW, tz=TZ)
    assert err.value.params == {"code": CODE, "units": "SCJG"}
    _nothing_stored(db)


def test_a_window_in_the_past(db: Database, city: City) -> None:
    plans.create_task(db, None, spec(), TODAY)
    later = datetime(2026, 6, 20, 0, 5, tzinfo=SHANGHAI)
    with pytest.raises(DrawRefused) as err:
        draws.run_targets_draw(db, None, CODE, now=later, tz=TZ)
    assert err.value.params == {"code": CODE, "end": "2026-06-19", "today": "2026-06-20"}
    _nothing_stored(db)
    # the last day of the window still draws (in Shanghai time: 23:59 UTC is the next day)
    draws.run_targets_draw(db, None, CODE, now=datetime(2026, 6, 19, 15, 0, tzinfo=SHANGHAI), tz=TZ)


def test_the_draw_follows_the_offices_time_zone(db: Database, city: City) -> None:
    """DSR_TIMEZONE decides the draw's day and the record's clock, not a zone in the code."""
    plans.create_task(db, None, spec(), TODAY)
    pacific = ZoneInfo("America/Los_Angeles")
    # 2026-06-20 05:00 UTC: already the 20th in Shanghai (window over), still the 19th in
    # Los Angeles, where the window's last day is not over.
    moment = datetime(2026, 6, 20, 5, 0, tzinfo=UTC)
    with pytest.raises(DrawRefused):
        draws.run_targets_draw(db, None, CODE, now=moment, tz=TZ)
    drawn = draws.run_targets_draw(db, None, CODE, now=moment, tz=pacific)
    assert draws.show_draw(db, drawn.id)["at"] == "2026-06-19T22:00:00-07:00"


def test_a_task_is_drawn_once(db: Database, city: City) -> None:
    plans.create_task(db, None, spec(), TODAY)
    with pytest.raises(DrawRefused) as err:
        draws.run_inspectors_draw(db, None, CODE, now=NOW, tz=TZ)
    assert err.value.params == {"code": CODE}
    first = draws.run_targets_draw(db, None, CODE, now=NOW, tz=TZ)
    with pytest.raises(DrawRefused) as err:
        draws.run_targets_draw(db, None, CODE, now=NOW, tz=TZ)
    assert err.value.params == {"code": CODE, "id": first.id}
    inspectors = draws.run_inspectors_draw(db, None, CODE, now=NOW, tz=TZ)
    with pytest.raises(DrawRefused) as err:
        draws.run_inspectors_draw(db, None, CODE, now=NOW, tz=TZ)
    assert err.value.params == {"code": CODE, "id": inspectors.id}
    assert _count(db, Draw) == 2


def test_too_few_inspectors_names_each_unit(db: Database, city: City) -> None:
    plans.create_task(db, None, spec(partner_codes=("SWJ", "HB"), team_size=3), TODAY)
    draws.run_targets_draw(db, None, CODE, now=NOW, tz=TZ)
    with pytest.raises(DrawRefused) as err:
        draws.run_inspectors_draw(db, None, CODE, now=NOW, tz=TZ)
    assert err.value.params == {
        "code": CODE,
        "needed": 9,
        "teams": 3,
        "team_size": 3,
        "eligible": 16,
    }
    by_unit = {params["unit"]: params for _, params in err.value.lines}
    assert by_unit["HB"]["total"] == 0 and by_unit["HB"]["eligible"] == 0
    scjg = by_unit["SCJG"]
    assert (scjg["total"], scjg["eligible"], scjg["inactive"], scjg["uncertified"]) == (
        15,
        10,
        1,
        1,
    )
    assert (scjg["expired"], scjg["away"], scjg["busy"], scjg["end"]) == (2, 1, 0, "2026-06-19")
    assert (by_unit["SWJ"]["eligible"], by_unit["SWJ"]["away"]) == (6, 1)
    assert _count(db, TeamMember) == 0 and _count(db, Draw) == 1


def test_conflicts_can_leave_a_team_short(db: Database, city: City) -> None:
    plans.create_task(
        db,
        None,
        spec(
            sampling=plans.parse_sampling("D=2"),
            target_filters=TargetFilters(risk_classes=("D",)),
        ),
        TODAY,
    )
    draws.run_targets_draw(db, None, CODE, now=NOW, tz=TZ)
    for n in range(2, 11):  # only SC001 has no conflict with entity 12
        declare_conflict(db, city, f"SC{n:03d}", 12)
    with pytest.raises(DrawRefused) as err:
        draws.run_inspectors_draw(db, None, CODE, now=NOW, tz=TZ)
    assert [params for _, params in err.value.lines] == [
        {
            "team": 1,
            "unit": None,
            "eligible": 10,
            "used": 1,
            "conflicted": 9,
            "team_size": 2,
            "teams": 1,
        }
    ]
    assert _count(db, TeamMember) == 0


def test_only_the_office_draws(db: Database, city: City) -> None:
    plans.create_task(db, None, spec(), TODAY)
    liaison = Profile(7, None, "x", None, False, city.units["SCJG"], "SCJG", "", None, True)
    with pytest.raises(NotAllowedError):
        draws.run_targets_draw(db, liaison, CODE, now=NOW, tz=TZ)
    office = Profile(8, None, "o", None, True, None, None, None, None, True)
    result = draws.run_targets_draw(db, office, CODE, now=NOW, tz=TZ)
    assert draws.show_draw(db, result.id)["actor"] == "tg:8"


# --- eligibility and pools ----------------------------------------------------------------------


def test_busy_inspectors_are_free_again_when_their_task_is_cancelled(
    db: Database, city: City
) -> None:
    busy = set(_busy_task(db, Seeds()).teams[0].members)
    plans.create_task(db, None, spec(), TODAY)
    draws.run_targets_draw(db, None, CODE, now=NOW, tz=TZ)
    first = draws.commit_pool(db, None, CODE, "inspectors", NOW, tz=TZ)
    plans.cancel_task(db, None, "WG-2026-050", "取消")
    second = draws.commit_pool(db, None, CODE, "inspectors", NOW, tz=TZ)
    assert second.size == first.size + len(busy) == 10


def test_inspector_filters(db: Database, city: City) -> None:
    plans.create_task(
        db,
        None,
        spec(
            partner_codes=("SWJ",),
            inspector_filters=InspectorFilters(expertise=("食品",)),
        ),
        TODAY,
    )
    draws.run_targets_draw(db, None, CODE, now=NOW, tz=TZ)
    with pytest.raises(DrawRefused) as err:  # no SWJ inspector has 食品 expertise
        draws.run_inspectors_draw(db, None, CODE, now=NOW, tz=TZ)
    swj = next(p for _, p in err.value.lines if p["unit"] == "SWJ")
    assert (swj["eligible"], swj["filtered"]) == (0, 7)  # SW007 is away as well


def test_not_already_drawn_this_year(db: Database, city: City) -> None:
    plans.create_task(db, None, spec(code="A-1", sampling=plans.parse_sampling("5")), TODAY)
    first = draws.run_targets_draw(db, None, "A-1", now=NOW, tz=TZ)
    plans.create_task(
        db,
        None,
        spec(
            code="A-2",
            sampling=plans.parse_sampling("1"),
            target_filters=TargetFilters(exclude_drawn_this_year=True),
        ),
        TODAY,
    )
    plans.create_task(db, None, spec(code="A-3", sampling=plans.parse_sampling("1")), TODAY)
    excluding = draws.commit_pool(db, None, "A-2", "targets", NOW, tz=TZ)
    including = draws.commit_pool(db, None, "A-3", "targets", NOW, tz=TZ)
    assert (excluding.size, including.size) == (19, 24)
    second = draws.run_targets_draw(db, None, "A-2", now=NOW, tz=TZ)
    pool = {e["key"] for e in draws.show_draw(db, second.id)["pool"]}
    assert not pool & set(first.selected)
    assert all(entry["stratum"] == "*" for entry in draws.show_draw(db, second.id)["pool"])
    plans.cancel_task(db, None, "A-1", "作废")  # a cancelled task's targets count no more
    plans.create_task(
        db,
        None,
        spec(
            code="A-4",
            sampling=plans.parse_sampling("1"),
            target_filters=TargetFilters(exclude_drawn_this_year=True),
        ),
        TODAY,
    )
    assert draws.commit_pool(db, None, "A-4", "targets", NOW, tz=TZ).size == 23


def test_ratio_sampling_and_risk_filters(db: Database, city: City, tmp_path: Path) -> None:
    plans.create_task(
        db,
        None,
        spec(
            sampling=plans.parse_sampling("B=50%,U=1"),
            target_filters=TargetFilters(risk_classes=("B", "U"), kinds=("enterprise",)),
        ),
        TODAY,
    )
    result = draws.run_targets_draw(db, None, CODE, now=NOW, tz=TZ)
    record = draws.show_draw(db, result.id)
    assert {e["stratum"] for e in record["pool"]} == {"B", "U"}
    assert not any(e["key"].startswith("E") for e in record["pool"])  # no individuals
    assert record["params"]["n_by_stratum"]["B"] == 4  # ceil(50% of 8)
    assert_verifies_both_ways(db, tmp_path, result.id)


# --- replacement refusals -----------------------------------------------------------------------


def test_replacement_refusals(db: Database, city: City) -> None:
    plans.create_task(db, None, spec(sampling=plans.parse_sampling("8")), TODAY)
    with pytest.raises(DrawRefused):
        draws.replace_member(db, None, CODE, 1, "SC001", "x", NOW, tz=TZ)
    draws.run_targets_draw(db, None, CODE, now=NOW, tz=TZ)
    inspectors = draws.run_inspectors_draw(db, None, CODE, now=NOW, tz=TZ)
    member = inspectors.teams[0].members[0]
    with pytest.raises(ServiceError):
        draws.replace_member(db, None, CODE, 1, member, "  ", NOW, tz=TZ)
    with pytest.raises(ServiceError) as err:
        draws.replace_member(db, None, CODE, 9, member, "x", NOW, tz=TZ)
    assert err.value.params == {"code": CODE, "team": 9}
    other = inspectors.teams[1].members[0]
    with pytest.raises(ServiceError) as err:
        draws.replace_member(db, None, CODE, 1, other, "x", NOW, tz=TZ)
    assert err.value.params == {"cert_no": other, "team": 1, "code": CODE}
    # 4 teams of 2 use 8 of the 10 SCJG inspectors: two replacements, then none is left
    draws.replace_member(db, None, CODE, 1, member, "回避", NOW, tz=TZ)
    second = inspectors.teams[0].members[1]
    draws.replace_member(db, None, CODE, 1, second, "回避", NOW, tz=TZ)
    third = inspectors.teams[1].members[0]
    with pytest.raises(DrawRefused) as err:
        draws.replace_member(db, None, CODE, 2, third, "回避", NOW, tz=TZ)
    [(_, numbers)] = err.value.lines
    assert (numbers["pool"], numbers["placed"], numbers["team"]) == (10, 10, 2)
    assert _count(db, Draw) == 4


# --- storage and publication --------------------------------------------------------------------


def test_draw_records_are_append_only_in_the_database(db: Database, city: City) -> None:
    plans.create_task(db, None, spec(), TODAY)
    result = draws.run_targets_draw(db, None, CODE, now=NOW, tz=TZ)
    for statement in (
        "UPDATE draws SET seed = 'x' WHERE id = :id",
        "UPDATE draws SET reason = 'changed' WHERE id = :id",
        "DELETE FROM draws WHERE id = :id",
    ):
        with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
            conn.execute(text(statement), {"id": result.id})
    assert draws.verify_draw(db, result.id) == []
    assert _count(db, Draw) == 1


def test_the_public_certificate_holds_nothing_private(
    db: Database, city: City, tmp_path: Path
) -> None:
    declare_conflict(db, city, "SC002", 0)
    plans.create_task(db, None, spec(partner_codes=("SWJ",), team_size=2), TODAY)
    targets = draws.run_targets_draw(db, None, CODE, now=NOW, tz=TZ)
    inspectors = draws.run_inspectors_draw(db, None, CODE, now=NOW, tz=TZ)
    replaced = draws.replace_member(
        db, None, CODE, 1, inspectors.teams[0].members[1], "其妻为该企业股东", NOW, tz=TZ
    )
    for result in (targets, inspectors, replaced):
        cert = draws.certificate(db, result.id)
        shown = json.dumps(cert, ensure_ascii=False)
        for private in (
            "13812345678",
            "0375-1234567",
            "张三",
            "测试路",
            "risk",
            "stratum",
            "conflict",
            "n_by_stratum",
            "其妻",
            "亲属",
            '"A"',
            "B类",
        ):
            assert private not in shown, private
        assert cert["pool_size"] == result.pool_size
        assert cert["pool_digest"] == result.pool_digest and cert["seed"] == result.seed
        book = load_workbook(io.BytesIO(certificate_workbook(cert)))
        cells = [str(c.value) for row in book.active.iter_rows() for c in row if c.value]
        assert result.pool_digest in cells and result.seed in cells
        assert not any("13812345678" in c or "张三" in c for c in cells)
    cert = draws.certificate(db, inspectors.id)
    first = cert["teams"][0]
    assert first["members"][0]["role"] == "leader" and first["members"][0]["name"]
    assert first["targets"][0]["name"].startswith("舞钢市测试")
    assert {t["code"] for team in cert["teams"] for t in team["targets"]} == set(targets.selected)
    assert draws.certificate(db, replaced.id)["replacement"]["replacement"]["name"]


def test_unknown_draw(db: Database, city: City) -> None:
    with pytest.raises(ServiceError):
        draws.show_draw(db, 42)
    with pytest.raises(ServiceError):
        draws.verify_draw(db, 42)


def test_verify_reports_a_row_that_disagrees_with_its_record(db: Database, city: City) -> None:
    plans.create_task(db, None, spec(), TODAY)
    result = draws.run_targets_draw(db, None, CODE, now=NOW, tz=TZ)
    if db.is_sqlite:
        with db.engine.begin() as conn:
            conn.execute(text("DROP TRIGGER draws_no_update"))
            conn.execute(text("UPDATE draws SET pool_size = 1"))
    else:
        with db.engine.begin() as conn:
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            conn.execute(text("UPDATE draws SET pool_size = 1"))
    [difference] = draws.verify_draw(db, result.id)
    assert "pool_size" in difference


def test_a_uscc_stored_in_lower_case_is_drawn_under_its_normal_key(
    db: Database, city: City
) -> None:
    with db.unit_of_work() as uow:
        entity = Entity(uscc="91410481ma00000099", kind="enterprise", name="小写代码有限公司")
        uow.session.add(entity)
        uow.session.flush()
        uow.session.add(
            UnitEntity(unit_id=city.units["SCJG"], entity_id=entity.id, industry="小写")
        )
        uow.commit()
        entity_id = entity.id
    plans.create_task(
        db,
        None,
        spec(
            sampling=plans.parse_sampling("1"),
            target_filters=TargetFilters(industries=("小写",)),
        ),
        TODAY,
    )
    result = draws.run_targets_draw(db, None, CODE, now=NOW, tz=TZ)
    assert result.selected == ("91410481MA00000099",)
    with reading(db) as session:
        assigned = session.execute(select(Assignment.entity_id, Assignment.key)).one()
    assert tuple(assigned) == (entity_id, "91410481MA00000099")
    assert draws.certificate(db, result.id)["teams"][0]["targets"][0]["name"] == "小写代码有限公司"
