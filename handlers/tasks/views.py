"""What the task and draw screens show: the /newtask questions and confirmation, the list
of tasks, a task's page, the pools before the seed, the draw's progress and its summary.
Values that go into HTML are escaped; no risk class of an entity ever appears here (the
pools' strata are counts, shown only to the office and the lead unit's liaison)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain import dates
from bot.domain.draws.algorithm import PURPOSE_TARGETS, TOTAL_STRATUM
from bot.i18n import N_, Translator
from bot.services.draws.chat_draw import DrawPreview
from bot.services.draws.filter_text import format_filters
from bot.services.draws.plan_upload import PlanCheck
from bot.services.draws.plans import TaskInfo, format_sampling
from bot.services.draws.task_chat import MatterChoice, TaskChoices, TaskPage, UnitChoice
from bot.services.inspectors.records import span_words
from handlers import callbacks
from handlers.common import esc

# Quick sampling choices, as people write them (a button carries the index).
SAMPLINGS: Final = ("5%", "10%", "20%", "5", "10", "20")
TEAM_SIZES: Final = (2, 3, 4, 5)
LIST_LIMIT: Final = 40

STATUS_LABELS: Final = {
    "planned": N_("planned"),
    "drawn": N_("drawn"),
    "in_progress": N_("in progress"),
    "done": N_("done"),
    "cancelled": N_("cancelled"),
}
# Why an inspector is not in the pool (bot/services/draws/pools.py REASONS).
INSPECTOR_REASONS: Final = {
    "inactive": N_("no longer active"),
    "uncertified": N_("no usable certificate number"),
    "expired": N_("certificate not valid through the window"),
    "filtered": N_("outside the expertise or area filter"),
    "away": N_("away during the window"),
    "busy": N_("already on an overlapping task"),
}
# What removed entities from a targets pool (bot/services/draws/pools.py target_funnel).
TARGET_FILTERS: Final = {
    "kind": N_("target type"),
    "drawn_this_year": N_("already drawn this year"),
    "industry": N_("industry"),
    "area": N_("area"),
    "risk_class": N_("risk class"),
}


def date_problem(t: Translator, error: dates.TypedDateError) -> str:
    template = t._(dates.REASONS.get(error.reason, error.reason))
    return template.format(**error.params)


def status(t: Translator, code: str) -> str:
    return t._(STATUS_LABELS[code]) if code in STATUS_LABELS else code


# --- /newtask ---------------------------------------------------------------------------------


def no_matters(t: Translator) -> str:
    return t._(
        "Your unit's matter list has no active matter with a code yet: import the matter"
        " list first (/template)."
    )


def ask_matters(
    t: Translator, choices: TaskChoices, chosen: Sequence[int]
) -> tuple[str, InlineKeyboardMarkup]:
    text = t._(
        "New task of {unit}. Which matters of your matter list does it inspect? Press each,"
        " then Done. (/cancel to stop)",
        unit=esc(choices.unit_name),
    )
    rows = [
        [
            InlineKeyboardButton(
                ("✓ " if m.id in chosen else "") + f"{m.code} {m.name}"[:60],
                callback_data=callbacks.TASK_MATTER.data(m.id),
            )
        ]
        for m in choices.matters
    ]
    rows.append([InlineKeyboardButton(t._("Done"), callback_data=callbacks.TASK_MATTERS_OK.data())])
    return text, InlineKeyboardMarkup(rows)


def pick_one_matter(t: Translator) -> str:
    return t._("Pick at least one matter first.")


def ask_partners(
    t: Translator, units: Sequence[UnitChoice], chosen: Sequence[int]
) -> tuple[str, InlineKeyboardMarkup]:
    text = t._(
        "A joint inspection? Press the partner units (every team then has an inspector of"
        " each unit), then Done; press Done alone for your unit only."
    )
    rows = [
        [
            InlineKeyboardButton(
                ("✓ " if u.id in chosen else "") + f"{u.code} {u.name}"[:60],
                callback_data=callbacks.TASK_PARTNER.data(u.id),
            )
        ]
        for u in units
    ]
    rows.append(
        [InlineKeyboardButton(t._("Done"), callback_data=callbacks.TASK_PARTNERS_OK.data())]
    )
    return text, InlineKeyboardMarkup(rows)


def ask_filters(t: Translator) -> tuple[str, InlineKeyboardMarkup]:
    text = t._(
        "Which targets? Type filters like 行业：餐饮、零售；区域：城区 (also 类型：个体工商户,"
        " 风险：A、B), or press No filter to draw from all of the matters' targets."
    )
    button = InlineKeyboardButton(t._("No filter"), callback_data=callbacks.TASK_NO_FILTER.data())
    return text, InlineKeyboardMarkup([[button]])


def ask_sampling(t: Translator) -> tuple[str, InlineKeyboardMarkup]:
    text = t._(
        "How many targets to draw? Pick, or type a count (10), a ratio (5%) or amounts per"
        " risk class (A=3,B=5)."
    )
    buttons = [
        InlineKeyboardButton(label, callback_data=callbacks.TASK_SAMPLING.data(index))
        for index, label in enumerate(SAMPLINGS)
    ]
    return text, InlineKeyboardMarkup([buttons[:3], buttons[3:]])


def ask_team_size(t: Translator, minimum: int) -> tuple[str, InlineKeyboardMarkup]:
    text = t._("How many inspectors in each team? (at least {minimum})", minimum=minimum)
    buttons = [
        InlineKeyboardButton(str(n), callback_data=callbacks.TASK_TEAM.data(n))
        for n in TEAM_SIZES
        if n >= minimum
    ] or [InlineKeyboardButton(str(minimum), callback_data=callbacks.TASK_TEAM.data(minimum))]
    return text, InlineKeyboardMarkup([buttons])


def ask_window(t: Translator) -> str:
    return t._(
        "Which days is the inspection window? Type a range as you would write it: 6.8-6.19,"
        " 6月8日至19日 or 2026-06-08-2026-06-19."
    )


def ask_name(t: Translator, suggested: str) -> tuple[str, InlineKeyboardMarkup]:
    text = t._("The task's name? Type it, or use “{name}”.", name=esc(suggested))
    button = InlineKeyboardButton(t._("Use this name"), callback_data=callbacks.TASK_NAME.data())
    return text, InlineKeyboardMarkup([[button]])


def suggested_name(matters: Sequence[MatterChoice], year: int) -> str:
    return f"{year}年{'、'.join(m.name for m in matters)}"[:300]


def _task_lines(t: Translator, task: TaskInfo, matter_names: Sequence[str]) -> list[str]:
    matters = "、".join(
        f"{code} {name}".strip()
        for code, name in zip(task.matter_codes, matter_names, strict=False)
    )
    none = t._("no filter")
    units = [t._("{unit} (lead)", unit=esc(task.unit_names[0]))]
    units += [esc(name) for name in task.unit_names[1:]]
    return [
        t._("<b>{code}</b> {name}", code=esc(task.code), name=esc(task.name)),
        t._("Status: {status}", status=status(t, task.status)),
        t._("Units: {units}", units="、".join(units)),
        t._("Matters: {matters}", matters=esc(matters)),
        t._("Sampling: {sampling}", sampling=esc(format_sampling(task.sampling))),
        t._("Filters: {filters}", filters=esc(format_filters(task.target_filters) or none)),
        t._(
            "Teams of {team_size} inspectors, {per_team} target(s) each",
            team_size=task.team_size,
            per_team=task.targets_per_team,
        ),
        t._("Window: {days}", days=span_words(t, task.window_start, task.window_end)),
    ]


def confirm_task(
    t: Translator, task: TaskInfo, matter_names: Sequence[str]
) -> tuple[str, InlineKeyboardMarkup]:
    lines = [t._("Create this task?"), "", *_task_lines(t, task, matter_names)]
    buttons = [
        InlineKeyboardButton(t._("Create"), callback_data=callbacks.TASK_OK.data()),
        InlineKeyboardButton(t._("Cancel"), callback_data=callbacks.TASK_NO.data()),
    ]
    return "\n".join(lines), InlineKeyboardMarkup([buttons])


def created(t: Translator, task: TaskInfo) -> tuple[str, InlineKeyboardMarkup]:
    text = t._(
        "Task {code} is created in the plan of {year}. Partner units see it in /tasks.",
        code=esc(task.code),
        year=task.year,
    )
    button = InlineKeyboardButton(
        t._("Open the task"), callback_data=callbacks.TASK_PAGE.data(task.id)
    )
    return text, InlineKeyboardMarkup([[button]])


def task_cancelled(t: Translator) -> str:
    return t._("Cancelled: no task was created.")


# --- /tasks and a task's page ---------------------------------------------------------------------


def task_list(t: Translator, tasks: Sequence[TaskInfo]) -> tuple[str, InlineKeyboardMarkup | None]:
    if not tasks:
        return t._("No tasks yet. A liaison plans one with /newtask."), None
    shown = list(tasks)[-LIST_LIMIT:]
    lines = [t.n_("{n} task:", "{n} tasks:", len(tasks))]
    for task in shown:
        lines.append(
            f"{esc(task.code)} · {status(t, task.status)} · "
            f"{task.window_start.isoformat()}–{task.window_end.isoformat()} · {esc(task.name)}"
        )
    rows = [
        [
            InlineKeyboardButton(
                f"{task.code} {task.name}"[:60], callback_data=callbacks.TASK_PAGE.data(task.id)
            )
        ]
        for task in shown
    ]
    return "\n".join(lines), InlineKeyboardMarkup(rows)


def task_page(t: Translator, page: TaskPage) -> tuple[str, InlineKeyboardMarkup | None]:
    lines = _task_lines(t, page.task, page.matter_names)
    if page.task.cancel_reason:
        lines.append(t._("Reason: {reason}", reason=esc(page.task.cancel_reason)))
    rows = []
    if page.may_draw:
        label = t._("Draw") if page.pending == PURPOSE_TARGETS else t._("Draw the inspectors")
        rows.append(
            [InlineKeyboardButton(label, callback_data=callbacks.DRAW_POOLS.data(page.task.id))]
        )
    draw_id = page.inspectors_draw_id or page.targets_draw_id
    if draw_id is not None:
        rows.append(
            [
                InlineKeyboardButton(
                    t._("Public certificate"), callback_data=callbacks.DRAW_CERT.data(draw_id)
                )
            ]
        )
    return "\n".join(lines), InlineKeyboardMarkup(rows) if rows else None


# --- the pools before the seed ---------------------------------------------------------------------


def _stratum(t: Translator, stratum: str) -> str:
    return t._("all targets") if stratum == TOTAL_STRATUM else t._("class {c}", c=stratum)


def _targets_lines(t: Translator, preview: DrawPreview) -> list[str]:
    lines = [t._("<b>Targets</b>")]
    for s in preview.strata:
        line = t._(
            "{stratum}: {available} in the pool, {wanted} to draw",
            stratum=_stratum(t, s.stratum),
            available=s.available,
            wanted=s.wanted,
        )
        lines.append(("⚠️ " if s.short else "· ") + line)
    if not preview.strata:
        lines.append("⚠️ " + t._("No entity matches the task."))
    if preview.funnel and (preview.targets_short or len(preview.funnel) > 1):
        directory = preview.funnel[0][1]
        lines.append(t._("Active entities in the units' directories: {n}", n=directory))
        for name, removed in preview.funnel[1:]:
            label = t._(TARGET_FILTERS.get(name, name))
            lines.append(t._("· the {filter} filter removed {n}", filter=label, n=removed))
    return lines


def _inspector_lines(t: Translator, preview: DrawPreview) -> list[str]:
    lines = [
        t._(
            "<b>Inspectors</b>: {teams} team(s) of {team_size} need {needed}; {eligible} eligible",
            teams=preview.teams,
            team_size=preview.team_size,
            needed=preview.inspectors_needed,
            eligible=preview.inspectors_eligible,
        )
    ]
    for unit in preview.inspectors:
        line = t._(
            "{unit}: {eligible} eligible of {total} (at least {needed} needed)",
            unit=esc(unit.unit_name),
            eligible=unit.eligible,
            total=unit.total,
            needed=unit.needed,
        )
        lines.append(("⚠️ " if unit.short else "· ") + line)
        why = "、".join(
            t._("{reason} {n}", reason=t._(INSPECTOR_REASONS.get(r, r)), n=n)
            for r, n in unit.removed
        )
        if why:
            lines.append("   " + t._("not eligible: {why}", why=why))
    return lines


def pools(
    t: Translator, preview: DrawPreview, *, office: bool
) -> tuple[str, InlineKeyboardMarkup | None]:
    lines = [
        t._("Pools of task {code} {name}", code=esc(preview.task_code), name=esc(preview.task_name))
    ]
    if preview.purpose == PURPOSE_TARGETS:
        lines += ["", *_targets_lines(t, preview)]
    lines += ["", *_inspector_lines(t, preview)]
    lines.append("")
    what = t._("targets") if preview.purpose == PURPOSE_TARGETS else t._("inspectors")
    if not preview.ready:
        lines.append(
            t._("The pool is too small: the task cannot be drawn as it is. Nothing was stored.")
        )
        return "\n".join(lines), None
    lines.append(
        t._(
            "The pool of the {what} draw is fixed: {size} candidates, digest <code>{digest}</code>."
            " The seed is made only after you confirm.",
            what=what,
            size=preview.size,
            digest=preview.digest,
        )
    )
    assert preview.commitment_id is not None
    rows = [
        [
            InlineKeyboardButton(
                t._("Confirm and draw (generated seed)"),
                callback_data=callbacks.DRAW_GO.data(preview.task_id, preview.commitment_id),
            )
        ]
    ]
    if office:
        rows.append(
            [
                InlineKeyboardButton(
                    t._("Type the ceremony's seed"),
                    callback_data=callbacks.DRAW_SEED.data(preview.task_id, preview.commitment_id),
                )
            ]
        )
    return "\n".join(lines), InlineKeyboardMarkup(rows)


def ask_seed(t: Translator) -> str:
    return t._(
        "Type the seed input drawn at the public ceremony (e.g. the lottery digits), exactly"
        " as announced. (/cancel to stop)"
    )


def confirm_seed(t: Translator, typed: str) -> tuple[str, InlineKeyboardMarkup]:
    text = t._(
        "Draw with the seed input “{seed_input}”? It is kept in the record and published"
        " with the certificate. To correct it, type it again; /cancel stops.",
        seed_input=esc(typed),
    )
    button = InlineKeyboardButton(
        t._("Draw with this seed input"), callback_data=callbacks.DRAW_SEED_OK.data()
    )
    return text, InlineKeyboardMarkup([[button]])


def seed_cancelled(t: Translator) -> str:
    return t._("Cancelled: nothing was drawn.")


# --- the draw -----------------------------------------------------------------------------------


def drawing(t: Translator, code: str, purpose: str) -> str:
    if purpose == PURPOSE_TARGETS:
        return t._("Drawing the targets of task {code}…", code=code)
    return t._("Drawing the inspectors of task {code}…", code=code)


def targets_drawn(t: Translator, code: str, draw_id: int, teams: int) -> str:
    return t._(
        "Targets of task {code} drawn (draw {id}, {teams} team(s)). Fixing the inspectors' pool…",
        code=code,
        id=draw_id,
        teams=teams,
    )


def inspectors_pool_fixed(t: Translator, code: str, size: int, digest: str) -> str:
    return t._(
        "Targets of task {code} drawn. The inspectors' pool is fixed: {size} candidates, digest"
        " {digest}. Drawing the inspectors…",
        code=code,
        size=size,
        digest=digest,
    )


def summary(t: Translator, cert: Mapping[str, Any]) -> str:
    """The draw's result from its public certificate (names and codes, no risk class)."""
    task = cert["task"]
    lines = [
        t._("<b>Task {code} drawn</b> (draw {id}).", code=esc(task["code"]), id=cert["draw_id"]),
        t._("Seed: <code>{seed}</code>", seed=esc(cert["seed"])),
    ]
    if cert.get("seed_input"):
        lines.append(t._("Seed input: {seed_input}", seed_input=esc(cert["seed_input"])))
    lines.append(
        t._(
            "Pool: {size} candidates, digest <code>{digest}</code>",
            size=cert["pool_size"],
            digest=esc(cert["pool_digest"]),
        )
    )
    for team in cert["teams"]:
        targets = "、".join(esc(x["name"] or x["code"]) for x in team["targets"])
        lines.append("")
        lines.append(t._("Team {team}: {targets}", team=team["team"], targets=targets))
        members = team.get("members") or []
        if members:
            names = "、".join(esc(m["name"] or m["cert_no"]) for m in members)
            lines.append(t._("Inspectors (leader first): {names}", names=names))
    return "\n".join(lines)


