"""The ``dsr`` commands that run and keep the system: run, console, demo, db, audit."""

from __future__ import annotations

import argparse
import logging
import shutil
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path

from bot.cli.support import (
    CliError,
    cli_translator,
    configure_logging,
    load_settings,
    open_database,
)
from bot.config import ConfigError
from bot.i18n import N_
from storage import audit, migrate
from storage.db import Database, reading

log = logging.getLogger("dsr")


def cmd_run(args: argparse.Namespace) -> int:
    settings = load_settings()
    try:
        settings.require_token()
    except ConfigError as exc:
        raise CliError(str(exc)) from None  # its message is a msgid (bot/config.py)
    configure_logging(args.verbose)
    from bot.app import build_application

    database = open_database(settings)
    app = build_application(settings, database=database)
    log.info("dsr-bot starting (long polling, database %s)", database.dialect)
    try:
        app.run_polling(allowed_updates=["message", "callback_query", "my_chat_member"])
    except Exception as exc:
        # PTB's own messages may quote the token ("The token `…` was rejected"): the
        # operator gets one line of ours instead of a traceback.
        raise _startup_failure(exc, settings.bot_api_base_url) from None
    finally:
        database.dispose()
    return 0


def _startup_failure(exc: Exception, base_url: str) -> CliError:
    from telegram.error import InvalidToken, NetworkError, TelegramError

    from bot.logs import scrub

    if isinstance(exc, InvalidToken):
        return CliError(
            N_(
                "the Bot API refused DSR_BOT_TOKEN (401 Unauthorized): get the right one"
                " from @BotFather"
            )
        )
    where = scrub(base_url)
    if isinstance(exc, NetworkError):
        return CliError(
            N_(
                "cannot reach the Bot API at {where} ({problem}): check the network,"
                " DSR_PROXY_URL or DSR_BOT_API_BASE_URL"
            ),
            where=where,
            problem=scrub(str(exc)),
        )
    if isinstance(exc, TelegramError):
        return CliError(
            N_("the Bot API at {where} refused to start the bot: {problem}"),
            where=where,
            problem=scrub(str(exc)),
        )
    return CliError(
        N_("the bot stopped on an unexpected {kind}: {problem}"),
        kind=type(exc).__name__,
        problem=scrub(str(exc)),
    )


def cmd_console(args: argparse.Namespace) -> int:
    from bot.console import run_console

    settings = load_settings()
    return run_console(settings, database_url=args.database, user=args.user, role=args.as_role)


def cmd_demo(args: argparse.Namespace) -> int:
    from bot.demo import play

    settings = load_settings()
    return play(settings, database_url=args.database, reset=args.reset, out=sys.stdout)


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    settings = load_settings()
    database = open_database(settings, args.database)
    t = cli_translator()
    print(t._("The database is at the newest schema ({dialect}).", dialect=database.dialect))
    return 0


def cmd_db_check(args: argparse.Namespace) -> int:
    settings = load_settings()
    database = open_database(settings, args.database, upgrade=False)
    migrate.check(database)
    print(cli_translator()._("No drift between the models and the migrations."))
    return 0


def cmd_db_backup(args: argparse.Namespace) -> int:
    settings = load_settings()
    database = Database(args.database or settings.database_url)
    target = Path(args.file)
    t = cli_translator()
    if not database.is_sqlite:
        url = database.engine.url.set(drivername="postgresql")
        print(t._("This is PostgreSQL: back it up with pg_dump, for example"))
        print(
            f"  pg_dump --format=custom --file {target} '{url.render_as_string(hide_password=True)}'"
        )
        print(t._("and restore it with pg_restore."))
        return 0
    source_path = database.engine.url.database or ""
    if not Path(source_path).exists():
        raise CliError(N_("There is no database file at {path}."), path=source_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(target.suffix + ".partial")
    # SQLite's online backup copies a consistent snapshot while the bot keeps running.
    with sqlite3.connect(source_path) as source, sqlite3.connect(partial) as copy:
        source.backup(copy)
    shutil.move(partial, target)
    print(t._("Backup written to {path}.", path=str(target)))
    return 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    settings = load_settings()
    database = open_database(settings, args.database, upgrade=False)
    with reading(database) as session:
        report = audit.verify(session)
    t = cli_translator()
    if report.ok:
        print(t._("The audit log is intact: {entries} entries.", entries=report.entries))
        return 0
    print(
        t._(
            "The audit log is BROKEN at entry {id}: {problem}",
            id=report.first_bad_id,
            problem=report.problem,
        )
    )
    return 1


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    def add(
        name: str, func: Callable[[argparse.Namespace], int], help_: str
    ) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_, description=help_)
        p.set_defaults(func=func)
        return p

    add("run", cmd_run, N_("run the bot (long polling)"))

    p = add("console", cmd_console, N_("chat with the bot in this terminal (no network)"))
    p.add_argument("--database", help=N_("database URL (default: a console database under data/)"))
    p.add_argument("--user", type=int, help=N_("act as this Telegram user id"))
    p.add_argument("--as", dest="as_role", choices=["office", "liaison", "inspector", "guest"])

    p = add("demo", cmd_demo, N_("build a demo city and play a scripted session"))
    p.add_argument("--database", help=N_("database URL (default sqlite:///data/demo.sqlite3)"))
    p.add_argument("--reset", action="store_true", help=N_("empty a non-empty database first"))

    db = sub.add_parser("db", help=N_("database schema and backups"))
    db_sub = db.add_subparsers(dest="db_command", required=True)
    for name, func, help_ in (
        ("upgrade", cmd_db_upgrade, N_("apply the migrations")),
        ("check", cmd_db_check, N_("fail if the models and the migrations differ")),
    ):
        p = db_sub.add_parser(name, help=help_, description=help_)
        p.add_argument("--database", help=N_("database URL (default DSR_DATABASE_URL)"))
        p.set_defaults(func=func)
    p = db_sub.add_parser("backup", help=N_("copy the database to FILE (SQLite online backup)"))
    p.add_argument("file")
    p.add_argument("--database", help=N_("database URL (default DSR_DATABASE_URL)"))
    p.set_defaults(func=cmd_db_backup)

    au = sub.add_parser("audit", help=N_("the hash-chained audit log"))
    au_sub = au.add_subparsers(dest="audit_command", required=True)
    p = au_sub.add_parser("verify", help=N_("recompute the chain; exit 1 if it was tampered with"))
    p.add_argument("--database", help=N_("database URL (default DSR_DATABASE_URL)"))
    p.set_defaults(func=cmd_audit_verify)
