"""What every feature's ``dsr`` commands share: their environment, the refusal exit code,
JSON output, the error report's translated words and sub-command groups that several
features add to (``dsr import …``)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from bot.cli import load_settings, open_database
from bot.config import Settings
from bot.i18n import Translator, translator
from bot.services.draw_store import DrawRefused
from bot.services.errors import ServiceError
from storage.db import Database
from storage.xlsx_write import ReportHeadings

Handler = Callable[[argparse.Namespace], int]


class Env:
    """What every command needs: settings, the database, the translator, the clock."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.settings: Settings = load_settings()
        self.database: Database = open_database(self.settings, getattr(args, "database", None))
        self.t: Translator = translator(self.settings.default_locale)
        self.now = datetime.now(UTC)
        self.today = self.now.astimezone(self.settings.tz).date()


def refused(t: Translator, exc: ServiceError) -> int:
    print(t._(exc.message, **exc.params), file=sys.stderr)
    if isinstance(exc, DrawRefused):
        for msgid, params in exc.lines:
            print("  " + t._(msgid, **params), file=sys.stderr)
    return 1


def command(func: Callable[[Env, argparse.Namespace], int]) -> Handler:
    """Run ``func`` with its environment; a service's refusal is exit code 1."""

    def run(args: argparse.Namespace) -> int:
        env = Env(args)
        try:
            return func(env, args)
        except ServiceError as exc:
            return refused(env.t, exc)
        finally:
            env.database.dispose()

    return run


def headings(t: Translator) -> ReportHeadings:
    """The error report's own words in the translator's language."""
    return ReportHeadings(
        sheet=t._("Error report"),
        list_sheet=t._("Problems"),
        sheet_column=t._("Sheet"),
        row=t._("Row"),
        column=t._("Column"),
        column_letter=t._("Column letter"),
        value=t._("Value"),
        severity=t._("Severity"),
        reason=t._("Reason"),
        errors=t._("Errors"),
        warnings=t._("Warnings"),
        error=t._("error"),
        warning=t._("warning"),
        whole_file=t._("(whole file)"),
    )


def print_json(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=1, default=str))


def subparsers(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], name: str, help_: str
) -> argparse._SubParsersAction[argparse.ArgumentParser]:
    """The sub-commands of ``name``: shared with other features' commands under the same
    word (``dsr template …``, ``dsr import …``) when they are already there."""
    parser = sub.choices.get(name)
    if parser is None:
        parser = sub.add_parser(name, help=help_)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return parser.add_subparsers(dest=f"{name}_command", required=True)
