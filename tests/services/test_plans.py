"""Plans and tasks: creation, every validation rule, change while planned, cancellation,
listing, sampling as people write it, and the plan spreadsheet (template and import)."""

from __future__ import annotations

import dataclasses
import io
from datetime import date, datetime
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.cell import Cell
from openpyxl.utils import get_column_letter
from sqlalchemy import func, select

from bot.domain.draws.algorithm import SamplingRequest
from bot.domain.draws.plan_sheet import DUPLICATE_TASK, NOT_WHOLE_NUMBER, PLAN_SPEC
from bot.domain.registers.validation import Problem
from bot.services.draws import drawing as draws
from bot.services.draws import plan_import, plans
from bot.services.draws.plans import InspectorFilters, TargetFilters, TaskInvalid
from bot.services.errors import NotAllowedError, ServiceError
from bot.services.people.profiles import Profile
from storage.db import Database, reading
from storage.models import AuditEntry, Plan, Task, TaskUnit
from storage.xlsx_plan import plan_template
from storage.xlsx_write import ReportHeadings
from tests.conftest import TZ
from tests.support.city import END, NOW, START, TODAY, City, Seeds, build_city, spec


@pytest.fixture
def city(db: Database) -> City:
    return build_city(db)


def _profile(*, office: bool = False, unit_id: int | None = None) -> Profile:
    return Profile(1000, None, "someone", None, office, unit_id, None, None, None, True)


def _count(db: Database, model: type) -> int:
    with reading(db) as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


# --- plans ------------------------------------------------------------------------------------


def test_create_and_list_plans(db: Database, city: City) -> None:
    plan = plans.create_plan(db, None, "scjg", 2027, "市场监管局2027年度抽查计划")
    assert (plan.unit_code, plan.year, plan.tasks) == ("SCJG", 2027, 0)
    with pytest.raises(ServiceError) as err:
        plans.create_plan(db, None, "SCJG", 2027, "again")
    assert err.value.params == {"unit": "SCJG", "year": 2027}
    assert [p.year for p in plans.list_plans(db, "SCJG")] == [2026, 2027]
    with pytest.raises(ServiceError):
        plans.create_plan(db, None, "NOPE", 2027, "x")


def test_a_liaison_plans_only_for_their_own_unit(db: Database, city: City) -> None:
    own = _profile(unit_id=city.units["SWJ"])
    plans.create_plan(db, own, "SWJ", 2027, "税务局2027")
    with pytest.raises(NotAllowedError):
        plans.create_plan(db, own, "SCJG", 2027, "not mine")
    with pytest.raises(NotAllowedError):
        plans.create_task(db, own, spec(), TODAY)
    task = plans.create_task(db, _profile(office=True), spec(), TODAY)
    assert task.code == "WG-2026-007"
    with pytest.raises(NotAllowedError):
        plans.cancel_task(db, own, task.code, None)


# --- tasks ------------------------------------------------------------------------------------


def test_create_a_joint_task(db: Database, city: City) -> None:
    task = plans.create_task(
        db,
        None,
        spec(
            code=" wg-2026-007 ",
            partner_codes=("税务局",),  # units by code or name
            team_size=3,
            target_filters=TargetFilters(kinds=("enterprise",), risk_classes=("A", "B", "C")),
            inspector_filters=InspectorFilters(expertise=("食品",)),
        ),
        TODAY,
    )
    assert task.code == "WG-2026-007"
    assert task.unit_codes == ("SCJG", "SWJ") and task.joint and task.lead_unit == "SCJG"
    assert task.status == plans.PLANNED and task.year == 2026
    assert task.matter_codes == ("M01",)
    assert plans.get_task(db, "wg-2026-007") == task
    with reading(db) as session:
        positions = session.execute(select(TaskUnit.unit_id, TaskUnit.position)).all()
        actions = session.execute(select(AuditEntry.action)).scalars().all()
    assert sorted(positions, key=lambda p: p[1]) == [
        (city.units["SCJG"], 1),
        (city.units["SWJ"], 2),
    ]
    assert actions == ["task.add"]


