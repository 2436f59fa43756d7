"""The ``dsr`` commands of plans and tasks: ``dsr plan``, ``dsr task``, ``dsr template
plan`` and ``dsr import plan`` (and what bot/cli/draws.py shares with them).

A composition root like bot/cli.py. Every sentence goes through the translator (Chinese
by default); ``--json`` prints data for scripts. Exit codes: 0 done, 1 refused (nothing
was stored), 2 unusable input.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

from bot.cli.support import (
    CliError,
    Env,
    add_command,
    command,
    headings,
    load_settings,
    plain,
    print_json,
    subparsers,
)
from bot.domain.draws.algorithm import Amount, SamplingRequest
from bot.domain.reasons import describe
from bot.i18n import N_, Translator, translator
from bot.services.draws import plan_import, plans

# A task's status as people read it (the code stays in --json).
STATUS_LABELS = plans.STATUS_WORDS


def split(text: str | None) -> tuple[str, ...]:
    if not text:
        return ()
    return tuple(p.strip() for p in re.split(r"[,，、]", text) if p.strip())


def day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CliError(N_("Not a date (YYYY-MM-DD): {text}"), text=text) from None


# --- plans and tasks --------------------------------------------------------------------------


@command
def cmd_plan_add(env: Env, args: argparse.Namespace) -> int:
    plan = plans.create_plan(env.database, None, args.unit, args.year, args.title)
    print(
        env.t._(
            "Plan {year} of {unit} added: {title}",
            year=plan.year,
            unit=plan.unit_code,
            title=plan.title,
        )
    )
    return 0


@command
def cmd_plan_list(env: Env, args: argparse.Namespace) -> int:
    found = plans.list_plans(env.database, args.unit)
    if args.json:
        print_json(plain(found))
        return 0
    for plan in found:
        print(f"{plan.year}\t{plan.unit_code}\t{plan.tasks}\t{plan.title}")
    return 0


def _per_class(text: str, option: str) -> dict[str, int]:
    amounts = {}
    for part in split(text):
        stratum, _, number = part.partition("=")
        if not number.strip().isdigit():
            raise CliError(
                N_("{option}: write CLASS=NUMBER pairs such as A=3,B=5, not {part}"),
                option=option,
                part=part,
            )
        amounts[stratum.strip().upper()] = int(number)
    return amounts


def _sampling(args: argparse.Namespace) -> SamplingRequest | None:
    given = [
        name
        for name in ("count", "per_class", "ratio", "sampling")
        if getattr(args, name) is not None
    ]
    if len(given) > 1:
        raise CliError(N_("Give only one of --count, --per-class, --ratio and --sampling."))
    if not given:
        return None
    if args.count is not None:
        return SamplingRequest.total(count=args.count)
    if args.per_class is not None:
        return SamplingRequest.per_class(
            {s: Amount(count=n) for s, n in _per_class(args.per_class, "--per-class").items()}
        )
    if args.ratio is not None:
        if args.ratio.strip().isdigit():
            return SamplingRequest.total(ratio_permille=int(args.ratio))
        return SamplingRequest.per_class(
            {s: Amount(ratio_permille=r) for s, r in _per_class(args.ratio, "--ratio").items()}
        )
    return plans.parse_sampling(args.sampling)


def _spec(args: argparse.Namespace, base: plans.TaskSpec | None) -> plans.TaskSpec:
    """A task spec from the flags; for a change, the flags given replace ``base``'s."""

    def pick(name: str, value: Any, default: Any) -> Any:
        if value is not None:
            return value
        if base is not None:
            return getattr(base, name)
        if default is _REQUIRED:
            raise CliError(REQUIRED_OPTIONS[name])
        return default

    sampling = _sampling(args)
    target = base.target_filters if base else plans.TargetFilters()
    inspector = base.inspector_filters if base else plans.InspectorFilters()
    return plans.TaskSpec(
        code=args.code,
        name=pick("name", args.name, _REQUIRED),
        unit_code=pick("unit_code", args.unit, _REQUIRED),
        matter_codes=pick("matter_codes", split(args.matters) or None, _REQUIRED),
        sampling=pick("sampling", sampling, _REQUIRED),
        window_start=pick("window_start", args.start and day(args.start), _REQUIRED),
        window_end=pick("window_end", args.end and day(args.end), _REQUIRED),
        partner_codes=pick(
            "partner_codes", split(args.partners) if args.partners is not None else None, ()
        ),
        team_size=pick("team_size", args.team_size, 2),
        targets_per_team=pick("targets_per_team", args.targets_per_team, 1),
        target_filters=plans.TargetFilters(
            kinds=split(args.kinds) if args.kinds is not None else target.kinds,
            industries=(
                split(args.industries) if args.industries is not None else target.industries
            ),
            areas=split(args.areas) if args.areas is not None else target.areas,
            risk_classes=(
                tuple(c.upper() for c in split(args.risk_classes))
                if args.risk_classes is not None
                else target.risk_classes
            ),
            exclude_drawn_this_year=(
                args.exclude_drawn
                if args.exclude_drawn is not None
                else target.exclude_drawn_this_year
            ),
        ),
        inspector_filters=plans.InspectorFilters(
            expertise=split(args.expertise) if args.expertise is not None else inspector.expertise,
            areas=(
                split(args.inspector_areas) if args.inspector_areas is not None else inspector.areas
            ),
        ),
    )


