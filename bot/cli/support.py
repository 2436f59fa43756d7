"""What every feature's ``dsr`` commands share: their environment, the refusal exit code,
JSON output, the error report's translated words and sub-command groups that several
features add to (``dsr import …``). Every feature module under bot/cli/ imports this one
and none of the others; bot/cli/main.py is the entry point that puts them together.

Every line the command line prints is in the settings' language (DSR_DEFAULT_LOCALE),
``--help`` included: help texts are English msgids marked with ``N_`` and translated when
the help is formatted (``DsrHelpFormatter``); argparse's own words ("usage:", its errors)
go through the same catalog while ``speaking`` is in force.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any, ClassVar

from pydantic import ValidationError

from bot.config import Settings
from bot.domain.draws.algorithm import SamplingRequest
from bot.domain.draws.records import request_to_json
from bot.i18n import DEFAULT_LOCALE, N_, Translator, translator
from bot.services.draws.store import DrawRefused
from bot.services.errors import ServiceError
from bot.services.people.notices import NoticeContext
from bot.services.report_words import report_headings
from storage import migrate
from storage.db import Database
from storage.xlsx_write import ReportHeadings

Handler = Callable[[argparse.Namespace], int]


class CliError(Exception):
    """A problem the operator can fix; printed as one line, exit code 2. ``message`` is
    an English msgid (marked with ``N_``) with named placeholders filled from ``params``."""

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message.format(**params) if params else message)
        self.message = message
        self.params = params

    def text(self, t: Translator) -> str:
        return t._(self.message, **self.params)


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        field = "DSR_" + str(first["loc"][0]).upper() if first["loc"] else "DSR_*"
        raise CliError(N_("{field}: {problem}"), field=field, problem=str(first["msg"])) from None


def cli_translator() -> Translator:
    """The translator of the settings' language; the default language when the settings
    themselves are wrong (that error is then said in it)."""
    try:
        return translator(load_settings().default_locale)
    except CliError:
        return translator(DEFAULT_LOCALE)


# --- argparse in the user's language ------------------------------------------------------------

# argparse's own words (Python 3.11–3.13), so that the catalog holds them.
ARGPARSE_WORDS = (
    N_("usage: "),
    N_("positional arguments"),
    N_("options"),
    N_("show this help message and exit"),
    N_("%(prog)s: error: %(message)s\n"),
    N_("the following arguments are required: %s"),
    N_("unrecognized arguments: %s"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("expected one argument"),
    N_("expected at least one argument"),
    N_("invalid %(type)s value: %(value)r"),
    N_("not allowed with argument %s"),
    N_("one of the arguments %s is required"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
)

# What an option's value is, as its help shows it (``--unit UNIT``), by the option's dest.
METAVARS: Mapping[str, str] = {
    "unit": N_("UNIT"),
    "every_days": N_("DAYS"),
    "to": N_("WHOM"),
    "text": N_("TEXT"),
    "xlsx": N_("FILE"),
    "item": N_("ITEM"),
    "param": N_("PARAMETER"),
    "value": N_("VALUE"),
    "points": N_("POINTS"),
    "note": N_("NOTE"),
    "evidence": N_("FILE"),
    "after_hours": N_("HOURS"),
    "working_days": N_("NUMBER"),
    "day": N_("YYYY-MM-DD"),
    "days": N_("YYYY-MM-DD"),
    "at": N_("TIME"),
    "code": N_("CODE"),
    "task": N_("TASK"),
    "file": N_("FILE"),
    "name": N_("NAME"),
    "id": N_("ID"),
    "draw": N_("DRAW"),
    "telegram_id": N_("TELEGRAM_ID"),
    "database": N_("URL"),
    "out": N_("FILE"),
    "report": N_("FILE"),
    "title": N_("TITLE"),
    "year": N_("YEAR"),
    "reason": N_("REASON"),
    "cert": N_("CERTIFICATE"),
    "valid_until": N_("YYYY-MM-DD"),
    "start": N_("YYYY-MM-DD"),
    "end": N_("YYYY-MM-DD"),
    "matters": N_("MATTERS"),
    "partners": N_("UNITS"),
    "kinds": N_("KINDS"),
    "industries": N_("INDUSTRIES"),
    "areas": N_("AREAS"),
    "inspector_areas": N_("AREAS"),
    "expertise": N_("EXPERTISE"),
    "risk_classes": N_("CLASSES"),
    "count": N_("NUMBER"),
    "per_class": N_("CLASS=NUMBER"),
    "ratio": N_("PER_MILLE"),
    "sampling": N_("SAMPLING"),
    "team_size": N_("NUMBER"),
    "targets_per_team": N_("NUMBER"),
    "team": N_("NUMBER"),
    "member": N_("CERTIFICATE"),
    "commitment": N_("ID"),
    "seed": N_("SEED"),
    "seed_input": N_("TEXT"),
    "inspectors_seed": N_("SEED"),
    "inspectors_seed_input": N_("TEXT"),
    "user": N_("TELEGRAM_ID"),
}


class DsrHelpFormatter(argparse.HelpFormatter):
    """argparse's help with every word translated when it is formatted."""

    def __init__(self, prog: str, t: Translator) -> None:
        super().__init__(prog)
        self.t = t

    def _say(self, text: str | None) -> str | None:
        if not text or text == argparse.SUPPRESS:
            return text
        return self.t._(text)

    def _get_help_string(self, action: argparse.Action) -> str | None:
        return self._say(action.help)

    def start_section(self, heading: str | None) -> None:
        super().start_section(self._say(heading))

    def add_text(self, text: str | None) -> None:
        super().add_text(self._say(text))

    def add_usage(
        self, usage: str | None, actions: Any, groups: Any, prefix: str | None = None
    ) -> None:
        super().add_usage(usage, actions, groups, self.t._("usage: ") if prefix is None else prefix)

    def _get_default_metavar_for_optional(self, action: argparse.Action) -> str:
        word = METAVARS.get(action.dest)
        return self.t._(word) if word else action.dest.upper()

    def _get_default_metavar_for_positional(self, action: argparse.Action) -> str:
        word = METAVARS.get(action.dest)
        return self.t._(word) if word else action.dest