@pytest.mark.parametrize(
    ("changes", "field", "params"),
    [
        ({"code": "wg_2026"}, "code", {"code": "wg_2026"}),
        ({"code": "任务1"}, "code", {"code": "任务1"}),
        ({"name": "  "}, "name", {}),
        ({"matter_codes": ()}, "matters", {}),
        ({"matter_codes": ("M99",)}, "matters", {"code": "M99", "unit": "SCJG"}),
        ({"matter_codes": ("S01",)}, "matters", {"code": "S01", "unit": "SCJG"}),
        ({"matter_codes": ("M03",)}, "matters", {"code": "M03", "unit": "SCJG"}),
        (
            {"partner_codes": ("SWJ",), "matter_codes": ("M02",), "team_size": 2},
            "partners",
            {"code": "M02"},
        ),
        ({"partner_codes": ("NOPE",)}, "partners", {"code": "NOPE"}),
        ({"partner_codes": ("SCJG",)}, "partners", {"unit": "SCJG"}),
        ({"partner_codes": ("SWJ", "SWJ"), "team_size": 3}, "partners", {"unit": "SWJ"}),
        ({"unit_code": "NOPE"}, "unit", {"code": "NOPE"}),
        ({"team_size": 1}, "team_size", {"team_size": 1}),
        (
            {"partner_codes": ("SWJ", "HB"), "team_size": 2},
            "team_size",
            {"units": 3, "team_size": 2},
        ),
        ({"targets_per_team": 0}, "targets_per_team", {"targets_per_team": 0}),
        (
            {"window_end": date(2026, 6, 7)},
            "window_end",
            {"start": "2026-06-08", "end": "2026-06-07"},
        ),
        (
            {"window_start": date(2026, 5, 31)},
            "window_start",
            {"start": "2026-05-31", "today": "2026-06-01"},
        ),
        ({"sampling": SamplingRequest.counts({"A": 0})}, "sampling", {}),
        ({"target_filters": TargetFilters(risk_classes=("B",))}, "sampling", {"classes": "A,C"}),
        (
            {"target_filters": TargetFilters(kinds=("robot",))},
            "kinds",
            {
                "kinds": "robot",
                "allowed": "enterprise,individual,cooperative,product,project,behaviour,other",
            },
        ),
        (
            {"target_filters": TargetFilters(kinds=("product",))},
            "kinds",
            {"matter_kinds": "enterprise,individual", "kinds": "product"},
        ),
        (
            {
                "target_filters": TargetFilters(risk_classes=("E",)),
                "sampling": SamplingRequest.total(count=1),
            },
            "risk_classes",
            {"classes": "E"},
        ),
        (
            {"window_start": date(2027, 6, 8), "window_end": date(2027, 6, 9)},
            "window_start",
            {"unit": "SCJG", "year": 2027},
        ),
    ],
)
def test_task_validation(
    db: Database, city: City, changes: dict[str, Any], field: str, params: dict[str, Any]
) -> None:
    with pytest.raises(TaskInvalid) as err:
        plans.create_task(db, None, spec(**changes), TODAY)
    assert err.value.field == field
    assert err.value.params == params
    assert "{" not in str(err.value)  # every placeholder is filled
    assert _count(db, Task) == 0 and _count(db, AuditEntry) == 0


def test_task_codes_are_unique(db: Database, city: City) -> None:
    plans.create_task(db, None, spec(), TODAY)
    with pytest.raises(TaskInvalid) as err:
        plans.create_task(db, None, spec(name="another"), TODAY)
    assert err.value.field == "code" and err.value.params == {"code": "WG-2026-007"}


def test_change_while_planned_then_refused_after_the_draw(db: Database, city: City) -> None:
    plans.create_task(db, None, spec(), TODAY)
    same = plans.change_task(db, None, spec(), TODAY)
    changed = plans.change_task(
        db, None, spec(name="改名", partner_codes=("SWJ",), team_size=2), TODAY
    )
    assert changed.name == "改名" and changed.unit_codes == ("SCJG", "SWJ")
    assert same.name != changed.name
    with reading(db) as session:
        actions = session.execute(select(AuditEntry.action).order_by(AuditEntry.id)).scalars()
        assert list(actions) == ["task.add", "task.change"]
    draws.run_targets_draw(db, None, "WG-2026-007", now=NOW, token_hex=Seeds(), tz=TZ)
    with pytest.raises(TaskInvalid) as err:
        plans.change_task(db, None, spec(name="again"), TODAY)
    assert err.value.params == {"code": "WG-2026-007", "status": "drawn"}
    with pytest.raises(ServiceError):
        plans.change_task(db, None, spec(code="NOPE-1"), TODAY)


