"""The rules a task (抽查任务) must satisfy, and the values a person decides about it.

``resolve`` checks a ``TaskSpec`` against the database (units, the lead unit's matter
list) and raises ``TaskInvalid`` naming the field at fault, so that an import can show it
as the spreadsheet's column. bot.services.draws.plans creates and changes tasks with it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.draws.algorithm import RISK_STRATA, SamplingRequest
from bot.domain.registers.validation import ENTITY_KINDS
from bot.i18n import N_, Word
from bot.services.errors import ServiceError
from storage.models import Matter, Plan, Unit

TASK_CODE: Final = re.compile(r"[A-Z0-9-]{1,64}")
PLANNED: Final = "planned"
DRAWN: Final = "drawn"
IN_PROGRESS: Final = "in_progress"
DONE: Final = "done"
CANCELLED: Final = "cancelled"
# A task's status as people read it (the code stays in the database and in --json).
STATUS_WORDS: Final = {
    PLANNED: N_("planned"),
    DRAWN: N_("drawn"),
    IN_PROGRESS: N_("in progress"),
    DONE: N_("done"),
    CANCELLED: N_("cancelled"),
}


def status_word(status: str) -> Word:
    """A status as a refusal's parameter: the reader's language fills it in."""
    return Word(STATUS_WORDS.get(status, status))


ENTITY_KIND_CODES: Final = tuple(c.code for c in ENTITY_KINDS)
MAX_TITLE: Final = 300


class TaskInvalid(ServiceError):  # noqa: N818 - a refusal, like ServiceError
    """A task that fails validation; ``field`` names the field at fault (import rows show
    it as the column), None for the task as a whole."""

    def __init__(self, field_key: str | None, message: str, /, **params: Any) -> None:
        super().__init__(message, **params)
        self.field = field_key


# --- values ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetFilters:
    """Which entities of the participating units' directories a task draws from. Empty
    tuples mean "any"; ``risk_classes`` may include U (no class)."""

    kinds: tuple[str, ...] = ()
    industries: tuple[str, ...] = ()
    areas: tuple[str, ...] = ()
    risk_classes: tuple[str, ...] = ()
    exclude_drawn_this_year: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "kinds": list(self.kinds),
            "industries": list(self.industries),
            "areas": list(self.areas),
            "risk_classes": list(self.risk_classes),
            "exclude_drawn_this_year": self.exclude_drawn_this_year,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TargetFilters:
        return cls(
            kinds=tuple(data.get("kinds") or ()),
            industries=tuple(data.get("industries") or ()),
            areas=tuple(data.get("areas") or ()),
            risk_classes=tuple(data.get("risk_classes") or ()),
            exclude_drawn_this_year=bool(data.get("exclude_drawn_this_year", False)),
        )


@dataclass(frozen=True)
class InspectorFilters:
    """An inspector matches when he has at least one of the listed tags of each list."""

    expertise: tuple[str, ...] = ()
    areas: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"expertise": list(self.expertise), "areas": list(self.areas)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> InspectorFilters:
        return cls(tuple(data.get("expertise") or ()), tuple(data.get("areas") or ()))


@dataclass(frozen=True)
class TaskSpec:
    """Everything a person decides about a task (create and change take the whole spec)."""

    code: str
    name: str
    unit_code: str  # the lead unit
    matter_codes: tuple[str, ...]
    sampling: SamplingRequest
    window_start: date
    window_end: date
    partner_codes: tuple[str, ...] = ()
    team_size: int = 2
    targets_per_team: int = 1
    target_filters: TargetFilters = field(default_factory=TargetFilters)
    inspector_filters: InspectorFilters = field(default_factory=InspectorFilters)


def unit_by_code_or_name(session: Session, code_or_name: str) -> Unit:
    text = code_or_name.strip()
    unit = session.execute(
        select(Unit).where(Unit.code == text.upper(), Unit.active)
    ).scalar_one_or_none()
    if unit is None:  # a spreadsheet names units as people do: 税务局
        unit = (
            session.execute(select(Unit).where(Unit.name == text, Unit.active).order_by(Unit.id))
            .scalars()
            .first()
        )
    if unit is None:
        raise ServiceError(N_("There is no unit with the code {code}."), code=text)
    return unit


# --- task validation --------------------------------------------------------------------------


@dataclass(frozen=True)
class Resolved:
    spec: TaskSpec
    units: tuple[Unit, ...]
    matters: tuple[Matter, ...]
    plan: Plan | None


def normal_code(code: str) -> str:
    return "".join(unicodedata.normalize("NFKC", code).split()).upper()


def _split_kinds(value: str | None) -> set[str]:
    """A matter's target kinds as stored (codes or labels, one or several)."""
    if not value:
        return set()
    labels = {label.casefold(): c.code for c in ENTITY_KINDS for label in (c.code, c.zh, c.en)}
    words = re.split(r"[\s,，、;；/|]+", value)
    return {labels[w.casefold()] for w in words if w.casefold() in labels}


