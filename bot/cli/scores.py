"""The ``dsr`` commands of the evaluation: ``dsr score`` (a unit's or every unit's score,
``--json`` for scripts), ``dsr rubric show|set`` (the year's parameters) and ``dsr judge``
(the office's score of 一1, 一3, 一4). The same services as the chat's /score."""

from __future__ import annotations

import argparse
from decimal import Decimal
from pathlib import Path
from typing import Any

from bot.cli.support import CliError, Env, add_command, command, print_json, subparsers
from bot.domain.scores import rubric as rb
from bot.domain.scores.scoring import UnitScore
from bot.i18n import N_, Translator
from bot.services.scores import rubric, scoring, sheets


def number(value: Decimal) -> int | float:
    """A score as a JSON number: 15, 11.67."""
    return int(value) if value == value.to_integral_value() else float(value)


def score_json(year: int, scores: list[UnitScore]) -> dict[str, Any]:
    return {
        "year": year,
        "units": [
            {
                "unit": s.unit,
                "name": s.name,
                "total": number(s.total),
                "items": [
                    {
                        "item": i.item,
                        "points": number(i.points),
                        "max": number(i.max_points),
                        "inputs": i.inputs,
                    }
                    for i in s.items
                ],
            }
            for s in scores
        ],
    }


def _print_unit(t: Translator, score: UnitScore) -> None:
    print(
        t._(
            "{unit} {name}: {total} of 100",
            unit=score.unit,
            name=score.name,
            total=rb.plain(score.total),
        )
    )
    for found in score.items:
        title = t._(rb.item(found.item).title)
        print(f"  {found.item} {title}: {rb.plain(found.points)}/{rb.plain(found.max_points)}")
        for line in (*found.facts, *found.raise_by):
            print("      " + t._(line.msgid, **line.params))


@command
def cmd_score(env: Env, args: argparse.Namespace) -> int:
    year = args.year or env.today.year
    tz = env.settings.tz
    if args.freeze:
        done = scoring.freeze(env.database, None, year, env.today, tz, env.now)
        print(
            env.t._("The scores of {year} are frozen ({units} units).", year=year, units=done.units)
        )
        return 0
    if args.unfreeze:
        scoring.unfreeze(env.database, None, year, env.now)
        print(env.t._("The scores of {year} are open again.", year=year))
        return 0
    if args.xlsx:
        data = sheets.score_sheet(
            env.database, None, year, env.today, tz, env.settings.default_locale
        )
        Path(args.xlsx).write_bytes(data)
        print(env.t._("Score sheet of {year} written to {path}.", year=year, path=args.xlsx))
        return 0
    if args.unit:
        scores = [scoring.unit_score(env.database, None, year, args.unit, env.today, tz)]
    else:
        scores = scoring.all_scores(env.database, None, year, env.today, tz)
    if args.json:
        print_json(score_json(year, scores))
        return 0
    for score in scores:
        _print_unit(env.t, score)
    return 0


@command
def cmd_rubric_show(env: Env, args: argparse.Namespace) -> int:
    year = args.year or env.today.year
    _, values = rubric.show_rubric(env.database, year)
    t = env.t
    if args.json:
        print_json(
            {
                "year": year,
                "items": [
                    {
                        "item": i.code,
                        "key": i.key,
                        "max": number(i.max_points),
                        "rule": i.rule,
                        "params": {v.name: number(v.value) for v in values if v.item == i.code},
                    }
                    for i in rb.ITEMS
                ],
            }
        )
        return 0
    for item in rb.ITEMS:
        print(
            f"{item.code} {t._(item.title)} ({rb.plain(item.max_points)}): "
            f"{t._(rb.RULE_NAMES[item.rule])}"
        )
        for v in (v for v in values if v.item == item.code):
            mark = " *" if v.changed else ""
            print(f"    {v.name} = {rb.plain(v.value)}{mark}  ({t._(v.description)})")
    return 0


@command
def cmd_rubric_set(env: Env, args: argparse.Namespace) -> int:
    year = args.year or env.today.year
    found = rubric.set_param(env.database, None, year, args.item, args.param, args.value, env.now)
    print(
        env.t._(
            "{year} {item} {name} = {value}",
            year=year,
            item=found.item,
            name=found.name,
            value=rb.plain(found.value),
        )
    )
    return 0


@command
def cmd_judge(env: Env, args: argparse.Namespace) -> int:
    evidence = None
    if args.evidence:
        path = Path(args.evidence)
        if not path.is_file():
            raise CliError(N_("There is no file at {path}."), path=str(path))
        evidence = (path.name, path.read_bytes())
    year = args.year or env.today.year
    done = rubric.judge(
        env.database,
        None,
        year,
        args.unit,
        args.item,
        args.points,
        args.note or "",
        env.now,
        evidence,
    )
    print(
        env.t._(
            "{unit} {item}: {points} points judged for {year}.",
            unit=done.unit_code,
            item=done.item,
            points=rb.plain(done.points),
            year=year,
        )
    )
    return 0


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = add_command(sub, "score", cmd_score, N_("the evaluation's scores (100 points)"))
    p.add_argument("--year", type=int, help=N_("the year scored (default: this year)"))
    p.add_argument("--unit", help=N_("one unit's code (default: every unit, ranked)"))
    p.add_argument("--json", action="store_true", help=N_("print JSON"))
    p.add_argument("--xlsx", help=N_("write the 评分表 workbook (every unit) to this file"))
    p.add_argument("--freeze", action="store_true", help=N_("freeze the year's scores as reported"))
    p.add_argument("--unfreeze", action="store_true", help=N_("open a frozen year again"))
    group = subparsers(sub, "rubric", N_("the evaluation rubric and its parameters"))
    p = add_command(group, "show", cmd_rubric_show, N_("the year's rubric and parameters"))
    p.add_argument("--year", type=int)
    p.add_argument("--json", action="store_true", help=N_("print JSON"))
    p = add_command(group, "set", cmd_rubric_set, N_("change one parameter for one year"))
    p.add_argument("--year", type=int)
    p.add_argument("--item", required=True, help=N_("item code or key: 二2 or joint"))
    p.add_argument("--param", required=True, help=N_("parameter name, e.g. target_ratio"))
    p.add_argument("--value", required=True)
    p = add_command(sub, "judge", cmd_judge, N_("the office's score of 一1, 一3 or 一4"))
    p.add_argument("--year", type=int)
    p.add_argument("--unit", required=True)
    p.add_argument("--item", required=True, help=N_("一1, 一3 or 一4"))
    p.add_argument("--points", required=True)
    p.add_argument("--note")
    p.add_argument("--evidence", help=N_("a file shown as the judgment's evidence"))