def test_cancel_rules(db: Database, city: City) -> None:
    plans.create_task(db, None, spec(), TODAY)
    plans.create_task(db, None, spec(code="WG-2026-008"), TODAY)
    cancelled = plans.cancel_task(db, None, "WG-2026-007", None)  # planned: no reason needed
    assert cancelled.status == plans.CANCELLED and cancelled.cancel_reason is None
    with pytest.raises(ServiceError) as err:
        plans.cancel_task(db, None, "WG-2026-007", "twice")
    assert err.value.params == {"code": "WG-2026-007", "status": "cancelled"}
    draws.run_targets_draw(db, None, "WG-2026-008", now=NOW, token_hex=Seeds(), tz=TZ)
    with pytest.raises(ServiceError) as err:
        plans.cancel_task(db, None, "WG-2026-008", "  ")
    assert err.value.params == {"code": "WG-2026-008"}
    done = plans.cancel_task(db, None, "WG-2026-008", "上级通知暂停")
    assert (done.status, done.cancel_reason) == ("cancelled", "上级通知暂停")
    with pytest.raises(ServiceError):  # a cancelled task is never drawn
        draws.run_inspectors_draw(db, None, "WG-2026-008", now=NOW, token_hex=Seeds(), tz=TZ)


def test_a_done_task_cannot_be_cancelled(db: Database, city: City) -> None:
    plans.create_task(db, None, spec(), TODAY)
    with db.unit_of_work() as uow:
        uow.session.execute(Task.__table__.update().values(status="done"))
        uow.commit()
    with pytest.raises(ServiceError) as err:
        plans.cancel_task(db, None, "WG-2026-007", "late")
    assert err.value.params["status"] == "done"


def test_list_tasks(db: Database, city: City) -> None:
    plans.create_plan(db, None, "SWJ", 2027, "税务局2027")
    plans.create_task(db, None, spec(code="A-1", partner_codes=("SWJ",)), TODAY)
    plans.create_task(db, None, spec(code="A-2"), TODAY)
    plans.create_task(db, None, spec(code="B-1", unit_code="SWJ", matter_codes=("S01",)), TODAY)
    assert [t.code for t in plans.list_tasks(db)] == ["A-1", "A-2", "B-1"]
    assert [t.code for t in plans.list_tasks(db, unit_code="SWJ")] == ["A-1", "B-1"]
    assert [t.code for t in plans.list_tasks(db, year=2025)] == []
    liaison = _profile(unit_id=city.units["SCJG"])
    assert [t.code for t in plans.list_tasks(db, liaison)] == ["A-1", "A-2"]
    with pytest.raises(NotAllowedError):
        plans.list_tasks(db, liaison, unit_code="SWJ")


# --- sampling ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "json", "shown"),
    [
        ("10", {"*": {"count": 10}}, "10"),
        ("５%", {"*": {"ratio_permille": 50}}, "5%"),
        ("25‰", {"*": {"ratio_permille": 25}}, "25‰"),
        ("A=3,B=5", {"A": {"count": 3}, "B": {"count": 5}}, "A=3,B=5"),
        ("b=5%, c=10%", {"B": {"ratio_permille": 50}, "C": {"ratio_permille": 100}}, "B=5%,C=10%"),
        ("A类3、U类2", {"A": {"count": 3}, "U": {"count": 2}}, "A=3,U=2"),
        ("C:1；D=0.5%", {"C": {"count": 1}, "D": {"ratio_permille": 5}}, "C=1,D=5‰"),
    ],
)
def test_sampling_as_written(text: str, json: dict[str, Any], shown: str) -> None:
    from bot.domain.draws.records import request_to_json

    request = plans.parse_sampling(text)
    assert request_to_json(request) == json
    assert plans.format_sampling(request) == shown
    assert plans.parse_sampling(shown) == request


@pytest.mark.parametrize("text", ["", "ten", "A=3,A=4", "E=3", "2.5", "0.25%", "150%", "A=-1"])
def test_sampling_errors(text: str) -> None:
    with pytest.raises(TaskInvalid) as err:
        plans.parse_sampling(text)
    assert err.value.field == "sampling"


# --- the plan spreadsheet ---------------------------------------------------------------------

