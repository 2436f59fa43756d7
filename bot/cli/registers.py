"""The ``dsr`` commands of the registers (一单两库): units, admins and inspectors, the
directories' templates, imports, exports and undo, and the units' filed documents.

Wired into bot.cli's parser (``add_commands``), a composition root like it. Every
sentence goes through the translator (the settings' default language).

Exit codes: 0 done (an import applied, or a dry run without errors); 1 refused or errors
found (nothing written, unless --apply-valid applied the valid rows: then 0); 2 unusable
input (not a workbook, no header, a file that cannot be read) or a bad command line.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

from bot.cli.support import (
    CliError,
    Env,
    add_command,
    add_database,
    command,
    headings,
    load_settings,
    print_json,
    subparsers,
)
from bot.i18n import N_, Translator, translator
from bot.services.people import membership
from bot.services.registers import directories as registers
from bot.services.registers import import_undo, imports, uploads, wording
from bot.services.registers.import_rows import ProblemInfo

KINDS = ("entities", "inspectors", "matters")
# Each directory's commands' help, by kind.
TEMPLATE_HELP = {
    "entities": N_("the inspection target directory template (检查对象名录库)"),
    "inspectors": N_("the inspector directory template (执法检查人员名录库)"),
    "matters": N_("the matter list template (抽查事项清单)"),
}
IMPORT_HELP = {
    "entities": N_("import a unit's inspection target directory"),
    "inspectors": N_("import a unit's inspector directory"),
    "matters": N_("import a unit's matter list"),
}
EXPORT_HELP = {
    "entities": N_("export a unit's inspection target directory"),
    "inspectors": N_("export a unit's inspector directory"),
    "matters": N_("export a unit's matter list"),
}
# How many problems the human output lists (all of them are in --json and the report).
SHOWN = 20


def reason(t: Translator, code: str, params: Any) -> str:
    return wording.reason_text(t, code, params)


def _read(path_text: str) -> tuple[Path, bytes]:
    path = Path(path_text)
    if not path.is_file():
        raise CliError(N_("There is no file {path}."), path=str(path))
    return path, path.read_bytes()


def _write(t: Translator, out: str, data: bytes) -> None:
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    print(t._("Written to {path}.", path=str(path)))


def _problem_json(t: Translator, p: ProblemInfo) -> dict[str, Any]:
    return {
        "sheet": p.sheet,
        "row": p.row,
        "column": p.column,
        "column_letter": p.column_letter,
        "value": p.value,
        "reason": reason(t, p.reason, p.params),
    }


def _show_problems(t: Translator, problems: Iterable[ProblemInfo]) -> None:
    listed = list(problems)
    for p in listed[:SHOWN]:
        print(wording.problem_line(t, p))
    if len(listed) > SHOWN:
        print(wording.more_problems(t, len(listed) - SHOWN))


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CliError(N_("Not a date (YYYY-MM-DD): {text}"), text=text) from None


# --- units, admins, inspectors ----------------------------------------------------------------


@command
def cmd_unit_add(env: Env, args: argparse.Namespace) -> int:
    unit = membership.add_unit(env.database, None, args.code, args.name)
    print(env.t._("Unit {code} ({name}) added.", code=unit.code, name=unit.name))
    return 0


@command
def cmd_admin_add(env: Env, args: argparse.Namespace) -> int:
    membership.add_admin(env.database, args.telegram_id, args.name or "")
    print(env.t._("User {id} is now an office admin.", id=args.telegram_id))
    return 0


@command
def cmd_inspector_add(env: Env, args: argparse.Namespace) -> int:
    valid_until = _day(args.valid_until) if args.valid_until else None
    info = membership.add_inspector(
        env.database, None, args.unit, args.name, args.cert, env.now, valid_until=valid_until
    )
    print(env.t._("Inspector {name} added to {unit}.", name=info.name, unit=info.unit_code))
    return 0


# --- templates, imports, exports, undo ---------------------------------------------------------


def cmd_template(args: argparse.Namespace) -> int:
    t = translator(load_settings().default_locale)
    _write(t, args.out, registers.template(args.kind))
    return 0


@command
def cmd_import(env: Env, args: argparse.Namespace) -> int:
    t = env.t
    path, data = _read(args.file)
    try:
        preview = _preview(env, args, path, data)
    except imports.UnusableUpload as exc:
        sentence = reason(t, exc.reason, exc.params)
        if args.json:
            print_json({"error": {"code": exc.reason, "reason": sentence}})
        print(sentence, file=sys.stderr)
        return 2
    problems = list(preview.problems)
    counts = preview.counts
    if args.report and preview.report is not None:
        Path(args.report).write_bytes(preview.report)
    outcome = _apply_or_not(env, args, preview)
    if isinstance(outcome, imports.ApplyResult):
        counts = outcome.counts
        problems += outcome.problems
    if args.json:
        print_json(
            {
                "counts": {
                    "new": counts.new,
                    "changed": counts.changed,
                    "unchanged": counts.unchanged,
                    "deactivated": counts.deactivated,
                    "errors": counts.errors,
                },
                "errors": [_problem_json(t, p) for p in problems if p.severity == "error"],
                "warnings": [_problem_json(t, p) for p in problems if p.severity == "warning"],
                "ignored_columns": [
                    {"column_letter": letter, "header": header}
                    for letter, header in preview.ignored_columns
                ],
            }
        )
    else:
        _show_problems(t, problems)
        for line in wording.cleared_lines(t, args.kind, preview.cleared):
            print(line)
        if preview.ignored_columns:
            columns = t.list([f"{letter} {header}" for letter, header in preview.ignored_columns])
            print(t._("Columns not read: {columns}.", columns=columns))
        print(wording.counts_line(t, counts))
        if isinstance(outcome, str):
            print(outcome)
        else:
            print(t._("Imported: {logged} change(s) recorded.", logged=outcome.logged))
    if isinstance(outcome, imports.ApplyResult):
        return 0
    return 1 if counts.errors or preview.needs_confirmation else 0


def _preview(env: Env, args: argparse.Namespace, path: Path, data: bytes) -> imports.ImportPreview:
    """An .xlsx is checked before it is parsed and read here; an .xls, .xlsb or .ods is
    read in a child process with a memory budget and a time limit (nothing measures its
    used range first). Either way the preview is kept, for apply by id."""
    t = env.t
    if uploads.parsed_unchecked(data):
        upload = uploads.Upload(
            database_url=env.database.url,
            actor=None,
            unit_code=args.unit,
            kind=args.kind,
            file_name=path.name,
            mode=args.mode,
            now=env.now,
            today=env.today,
            locale=t.locale,
            source="cli",
        )
        limits = uploads.ReaderLimits.from_settings(env.settings)
        found = uploads.preview_isolated(env.database, upload, data, limits)
        if args.dry_run and found.import_id is not None:
            imports.discard_import(env.database, None, found.import_id, env.now)
        return found
    return imports.preview_import(
        env.database,
        None,
        args.unit,
        args.kind,
        data,
        path.name,
        args.mode,
        env.now,
        "cli",
        today=env.today,
        describe=lambda p: reason(t, p.reason, p.params),
        headings=headings(t),
        store=not args.dry_run,  # kept, then applied (or discarded) by id right below
    )


def _apply_or_not(
    env: Env, args: argparse.Namespace, preview: imports.ImportPreview
) -> imports.ApplyResult | str:
    """Apply the preview when the command line says so; else why not, as a sentence."""
    t = env.t
    if args.dry_run:
        return t._("Dry run: nothing was written.")
    assert preview.import_id is not None
    if preview.counts.errors and not args.apply_valid:
        imports.discard_import(env.database, None, preview.import_id, env.now)
        return t._(
            "Nothing was written: correct the errors, or apply the valid rows with --apply-valid."
        )
    if preview.needs_confirmation and not args.confirm_deactivation:
        imports.discard_import(env.database, None, preview.import_id, env.now)
        return t._(
            "Nothing was written: this would deactivate {share}% of the directory. Run again"
            " with --confirm-deactivation if that is right.",
            share=round(preview.deactivation_share * 100),
        )
    try:
        return imports.apply_import(
            env.database,
            None,
            preview.import_id,
            env.now,
            apply_valid=args.apply_valid,
            confirm_mass_deactivation=args.confirm_deactivation,
        )
    except imports.ImportRefused as exc:
        return t._(exc.message, **exc.params)


@command
def cmd_export(env: Env, args: argparse.Namespace) -> int:
    data = registers.export_directory(env.database, None, args.unit, args.kind, args.public)
    _write(env.t, args.out, data)
    return 0


@command
def cmd_undo_import(env: Env, args: argparse.Namespace) -> int:
    result = import_undo.undo_last_import(env.database, None, args.unit, args.kind, env.now)
    print(
        env.t._(
            "The import of {file} was undone: {restored} change(s) put back, {deleted}"
            " record(s) removed, {deactivated} deactivated.",
            file=result.file_name,
            restored=result.restored,
            deleted=result.deleted,
            deactivated=result.deactivated,
        )
    )
    return 0


# --- documents ----------------------------------------------------------------------------------


@command
def cmd_document_file(env: Env, args: argparse.Namespace) -> int:
    path, data = _read(args.file)
    info = registers.file_document(
        env.database, None, args.unit, args.kind, args.year, args.title, path.name, data, env.now
    )
    print(env.t._("Filed as version {version}.", version=info.version))
    return 0


@command
def cmd_document_list(env: Env, args: argparse.Namespace) -> int:
    found = registers.list_documents(env.database, None, args.unit, args.kind, args.year)
    if args.json:
        print_json(
            [
                {
                    "id": d.id,
                    "kind": d.kind,
                    "year": d.year,
                    "version": d.version,
                    "title": d.title,
                    "file_name": d.file_name,
                    "sha256": d.sha256,
                    "size": d.size,
                    "uploaded_at": d.uploaded_at.isoformat(),
                }
                for d in found
            ]
        )
        return 0
    for d in found:
        kind = env.t._(registers.DOCUMENT_KIND_NAMES[d.kind])
        print(f"{d.id}\t{kind}\t{d.year} v{d.version}\t{d.title}\t{d.file_name or ''}")
    return 0


# --- the parser ---------------------------------------------------------------------------------


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    add = add_command

    unit = subparsers(sub, "unit", N_("member units"))
    p = add(unit, "add", cmd_unit_add, N_("add a member unit"))
    p.add_argument("code", help=N_("like SCJG"))
    p.add_argument("name")

    admin = subparsers(sub, "admin", N_("office admins"))
    p = add(admin, "add", cmd_admin_add, N_("make a Telegram user an office admin"))
    p.add_argument("telegram_id", type=int)
    p.add_argument("--name")

    inspector = subparsers(sub, "inspector", N_("inspectors"))
    p = add(inspector, "add", cmd_inspector_add, N_("add an inspector to a unit"))
    p.add_argument("--unit", required=True)
    p.add_argument("name")
    p.add_argument("--cert", help=N_("enforcement certificate number"))
    p.add_argument(
        "--valid-until",
        help=N_("the certificate's last day; without it the inspector is never drawn"),
    )

    template = subparsers(sub, "template", N_("write an empty spreadsheet template"))
    import_ = subparsers(sub, "import", N_("import a spreadsheet"))
    export = subparsers(sub, "export", N_("export a directory"))
    for kind in KINDS:
        p = template.add_parser(kind, help=TEMPLATE_HELP[kind], description=TEMPLATE_HELP[kind])
        p.add_argument("--out", required=True, help=N_("FILE.xlsx"))
        p.set_defaults(func=cmd_template, kind=kind)

        p = add(import_, kind, cmd_import, IMPORT_HELP[kind])
        p.set_defaults(kind=kind)
        p.add_argument("file", help=N_("FILE.xlsx or FILE.xls"))
        p.add_argument("--unit", required=True)
        p.add_argument(
            "--mode",
            choices=["update", "replace"],
            default="update",
            help=N_("update: add and update (default); replace: the file is the whole directory"),
        )
        p.add_argument("--dry-run", action="store_true", help=N_("preview only, write nothing"))
        p.add_argument(
            "--apply-valid", action="store_true", help=N_("apply the rows without errors")
        )
        p.add_argument(
            "--confirm-deactivation",
            action="store_true",
            help=N_("replace mode: go ahead when more than 20%% of the directory is deactivated"),
        )
        p.add_argument("--report", help=N_("write the error report to this .xlsx"))
        p.add_argument("--json", action="store_true", help=N_("print JSON, for scripts"))

        p = add(export, kind, cmd_export, EXPORT_HELP[kind])
        p.set_defaults(kind=kind)
        p.add_argument("--unit", required=True)
        p.add_argument("--public", action="store_true", help=N_("the public list (公示)"))
        p.add_argument("--out", required=True, help=N_("FILE.xlsx"))

    undo = N_("undo the last applied import of a directory")
    p = sub.add_parser("undo-import", help=undo, description=undo)
    add_database(p)
    p.add_argument("--unit", required=True)
    p.add_argument("kind", choices=KINDS)
    p.set_defaults(func=cmd_undo_import)

    document = subparsers(sub, "document", N_("a unit's filed documents (实施细则, plans, …)"))
    p = add(document, "file", cmd_document_file, N_("file a document (a new version)"))
    p.add_argument("file")
    p.add_argument("--unit", required=True)
    p.add_argument("--kind", required=True, choices=registers.DOCUMENT_KINDS)
    p.add_argument("--year", type=int, required=True)
    p.add_argument("--title", required=True)
    p = add(document, "list", cmd_document_list, N_("list a unit's documents"))
    p.add_argument("--unit", required=True)
    p.add_argument("--kind", choices=registers.DOCUMENT_KINDS)
    p.add_argument("--year", type=int)
    p.add_argument("--json", action="store_true", help=N_("print JSON, for scripts"))
