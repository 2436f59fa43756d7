"""What the rubric scores a unit on, as plain values the services gather from the
database. ``None`` for a kind of data the bot does not hold yet (results, reports,
materials, commendations): its item shows 0 and says so, never an invented figure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal


@dataclass(frozen=True)
class Judgment:
    """The office's score of a judged item, with its note and the evidence's name."""

    points: Decimal
    note: str = ""
    evidence: str | None = None


@dataclass(frozen=True)
class Revision:
    """A half-year revision (H1 June, H2 December) and its window's last day."""

    half: str
    closes: date
    filed_on: date | None  # the day both directories were filed, when they were

    @property
    def on_time(self) -> bool:
        return self.filed_on is not None and self.filed_on <= self.closes


@dataclass(frozen=True)
class Registers:
    """一单两库一细则: how many active records each register holds, and the rules document."""

    matters: int = 0
    entities: int = 0
    inspectors: int = 0
    rules_document: bool = False


@dataclass(frozen=True)
class MatterFact:
    code: str
    name: str
    double_random: bool
    has_task: bool  # a task of this year inspects it


@dataclass(frozen=True)
class TaskFact:
    code: str
    name: str
    joint: bool
    due: bool = True  # its window ends within the year
    drawn: bool = False


@dataclass(frozen=True)
class ResultFact:
    """One finished inspection result: whether problems were found, whether their
    follow-up is done with evidence, and when it was published against its deadline."""

    task_code: str
    problems: bool
    followed_up: bool
    finished: date
    deadline: date  # the last day to publish (finished + N working days)
    published: date | None = None


@dataclass(frozen=True)
class Materials:
    requested: int
    on_time: int  # submitted on time and accepted


@dataclass(frozen=True)
class UnitInputs:
    today: date
    registers: Registers = field(default_factory=Registers)
    revisions: tuple[Revision, ...] = ()
    judgments: Mapping[str, Judgment] = field(default_factory=dict)
    documents: Mapping[str, int] = field(default_factory=dict)  # kind → filed this year
    matters: tuple[MatterFact, ...] = ()  # the active matter list
    tasks: tuple[TaskFact, ...] = ()  # this year's tasks the unit takes part in
    completed: frozenset[str] | None = None  # task codes done; None: no results data
    results: tuple[ResultFact, ...] | None = None
    reports_accepted: int | None = None
    materials: Materials | None = None
    commendations: tuple[str, ...] | None = None  # levels: national, provincial, city


def add_workdays(start: date, days: int, overrides: Mapping[date, bool]) -> date:
    """The ``days``-th working day after ``start``: Monday–Friday, with the official
    overrides (a holiday on a weekday False, a make-up working weekend True)."""
    day = start
    left = days
    while left > 0:
        day += timedelta(days=1)
        if overrides.get(day, day.weekday() < 5):
            left -= 1
    return day