HEADERS = [f.header for f in PLAN_SPEC.fields]


def _row(**values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "任务编号": "WG-2026-101",
        "任务名称": "食品经营抽查",
        "抽查事项编码": "M01",
        "牵头单位": "",
        "配合单位": "",
        "抽查对象类型": "企业、个体工商户",
        "行业": "",
        "区域": "",
        "风险等级": "",
        "抽取数量/抽取比例": "A=1,B=2",
        "每组检查人员数": 2,
        "每组检查对象数": "２",
        "开始日期": "2026-06-08",
        "结束日期": date(2026, 6, 19),
        "排除本年度已抽取": "否",
    }
    row.update(values)
    return row


def _workbook(rows: list[dict[str, Any]], *, hidden: int | None = None) -> bytes:
    """Like a person's file: a title row above the header, columns in another order."""
    headers = list(reversed(HEADERS))
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["舞钢市市场监管局2026年度双随机抽查计划"])
    sheet.append(headers)
    for row in rows:
        sheet.append([row.get(h) for h in headers])
    if hidden is not None:
        sheet.row_dimensions[hidden].hidden = True
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_template_reads_back_and_has_the_columns() -> None:
    data = plan_template()
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    assert [c.value for c in sheet[2]] == HEADERS
    assert any("A/B/C/D" in (c.value or "") for c in sheet[3])  # the notes row
    assert sheet.data_validations.dataValidation  # drop-downs


def test_import_plan(db: Database, city: City) -> None:
    rows = [
        _row(),
        _row(
            **{
                "任务编号": "WG-2026-102",
                "配合单位": "税务局",
                "每组检查人员数": "2人",
                "抽取数量/抽取比例": "5%",
                "风险等级": "A类、未分类",
            }
        ),
    ]
    data = _workbook(rows)
    dry = plan_import.import_plan(db, None, "SCJG", data, "plan.xlsx", TODAY, dry_run=True)
    assert dry.counts == {"new": 2, "changed": 0, "unchanged": 0, "deactivated": 0, "errors": 0}
    assert not dry.applied and _count(db, Task) == 0
    done = plan_import.import_plan(db, None, "SCJG", data, "plan.xlsx", TODAY)
    assert done.applied and done.new == ("WG-2026-101", "WG-2026-102")
    joint = plans.get_task(db, "WG-2026-102")
    assert joint.unit_codes == ("SCJG", "SWJ")
    assert joint.target_filters.risk_classes == ("A", "U")
    assert joint.target_filters.kinds == ("enterprise", "individual")
    assert plans.format_sampling(joint.sampling) == "5%"
    again = plan_import.import_plan(db, None, "SCJG", data, "plan.xlsx", TODAY)
    assert again.counts["unchanged"] == 2 and not again.applied
    rows[0]["任务名称"] = "改名后的任务"
    changed = plan_import.import_plan(db, None, "SCJG", _workbook(rows), "plan.xlsx", TODAY)
    assert changed.changed == ("WG-2026-101",) and changed.unchanged == ("WG-2026-102",)
    assert plans.get_task(db, "WG-2026-101").name == "改名后的任务"


def test_import_creates_a_missing_plan(db: Database, city: City) -> None:
    data = _workbook([_row(**{"开始日期": "2027年3月1日", "结束日期": "2027/3/31"})])
    result = plan_import.import_plan(db, None, "SCJG", data, "plan.xlsx", TODAY)
    assert result.applied
    with reading(db) as session:
        assert session.execute(select(Plan.title).where(Plan.year == 2027)).scalar_one()