def matter_kinds(matters: Sequence[Matter]) -> set[str] | None:
    """The target kinds a task's matters cover; None when some matter says nothing (any)."""
    kinds: set[str] = set()
    for matter in matters:
        found = _split_kinds(matter.target_kind)
        if not found:
            return None
        kinds |= found
    return kinds


def _check_fields(spec: TaskSpec, today: date) -> TaskSpec:
    code = normal_code(spec.code)
    if not TASK_CODE.fullmatch(code):
        raise TaskInvalid(
            "code",
            N_(
                "A task code is 1–64 capital letters, digits or “-”, like WG-2026-007;"
                " “{code}” is not."
            ),
            code=spec.code,
        )
    name = spec.name.strip()
    if not name or len(name) > MAX_TITLE:
        raise TaskInvalid("name", N_("A task needs a name of at most 300 characters."))
    matter_codes = tuple(dict.fromkeys(normal_code(c) for c in spec.matter_codes if c.strip()))
    if not matter_codes:
        raise TaskInvalid("matters", N_("A task needs at least one matter of the matter list."))
    units = 1 + len(spec.partner_codes)
    if spec.team_size < 2:
        raise TaskInvalid(
            "team_size",
            N_("A team needs at least 2 inspectors (行政处罚法 art. 42); {team_size} is too few."),
            team_size=spec.team_size,
        )
    if spec.team_size < units:
        raise TaskInvalid(
            "team_size",
            N_(
                "A joint task of {units} units needs teams of at least {units} inspectors,"
                " one of each unit; {team_size} is too few."
            ),
            units=units,
            team_size=spec.team_size,
        )
    if spec.targets_per_team < 1:
        raise TaskInvalid(
            "targets_per_team",
            N_("Each team needs at least 1 target; {targets_per_team} is too few."),
            targets_per_team=spec.targets_per_team,
        )
    if spec.window_start > spec.window_end:
        raise TaskInvalid(
            "window_end",
            N_("The window ends ({end}) before it starts ({start})."),
            start=spec.window_start.isoformat(),
            end=spec.window_end.isoformat(),
        )
    if spec.window_start < today:
        raise TaskInvalid(
            "window_start",
            N_("The window starts on {start}, which is in the past (today is {today})."),
            start=spec.window_start.isoformat(),
            today=today.isoformat(),
        )
    _check_sampling(spec)
    _check_filters(spec.target_filters)
    return TaskSpec(
        code=code,
        name=name,
        unit_code=spec.unit_code,
        matter_codes=matter_codes,
        sampling=spec.sampling,
        window_start=spec.window_start,
        window_end=spec.window_end,
        partner_codes=spec.partner_codes,
        team_size=spec.team_size,
        targets_per_team=spec.targets_per_team,
        target_filters=spec.target_filters,
        inspector_filters=spec.inspector_filters,
    )


def _check_sampling(spec: TaskSpec) -> None:
    request = spec.sampling
    if not any((a.count or a.ratio_permille or 0) > 0 for _, a in request.amounts):
        raise TaskInvalid(
            "sampling", N_("The sampling draws nothing: give a count or ratio above 0.")
        )
    classes = spec.target_filters.risk_classes
    if classes and not request.is_total:
        excluded = [s for s, a in request.amounts if s not in classes and (a.count or 0) > 0]
        if excluded:
            raise TaskInvalid(
                "sampling",
                N_(
                    "The sampling asks for risk class {classes}, which the task's risk-class"
                    " filter leaves out."
                ),
                classes=",".join(excluded),
            )


