"""The ``dsr`` command: a composition root like bot.app, for people at a terminal.

This is the entry point only: each feature's commands live in a leaf module beside it
(system, registers, plans, draws, scores) that imports bot.cli.support and nothing else of the CLI.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bot.cli import broadcasts, draws, plans, registers, reminders, scores, system
from bot.cli.support import CliError, cli_translator, parser_class, speaking
from bot.i18n import N_, MissingCatalogError, Translator, require_catalogs


def build_parser(t: Translator | None = None) -> argparse.ArgumentParser:
    """The whole command line; its help in ``t``'s language (the settings' by default)."""
    t = t or cli_translator()
    parser: argparse.ArgumentParser = parser_class(t)(
        prog="dsr", description=N_("dsr-bot: the 双随机、一公开 assistant")
    )
    parser.add_argument("-v", "--verbose", action="store_true", help=N_("debug logging"))
    sub = parser.add_subparsers(dest="command", required=True)
    system.add_commands(sub)
    # The registers (一单两库) come before plans and draws, which add "plan" under the
    # `dsr template` and `dsr import` words the registers create (support.subparsers).
    registers.add_commands(sub)
    plans.add_commands(sub)
    draws.add_commands(sub)
    reminders.add_commands(sub)
    scores.add_commands(sub)
    broadcasts.add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        require_catalogs()
    except MissingCatalogError as exc:
        print(f"dsr: {exc}", file=sys.stderr)
        return 2
    t = cli_translator()
    with speaking(t):
        parser = build_parser(t)
        args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except CliError as exc:
        print(f"dsr: {exc.text(t)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