_REQUIRED = object()
# What a new task lacks, by TaskSpec field, named by the option that gives it.
REQUIRED_OPTIONS = {
    "name": N_("A new task needs its name: --name."),
    "unit_code": N_("A new task needs its lead unit: --unit (a unit code such as SCJG)."),
    "matter_codes": N_(
        "A new task needs the lead unit's matters: --matters (matter codes, comma-separated)."
    ),
    "sampling": N_(
        "A new task needs how many targets to draw: --count, --per-class, --ratio or --sampling."
    ),
    "window_start": N_("A new task needs the first day of its window: --start YYYY-MM-DD."),
    "window_end": N_("A new task needs the last day of its window: --end YYYY-MM-DD."),
}


def _show_task(t: Translator, task: plans.TaskInfo) -> None:
    print(
        t._(
            "Task {code} ({status}): {name}; units {units}; window {start} to {end};"
            " sampling {sampling}; teams of {team_size}, {per_team} targets per team.",
            code=task.code,
            status=t._(STATUS_LABELS.get(task.status, task.status)),
            name=task.name,
            units="、".join(task.unit_codes),
            start=task.window_start.isoformat(),
            end=task.window_end.isoformat(),
            sampling=plans.format_sampling(task.sampling),
            team_size=task.team_size,
            per_team=task.targets_per_team,
        )
    )


@command
def cmd_task_add(env: Env, args: argparse.Namespace) -> int:
    task = plans.create_task(env.database, None, _spec(args, None), env.today)
    _show_task(env.t, task)
    return 0


@command
def cmd_task_change(env: Env, args: argparse.Namespace) -> int:
    current = plans.get_task(env.database, args.code)
    task = plans.change_task(env.database, None, _spec(args, current.spec), env.today)
    _show_task(env.t, task)
    return 0


@command
def cmd_task_list(env: Env, args: argparse.Namespace) -> int:
    found = plans.list_tasks(env.database, None, unit_code=args.unit, year=args.year)
    if args.json:
        print_json(plain(found))
        return 0
    for task in found:
        status = env.t._(STATUS_LABELS.get(task.status, task.status))
        print(
            f"{task.code}\t{status}\t{task.window_start}..{task.window_end}\t"
            f"{'、'.join(task.unit_codes)}\t{plans.format_sampling(task.sampling)}\t{task.name}"
        )
    return 0


@command
def cmd_task_show(env: Env, args: argparse.Namespace) -> int:
    task = plans.get_task(env.database, args.code)
    if args.json:
        print_json(plain(task))
    else:
        _show_task(env.t, task)
    return 0


