"""What every feature's ``dsr`` commands share: their environment, the refusal exit code,
JSON output, the error report's translated words and sub-command groups that several
features add to (``dsr import …``). Every feature module under bot/cli/ imports this one
and none of the others; bot/cli/main.py is the entry point that puts them together."""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from pydantic import ValidationError

from bot.config import Settings
from bot.domain.draws.algorithm import SamplingRequest
from bot.domain.draws.records import request_to_json
from bot.i18n import Translator, translator
from bot.services.draws.store import DrawRefused
from bot.services.errors import ServiceError
from bot.services.people.notices import NoticeContext
from bot.services.report_words import report_headings
from storage import migrate
from storage.db import Database
from storage.xlsx_write import ReportHeadings

Handler = Callable[[argparse.Namespace], int]


class CliError(Exception):
    """A problem the operator can fix; printed as one line, exit code 2."""


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        field = "DSR_" + str(first["loc"][0]).upper() if first["loc"] else "DSR_*"
        raise CliError(f"{field}: {first['msg']}") from None


def open_database(settings: Settings, url: str | None = None, *, upgrade: bool = True) -> Database:
    database = Database(url or settings.database_url)
    if upgrade:
        migrate.upgrade(database)
    return database


def configure_logging(verbose: bool = False) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    from bot.app import quiet_http_logs

    quiet_http_logs()


class Env:
    """What every command needs: settings, the database, the translator, the clock."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.settings: Settings = load_settings()
        self.database: Database = open_database(self.settings, getattr(args, "database", None))
        self.t: Translator = translator(self.settings.default_locale)
        self.now = datetime.now(UTC)
        self.today = self.now.astimezone(self.settings.tz).date()

    @property
    def notices(self) -> NoticeContext:
        """For the notices a command's change writes (a draw, a replacement, a cancelled
        task): the same quiet hours and default language as the running bot's."""
        return NoticeContext(self.now, self.settings, self.settings.default_locale)


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
    return report_headings(t)


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


def plain(value: Any) -> Any:
    """Dataclasses (with SamplingRequest and dates inside) as JSON values."""
    if isinstance(value, SamplingRequest):
        return request_to_json(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def add_command(
    group: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    func: Handler,
    help_: str,
) -> argparse.ArgumentParser:
    """A sub-command with the ``--database`` option every command has."""
    p = group.add_parser(name, help=help_)
    p.add_argument("--database", help="database URL (default DSR_DATABASE_URL)")
    p.set_defaults(func=func)
    return p
