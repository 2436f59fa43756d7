"""The ``dsr`` commands of the reminders and the working-day calendar: ``dsr reminders
list|set`` and ``dsr calendar show|set``. A leaf of bot/cli/main.py. Exit codes: 0 done,
1 refused (nothing was changed), 2 unusable input."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from bot.cli.support import CliError, Env, add_command, command, print_json, subparsers
from bot.domain.dates import TypedDateError, parse_time_of_day
from bot.domain.reminders.settings import KINDS
from bot.i18n import N_, Translator
from bot.services import calendar
from bot.services.reminders import schedule, words
from bot.services.reminders import settings as reminder_settings
from bot.services.reminders.schedule import Planned


def _line(t: Translator, planned: Planned, env: Env) -> str:
    settings = planned.settings
    state = words.kind_state(t, planned, env.settings.tz)
    rule = words.kind_rule(t, settings)
    return t._(
        "{name} ({kind}): {rule}; {state}",
        name=words.kind_name(t, settings.kind),
        kind=settings.kind,
        rule=rule,
        state=state,
    )


@command
def cmd_reminders_list(env: Env, args: argparse.Namespace) -> int:
    planned = schedule.reminder_schedule(env.database, None, env.now, env.settings)
    if args.json:
        print_json(
            [
                {
                    "kind": p.settings.kind,
                    "paused": p.settings.paused,
                    "send_at": p.settings.send_at.strftime("%H:%M"),
                    "every_days": p.settings.every_days,
                    "after_hours": p.settings.after_hours,
                    "next_at": p.next_at.isoformat() if p.next_at else None,
                }
                for p in planned
            ]
        )
        return 0
    for item in planned:
        print(_line(env.t, item, env))
    return 0


def _change(t: Translator, args: argparse.Namespace) -> reminder_settings.Change:
    send_at = None
    if args.at is not None:
        try:
            send_at = parse_time_of_day(args.at)
        except TypedDateError:
            raise CliError(
                N_("--at takes a time of day such as 9:00, not “{value}”."), value=args.at
            ) from None
    paused = True if args.pause else False if args.resume else None
    return reminder_settings.Change(paused, send_at, args.every_days, args.after_hours)


@command
def cmd_reminders_set(env: Env, args: argparse.Namespace) -> int:
    change = _change(env.t, args)
    if change == reminder_settings.Change():
        raise CliError(
            N_("Say what to change: --pause, --resume, --at, --every-days or --after-hours.")
        )
    reminder_settings.change_kind(env.database, None, args.kind, change, env.now, env.settings)
    [planned] = [
        p
        for p in schedule.reminder_schedule(env.database, None, env.now, env.settings)
        if p.settings.kind == args.kind
    ]
    print(_line(env.t, planned, env))
    return 0


@command
def cmd_calendar_show(env: Env, args: argparse.Namespace) -> int:
    cal = calendar.load_calendar(env.database)
    year = args.year or env.today.year
    days = sorted(day for day in cal.overrides if day.year == year)
    official = cal.is_official(date(year, 1, 1))
    if args.json:
        print_json(
            {
                "year": year,
                "official": official,
                "days": [
                    {"day": d.isoformat(), "workday": cal.is_workday(d), "name": cal.names.get(d)}
                    for d in days
                ],
            }
        )
        return 0
    t = env.t
    if not official:
        print(
            t._(
                "{year}: no official schedule yet; working days are Monday to Friday (provisional).",
                year=year,
            )
        )
    for day in days:
        worked = t._("working day") if cal.is_workday(day) else t._("day off")
        print(f"{t.date(day)}  {worked}  {cal.names.get(day) or ''}".rstrip())
    return 0


@command
def cmd_calendar_set(env: Env, args: argparse.Namespace) -> int:
    t = env.t
    try:
        days = [date.fromisoformat(d) for d in args.days]
    except ValueError:
        raise CliError(N_("Days are written YYYY-MM-DD, e.g. 2027-01-01.")) from None
    settings = [calendar.DaySetting(d, args.work, args.name) for d in days]
    written = calendar.set_days(env.database, "cli", settings)
    print(t.n_("{n} day recorded.", "{n} days recorded.", written))
    return 0


@command
def cmd_calendar_import(env: Env, args: argparse.Namespace) -> int:
    """A year's schedule from a file: checked whole, recorded only with --yes and no problem."""
    t = env.t
    path = Path(args.file)
    if not path.is_file():
        raise CliError(N_("There is no file at {path}."), path=str(path))
    found = calendar.read_schedule(path.read_bytes(), path.name, env.today)
    for row, reason, params in found.problems:
        text = t._(reason, **params)
        line = t._("Row {row}: {problem}", row=row, problem=text) if row is not None else text
        print(line, file=sys.stderr)
    if found.ignored_columns:
        print(t._("Columns not read: {columns}", columns="、".join(found.ignored_columns)))
    if found.problems:
        print(t._("Nothing was recorded: correct the file and import it again."), file=sys.stderr)
        return 1
    if not found.days:
        raise CliError(N_("The file lists no day."))
    off = sum(1 for d in found.days if not d.is_workday)
    years = "、".join(str(y) for y in found.years)
    print(
        t._(
            "{years}: {off} days off, {work} make-up working days.",
            years=years,
            off=off,
            work=len(found.days) - off,
        )
    )
    if not args.yes:
        print(t._("Add --yes to record them."))
        return 0
    calendar.set_days(env.database, "cli", found.days)
    print(t.n_("{n} day recorded.", "{n} days recorded.", len(found.days)))
    return 0