def test_import_errors_name_sheet_row_column_value_and_write_nothing(
    db: Database, city: City
) -> None:
    rows = [
        _row(),
        _row(**{"任务编号": "WG-2026-101"}),  # duplicate in the file
        _row(**{"任务编号": "WG-2026-103", "抽查事项编码": "M99"}),
        _row(**{"任务编号": "WG-2026-104", "每组检查人员数": "两人"}),
        _row(**{"任务编号": "WG-2026-105", "抽取数量/抽取比例": "很多"}),
        _row(**{"任务编号": "WG-2026-106", "牵头单位": "税务局"}),
        _row(**{"任务编号": "WG-2026-107", "开始日期": "2026-05-01"}),
        _row(**{"任务编号": "WG-2026-108", "抽查对象类型": "机器人"}),
        _row(**{"任务编号": "", "任务名称": "没有编号"}),
    ]
    result = plan_import.import_plan(db, None, "SCJG", _workbook(rows), "plan.xlsx", TODAY)
    assert not result.applied and _count(db, Task) == 0
    found = {(p.row, p.column): p for p in result.errors}
    assert set(found) == {
        (4, "任务编号"),
        (5, "抽查事项编码"),
        (6, "每组检查人员数"),
        (7, "抽取数量/抽取比例"),
        (8, "牵头单位"),
        (9, "开始日期"),
        (10, "抽查对象类型"),
        (11, "任务编号"),
    }
    assert result.counts["errors"] == 8 and result.counts["new"] == 1
    assert found[(5, "抽查事项编码")].value == "M99"
    assert found[(5, "抽查事项编码")].params == {"code": "M99", "unit": "SCJG"}
    assert found[(4, "任务编号")].params == {"row": 3}
    assert all(p.sheet == "Sheet" and p.column_letter for p in result.errors)
    partial = plan_import.import_plan(
        db, None, "SCJG", _workbook(rows), "plan.xlsx", TODAY, apply_valid=True
    )
    assert partial.applied and [t.code for t in plans.list_tasks(db)] == ["WG-2026-101"]


def test_import_refuses_to_change_a_drawn_task(db: Database, city: City) -> None:
    data = _workbook([_row()])
    plan_import.import_plan(db, None, "SCJG", data, "plan.xlsx", TODAY)
    draws.run_targets_draw(db, None, "WG-2026-101", now=NOW, token_hex=Seeds(), tz=TZ)
    same = plan_import.import_plan(db, None, "SCJG", data, "plan.xlsx", TODAY)
    assert same.counts["unchanged"] == 1 and not same.errors
    changed = _workbook([_row(**{"任务名称": "改"})])
    result = plan_import.import_plan(db, None, "SCJG", changed, "plan.xlsx", TODAY)
    assert [(p.row, p.params) for p in result.errors] == [
        (3, {"code": "WG-2026-101", "status": "drawn"})
    ]
    other = plan_import.import_plan(db, None, "SWJ", data, "plan.xlsx", TODAY)
    assert other.errors[0].params == {"code": "WG-2026-101", "unit": "SCJG"}


def test_import_warns_about_hidden_rows(db: Database, city: City) -> None:
    data = _workbook([_row(), _row(**{"任务编号": "WG-2026-102"})], hidden=4)
    result = plan_import.import_plan(db, None, "SCJG", data, "plan.xlsx", TODAY)
    assert result.applied and [w.row for w in result.warnings] == [4]


def test_import_unusable_file(db: Database, city: City) -> None:
    with pytest.raises(plan_import.PlanFileUnusable):
        plan_import.import_plan(db, None, "SCJG", b"not a workbook", "plan.xlsx", TODAY)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["姓名", "电话"])
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(plan_import.PlanFileUnusable) as err:
        plan_import.import_plan(db, None, "SCJG", buffer.getvalue(), "plan.xlsx", TODAY)
    assert "expected" in err.value.params


def test_task_spec_round_trips(db: Database, city: City) -> None:
    created = plans.create_task(db, None, spec(partner_codes=("SWJ",)), TODAY)
    assert dataclasses.replace(created.spec) == plans.get_task(db, created.code).spec
    assert created.spec.window_start == START and created.spec.window_end == END


# --- the import's error report ----------------------------------------------------------------

# _workbook writes the columns in this order; the report shows them so, after the row number.
FILE_ORDER = list(reversed(HEADERS))
ERROR_FILL = "FFC7CE"


def _letter(header: str) -> str:
    return get_column_letter(FILE_ORDER.index(header) + 1)


def _under(line: tuple[Cell, ...], header: str) -> Cell:
    """The report cell of one of the file's columns (column A is the row number)."""
    return line[1 + FILE_ORDER.index(header)]


def _filled(cell: Cell) -> bool:
    return bool(cell.fill.fill_type) and str(cell.fill.fgColor.rgb).endswith(ERROR_FILL)


