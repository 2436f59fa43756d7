"""The rubric's rule types at their edges, each item's rule, and the laws of a score."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.scores import rubric as rb
from bot.domain.scores import rules
from bot.domain.scores.inputs import (
    Judgment,
    Materials,
    MatterFact,
    Registers,
    ResultFact,
    Revision,
    TaskFact,
    UnitInputs,
    add_workdays,
)
from bot.domain.scores.scoring import score_item, score_unit

D = Decimal
TODAY = date(2026, 12, 3)
RUBRIC = rb.Rubric(2026)


# --- the rubric ------------------------------------------------------------------------------


def test_the_rubric_is_the_city_table() -> None:
    assert rb.ITEM_CODES == (
        "一1", "一2", "一3", "一4", "二1", "二2", "二3", "二4", "二5", "三1", "三2", "三3",
    )  # fmt: skip
    assert rb.TOTAL == 100
    for section, (_, points) in rb.SECTIONS.items():
        assert sum(i.max_points for i in rb.ITEMS if i.section == section) == points
    assert rb.JUDGED == ("一1", "一3", "一4")
    assert rb.item("二１").code == "二1"  # full-width digits as people type them
    assert rb.item("joint").code == "二2"


def test_parameters_are_checked_and_overridden_per_year() -> None:
    param = rb.item("二2").param("target_ratio")
    assert rb.check_value(param, "0.8") == D("0.8")
    for bad in ("0", "1.5", "abc", "nan", "inf"):
        with pytest.raises(rb.RubricError):
            rb.check_value(param, bad)
    with pytest.raises(rb.RubricError):
        rb.check_value(rb.item("二5").param("workdays"), "20.5")
    with pytest.raises(rb.RubricError):
        rb.item("二1").param("target_ratio")
    with pytest.raises(rb.RubricError):
        rb.item("四1")
    changed = rb.Rubric(2026, {("二2", "target_ratio"): D("0.5")})
    assert changed.value("二2", "target_ratio") == D("0.5")
    assert RUBRIC.value("二2", "target_ratio") == D("1")
    assert changed.changed("二2", "target_ratio") and not RUBRIC.changed("二2", "target_ratio")


# --- the rule types ----------------------------------------------------------------------------


def test_ratio_at_its_edges() -> None:
    assert rules.ratio(D(15), 0, 3) == 0
    assert rules.ratio(D(15), 2, 3) == D("10.00")
    assert rules.ratio(D(15), 7, 9) == D("11.67")  # rounded half up to hundredths
    assert rules.ratio(D(15), 3, 3) == 15
    assert rules.ratio(D(15), 5, 3) == 15  # over the due count: capped
    assert rules.ratio(D(15), 0, 0) == 0  # nothing due: when_none
    assert rules.ratio(D(15), 0, 0, when_none=D(15)) == 15
    assert rules.ratio(D(10), 1, 2, target=D("0.5")) == 10  # the target reached
    assert rules.ratio(D(10), 1, 4, target=D("0.5")) == 5


def test_all_or_nothing() -> None:
    assert rules.all_or_nothing(D(15), True) == 15
    assert rules.all_or_nothing(D(15), False) == 0


def test_capped_count_at_its_edges() -> None:
    assert rules.capped_count(D(4), 0, D(1)) == 0
    assert rules.capped_count(D(4), 3, D(1)) == 3
    assert rules.capped_count(D(4), 4, D(1)) == 4
    assert rules.capped_count(D(4), 9, D(1)) == 4


def test_tiered_at_its_edges() -> None:
    points = {"provincial": D(2), "national": D(2), "city": D(1)}
    assert rules.tiered(D(2), [], points) == 0
    assert rules.tiered(D(2), ["city"], points) == 1
    assert rules.tiered(D(2), ["city", "city"], points) == 2
    assert rules.tiered(D(2), ["provincial", "city", "city"], points) == 2  # capped
    assert rules.tiered(D(2), ["county"], points) == 0  # below the city counts nothing


def test_checklist_and_judged() -> None:
    assert rules.checklist(D(5), [(True, D(1)), (False, D(1)), (True, D("0.5"))]) == D("1.5")
    assert rules.checklist(D(5), [(True, D(3))] * 3) == 5
    assert rules.judged(D(5), None) == 0
    assert rules.judged(D(5), D("4.5")) == D("4.5")
    assert rules.judged(D(5), D(9)) == 5


def test_working_days_skip_weekends_and_holidays() -> None:
    friday = date(2026, 9, 25)
    assert add_workdays(friday, 1, {}) == date(2026, 9, 28)
    # National Day: a weekday holiday is skipped, a make-up Sunday counts.
    overrides = {date(2026, 9, 28): False, date(2026, 9, 27): True}
    assert add_workdays(friday, 1, overrides) == date(2026, 9, 27)
    assert add_workdays(friday, 2, overrides) == date(2026, 9, 29)
    assert add_workdays(friday, 20, {}) == date(2026, 10, 23)


# --- the items ---------------------------------------------------------------------------------


def _tasks(n: int, joint: int = 0) -> tuple[TaskFact, ...]:
    return tuple(
        TaskFact(f"WG-2026-{i:03d}", f"任务{i}", joint=i <= joint, drawn=True)
        for i in range(1, n + 1)
    )


def test_plan_names_the_task_that_would_raise_it() -> None:
    inputs = UnitInputs(TODAY, tasks=_tasks(3), completed=frozenset({"WG-2026-001", "WG-2026-002"}))
    found = score_item("二3", RUBRIC, inputs)
    assert found.points == 10
    assert found.inputs == {"tasks_due": 3, "completed": 2, "open": ["WG-2026-003"]}
    assert found.raise_by[0].params == {"task": "WG-2026-003", "points": "5"}


def test_items_without_data_show_zero_and_say_so() -> None:
    inputs = UnitInputs(TODAY, tasks=_tasks(3))
    for code in ("二3", "二4", "二5", "三1", "三2", "三3"):
        found = score_item(code, RUBRIC, inputs)
        assert (found.points, found.status) == (0, "no_data"), code
        assert found.inputs["data"] in ("no results yet", "no data yet"), code


def _result(
    problems: bool = False, followed: bool = False, published: date | None = None
) -> ResultFact:
    return ResultFact(
        "WG-2026-001", problems, followed, date(2026, 10, 1), date(2026, 10, 29), published
    )


def test_followup_full_when_no_problems_found() -> None:
    clean = UnitInputs(TODAY, results=(_result(published=date(2026, 10, 2)),))
    assert score_item("二4", RUBRIC, clean).points == 15
    assert score_item("二4", RUBRIC, UnitInputs(TODAY, results=())).points == 15
    mixed = UnitInputs(TODAY, results=(_result(True, True), _result(True, False), _result()))
    found = score_item("二4", RUBRIC, mixed)
    assert found.points == D("7.50")
    assert found.raise_by[0].params == {"points": "7.5"}


def test_publication_one_late_result_is_zero() -> None:
    on_time = _result(published=date(2026, 10, 29))
    late = _result(published=date(2026, 10, 30))
    assert score_item("二5", RUBRIC, UnitInputs(TODAY, results=(on_time,))).points == 15
    assert score_item("二5", RUBRIC, UnitInputs(TODAY, results=(on_time, late))).points == 0
    never = _result()  # unpublished past its deadline is late too
    assert score_item("二5", RUBRIC, UnitInputs(TODAY, results=(never,))).points == 0
    waiting = UnitInputs(date(2026, 10, 5), results=(_result(),))
    found = score_item("二5", RUBRIC, waiting)
    assert found.points == 15 and found.raise_by  # still in time: publish by the deadline


def test_coverage_and_joint() -> None:
    matters = tuple(
        MatterFact(f"M{i}", f"事项{i}", double_random=i != 4, has_task=i <= 2) for i in range(1, 5)
    )
    found = score_item("二1", RUBRIC, UnitInputs(TODAY, matters=matters))
    assert found.points == D("7.50")
    assert found.inputs["without_task"] == ["M3"]  # M4 is not double random: no hint
    assert found.raise_by[0].params["points"] == "3.75"
    assert score_item("二1", RUBRIC, UnitInputs(TODAY)).points == 0
    joint = score_item("二2", RUBRIC, UnitInputs(TODAY, tasks=_tasks(4, joint=1)))
    assert joint.points == D("2.50")
    lower = rb.Rubric(2026, {("二2", "target_ratio"): D("0.25")})
    assert score_item("二2", lower, UnitInputs(TODAY, tasks=_tasks(4, joint=1))).points == 10


def test_registers_checklist_and_revisions() -> None:
    june = Revision("H1", date(2026, 6, 30), date(2026, 6, 20))
    december = Revision("H2", date(2026, 12, 31), None)
    inputs = UnitInputs(
        TODAY,
        registers=Registers(matters=3, entities=10, inspectors=4, rules_document=False),
        revisions=(june, december),
    )
    found = score_item("一2", RUBRIC, inputs)
    assert found.points == D("3.5")
    hints = [line.params for line in found.raise_by]
    assert {"points": "1"} in hints  # the rules document
    assert {"half": "H2", "closes": "2026-12-31", "points": "0.5"} in hints
    late = Revision("H1", date(2026, 6, 30), date(2026, 7, 2))
    assert not late.on_time


def test_judged_items_show_the_judgment_and_the_evidence() -> None:
    inputs = UnitInputs(
        TODAY,
        judgments={"一4": Judgment(D(4), "熟练")},
        tasks=_tasks(3),
        documents={"annual_plan": 1},
    )
    platform = score_item("一4", RUBRIC, inputs)
    assert (platform.points, platform.status) == (4, "judged")
    assert platform.inputs["evidence"] == {"created": 3, "drawn": 3}
    plans = score_item("一3", RUBRIC, inputs)
    assert (plans.points, plans.status) == (0, "not_judged")
    assert plans.inputs["evidence"]["annual_plan"] == 1  # type: ignore[index]


# --- laws --------------------------------------------------------------------------------------

counts = st.integers(min_value=0, max_value=30)
points = st.decimals(min_value=-10, max_value=20, places=2)


@st.composite
def unit_inputs(draw: st.DrawFn) -> UnitInputs:
    n_tasks = draw(counts)
    tasks = tuple(
        TaskFact(f"T{i}", "t", joint=draw(st.booleans()), due=draw(st.booleans()))
        for i in range(n_tasks)
    )
    results = draw(
        st.none()
        | st.lists(
            st.builds(
                ResultFact,
                st.just("T"),
                st.booleans(),
                st.booleans(),
                st.dates(date(2026, 1, 1), date(2026, 12, 31)),
                st.dates(date(2026, 1, 1), date(2026, 12, 31)),
                st.none() | st.dates(date(2026, 1, 1), date(2027, 1, 31)),
            ),
            max_size=8,
        ).map(tuple)
    )
    return UnitInputs(
        today=draw(st.dates(date(2026, 1, 1), date(2027, 1, 31))),
        registers=Registers(draw(counts), draw(counts), draw(counts), draw(st.booleans())),
        revisions=(
            Revision("H1", date(2026, 6, 30), draw(st.none() | st.dates(date(2026, 6, 1)))),
        ),
        judgments={c: Judgment(draw(points)) for c in rb.JUDGED if draw(st.booleans())},
        matters=tuple(
            MatterFact(f"M{i}", "m", draw(st.booleans()), draw(st.booleans()))
            for i in range(draw(counts))
        ),
        tasks=tasks,
        completed=draw(st.none() | st.frozensets(st.sampled_from([f"T{i}" for i in range(40)]))),
        results=results,
        reports_accepted=draw(st.none() | counts),
        materials=draw(st.none() | st.builds(Materials, counts, counts)),
        commendations=draw(
            st.none()
            | st.lists(st.sampled_from(["national", "provincial", "city", "county"])).map(tuple)
        ),
    )


@given(unit_inputs(), st.decimals(min_value="0.01", max_value=1, places=2))
def test_every_item_within_its_range_and_the_total_is_their_sum(
    inputs: UnitInputs, target: Decimal
) -> None:
    rubric = rb.Rubric(2026, {("二2", "target_ratio"): target})
    score = score_unit(rubric, inputs, "AAA", "甲")
    assert [i.item for i in score.items] == list(rb.ITEM_CODES)
    for found in score.items:
        assert 0 <= found.points <= found.max_points, found
        assert found.points == found.points.quantize(D("0.01"))
    assert score.total == sum(i.points for i in score.items)
    assert 0 <= score.total <= 100