@command
def cmd_calendar_deadline(env: Env, args: argparse.Namespace) -> int:
    t = env.t
    try:
        start = date.fromisoformat(args.day)
    except ValueError:
        raise CliError(N_("Days are written YYYY-MM-DD, e.g. 2027-01-01.")) from None
    if args.working_days < 0:
        raise CliError(N_("--working-days is a whole number, 0 or more."))
    due, provisional = calendar.deadline(env.database, start, args.working_days)
    if args.json:
        print_json({"deadline": due.isoformat(), "provisional": provisional})
        return 0
    if provisional:
        print(
            t._("{day} (provisional: no official schedule for that year yet)", day=due.isoformat())
        )
    else:
        print(due.isoformat())
    return 0


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    reminders = subparsers(sub, "reminders", N_("reminders: settings and next firings"))
    p = add_command(
        reminders, "list", cmd_reminders_list, N_("each kind, its rule and next firing")
    )
    p.add_argument("--json", action="store_true")
    p = add_command(reminders, "set", cmd_reminders_set, N_("pause, resume or retime a kind"))
    p.add_argument("kind", choices=KINDS)
    state = p.add_mutually_exclusive_group()
    state.add_argument("--pause", action="store_true")
    state.add_argument("--resume", action="store_true")
    p.add_argument("--at", help=N_("time of day, e.g. 9:00 (revision)"))
    p.add_argument("--every-days", type=int, help=N_("interval in days (revision)"))
    p.add_argument("--after-hours", type=float, help=N_("hours before a nudge (nudge)"))

    cal = subparsers(sub, "calendar", N_("working days: the official schedule and the office's"))
    p = add_command(
        cal, "show", cmd_calendar_show, N_("a year's holidays and make-up working days")
    )
    p.add_argument("year", type=int, nargs="?")
    p.add_argument("--json", action="store_true")
    p = add_command(
        cal, "set", cmd_calendar_set, N_("record official days (a new year's schedule)")
    )
    p.add_argument("days", nargs="+")
    kind = p.add_mutually_exclusive_group(required=True)
    kind.add_argument("--off", dest="work", action="store_false", help=N_("a day off (holiday)"))
    kind.add_argument("--work", dest="work", action="store_true", help=N_("a working day (调休)"))
    p.add_argument("--name", help=N_("the holiday's name, e.g. 春节"))
    p = add_command(cal, "import", cmd_calendar_import, N_("a year's schedule from a spreadsheet"))
    p.add_argument("file", help=N_("the spreadsheet (.xlsx): 日期 | 类型 (休息日/工作日) | 名称"))
    p.add_argument("--yes", action="store_true", help=N_("record the days (else only check)"))
    p = add_command(cal, "deadline", cmd_calendar_deadline, N_("the Nth working day after a day"))
    p.add_argument("day")
    p.add_argument("--working-days", type=int, required=True)
    p.add_argument("--json", action="store_true")