@command
def cmd_task_cancel(env: Env, args: argparse.Namespace) -> int:
    task = plans.cancel_task(env.database, None, args.code, args.reason, notices=env.notices)
    print(env.t._("Task {code} is cancelled.", code=task.code))
    return 0


# --- the plan's spreadsheet -------------------------------------------------------------------


def cmd_template_plan(args: argparse.Namespace) -> int:
    from storage.xlsx_plan import plan_template

    settings = load_settings()
    t = translator(settings.default_locale)
    out = Path(args.out)
    out.write_bytes(plan_template())
    print(t._("Template written to {path}.", path=str(out)))
    return 0


def _sentence(t: Translator, reason: str, params: Mapping[str, Any]) -> str:
    """A plan problem's reason (an English msgid) in the translator's language, its
    parameters filled in; a placeholder without a parameter stays as written."""
    return describe(reason, params, template=t._(reason))


@command
def cmd_import_plan(env: Env, args: argparse.Namespace) -> int:
    t = env.t
    path = Path(args.file)
    if not path.is_file():
        raise CliError(N_("There is no file {path}."), path=str(path))
    try:
        result = plan_import.import_plan(
            env.database,
            None,
            args.unit,
            path.read_bytes(),
            path.name,
            env.today,
            dry_run=args.dry_run,
            apply_valid=args.apply_valid,
            describe=lambda p: _sentence(t, p.reason, p.params),
            headings=headings(t),
        )
    except plan_import.PlanFileUnusable as exc:
        sentence = t._(exc.message, **exc.params)
        if args.json:  # as the registers' imports say it
            print_json({"error": {"code": exc.code, "reason": sentence}})
        print(sentence, file=sys.stderr)
        return 2
    if args.report and result.report is not None:
        Path(args.report).write_bytes(result.report)

    def problem(p: plan_import.PlanProblem) -> dict[str, Any]:
        return {
            "sheet": p.sheet,
            "row": p.row,
            "column": p.column,
            "column_letter": p.column_letter,
            "value": p.value,
            "reason": _sentence(t, p.reason, p.params),
        }

    if args.json:
        print_json(
            {
                "counts": result.counts,
                "applied": result.applied,
                "errors": [problem(p) for p in result.errors],
                "warnings": [problem(p) for p in result.warnings],
            }
        )
    else:
        for p in result.problems:
            column = " ".join(filter(None, (p.column_letter, p.column))) or "-"
            where = t._(
                "Sheet {sheet}, row {row}, column {column}:",
                sheet=p.sheet,
                row=p.row or "-",
                column=column,
            )
            value = f" “{p.value}”" if p.value else ""
            print(f"{where}{value} {_sentence(t, p.reason, p.params)}")
        print(
            t._(
                "New: {new}; changed: {changed}; unchanged: {unchanged}; rows with errors: {errors}.",
                **result.counts,
            )
        )
        if result.applied:
            print(t._("The plan was imported."))
        elif args.dry_run:
            print(t._("Dry run: nothing was written."))
        elif result.errors:
            print(
                t._(
                    "Nothing was written: correct the errors, or apply the valid rows with --apply-valid."
                )
            )
    if result.errors and not result.applied:
        return 1
    return 0


# --- the parser -------------------------------------------------------------------------------