def test_import_report_shows_the_bad_rows_as_written(db: Database, city: City) -> None:
    rows = [
        _row(),
        _row(**{"任务编号": "WG-2026-102", "每组检查人员数": "两人"}),  # validation's error
        _row(**{"任务编号": "WG-2026-103", "抽查事项编码": "M99"}),  # the task rules'
        _row(**{"任务编号": "WG-2026-104"}),
    ]
    result = plan_import.import_plan(
        db, None, "SCJG", _workbook(rows, hidden=6), "plan.xlsx", TODAY
    )
    assert result.report is not None and not result.applied
    report, listing = load_workbook(io.BytesIO(result.report)).worksheets
    assert (report.title, listing.title) == ("错误报告", "问题清单")
    assert [c.value for c in report[1]] == [
        "行号",
        *(f"{h} ({_letter(h)})" for h in FILE_ORDER),
        "错误",
        "警告",
    ]
    lines = {line[0].value: line for line in report.iter_rows(min_row=2)}
    assert sorted(lines) == [4, 5, 6]  # row 3 and row 7 have no problem

    bad = lines[4]
    assert [c.value for c in bad[1:7]] == [
        None,
        None,
        "否",
        datetime(2026, 6, 19),
        "2026-06-08",
        "２",
    ]
    assert _under(bad, "每组检查人员数").value == "两人"
    assert _under(bad, "每组检查对象数").value == "２"  # as written, not normalised to 2
    assert _filled(_under(bad, "每组检查人员数"))
    assert not any(_filled(_under(bad, h)) for h in FILE_ORDER if h != "每组检查人员数")
    assert bad[-2].value == f"{_letter('每组检查人员数')} 每组检查人员数：{NOT_WHOLE_NUMBER}"
    assert bad[-1].value is None

    rule = lines[5]
    assert _under(rule, "抽查事项编码").value == "M99" and _filled(_under(rule, "抽查事项编码"))
    assert rule[-2].value == (
        f"{_letter('抽查事项编码')} 抽查事项编码：The matter M99 is not in the matter list of SCJG."
    )
    hidden = lines[6]
    assert hidden[-2].value is None and "hidden" in hidden[-1].value
    assert _under(hidden, "任务编号").value == "WG-2026-104"

    listed = [[c.value for c in line] for line in listing.iter_rows()]
    assert listed == [
        ["工作表", "行号", "列", "列号", "值", "级别", "原因"],
        ["Sheet", 4, "每组检查人员数", _letter("每组检查人员数"), "两人", "错误", NOT_WHOLE_NUMBER],
        [
            "Sheet",
            5,
            "抽查事项编码",
            _letter("抽查事项编码"),
            "M99",
            "错误",
            "The matter M99 is not in the matter list of SCJG.",
        ],
        ["Sheet", 6, None, None, None, "警告", hidden[-1].value],
    ]


def test_import_report_is_in_the_callers_words(db: Database, city: City) -> None:
    rows = [_row(), _row(**{"任务编号": "WG-2026-101", "任务名称": "重复"})]
    seen: list[Problem] = []

    def describe(problem: Problem) -> str:
        seen.append(problem)
        return f"<{problem.reason}|{dict(problem.params)}>"

    result = plan_import.import_plan(
        db,
        None,
        "SCJG",
        _workbook(rows),
        "plan.xlsx",
        TODAY,
        dry_run=True,
        describe=describe,
        headings=ReportHeadings(sheet="Errors", list_sheet="Problems", errors="Errors"),
    )
    assert result.report is not None
    book = load_workbook(io.BytesIO(result.report))
    assert book.sheetnames == ["Errors", "Problems"]
    line = next(book["Errors"].iter_rows(min_row=2))
    assert line[0].value == 4 and _filled(_under(line, "任务编号"))
    expected = f"<{DUPLICATE_TASK}|{{'row': 3}}>"
    assert line[-2].value == f"{_letter('任务编号')} 任务编号：{expected}"
    assert book["Problems"]["G2"].value == expected
    # describe is given the English msgid (with its params), the same as PlanProblem.reason.
    assert {(p.field, p.reason, p.value) for p in seen} == {("code", DUPLICATE_TASK, "WG-2026-101")}


def test_a_clean_import_has_no_report(db: Database, city: City) -> None:
    data = _workbook([_row(), _row(**{"任务编号": "WG-2026-102"})])
    result = plan_import.import_plan(db, None, "SCJG", data, "plan.xlsx", TODAY)
    assert result.applied and not result.problems
    assert result.report is None
