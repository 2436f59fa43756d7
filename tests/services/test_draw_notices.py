"""Notices of a drawn task, written by the services in the draw's unit of work: one per
drawn inspector, the liaisons' summaries, quiet hours, recusal asked, approved and
refused, the replacement told without the reason, withdrawals after a cancellation or a
redraw, and every record of the task verified by tools/verify_draw.py."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from bot.services.draws import assignments, plans, recusals
from bot.services.draws import drawing as draws
from bot.services.errors import NotAllowedError, ServiceError
from bot.services.outbox import NOTICE_ACTIONS, QuietHours
from bot.services.people.notices import NoticeContext
from handlers import callbacks
from storage.db import Database, reading
from storage.models import Draw, OutboxMessage, Task, TeamMember
from tests.conftest import TZ
from tests.support.city import NOW, TODAY, City, Seeds, build_city, inspector_ids, spec
from tests.support.people import (
    LIAISON_TG,
    OFFICE_TG,
    add_people,
    outbox_rows,
    profile,
    to,
)

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "verify_draw.py"
CODE = "WG-2026-007"
REASON = "配偶在该企业任财务负责人"


@pytest.fixture
def city(db: Database) -> City:
    return build_city(db)


def _ctx(now: datetime = NOW) -> NoticeContext:
    return NoticeContext(now, QuietHours(TZ))


def _joint_draw(db: Database, now: datetime = NOW) -> draws.DrawResult:
    """A joint task of SCJG (lead) and SWJ: three teams of one inspector of each."""
    plans.create_task(db, None, spec(partner_codes=("SWJ",), matter_codes=("M01",)), TODAY)
    seeds = Seeds("notices")
    draws.run_targets_draw(db, None, CODE, now=now, tz=TZ, token_hex=seeds)
    return draws.run_inspectors_draw(
        db, None, CODE, now=now, tz=TZ, token_hex=seeds, notices=_ctx(now)
    )


def _members(db: Database) -> dict[str, int]:
    """cert_no -> active team member id."""
    with reading(db) as session:
        rows = session.execute(
            select(TeamMember.id, TeamMember.inspector_id).where(TeamMember.active.is_(True))
        ).all()
    certs = inspector_ids(db, City())
    return {certs[inspector]: member for member, inspector in rows}


def _button_kinds(data: str) -> list[str]:
    return [
        b.action
        for b in vars(callbacks).values()
        if isinstance(b, callbacks.Button) and b.matches(data)
    ]


def _all_records_match(db: Database, tmp_path: Path) -> None:
    records = [draws.show_draw(db, d.id) for d in draws.list_draws(db, CODE)]
    path = tmp_path / "task.json"
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(TOOL), str(path)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0 and "MATCH" in done.stdout, done.stdout + done.stderr
    for d in draws.list_draws(db, CODE):
        assert draws.verify_draw(db, d.id) == []


def test_every_drawn_inspector_is_told_once_and_a_recusal_is_replaced(
    db: Database, city: City, tmp_path: Path
) -> None:
    people = add_people(db, city, unlinked=("SW006",), english=("SC001",))
    result = _joint_draw(db)
    drawn = [m for team in result.teams for m in team.members]
    assert len(drawn) == 6 and {m[:2] for m in drawn} == {"SC", "SW"}
    rows = outbox_rows(db, "assign:")
    linked = [m for m in drawn if m in people.inspector_tg]
    # Exactly one notice per drawn inspector on the bot, none for the one who is not.
    assert sorted(r.chat_id for r in rows) == sorted(people.tg(m) for m in linked)
    assert len({r.key for r in rows}) == len(rows)
    members = _members(db)
    leader_cert = result.teams[0].members[0]
    for row in rows:
        assert row.not_before is None  # 09:30 in the office: sent at once
        assert "风险" not in row.text and "risk" not in row.text.lower()
        assert "2026年6月8日" in row.text or "Jun 8, 2026" in row.text
        # Both buttons carry data that a declared Button kind takes.
        assert [_button_kinds(d) for d in row.data] == [["as.ack"], ["as.rec"]]
    leader_row = next(r for r in rows if r.key == f"assign:{members[leader_cert]}")
    assert "组长" in leader_row.text or "leader" in leader_row.text
    assert "13812345678" in leader_row.text  # the contact, for the leader only
    member_cert = result.teams[0].members[1]
    member_row = next(r for r in rows if r.key == f"assign:{members[member_cert]}")
    assert "13812345678" not in member_row.text
    if "SC001" in linked:
        assert "Inspection task" in to(rows, people.tg("SC001"))[0].text

    # The liaisons: the lead unit sees every team; the partner its own members only.
    summaries = outbox_rows(db, "summary:")
    scjg = to(summaries, LIAISON_TG["SCJG"])[0].text
    swj = to(summaries, LIAISON_TG["SWJ"])[0].text
    assert to(summaries, LIAISON_TG["HB"]) == []
    assert all(f"第 {n} 组" in scjg or f"第{n}组" in scjg for n in (1, 2, 3))
    swj_names = {m for m in drawn if m.startswith("SW")}
    for cert in drawn:
        name = f"市监{int(cert[2:])}" if cert.startswith("SC") else f"税务{int(cert[2:])}"
        assert name in scjg
        assert (name in swj) == (cert in swj_names)
    if "SW006" in drawn:
        assert "税务6" in swj.split("\n")[-1]  # not on the bot yet

    # The SWJ member of team 1 asks for recusal; a partner's liaison may not decide it.
    requester_cert = result.teams[0].members[1]
    requester = profile(db, people.tg(requester_cert))
    member_id = members[requester_cert]
    with pytest.raises(NotAllowedError):
        recusals.request_recusal(db, profile(db, people.tg(leader_cert)), member_id, REASON, _ctx())
    recusals.request_recusal(db, requester, member_id, REASON, _ctx())
    with pytest.raises(ServiceError):
        recusals.request_recusal(db, requester, member_id, REASON, _ctx())
    asks = outbox_rows(db, "recusal:")
    assert sorted(r.chat_id for r in asks) == sorted([OFFICE_TG, LIAISON_TG["SCJG"]])
    assert all(REASON in r.text for r in asks)
    assert [_button_kinds(d) for d in asks[0].data] == [["rec.ok"], ["rec.no"]]
    with pytest.raises(NotAllowedError):
        recusals.approve_recusal(
            db, profile(db, LIAISON_TG["SWJ"]), member_id, tz=TZ, notices=_ctx()
        )
    later = NOW + timedelta(hours=1)
    replacement = recusals.approve_recusal(
        db, profile(db, LIAISON_TG["SCJG"]), member_id, tz=TZ, notices=_ctx(later)
    )
    assert replacement.replaced == requester_cert
    new_cert = replacement.replacement
    assert new_cert is not None and new_cert.startswith("SW")
    # A second decision finds it decided.
    with pytest.raises(ServiceError):
        recusals.approve_recusal(db, profile(db, OFFICE_TG), member_id, tz=TZ, notices=_ctx())

    # The requester learns the outcome; the new member gets the assignment; the teammates
    # and the liaisons see the change, never the reason.
    withdrawn = outbox_rows(db, f"withdraw:{member_id}")
    assert [r.chat_id for r in withdrawn] == [people.tg(requester_cert)]
    assert "批准" in withdrawn[0].text
    new_id = _members(db)[new_cert]
    if new_cert in people.inspector_tg:
        [assigned] = outbox_rows(db, f"assign:{new_id}")
        assert assigned.chat_id == people.tg(new_cert)
    changes = outbox_rows(db, f"change:{new_id}:")
    told = {r.chat_id for r in changes}
    assert people.tg(leader_cert) in told
    assert {LIAISON_TG["SCJG"], LIAISON_TG["SWJ"]} <= told
    assert LIAISON_TG["HB"] not in told
    for row in changes:
        assert REASON not in row.text
    assert all(
        REASON not in r.text
        for r in outbox_rows(db)
        if r.chat_id not in (OFFICE_TG, LIAISON_TG["SCJG"], people.inspector_tg.get(requester_cert))
    )
    # Every record of the task recomputes, the replacement included.
    assert {d.purpose for d in draws.list_draws(db, CODE)} == {
        "targets",
        "inspectors",
        "replacement",
    }
    _all_records_match(db, tmp_path)
    # The actions the services put on buttons are all declared in handlers/callbacks.py.
    declared = {b.action for b in vars(callbacks).values() if isinstance(b, callbacks.Button)}
    assert set(NOTICE_ACTIONS) <= declared


def test_a_refused_recusal_is_told_with_its_reason_and_may_be_asked_again(
    db: Database, city: City
) -> None:
    people = add_people(db, city)
    result = _joint_draw(db)
    cert = result.teams[1].members[0]
    member_id = _members(db)[cert]
    inspector = profile(db, people.tg(cert))
    recusals.request_recusal(db, inspector, member_id, REASON, _ctx())
    assert assignments.my_assignments(db, inspector, TODAY).current[0].state == (
        assignments.RECUSAL_REQUESTED
    )
    with pytest.raises(ServiceError):
        recusals.refuse_recusal(db, profile(db, OFFICE_TG), member_id, "  ", _ctx())
    recusals.refuse_recusal(db, profile(db, OFFICE_TG), member_id, "理由不充分", _ctx())
    [told] = outbox_rows(db, f"recusal-no:{member_id}:")
    assert told.chat_id == people.tg(cert) and "理由不充分" in told.text
    assert assignments.my_assignments(db, inspector, TODAY).current[0].state == (
        assignments.WAITING
    )
    # Asked again later: a new request, new notices to the deciders.
    recusals.request_recusal(db, inspector, member_id, REASON, _ctx(NOW + timedelta(hours=2)))
    assert len(outbox_rows(db, "recusal:")) == 4
    assert _count_draws(db) == 2  # no replacement was drawn


def _count_draws(db: Database) -> int:
    with reading(db) as session:
        return len(session.execute(select(Draw.id)).all())


def test_a_draw_at_night_waits_for_the_morning(db: Database, city: City) -> None:
    add_people(db, city)
    night = datetime(2026, 6, 1, 22, 15, tzinfo=TZ)
    _joint_draw(db, night)
    morning = datetime(2026, 6, 2, 8, 0, tzinfo=TZ).astimezone(UTC)
    rows = outbox_rows(db, "assign:") + outbox_rows(db, "summary:")
    assert rows and all(r.not_before == morning for r in rows)


def _mark_sent(db: Database, prefix: str, exclude: str | None = None) -> None:
    with db.unit_of_work() as uow:
        query = update(OutboxMessage).where(OutboxMessage.key.like(f"{prefix}%"))
        if exclude is not None:
            query = query.where(OutboxMessage.key != exclude)
        uow.session.execute(query.values(status="sent"))
        uow.commit()


def test_cancelling_a_drawn_task_withdraws_what_was_told(db: Database, city: City) -> None:
    people = add_people(db, city)
    result = _joint_draw(db)
    members = _members(db)
    unsent = f"assign:{members[result.teams[2].members[0]]}"
    _mark_sent(db, "assign:", exclude=unsent)  # one still waits (quiet hours, say)
    plans.cancel_task(db, None, CODE, "上级通知暂停", notices=_ctx())
    withdrawn = outbox_rows(db, "withdraw:")
    told = {people.tg(c) for c in members if f"assign:{members[c]}" != unsent}
    assert {r.chat_id for r in withdrawn} == told and len(withdrawn) == len(told)
    assert all(r.urgent and "上级通知暂停" in r.text for r in withdrawn)
    assert outbox_rows(db, unsent) == []  # never sent, so deleted rather than withdrawn
    cancelled = outbox_rows(db, "cancel:")
    assert {r.chat_id for r in cancelled} == {LIAISON_TG["SCJG"], LIAISON_TG["SWJ"]}
    inspector = profile(db, people.tg(result.teams[0].members[0]))
    mine = assignments.my_assignments(db, inspector, TODAY)
    assert mine.current == () and mine.past[0].state == assignments.CANCELLED


def test_a_redraw_withdraws_the_old_teams_and_notifies_the_new(db: Database, city: City) -> None:
    people = add_people(db, city)
    _joint_draw(db)
    old = _members(db)
    _mark_sent(db, "assign:")
    draws.redraw(
        db,
        None,
        CODE,
        "名录有误",
        NOW,
        purpose="inspectors",
        tz=TZ,
        token_hex=Seeds("again"),
        notices=_ctx(),
    )
    withdrawn = outbox_rows(db, "withdraw:")
    assert sorted(r.chat_id for r in withdrawn) == sorted(people.tg(c) for c in old)
    new = _members(db)
    fresh = [r for r in outbox_rows(db, "assign:") if r.status == "pending"]
    assert sorted(r.key for r in fresh) == sorted(f"assign:{i}" for i in new.values())
    with reading(db) as session:
        draw_ids = session.execute(select(Draw.id).order_by(Draw.id)).scalars().all()
    assert len(outbox_rows(db, f"summary:{draw_ids[-1]}:")) == 2


def test_acknowledging_is_for_ones_own_assignment(db: Database, city: City) -> None:
    people = add_people(db, city)
    result = _joint_draw(db)
    members = _members(db)
    mine, theirs = result.teams[0].members
    me = profile(db, people.tg(mine))
    with pytest.raises(NotAllowedError):
        assignments.acknowledge(db, me, members[theirs], NOW, tz=TZ)
    with pytest.raises(NotAllowedError):
        assignments.acknowledge(db, profile(db, LIAISON_TG["SCJG"]), members[mine], NOW, tz=TZ)
    info = assignments.acknowledge(db, me, members[mine], NOW, tz=TZ)
    assert info.state == assignments.ACKNOWLEDGED
    again = assignments.acknowledge(db, me, members[mine], NOW + timedelta(hours=1), tz=TZ)
    assert again == info
    with reading(db) as session:
        task = session.execute(select(Task).where(Task.code == CODE)).scalar_one()
        assert task.status == "drawn"
    current = assignments.my_assignments(db, me, TODAY).current
    assert [(c.task_code, c.team_no, c.state) for c in current] == [
        (CODE, 1, assignments.ACKNOWLEDGED)
    ]
    assert len(current[0].targets) == 2
    assert re.fullmatch(r"舞钢市测试\d\d号.*", current[0].targets[0])


# --- the desk: the same notices from `dsr draw run` and `dsr draw replace` -----------------------


def test_the_desk_notifies_as_the_chat_does(
    db: Database,
    city: City,
    database_url: str,
    dsr_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from bot.cli.main import main

    today = datetime.now(UTC).astimezone(TZ).date()
    start = today + timedelta(days=7)
    if start.year != 2026:
        for unit in ("SCJG", "SWJ"):
            plans.create_plan(db, None, unit, start.year, f"{unit} {start.year}")
    plans.create_task(
        db,
        None,
        spec(partner_codes=("SWJ",), window_start=start, window_end=start + timedelta(days=10)),
        today,
    )
    people = add_people(db, city)
    monkeypatch.setenv("DSR_DATABASE_URL", database_url)
    monkeypatch.setenv("DSR_QUIET_START", "00:00")  # no quiet hours at the desk's hour
    monkeypatch.setenv("DSR_QUIET_END", "00:00")
    assert main(["draw", "run", CODE, "--json"]) == 0
    [_, inspectors] = json.loads(capsys.readouterr().out)
    drawn = [m for team in inspectors["teams"] for m in team["members"]]
    rows = outbox_rows(db, "assign:")
    assert sorted(r.chat_id for r in rows) == sorted(people.tg(m) for m in drawn)
    assert all(r.not_before is None for r in rows)
    assert len(outbox_rows(db, "summary:")) == 2
    _mark_sent(db, "assign:")
    team = inspectors["teams"][0]
    out = team["members"][1]
    assert main(["draw", "replace", CODE, "--team", "1", "--member", out, "--reason", REASON]) == 0
    capsys.readouterr()
    [withdrawn] = outbox_rows(db, "withdraw:")
    assert withdrawn.chat_id == people.tg(out) and REASON not in withdrawn.text
    new = [r for r in outbox_rows(db, "assign:") if r.status == "pending"]
    assert len(new) == 1 and new[0].chat_id != people.tg(out)
    changes = outbox_rows(db, "change:")
    assert people.tg(team["members"][0]) in {r.chat_id for r in changes}
    assert all(REASON not in r.text for r in changes)
