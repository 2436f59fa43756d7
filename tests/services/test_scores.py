"""Scores computed from real rows: the registers, documents, revisions, tasks and draws of
the test city, the office's judgments and the year's rubric parameters; who may see what."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.services.draws import drawing as draws
from bot.services.draws import plans
from bot.services.errors import NotAllowedError, ServiceError
from bot.services.people.profiles import Profile
from bot.services.scores import rubric, scoring, sheets
from storage.db import Database, reading
from storage.models import AuditEntry, Document, FilingWindow, RevisionFiling
from tests.conftest import TZ
from tests.services.conftest import Cli
from tests.support.city import NOW, TODAY, City, Seeds, build_city, spec

D = Decimal
DECEMBER = date(2026, 12, 3)


@pytest.fixture
def city(db: Database) -> City:
    return build_city(db)


def _profile(*, office: bool = False, unit_id: int | None = None) -> Profile:
    return Profile(1000, None, "someone", None, office, unit_id, None, None, None, True)


def _filed(
    db: Database, unit_id: int, half: str, at: datetime, directories: tuple[str, ...]
) -> None:
    with db.unit_of_work() as uow:
        for directory in directories:
            uow.session.add(
                RevisionFiling(
                    unit_id=unit_id, year=2026, half=half, directory=directory, filed_at=at
                )
            )
        uow.commit()


def _document(db: Database, unit_id: int, kind: str, year: int = 2026) -> None:
    with db.unit_of_work() as uow:
        uow.session.add(
            Document(unit_id=unit_id, kind=kind, year=year, title=kind, data=b"x", sha256="0" * 64)
        )
        uow.commit()


def _score(db: Database, unit: str = "SCJG", today: date = DECEMBER) -> scoring.UnitScore:
    return scoring.unit_score(db, None, 2026, unit, today, TZ)


def test_an_empty_year_scores_what_the_registers_hold(db: Database, city: City) -> None:
    score = _score(db)
    registers = score.item("一2")
    # Matter list, targets, inspectors on file; no rules document, no revision filed.
    assert registers.points == 3
    assert registers.inputs["revisions"] == {
        "H1": {"filed": None, "on_time": False},
        "H2": {"filed": None, "on_time": False},
    }
    # Two active matters (M03 is inactive), none with a task: 0 of 15.
    assert score.item("二1").inputs == {
        "matters": 2,
        "with_task": 0,
        "without_task": ["M01", "M02"],
    }
    assert score.item("二1").points == 0
    for code in ("二3", "二4", "二5", "三1", "三2", "三3"):
        assert score.item(code).points == 0 and score.item(code).status == "no_data", code
    for code in ("一1", "一3", "一4"):
        assert score.item(code).status == "not_judged", code
    assert score.total == 3


def test_tasks_draws_documents_and_revisions_raise_the_score(db: Database, city: City) -> None:
    plans.create_task(db, None, spec("WG-2026-001"), TODAY)
    plans.create_task(db, None, spec("WG-2026-002", matter_codes=("M02",)), TODAY)
    plans.create_task(db, None, spec("WG-2026-003", partner_codes=("SWJ",)), TODAY)
    plans.create_task(db, None, spec("WG-2026-004", matter_codes=("M02",)), TODAY)
    plans.cancel_task(db, None, "WG-2026-004", None)
    draws.run_targets_draw(db, None, "WG-2026-001", now=NOW, token_hex=Seeds(), tz=TZ)
    _document(db, city.units["SCJG"], "rules", 2025)  # a rules document of an earlier year
    _document(db, city.units["SCJG"], "annual_plan")
    june = datetime(2026, 6, 20, 2, tzinfo=UTC)
    _filed(db, city.units["SCJG"], "H1", june, ("entities", "inspectors"))
    _filed(db, city.units["SCJG"], "H2", datetime(2026, 12, 2, tzinfo=UTC), ("entities",))
    score = _score(db)
    assert score.item("一2").points == D("4.5")  # four parts and June's revision
    assert score.item("一2").inputs["revisions"]["H1"] == {"filed": "2026-06-20", "on_time": True}  # type: ignore[index]
    # December: one directory filed is not the revision; the window is still open.
    hints = [line.params for line in score.item("一2").raise_by]
    assert {"half": "H2", "closes": "2026-12-31", "points": "0.5"} in hints
    assert score.item("二1").points == 15  # both active matters have a task
    joint = score.item("二2")
    assert joint.inputs == {"tasks": 3, "joint": 1, "target_ratio": "1"}  # the cancelled one is out
    assert joint.points == D("3.33")
    assert score.item("一4").inputs["evidence"] == {"created": 3, "drawn": 1}
    assert score.item("一3").inputs["evidence"]["annual_plan"] == 1  # type: ignore[index]
    # The partner unit counts the joint task among its own: 1 of 1.
    partner = _score(db, "SWJ")
    assert partner.item("二2").points == 10
    assert partner.item("二1").inputs["without_task"] == ["S01"]  # a partner's matters are its own


def test_a_moved_window_decides_on_time(db: Database, city: City) -> None:
    with db.unit_of_work() as uow:
        uow.session.add(
            FilingWindow(year=2026, half="H1", opens=date(2026, 6, 1), closes=date(2026, 6, 15))
        )
        uow.commit()
    _filed(
        db,
        city.units["SCJG"],
        "H1",
        datetime(2026, 6, 20, 2, tzinfo=UTC),
        ("entities", "inspectors"),
    )
    assert _score(db).item("一2").inputs["revisions"]["H1"] == {
        "filed": "2026-06-20",
        "on_time": False,
    }  # type: ignore[index]


def test_judgments_and_parameters_of_the_year(db: Database, city: City) -> None:
    now = datetime(2026, 12, 3, 2, tzinfo=UTC)
    office = _profile(office=True)
    rubric.judge(
        db, office, 2026, "SCJG", "一1", "4.5", "领导小组已成立", now, ("批复.pdf", b"%PDF")
    )
    rubric.judge(db, office, 2026, "SCJG", "一1", "5", "制度齐全", now)  # again: replaces
    with pytest.raises(ServiceError) as err:
        rubric.judge(db, office, 2026, "SCJG", "一1", "6", "", now)
    assert err.value.params["max"] == "5"
    with pytest.raises(ServiceError):
        rubric.judge(db, office, 2026, "SCJG", "二1", "5", "", now)  # the bot scores 二1
    with pytest.raises(NotAllowedError):
        rubric.judge(db, _profile(unit_id=city.units["SCJG"]), 2026, "SCJG", "一1", "5", "", now)
    plans.create_task(db, None, spec("WG-2026-003", partner_codes=("SWJ",)), TODAY)
    plans.create_task(db, None, spec("WG-2026-005"), TODAY)
    assert _score(db).item("二2").points == 5
    rubric.set_param(db, office, 2026, "二2", "target_ratio", "0.5", now)
    score = _score(db)
    assert score.item("二2").points == 10
    assert score.item("一1").points == 5
    assert score.item("一1").inputs["judged"] == {
        "points": "5",
        "note": "制度齐全",
        "evidence": "批复.pdf",
    }
    assert (
        scoring.unit_score(db, None, 2027, "SCJG", DECEMBER, TZ).item("二2").points == 0
    )  # 2027: no tasks
    _, values = rubric.show_rubric(db, 2026)
    changed = [v for v in values if v.changed]
    assert [(v.item, v.name, v.value) for v in changed] == [("二2", "target_ratio", D("0.5"))]
    rubric.set_param(db, office, 2026, "二2", "target_ratio", "1", now)  # the default again
    assert not [v for v in rubric.show_rubric(db, 2026)[1] if v.changed]
    with pytest.raises(ServiceError):
        rubric.set_param(db, office, 2026, "二2", "target_ratio", "2", now)
    with pytest.raises(NotAllowedError):
        rubric.set_param(db, _profile(unit_id=1), 2026, "二2", "target_ratio", "0.5", now)
    with reading(db) as session:
        actions = [a.action for a in session.query(AuditEntry).order_by(AuditEntry.id)]
    assert actions.count("rubric.set") == 2 and actions.count("score.judge") == 2


def test_a_liaison_sees_only_its_own_unit_and_the_ranking_is_the_offices(
    db: Database, city: City
) -> None:
    liaison = _profile(unit_id=city.units["SWJ"])
    assert scoring.unit_score(db, liaison, 2026, "SWJ", DECEMBER, TZ).unit == "SWJ"
    with pytest.raises(NotAllowedError):
        scoring.unit_score(db, liaison, 2026, "SCJG", DECEMBER, TZ)
    with pytest.raises(NotAllowedError):
        scoring.all_scores(db, liaison, 2026, DECEMBER, TZ)
    ranked = scoring.all_scores(db, _profile(office=True), 2026, DECEMBER, TZ)
    # Equal totals (3 each: matter list and both directories) by code; HB has matters only.
    assert [(s.unit, s.total) for s in ranked] == [("SCJG", 3), ("SWJ", 3), ("HB", 1)]
    assert [s.total for s in ranked] == sorted((s.total for s in ranked), reverse=True)
    with pytest.raises(ServiceError):
        scoring.unit_score(db, None, 1999, "SWJ", DECEMBER, TZ)


# --- the command line ---------------------------------------------------------------------------


def test_dsr_score_json_rubric_and_judge(cli: Cli, tmp_path: Path) -> None:
    assert cli("unit", "add", "SWJ", "税务局")[0] == 0
    evidence = tmp_path / "批复.pdf"
    evidence.write_bytes(b"%PDF-1.4")
    code, out, err = cli(
        "judge", "--year", "2026", "--unit", "SCJG", "--item", "一1", "--points", "4.5",
        "--note", "已成立领导小组", "--evidence", str(evidence),
    )  # fmt: skip
    assert code == 0, err
    assert cli("rubric", "set", "--year", "2026", "--item", "joint", "--param", "target_ratio", "--value", "0.5")[0] == 0  # fmt: skip
    code, out, err = cli("rubric", "set", "--year", "2026", "--item", "二2", "--param", "x", "--value", "1")  # fmt: skip
    assert code == 1 and "target_ratio" in err
    code, out, _ = cli("rubric", "show", "--year", "2026", "--json")
    shown = json.loads(out)
    assert [i["item"] for i in shown["items"]][:2] == ["一1", "一2"]
    assert shown["items"][5]["params"] == {"target_ratio": 0.5}
    code, out, _ = cli("score", "--year", "2026", "--json")
    found = json.loads(out)
    assert found["year"] == 2026
    assert [u["unit"] for u in found["units"]] == ["SCJG", "SWJ"]  # SCJG leads with 4.5
    first = found["units"][0]
    assert set(first) == {"unit", "name", "total", "items"}
    assert first["name"] == "市场监管局" and first["total"] == 4.5
    assert [set(i) for i in first["items"]] == [{"item", "points", "max", "inputs"}] * 12
    assert first["items"][0] == {
        "item": "一1",
        "points": 4.5,
        "max": 5,
        "inputs": {
            "evidence": {},
            "judged": {"points": "4.5", "note": "已成立领导小组", "evidence": "批复.pdf"},
        },
    }
    assert sum(i["points"] for i in first["items"]) == first["total"]
    code, out, _ = cli("score", "--year", "2026", "--unit", "SWJ")
    assert code == 0 and "SWJ 税务局" in out and "二3" in out
    assert cli("score", "--unit", "NOPE")[0] == 1


# --- the 评分表 workbook --------------------------------------------------------------------------


def test_the_score_sheet_adds_up_in_the_citys_layout(db: Database, city: City) -> None:
    office = _profile(office=True)
    now = datetime(2026, 12, 3, 2, tzinfo=UTC)
    rubric.judge(db, office, 2026, "SCJG", "一4", "3.5", "熟练掌握", now)
    plans.create_task(db, None, spec("WG-2026-003", partner_codes=("SWJ",)), TODAY)
    plans.create_task(db, None, spec("WG-2026-005", matter_codes=("M02",)), TODAY)
    data = sheets.score_sheet(db, office, 2026, DECEMBER, TZ, "zh_Hans")
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["排名汇总", "SCJG", "SWJ", "HB"]
    scores = {s.unit: s for s in scoring.all_scores(db, office, 2026, DECEMBER, TZ)}
    for code in ("SCJG", "SWJ", "HB"):
        sheet = book[code]
        assert sheet["A1"].value == "“双随机、一公开”监管工作绩效考核评分表（2026年度）"
        assert sheet["A2"].value == f"被考核单位：{scores[code].name}"
        assert [c.value for c in sheet[3]] == ["项目", "考核内容", "考核标准", "得分", "计分依据"]
        rows = list(sheet.iter_rows(min_row=4, max_row=15, values_only=True))
        points = [D(str(r[3])) for r in rows]
        assert len(points) == 12
        total_row = [c.value for c in sheet[16]]
        assert total_row[0] == "汇总得分"
        assert sum(points) == D(str(total_row[3])) == scores[code].total
    scjg = book["SCJG"]
    assert scjg["A4"].value == "（一）“双随机、一公开”制度建立情况（共20分）"
    assert scjg["B4"].value == "1、组织机构建立情况（5分）"
    assert scjg["C8"].value == "开展双随机监管的事项占监管事项比例，100%得15分"
    assert "A4:A7" in {str(r) for r in scjg.merged_cells.ranges}  # the section down its items
    assert scjg["D7"].value == 3.5 and "办公室评定：3.5 分" in scjg["E7"].value
    ranking = book["排名汇总"]
    assert [c.value for c in ranking[2]][:3] == ["名次", "单位代码", "单位名称"]
    assert [c.value for c in ranking[2]][-1] == "总分"
    first = [c.value for c in ranking[3]]
    assert first[:3] == [1, "SCJG", "市场监管局"]
    assert sum(D(str(v)) for v in first[3:15]) == D(str(first[15])) == scores["SCJG"].total
    with pytest.raises(NotAllowedError):
        sheets.score_sheet(db, _profile(unit_id=city.units["SCJG"]), 2026, DECEMBER, TZ, None)


def test_dsr_score_writes_the_score_sheet(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "评分表.xlsx"
    code, out_text, err = cli("score", "--year", "2026", "--xlsx", str(out))
    assert code == 0, err
    assert load_workbook(out).sheetnames[1:] == ["SCJG"] and str(out) in out_text


# --- the year's freeze -------------------------------------------------------------------------


def test_a_frozen_year_keeps_its_figures(db: Database, city: City) -> None:
    office = _profile(office=True)
    now = datetime(2026, 12, 20, 2, tzinfo=UTC)
    rubric.judge(db, office, 2026, "SCJG", "一1", "4", "已成立", now)
    before = scoring.all_scores(db, office, 2026, DECEMBER, TZ)
    with pytest.raises(NotAllowedError):
        scoring.freeze(db, _profile(unit_id=city.units["SCJG"]), 2026, DECEMBER, TZ, now)
    done = scoring.freeze(db, office, 2026, DECEMBER, TZ, now)
    assert done.units == 3
    # What changes afterwards does not move the frozen figures; the year refuses changes.
    plans.create_task(db, None, spec("WG-2026-009"), TODAY)
    _document(db, city.units["SCJG"], "rules")
    after = scoring.all_scores(db, office, 2026, DECEMBER, TZ)
    assert [(s.unit, s.total) for s in after] == [(s.unit, s.total) for s in before]
    assert after[0].frozen_at == now
    assert [i.facts for i in after[0].items] == [i.facts for i in before[0].items]
    mine = scoring.unit_score(db, _profile(unit_id=city.units["SCJG"]), 2026, "SCJG", DECEMBER, TZ)
    assert mine.item("一1").inputs["judged"]["note"] == "已成立"  # type: ignore[index]
    for change in (
        lambda: rubric.judge(db, office, 2026, "SCJG", "一1", "5", "", now),
        lambda: rubric.set_param(db, office, 2026, "二2", "target_ratio", "0.5", now),
        lambda: scoring.freeze(db, office, 2026, DECEMBER, TZ, now),
    ):
        with pytest.raises(ServiceError) as err:
            change()
        assert err.value.params["day"] == "2026-12-20"
    rubric.set_param(db, office, 2027, "二2", "target_ratio", "0.5", now)  # another year is open
    scoring.unfreeze(db, office, 2026, now)
    assert _score(db).item("一2").inputs["rules_document"] is True
    with pytest.raises(ServiceError):
        scoring.unfreeze(db, office, 2026, now)