def _check_filters(filters: TargetFilters) -> None:
    bad_kinds = [k for k in filters.kinds if k not in ENTITY_KIND_CODES]
    if bad_kinds:
        raise TaskInvalid(
            "kinds",
            N_("Unknown target type(s): {kinds}. Allowed: {allowed}."),
            kinds=",".join(bad_kinds),
            allowed=",".join(ENTITY_KIND_CODES),
        )
    bad_classes = [c for c in filters.risk_classes if c not in RISK_STRATA]
    if bad_classes:
        raise TaskInvalid(
            "risk_classes",
            N_("Unknown risk class(es): {classes}. Allowed: A, B, C, D and U (no class)."),
            classes=",".join(bad_classes),
        )


def resolve(session: Session, spec: TaskSpec, today: date) -> Resolved:
    """Every rule a task must satisfy; raises TaskInvalid for the first one it breaks."""
    spec = _check_fields(spec, today)
    try:
        lead = unit_by_code_or_name(session, spec.unit_code)
    except ServiceError as exc:
        raise TaskInvalid("unit", exc.message, **exc.params) from None
    units = [lead]
    for code in spec.partner_codes:
        try:
            partner = unit_by_code_or_name(session, code)
        except ServiceError as exc:
            raise TaskInvalid("partners", exc.message, **exc.params) from None
        if any(u.id == partner.id for u in units):
            raise TaskInvalid(
                "partners",
                N_("The unit {unit} is named twice among the task's units."),
                unit=partner.code,
            )
        units.append(partner)
    matters = []
    for code in spec.matter_codes:
        matter = session.execute(
            select(Matter).where(Matter.unit_id == lead.id, Matter.code == code)
        ).scalar_one_or_none()
        if matter is None:
            raise TaskInvalid(
                "matters",
                N_("The matter {code} is not in the matter list of {unit}."),
                code=code,
                unit=lead.code,
            )
        if not matter.active:
            raise TaskInvalid(
                "matters",
                N_("The matter {code} of {unit} is no longer active."),
                code=code,
                unit=lead.code,
            )
        if len(units) > 1 and not matter.joint_ok:
            raise TaskInvalid(
                "partners",
                N_(
                    "The matter {code} does not allow joint inspection, so the task cannot"
                    " have partner units."
                ),
                code=code,
            )
        matters.append(matter)
    kinds = matter_kinds(matters)
    wanted = spec.target_filters.kinds
    if kinds is not None and wanted and not set(wanted) & kinds:
        raise TaskInvalid(
            "kinds",
            N_("The task's matters inspect {matter_kinds}, not {kinds}."),
            matter_kinds=",".join(sorted(kinds)),
            kinds=",".join(wanted),
        )
    spec = TaskSpec(
        code=spec.code,
        name=spec.name,
        unit_code=lead.code,
        matter_codes=spec.matter_codes,
        sampling=spec.sampling,
        window_start=spec.window_start,
        window_end=spec.window_end,
        partner_codes=tuple(u.code for u in units[1:]),
        team_size=spec.team_size,
        targets_per_team=spec.targets_per_team,
        target_filters=spec.target_filters,
        inspector_filters=spec.inspector_filters,
    )
    plan = session.execute(
        select(Plan).where(Plan.unit_id == lead.id, Plan.year == spec.window_start.year)
    ).scalar_one_or_none()
    return Resolved(spec, tuple(units), tuple(matters), plan)


def require_plan(resolved: Resolved) -> Plan:
    if resolved.plan is None:
        raise TaskInvalid(
            "window_start",
            N_(
                "The unit {unit} has no plan for {year} yet: add it first"
                " (dsr plan add --unit {unit} --year {year} --title …)."
            ),
            unit=resolved.units[0].code,
            year=resolved.spec.window_start.year,
        )
    return resolved.plan
