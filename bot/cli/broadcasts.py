"""``dsr broadcast``: the office's announcement from the desk, queued into the running
bot's outbox (the same service as /broadcast in the chat), and ``dsr broadcast report ID``.

Without ``--yes`` the command only shows the preview (recipients, not yet joined, quiet
hours). Exit codes: 0 done, 1 refused (nothing was stored), 2 unusable input.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.cli.support import CliError, Env, add_command, command, print_json
from bot.i18n import N_
from bot.services.broadcasts import delivery, sending


def _content(args: argparse.Namespace) -> sending.Content:
    text = args.text or ""
    if args.file is None:
        return sending.Content(text)
    path = Path(args.file)
    if not path.is_file():
        raise CliError(N_("There is no file at {path}."), path=str(path))
    if path.stat().st_size > sending.FILE_MAX_BYTES:
        raise CliError(
            N_("{name}: larger than 50 MB, Telegram's upload limit for a bot."), name=path.name
        )
    return sending.Content(text, file_name=path.name, file_data=path.read_bytes())


def _send(env: Env, args: argparse.Namespace) -> int:
    if not args.to:
        raise CliError(
            N_("--to is required: liaisons, inspectors, all, or unit codes such as SCJG,SW.")
        )
    audience = sending.desk_audience(env.database, args.to)
    content = sending.check_content(_content(args))
    t = env.t
    if not args.yes:
        found = sending.preview(env.database, None, audience, env.notices)
        print(t._("Recipients: {count}", count=found.recipients))
        print(t._("Not yet joined the bot: {count}", count=found.not_joined))
        if found.quiet_until is not None:
            at = found.quiet_until.astimezone(env.settings.tz).strftime("%H:%M")
            print(t._("It is quiet hours now: the messages go out at {time}.", time=at))
        print(t._("Nothing was sent. Add --yes to send it."))
        return 0
    queued = sending.start_broadcast(env.database, None, audience, content, env.notices)
    if args.json:
        print_json({"id": queued.id, "recipients": queued.recipients})
        return 0
    print(
        t._(
            "Broadcast {id} queued for {count} recipients.",
            id=queued.id,
            count=queued.recipients,
        )
    )
    if queued.quiet_until is not None:
        at = queued.quiet_until.astimezone(env.settings.tz).strftime("%H:%M")
        print(t._("It is quiet hours now: the messages go out at {time}.", time=at))
    return 0


def _report(env: Env, args: argparse.Namespace) -> int:
    if args.id is None or not str(args.id).isdigit():
        raise CliError(N_("Write the broadcast's number: dsr broadcast report 1."))
    found = delivery.report(env.database, None, int(args.id))
    if args.json:
        print_json(found.as_json())
        return 0
    print(delivery.report_text(env.t, found))
    return 0


@command
def cmd_broadcast(env: Env, args: argparse.Namespace) -> int:
    if args.action == "report":
        return _report(env, args)
    if args.action is not None:
        raise CliError(
            N_("Unknown word “{word}”: dsr broadcast --to … --text …, or dsr broadcast report 1."),
            word=args.action,
        )
    return _send(env, args)


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = add_command(
        sub,
        "broadcast",
        cmd_broadcast,
        N_("send the office's announcement (--to … --text … --yes), or report a broadcast"),
    )
    p.add_argument(
        "action",
        nargs="?",
        metavar="report",
        help=N_("report: print a broadcast's delivery report"),
    )
    p.add_argument("id", nargs="?", help=N_("the broadcast's number (with report)"))
    p.add_argument("--to", help=N_("liaisons, inspectors, all, or unit codes: SCJG,SWJ"))
    p.add_argument("--text", help=N_("the message"))
    p.add_argument("--file", help=N_("a file sent with it (at most 50 MB)"))
    p.add_argument("--yes", action="store_true", help=N_("send it (without: the preview only)"))
    p.add_argument("--json", action="store_true", help=N_("machine-readable output"))