def told(t: Translator) -> str:
    return t._(
        "The drawn inspectors and the units' liaisons are told. The public certificate follows."
    )


def certificate_name(t: Translator, code: str, draw_id: int) -> str:
    return t._("certificate-{code}-{id}.xlsx", code=code, id=draw_id)


def refused(
    t: Translator,
    message: str,
    params: Mapping[str, Any],
    lines: Sequence[tuple[str, Mapping[str, Any]]],
) -> str:
    parts = [t._(message, **params)]
    parts += [t._(msgid, **values) for msgid, values in lines]
    return "\n".join(parts)


# --- a plan workbook ------------------------------------------------------------------------------


def ask_plan_file(t: Translator) -> str:
    return t._(
        "Send your unit's annual plan as a workbook (.xlsx), one task per row: the template"
        " follows. (/cancel to stop)"
    )


def plan_template_name(t: Translator) -> str:
    return t._("plan-template.xlsx")


def plan_too_big(t: Translator) -> str:
    return t._("The file is larger than 20 MB, which a bot cannot download.")


def plan_file_cancelled(t: Translator) -> str:
    return t._("Cancelled: the plan was not imported.")


def plan_checking(t: Translator, file_name: str, apply: bool) -> str:
    if apply:
        return t._("Importing {file}…", file=file_name)
    return t._("Checking {file}…", file=file_name)


