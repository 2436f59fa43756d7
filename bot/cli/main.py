"""The ``dsr`` command: a composition root like bot.app, for people at a terminal.

This is the entry point only: each feature's commands live in a leaf module beside it
(system, registers, plans, draws) that imports bot.cli.support and nothing else of the CLI.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bot.cli import broadcasts, draws, plans, registers, system
from bot.cli.support import CliError
from bot.i18n import MissingCatalogError, require_catalogs


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dsr", description="dsr-bot: 双随机、一公开 assistant")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)
    system.add_commands(sub)
    # The registers (一单两库) come before plans and draws, which add "plan" under the
    # `dsr template` and `dsr import` words the registers create (support.subparsers).
    registers.add_commands(sub)
    plans.add_commands(sub)
    draws.add_commands(sub)
    broadcasts.add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        require_catalogs()
    except MissingCatalogError as exc:
        print(f"dsr: {exc}", file=sys.stderr)
        return 2
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except CliError as exc:
        print(f"dsr: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