def _task_flags(p: argparse.ArgumentParser, *, change: bool) -> None:
    p.add_argument("--name", help=N_("task name"))
    p.add_argument("--unit", help=N_("lead unit code"))
    p.add_argument("--matters", help=N_("matter codes of the lead unit, comma-separated"))
    p.add_argument("--partners", help=N_("partner unit codes in order (a joint task)"))
    p.add_argument("--kinds", help=N_("target kinds: enterprise,individual,cooperative,…"))
    p.add_argument("--industries", help=N_("industries (as in the directory), comma-separated"))
    p.add_argument("--areas", help=N_("areas (as in the directory), comma-separated"))
    p.add_argument("--risk-classes", help=N_("risk classes A,B,C,D,U"))
    flag = p.add_mutually_exclusive_group()
    flag.add_argument(
        "--exclude-drawn",
        dest="exclude_drawn",
        action="store_true",
        default=None,
        help=N_("leave out targets the lead unit already drew this year"),
    )
    if change:
        flag.add_argument(
            "--include-drawn",
            dest="exclude_drawn",
            action="store_false",
            help=N_("draw from them again"),
        )
    p.add_argument("--expertise", help=N_("inspectors' expertise tags (any of)"))
    p.add_argument("--inspector-areas", help=N_("inspectors' area tags (any of)"))
    p.add_argument("--count", type=int, help=N_("a total number of targets"))
    p.add_argument("--per-class", help=N_("counts per risk class: A=3,B=5"))
    p.add_argument("--ratio", help=N_("per mille: 50 (of all) or per class B=50,C=100"))
    p.add_argument("--sampling", help=N_("as in the spreadsheet: 10, 5%%, A=3,B=5%%"))
    p.add_argument("--team-size", type=int, help=N_("inspectors per team (≥ 2)"))
    p.add_argument("--targets-per-team", type=int, help=N_("targets per team (≥ 1)"))
    p.add_argument("--start", help=N_("window start YYYY-MM-DD"))
    p.add_argument("--end", help=N_("window end YYYY-MM-DD"))


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    add = add_command
    plan = subparsers(sub, "plan", N_("annual plans (年度抽查计划)"))
    p = add(plan, "add", cmd_plan_add, N_("add a unit's plan for a year"))
    p.add_argument("--unit", required=True)
    p.add_argument("--year", type=int, required=True)
    p.add_argument("--title", required=True)
    p = add(plan, "list", cmd_plan_list, N_("list plans"))
    p.add_argument("--unit")
    p.add_argument("--json", action="store_true", help=N_("print JSON, for scripts"))

    task = subparsers(sub, "task", N_("inspection tasks (抽查任务)"))
    p = add(task, "add", cmd_task_add, N_("add a task to its lead unit's plan"))
    p.add_argument("--code", required=True, help=N_("task code, such as WG-2026-007"))
    _task_flags(p, change=False)
    p = add(task, "change", cmd_task_change, N_("change a planned task (flags given only)"))
    p.add_argument("code")
    _task_flags(p, change=True)
    p = add(task, "list", cmd_task_list, N_("list tasks"))
    p.add_argument("--unit")
    p.add_argument("--year", type=int)
    p.add_argument("--json", action="store_true", help=N_("print JSON, for scripts"))
    p = add(task, "show", cmd_task_show, N_("show a task"))
    p.add_argument("code")
    p.add_argument("--json", action="store_true", help=N_("print JSON, for scripts"))
    p = add(task, "cancel", cmd_task_cancel, N_("cancel a task (a reason once drawn)"))
    p.add_argument("code")
    p.add_argument("--reason")

    template = subparsers(sub, "template", N_("write an empty spreadsheet template"))
    plan_help = N_("the annual plan template (年度抽查计划)")
    p = template.add_parser("plan", help=plan_help, description=plan_help)
    p.add_argument("--out", required=True, help=N_("FILE.xlsx"))
    p.set_defaults(func=cmd_template_plan)

    imports = subparsers(sub, "import", N_("import a spreadsheet"))
    p = add(imports, "plan", cmd_import_plan, N_("import a unit's annual plan"))
    p.add_argument("file")
    p.add_argument("--unit", required=True)
    p.add_argument("--dry-run", action="store_true", help=N_("validate only, write nothing"))
    p.add_argument("--apply-valid", action="store_true", help=N_("apply the rows without errors"))
    p.add_argument("--report", help=N_("write the error report to this .xlsx"))
    p.add_argument("--json", action="store_true", help=N_("print JSON, for scripts"))