def plan_report_name(t: Translator, file_name: str) -> str:
    stem = file_name.rsplit(".", 1)[0]
    return t._("{name}-problems.xlsx", name=stem)


def plan_checked(t: Translator, found: PlanCheck) -> tuple[str, InlineKeyboardMarkup | None]:
    lines = [
        t._(
            "New: {new}; changed: {changed}; unchanged: {unchanged}; rows with errors: {errors}.",
            new=len(found.new),
            changed=len(found.changed),
            unchanged=len(found.unchanged),
            errors=found.errors,
        )
    ]
    lines += [esc(line) for line in found.problems]
    if found.applied:
        lines.append(t._("The plan was imported."))
        if found.new or found.changed:
            lines.append(esc("、".join((*found.new, *found.changed))))
        lines.append(t._("Open the tasks with /tasks."))
        return "\n".join(lines), None
    if found.errors:
        lines.append(t._("Nothing was imported: correct the rows and send the file again."))
        return "\n".join(lines), None
    if not (found.new or found.changed):
        lines.append(t._("The file changes nothing."))
        return "\n".join(lines), None
    buttons = [
        InlineKeyboardButton(t._("Import"), callback_data=callbacks.PLAN_IMPORT.data()),
        InlineKeyboardButton(t._("Cancel"), callback_data=callbacks.PLAN_DISCARD.data()),
    ]
    return "\n".join(lines), InlineKeyboardMarkup([buttons])
