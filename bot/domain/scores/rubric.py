"""The 100-point evaluation rubric (绩效考核评分表) as data: twelve items in three sections
(20 + 70 + 10), each with its rule type and the parameters the office may change for one
year (docs/architecture.md, "The evaluation").

The defaults are the city's 2021 scoring table. The points of an item are the table's and
stay fixed; a parameter tunes how they are earned (the joint-task target ratio, the days a
result may wait for publication, the points per report…). Pure: the overrides of a year
come in as values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Final, Literal

from bot.i18n import N_

RuleType = Literal["judged", "checklist", "ratio", "all_or_nothing", "capped_count", "tiered"]
RULE_NAMES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "judged": N_("judged by the office"),
        "checklist": N_("points per part present"),
        "ratio": N_("points in proportion"),
        "all_or_nothing": N_("all or nothing"),
        "capped_count": N_("points per count, capped"),
        "tiered": N_("points per level, capped"),
    }
)


class RubricError(ValueError):
    """A parameter the rubric refuses; ``message`` is a msgid with ``params``."""

    def __init__(self, message: str, /, **params: object) -> None:
        super().__init__(message)
        self.message = message
        self.params = params


@dataclass(frozen=True)
class Param:
    """A number the office may change for a year, within ``low``..``high``."""

    name: str
    default: Decimal
    low: Decimal
    high: Decimal
    description: str  # msgid
    integer: bool = False


@dataclass(frozen=True)
class Item:
    code: str  # as the score sheet numbers it: 一1 … 三3
    key: str  # ASCII, for buttons and scripts
    section: int  # 1, 2, 3
    title: str  # msgid; the sheet's 考核内容 in the Chinese catalog
    standard: str  # msgid; the sheet's 考核标准
    max_points: Decimal
    rule: RuleType
    params: tuple[Param, ...] = field(default=())

    def param(self, name: str) -> Param:
        for param in self.params:
            if param.name == name:
                return param
        raise RubricError(
            N_("Item {item} has no parameter “{name}”. It has: {names}."),
            item=self.code,
            name=name,
            names=", ".join(p.name for p in self.params) or "-",
        )


def _d(text: str) -> Decimal:
    return Decimal(text)


SECTIONS: Final[Mapping[int, tuple[str, Decimal]]] = MappingProxyType(
    {
        1: (N_("Rules and organisation in place"), _d("20")),
        2: (N_("Inspections carried out"), _d("70")),
        3: (N_("Work information and experience shared"), _d("10")),
    }
)

ITEMS: Final[tuple[Item, ...]] = (
    Item(
        "一1",
        "org",
        1,
        N_("Organisation set up"),
        N_("A leading group set up and working rules in place"),
        _d("5"),
        "judged",
    ),
    Item(
        "一2",
        "registers",
        1,
        N_("One list, two directories, one rules document"),
        N_("The matter list, both directories and the rules document kept and revised"),
        _d("5"),
        "checklist",
        (
            Param(
                "register_points",
                _d("1"),
                _d("0"),
                _d("5"),
                N_("points for each of the matter list, both directories, the rules document"),
            ),
            Param(
                "revision_points",
                _d("0.5"),
                _d("0"),
                _d("5"),
                N_("points for each half-year revision filed on time"),
            ),
        ),
    ),
    Item(
        "一3",
        "documents",
        1,
        N_("Plans, implementation plans, lists, cross-department documents"),
        N_(
            "The annual plan, matter list, implementation plan and cross-department documents issued"
        ),
        _d("5"),
        "judged",
    ),
    Item(
        "一4",
        "platform",
        1,
        N_("Use of the double-random platform"),
        N_("Inspectors create inspection tasks and draw inspectors on the platform"),
        _d("5"),
        "judged",
    ),
    Item(
        "二1",
        "coverage",
        2,
        N_("Coverage of double-random inspection"),
        N_("Share of the matters inspected by double random; 100% gives 15 points"),
        _d("15"),
        "ratio",
    ),
    Item(
        "二2",
        "joint",
        2,
        N_("Coverage of joint inspection"),
        N_("Share of joint tasks among the year's planned tasks"),
        _d("10"),
        "ratio",
        (
            Param(
                "target_ratio",
                _d("1"),
                _d("0.01"),
                _d("1"),
                N_("share of joint tasks that gives full points"),
            ),
        ),
    ),
    Item(
        "二3",
        "plan",
        2,
        N_("Inspections carried out as planned"),
        N_("The year's plan carried out in full gives 15 points"),
        _d("15"),
        "ratio",
    ),
    Item(
        "二4",
        "followup",
        2,
        N_("Handling of violations found"),
        N_("Follow-up of the problems found, with photos and documents"),
        _d("15"),
        "ratio",
    ),
    Item(
        "二5",
        "publication",
        2,
        N_("Publication of results"),
        N_("Every result published gives 15 points; below 100% gives none"),
        _d("15"),
        "all_or_nothing",
        (
            Param(
                "workdays",
                _d("20"),
                _d("1"),
                _d("60"),
                N_("working days a result may wait for publication"),
                integer=True,
            ),
        ),
    ),
    Item(
        "三1",
        "reports",
        3,
        N_("Work information reported"),
        N_("Work information reported on time; 4 reports a year give 4 points"),
        _d("4"),
        "capped_count",
        (
            Param(
                "per_report",
                _d("1"),
                _d("0"),
                _d("4"),
                N_("points per accepted report"),
            ),
        ),
    ),
    Item(
        "三2",
        "materials",
        3,
        N_("Materials and summaries sent on time"),
        N_("Requested materials and summaries sent on time, complete and as required"),
        _d("4"),
        "ratio",
    ),
    Item(
        "三3",
        "commendations",
        3,
        N_("Experience commended and promoted"),
        N_("Commended by the province or higher: 2 points; by the city: 1 point; at most 2"),
        _d("2"),
        "tiered",
        (
            Param(
                "provincial_points",
                _d("2"),
                _d("0"),
                _d("2"),
                N_("points per commendation by the province or higher"),
            ),
            Param(
                "city_points", _d("1"), _d("0"), _d("2"), N_("points per commendation by the city")
            ),
        ),
    ),
)

ITEM_CODES: Final = tuple(item.code for item in ITEMS)
JUDGED: Final = tuple(item.code for item in ITEMS if item.rule == "judged")
TOTAL: Final = sum((item.max_points for item in ITEMS), Decimal(0))


def item(code_or_key: str) -> Item:
    """An item by its code (二1) or key (coverage); full-width digits are read too."""
    wanted = code_or_key.strip()
    wanted = wanted.translate({ord(c): ord("0") + i for i, c in enumerate("０１２３４５６７８９")})
    for candidate in ITEMS:
        if wanted in (candidate.code, candidate.key):
            return candidate
    raise RubricError(
        N_("There is no rubric item “{item}”. The items are {items}."),
        item=code_or_key,
        items=", ".join(ITEM_CODES),
    )


def check_value(param: Param, text: str) -> Decimal:
    """A parameter's new value, or RubricError saying what is allowed."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or not param.low <= value <= param.high:
        raise RubricError(
            N_("{name} takes a number from {low} to {high}, not “{value}”."),
            name=param.name,
            low=plain(param.low),
            high=plain(param.high),
            value=text,
        )
    if param.integer and value != value.to_integral_value():
        raise RubricError(
            N_("{name} takes a whole number, not “{value}”."), name=param.name, value=text
        )
    return value


@dataclass(frozen=True)
class Rubric:
    """The rubric of one year: the defaults with the office's changes for that year."""

    year: int
    overrides: Mapping[tuple[str, str], Decimal] = field(default_factory=dict)

    def value(self, code: str, name: str) -> Decimal:
        found = self.overrides.get((code, name))
        return found if found is not None else item(code).param(name).default

    def changed(self, code: str, name: str) -> bool:
        return (code, name) in self.overrides


def plain(value: Decimal) -> str:
    """A number as people write it: 5, 0.5, 11.67 (no exponent, no trailing zeros)."""
    text = format(value.normalize(), "f")
    return text if text != "-0" else "0"
