"""A unit's score: every rubric item with its points, the figures behind them and what
would raise them (docs/architecture.md, "The evaluation"). Pure: ``score_unit`` is a
function of the rubric and the unit's inputs.

Sentences are msgids with parameters (``Line``); the reader's language is chosen where
they are shown. Numbers in them are already written as people write them (5, 0.5, 11.67).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Final, Literal

from bot.domain.scores import rules
from bot.domain.scores.inputs import Revision, UnitInputs
from bot.domain.scores.rubric import ITEMS, Item, Rubric, item, plain
from bot.i18n import N_

Status = Literal["scored", "judged", "not_judged", "no_data"]
# How many things a hint names before it says "and N more".
NAMED: Final = 3
NO_RESULTS: Final = N_("No results yet: inspection results are not recorded in the bot yet.")
NO_DATA: Final = N_("No data yet: the bot does not collect this yet.")


@dataclass(frozen=True)
class Line:
    """A sentence to show: a msgid and its parameters."""

    msgid: str
    params: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class ItemScore:
    item: str
    points: Decimal
    max_points: Decimal
    status: Status
    inputs: Mapping[str, object]  # JSON values: what the points were computed from
    facts: tuple[Line, ...] = ()  # the figures behind the points, as sentences
    raise_by: tuple[Line, ...] = ()  # what would raise them


@dataclass(frozen=True)
class UnitScore:
    year: int
    unit: str
    name: str
    items: tuple[ItemScore, ...]
    frozen_at: datetime | None = None  # when the office froze the year's scores

    @property
    def total(self) -> Decimal:
        return sum((i.points for i in self.items), Decimal(0))

    def item(self, code: str) -> ItemScore:
        return next(i for i in self.items if i.item == code)


def _more(names: Sequence[str]) -> str:
    shown = ", ".join(names[:NAMED])
    return shown if len(names) <= NAMED else f"{shown} (+{len(names) - NAMED})"


# --- section 一: rules and organisation --------------------------------------------------------


def _judged(spec: Item, inputs: UnitInputs, evidence: Mapping[str, object]) -> ItemScore:
    judgment = inputs.judgments.get(spec.code)
    facts = _evidence_lines(spec.code, evidence)
    data: dict[str, object] = {"evidence": dict(evidence)}
    if judgment is None:
        data["judged"] = None
        return ItemScore(
            spec.code,
            rules.judged(spec.max_points, None),
            spec.max_points,
            "not_judged",
            data,
            (Line(N_("Not judged by the office yet.")), *facts),
            (
                Line(
                    N_("The office judges this item, up to {max} points."),
                    {"max": plain(spec.max_points)},
                ),
            ),
        )
    points = rules.judged(spec.max_points, judgment.points)
    data["judged"] = {"points": plain(points), "note": judgment.note, "evidence": judgment.evidence}
    said = Line(
        N_("Judged by the office: {points} of {max}. {note}"),
        {"points": plain(points), "max": plain(spec.max_points), "note": judgment.note},
    )
    return ItemScore(spec.code, points, spec.max_points, "judged", data, (said, *facts))


def _evidence_lines(code: str, evidence: Mapping[str, object]) -> tuple[Line, ...]:
    if code == "一3":
        return (
            Line(
                N_(
                    "Filed in the bot this year: annual plan {annual_plan}, implementation plan"
                    " {implementation_plan}, cross-department documents {cross_department}."
                ),
                evidence,
            ),
        )
    if code == "一4":
        return (
            Line(
                N_("In the bot this year: {created} tasks created, {drawn} of them drawn."),
                evidence,
            ),
        )
    return ()


_FILE_BY: Final[Mapping[str, str]] = {
    "H1": N_("Filing the June revision by {closes} adds {points} points."),
    "H2": N_("Filing the December revision by {closes} adds {points} points."),
}
_FILED: Final[Mapping[str, str]] = {
    "H1": N_("June revision: filed on {filed} (window closes {closes})."),
    "H2": N_("December revision: filed on {filed} (window closes {closes})."),
}
_NOT_FILED: Final[Mapping[str, str]] = {
    "H1": N_("June revision: not filed (window closes {closes})."),
    "H2": N_("December revision: not filed (window closes {closes})."),
}


def _revision_fact(revision: Revision) -> Line:
    params: dict[str, object] = {"half": revision.half, "closes": revision.closes.isoformat()}
    if revision.filed_on is None:
        return Line(_NOT_FILED[revision.half], params)
    return Line(_FILED[revision.half], {**params, "filed": revision.filed_on.isoformat()})


def _registers(spec: Item, rubric: Rubric, inputs: UnitInputs) -> ItemScore:
    each = rubric.value(spec.code, "register_points")
    per_revision = rubric.value(spec.code, "revision_points")
    reg = inputs.registers
    parts = [
        (reg.matters > 0, N_("Importing the matter list adds {points} points.")),
        (
            reg.entities > 0,
            N_("Importing the directory of inspection targets adds {points} points."),
        ),
        (reg.inspectors > 0, N_("Importing the directory of inspectors adds {points} points.")),
        (reg.rules_document, N_("Filing the rules document (实施细则) adds {points} points.")),
    ]
    points = rules.checklist(
        spec.max_points,
        [(present, each) for present, _ in parts]
        + [(r.on_time, per_revision) for r in inputs.revisions],
    )
    raise_by = [Line(hint, {"points": plain(each)}) for present, hint in parts if not present]
    for revision in inputs.revisions:
        if revision.filed_on is None and inputs.today <= revision.closes:
            raise_by.append(
                Line(
                    _FILE_BY[revision.half],
                    {
                        "half": revision.half,
                        "closes": revision.closes.isoformat(),
                        "points": plain(per_revision),
                    },
                )
            )
    facts = (
        Line(
            N_(
                "Matters {matters}, inspection targets {entities}, inspectors {inspectors};"
                " rules document on file: {rules}."
            ),
            {
                "matters": reg.matters,
                "entities": reg.entities,
                "inspectors": reg.inspectors,
                "rules": "✓" if reg.rules_document else "✗",
            },
        ),
        *(_revision_fact(r) for r in inputs.revisions),
    )
    data = {
        "matters": reg.matters,
        "entities": reg.entities,
        "inspectors": reg.inspectors,
        "rules_document": reg.rules_document,
        "revisions": {
            r.half: {"filed": r.filed_on.isoformat() if r.filed_on else None, "on_time": r.on_time}
            for r in inputs.revisions
        },
    }
    return ItemScore(spec.code, points, spec.max_points, "scored", data, facts, tuple(raise_by))


# --- section 二: inspections -------------------------------------------------------------------


def _gain(spec: Item, now: Decimal, after: Decimal) -> str:
    return plain(max(after - now, Decimal(0)))


def _coverage(spec: Item, rubric: Rubric, inputs: UnitInputs) -> ItemScore:
    total = len(inputs.matters)
    covered = [m for m in inputs.matters if m.double_random and m.has_task]
    open_ = [m for m in inputs.matters if m.double_random and not m.has_task]
    points = rules.ratio(spec.max_points, len(covered), total)
    one_more = rules.ratio(spec.max_points, len(covered) + 1, total)
    facts = (
        Line(
            N_("Matters inspected by double random this year: {done} of {total} active matters."),
            {"done": len(covered), "total": total},
        ),
    )
    raise_by: tuple[Line, ...] = ()
    if total == 0:
        raise_by = (Line(N_("Import the matter list first: with no active matter the item is 0.")),)
    elif open_:
        raise_by = (
            Line(
                N_("A task this year for {matters} adds {points} points each."),
                {
                    "matters": _more([m.code for m in open_]),
                    "points": _gain(spec, points, one_more),
                },
            ),
        )
    data = {"matters": total, "with_task": len(covered), "without_task": [m.code for m in open_]}
    return ItemScore(spec.code, points, spec.max_points, "scored", data, facts, raise_by)


def _joint(spec: Item, rubric: Rubric, inputs: UnitInputs) -> ItemScore:
    target = rubric.value(spec.code, "target_ratio")
    planned = len(inputs.tasks)
    joint = sum(1 for t in inputs.tasks if t.joint)
    points = rules.ratio(spec.max_points, joint, planned, target=target)
    facts = (
        Line(
            N_("Joint tasks: {joint} of {planned} tasks this year (full points at {target}%)."),
            {"joint": joint, "planned": planned, "target": plain(target * 100)},
        ),
    )
    raise_by: tuple[Line, ...] = ()
    if points < spec.max_points:
        after = rules.ratio(spec.max_points, joint + 1, max(planned, joint + 1), target=target)
        raise_by = (
            Line(
                N_("Making one more of this year's tasks a joint task adds {points} points."),
                {"points": _gain(spec, points, after)},
            ),
        )
    data = {"tasks": planned, "joint": joint, "target_ratio": plain(target)}
    return ItemScore(spec.code, points, spec.max_points, "scored", data, facts, raise_by)


def _plan(spec: Item, rubric: Rubric, inputs: UnitInputs) -> ItemScore:
    due = [t for t in inputs.tasks if t.due]
    if inputs.completed is None:
        data: dict[str, object] = {
            "tasks_due": len(due),
            "completed": None,
            "data": "no results yet",
        }
        facts = (
            Line(N_("Tasks planned and due this year: {due}."), {"due": len(due)}),
            Line(NO_RESULTS),
        )
        return ItemScore(spec.code, Decimal(0), spec.max_points, "no_data", data, facts)
    done = [t for t in due if t.code in inputs.completed]
    left = [t for t in due if t.code not in inputs.completed]
    points = rules.ratio(spec.max_points, len(done), len(due))
    done_line = Line(
        N_("{done} of {due} planned tasks done."), {"done": len(done), "due": len(due)}
    )
    raise_by = tuple(
        Line(
            N_("Finishing {task} adds {points} points."),
            {
                "task": t.code,
                "points": _gain(
                    spec, points, rules.ratio(spec.max_points, len(done) + 1, len(due))
                ),
            },
        )
        for t in left[:NAMED]
    )
    data = {"tasks_due": len(due), "completed": len(done), "open": [t.code for t in left]}
    return ItemScore(spec.code, points, spec.max_points, "scored", data, (done_line,), raise_by)


def _followup(spec: Item, rubric: Rubric, inputs: UnitInputs) -> ItemScore:
    if inputs.results is None:
        data: dict[str, object] = {"with_problems": None, "data": "no results yet"}
        return ItemScore(
            spec.code, Decimal(0), spec.max_points, "no_data", data, (Line(NO_RESULTS),)
        )
    found = [r for r in inputs.results if r.problems]
    handled = [r for r in found if r.followed_up]
    points = rules.ratio(spec.max_points, len(handled), len(found), when_none=spec.max_points)
    if not found:
        facts = (Line(N_("No problems found in this year's results: full points.")),)
    else:
        facts = (
            Line(
                N_("Results with problems followed up with evidence: {done} of {found}."),
                {"done": len(handled), "found": len(found)},
            ),
        )
    raise_by: tuple[Line, ...] = ()
    if len(handled) < len(found):
        after = rules.ratio(spec.max_points, len(handled) + 1, len(found))
        raise_by = (
            Line(
                N_(
                    "Finishing the follow-up of one more result, with evidence, adds {points} points."
                ),
                {"points": _gain(spec, points, after)},
            ),
        )
    data = {"with_problems": len(found), "followed_up": len(handled)}
    return ItemScore(spec.code, points, spec.max_points, "scored", data, facts, raise_by)


def _publication(spec: Item, rubric: Rubric, inputs: UnitInputs) -> ItemScore:
    workdays = int(rubric.value(spec.code, "workdays"))
    if inputs.results is None:
        data: dict[str, object] = {"results": None, "workdays": workdays, "data": "no results yet"}
        return ItemScore(
            spec.code, Decimal(0), spec.max_points, "no_data", data, (Line(NO_RESULTS),)
        )
    today = inputs.today
    late = [
        r
        for r in inputs.results
        if (r.published is not None and r.published > r.deadline)
        or (r.published is None and today > r.deadline)
    ]
    pending = [r for r in inputs.results if r.published is None and today <= r.deadline]
    points = rules.all_or_nothing(spec.max_points, not late)
    facts = (
        Line(
            N_(
                "Finished results: {results}; published late or not within {workdays} working days: {late}."
            ),
            {"results": len(inputs.results), "workdays": workdays, "late": len(late)},
        ),
    )
    raise_by: tuple[Line, ...] = ()
    if pending and not late:
        first = min(r.deadline for r in pending)
        raise_by = (
            Line(
                N_(
                    "Publish the {pending} results waiting by their deadlines (the first: {deadline}) to keep {points} points."
                ),
                {
                    "pending": len(pending),
                    "deadline": first.isoformat(),
                    "points": plain(spec.max_points),
                },
            ),
        )
    data = {
        "results": len(inputs.results),
        "late": len(late),
        "pending": len(pending),
        "workdays": workdays,
    }
    return ItemScore(spec.code, points, spec.max_points, "scored", data, facts, raise_by)


# --- section 三: information and experience ----------------------------------------------------


def _reports(spec: Item, rubric: Rubric, inputs: UnitInputs) -> ItemScore:
    per = rubric.value(spec.code, "per_report")
    if inputs.reports_accepted is None:
        data: dict[str, object] = {"accepted": None, "data": "no data yet"}
        return ItemScore(spec.code, Decimal(0), spec.max_points, "no_data", data, (Line(NO_DATA),))
    count = inputs.reports_accepted
    points = rules.capped_count(spec.max_points, count, per)
    facts = (Line(N_("Accepted work information reports: {count}."), {"count": count}),)
    raise_by: tuple[Line, ...] = ()
    if points < spec.max_points and per > 0:
        raise_by = (
            Line(
                N_("Each more accepted report adds {points} points."),
                {
                    "points": _gain(
                        spec, points, rules.capped_count(spec.max_points, count + 1, per)
                    )
                },
            ),
        )
    data = {"accepted": count, "per_report": plain(per)}
    return ItemScore(spec.code, points, spec.max_points, "scored", data, facts, raise_by)


def _materials(spec: Item, rubric: Rubric, inputs: UnitInputs) -> ItemScore:
    found = inputs.materials
    if found is None:
        data: dict[str, object] = {"requested": None, "data": "no data yet"}
        return ItemScore(spec.code, Decimal(0), spec.max_points, "no_data", data, (Line(NO_DATA),))
    points = rules.ratio(spec.max_points, found.on_time, found.requested, when_none=spec.max_points)
    facts = (
        Line(
            N_("Requested materials sent on time and accepted: {on_time} of {requested}."),
            {"on_time": found.on_time, "requested": found.requested},
        ),
    )
    data = {"requested": found.requested, "on_time": found.on_time}
    return ItemScore(spec.code, points, spec.max_points, "scored", data, facts)


def _commendations(spec: Item, rubric: Rubric, inputs: UnitInputs) -> ItemScore:
    levels = inputs.commendations
    if levels is None:
        data: dict[str, object] = {"commendations": None, "data": "no data yet"}
        return ItemScore(spec.code, Decimal(0), spec.max_points, "no_data", data, (Line(NO_DATA),))
    provincial = rubric.value(spec.code, "provincial_points")
    city = rubric.value(spec.code, "city_points")
    points_of = {"national": provincial, "provincial": provincial, "city": city}
    points = rules.tiered(spec.max_points, levels, points_of)
    higher = sum(1 for level in levels if level in ("national", "provincial"))
    facts = (
        Line(
            N_("Commendations: {higher} by the province or higher, {city} by the city."),
            {"higher": higher, "city": sum(1 for level in levels if level == "city")},
        ),
    )
    data = {"levels": list(levels)}
    return ItemScore(spec.code, points, spec.max_points, "scored", data, facts)


Scorer = Callable[[Item, Rubric, UnitInputs], ItemScore]
_SCORERS: Final[Mapping[str, Scorer]] = {
    "一2": _registers,
    "二1": _coverage,
    "二2": _joint,
    "二3": _plan,
    "二4": _followup,
    "二5": _publication,
    "三1": _reports,
    "三2": _materials,
    "三3": _commendations,
}


def evidence(inputs: UnitInputs) -> dict[str, Mapping[str, object]]:
    """What the bot knows of each judged item, shown beside the office's judgment."""
    docs = inputs.documents
    return {
        "一1": {},
        "一3": {
            k: docs.get(k, 0) for k in ("annual_plan", "implementation_plan", "cross_department")
        },
        "一4": {"created": len(inputs.tasks), "drawn": sum(1 for t in inputs.tasks if t.drawn)},
    }


def score_item(code: str, rubric: Rubric, inputs: UnitInputs) -> ItemScore:
    spec = item(code)
    if spec.rule == "judged":
        return _judged(spec, inputs, evidence(inputs)[code])
    return _SCORERS[code](spec, rubric, inputs)


def score_unit(rubric: Rubric, inputs: UnitInputs, unit: str, name: str) -> UnitScore:
    """Every item of the rubric, in the score sheet's order."""
    return UnitScore(
        rubric.year, unit, name, tuple(score_item(i.code, rubric, inputs) for i in ITEMS)
    )


def ranking(scores: Sequence[UnitScore]) -> list[UnitScore]:
    """Highest total first; equal totals by unit code (never the database's collation)."""
    return sorted(scores, key=lambda s: (-s.total, s.unit))