class DsrArgumentParser(argparse.ArgumentParser):
    """A parser whose help speaks the user's language (its sub-commands' parsers are of
    the same class, so they do too)."""

    t: ClassVar[Translator]

    def _get_formatter(self) -> argparse.HelpFormatter:
        return DsrHelpFormatter(self.prog, self.t)

    def add_argument(self, *args: Any, **kwargs: Any) -> argparse.Action:
        """A positional argument is named in the user's language, in errors too ("缺少以下
        参数：任务编号"); its dest (what the code reads) stays as written."""
        if args and not args[0].startswith("-") and "metavar" not in kwargs:
            word = METAVARS.get(args[0])
            if word and "choices" not in kwargs:
                kwargs["metavar"] = self.t._(word)
        return super().add_argument(*args, **kwargs)


def parser_class(t: Translator) -> type[DsrArgumentParser]:
    return type("DsrArgumentParser", (DsrArgumentParser,), {"t": t})


@contextmanager
def speaking(t: Translator) -> Iterator[None]:
    """argparse's own words (its headings and errors) in ``t``'s language meanwhile."""
    saved = vars(argparse)["_"]

    def say(message: str) -> str:
        return t._(message) if message else message

    setattr(argparse, "_", say)  # noqa: B010 (argparse looks its gettext up by this name)
    try:
        yield
    finally:
        setattr(argparse, "_", saved)  # noqa: B010


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
        parser = sub.add_parser(name, help=help_, description=help_)
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
    """A sub-command with the ``--database`` option every command has; ``help_`` (marked
    with ``N_``) is its line in the list of commands and the top of its own help."""
    p = group.add_parser(name, help=help_, description=help_)
    add_database(p)
    p.set_defaults(func=func)
    return p


def add_database(p: argparse.ArgumentParser, help_: str | None = None) -> None:
    p.add_argument("--database", help=help_ or N_("database URL (default DSR_DATABASE_URL)"))
