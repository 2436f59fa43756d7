"""The ``dsr`` commands of the draw: ``dsr draw pool|run|list|show|certificate|replace|
redraw`` and ``dsr verify-draw``; ``add_commands`` adds these and bot/cli/plans.py's.

A composition root like bot/cli.py (which calls ``add_commands``). Exit codes: 0 done, 1
refused (nothing was stored) or a draw that does not verify, 2 unusable input.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bot.cli.support import (
    CliError,
    Env,
    add_command,
    add_database,
    command,
    plain,
    print_json,
    subparsers,
)
from bot.domain.draws.algorithm import PURPOSE_INSPECTORS, PURPOSE_TARGETS
from bot.i18n import N_, Translator
from bot.services.draws import drawing as draws
from bot.services.errors import ServiceError

# What a draw is for, as people read it (the code stays in --json and the records).
PURPOSE_LABELS = {
    "targets": N_("targets"),
    "inspectors": N_("inspectors"),
    "replacement": N_("replacement"),
}

# --- draws ------------------------------------------------------------------------------------


def _named(names: Mapping[str, str], keys: Sequence[str]) -> str:
    """Codes as the office reads them: a name, then its code (a certificate number, a
    USCC); a code alone when the directories no longer name it."""
    return "、".join(f"{names[k]}（{k}）" if names.get(k) else k for k in keys)


def _show_result(
    t: Translator, result: draws.DrawResult, names: Mapping[str, str] | None = None
) -> None:
    names = names or {}
    print(
        t._(
            "Draw {id} ({purpose}) of task {code}: pool of {size}, digest {digest}.",
            id=result.id,
            purpose=t._(PURPOSE_LABELS[result.purpose]),
            code=result.task_code,
            size=result.pool_size,
            digest=result.pool_digest,
        )
    )
    print(t._("Seed: {seed}", seed=result.seed))
    if result.seed_input is not None:
        print(t._("Seed input: {seed_input}", seed_input=result.seed_input))
    if result.replacement is not None:
        print(
            t._(
                "Team {team}: {replacement} replaces {replaced}.",
                team=result.teams[0].team,
                replacement=_named(names, [result.replacement]),
                replaced=_named(names, [result.replaced or ""]),
            )
        )
    for team in result.teams:
        if team.members:
            print(
                t._(
                    "Team {team}: {members} (leader first).",
                    team=team.team,
                    members=_named(names, team.members),
                )
            )
        else:
            print(
                t._("Team {team}: {targets}.", team=team.team, targets=_named(names, team.targets))
            )


@command
def cmd_draw_pool(env: Env, args: argparse.Namespace) -> int:
    summary = draws.commit_pool(
        env.database, None, args.task, args.purpose, env.now, tz=env.settings.tz
    )
    if args.json:
        print_json(plain(summary))
        return 0
    print(
        env.t._(
            "Pool of task {code} ({purpose}) fixed as commitment {id}: {size} candidates,"
            " digest {digest}. Now generate or type the seed.",
            code=summary.task_code,
            purpose=env.t._(PURPOSE_LABELS[summary.purpose]),
            id=summary.commitment_id,
            size=summary.size,
            digest=summary.digest,
        )
    )
    return 0


@command
def cmd_draw_run(env: Env, args: argparse.Namespace) -> int:
    if args.seed is not None and args.seed_input is not None:
        raise CliError(N_("Give --seed or --seed-input, not both."))
    # Nothing pending (drawn, cancelled, done): the targets draw says why it refuses.
    pending = draws.pending_purposes(env.database, args.task) or [PURPOSE_TARGETS]
    if args.targets_only and PURPOSE_TARGETS not in pending:
        pending = []
    elif args.targets_only:
        pending = [PURPOSE_TARGETS]
    seeds = [(args.seed, args.seed_input), (args.inspectors_seed, args.inspectors_seed_input)]
    results: list[draws.DrawResult] = []
    for i, purpose in enumerate(pending):
        seed, seed_input = seeds[min(i, 1)]
        run = draws.run_targets_draw if purpose == PURPOSE_TARGETS else draws.run_inspectors_draw
        try:
            result = run(
                env.database,
                None,
                args.task,
                now=env.now,
                seed=seed,
                seed_input=seed_input,
                commitment_id=args.commitment if i == 0 else None,
                tz=env.settings.tz,
                notices=env.notices,
            )
        except ServiceError:
            if results and not args.json:
                for done in results:
                    _show_result(env.t, done, draws.draw_names(env.database, args.task))
            raise
        results.append(result)
    if args.json:
        print_json(plain(results))
    else:
        names = draws.draw_names(env.database, args.task)
        for result in results:
            _show_result(env.t, result, names)
    return 0


@command
def cmd_draw_list(env: Env, args: argparse.Namespace) -> int:
    found = draws.list_draws(env.database, args.task)
    if args.json:
        print_json(plain(found))
        return 0
    for d in found:
        links = []
        if d.supersedes_id:
            links.append(env.t._("supersedes {id}", id=d.supersedes_id))
        if d.amends_id:
            links.append(env.t._("amends {id}", id=d.amends_id))
        if d.superseded_by:
            links.append(env.t._("superseded by {id}", id=d.superseded_by))
        at = d.at.astimezone(env.settings.tz).isoformat(timespec="seconds")
        purpose = env.t._(PURPOSE_LABELS.get(d.purpose, d.purpose))
        print(
            f"{d.id}\t{d.task_code}\t{purpose}\t{at}\t{d.pool_size}\t{d.pool_digest[:12]}"
            f"\t{'; '.join(links)}"
        )
    return 0


@command
def cmd_draw_show(env: Env, args: argparse.Namespace) -> int:
    record = draws.show_draw(env.database, args.id)
    if args.json:
        print_json(record)
        return 0
    names = draws.draw_names(env.database, record["task_code"])
    _show_result(env.t, draws.DrawResult(**_result_fields(record)), names)
    return 0


def _result_fields(record: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": record["id"],
        "task_code": record["task_code"],
        "purpose": record["purpose"],
        "seed": record["seed"],
        "seed_input": record["seed_input"],
        "pool_size": len(record["pool"]),
        "pool_digest": record["pool_digest"],
        "selected": tuple(record["selected"]),
        "teams": tuple(
            draws.TeamResult(t["team"], tuple(t["targets"]), tuple(t.get("members", ())))
            for t in record["teams"]
        ),
        "replaced": record.get("replaced"),
        "replacement": record.get("replacement"),
    }


@command
def cmd_draw_certificate(env: Env, args: argparse.Namespace) -> int:
    out = Path(args.out)
    suffix = out.suffix.lower()
    if suffix not in (".xlsx", ".json"):
        raise CliError(N_("--out must end in .xlsx or .json."))
    cert = draws.certificate(env.database, args.id)
    if suffix == ".json":
        out.write_text(json.dumps(cert, ensure_ascii=False, indent=1), encoding="utf-8")
    else:
        from storage.xlsx_draws import certificate_workbook

        out.write_bytes(certificate_workbook(cert))
    print(env.t._("Certificate of draw {id} written to {path}.", id=args.id, path=str(out)))
    return 0


@command
def cmd_draw_replace(env: Env, args: argparse.Namespace) -> int:
    result = draws.replace_member(
        env.database,
        None,
        args.task,
        args.team,
        args.member,
        args.reason,
        env.now,
        tz=env.settings.tz,
        notices=env.notices,
    )
    if args.json:
        print_json(plain(result))
    else:
        _show_result(env.t, result, draws.draw_names(env.database, args.task))
    return 0


@command
def cmd_draw_redraw(env: Env, args: argparse.Namespace) -> int:
    results = draws.redraw(
        env.database,
        None,
        args.task,
        args.reason,
        env.now,
        purpose=PURPOSE_INSPECTORS if args.inspectors else PURPOSE_TARGETS,
        seed=args.seed,
        seed_input=args.seed_input,
        inspectors_seed=args.inspectors_seed,
        inspectors_seed_input=args.inspectors_seed_input,
        tz=env.settings.tz,
        notices=env.notices,
    )
    if args.json:
        print_json(plain(results))
    else:
        names = draws.draw_names(env.database, args.task)
        for result in results:
            _show_result(env.t, result, names)
    return 0


def _records_from(paths: Sequence[str]) -> list[Any]:
    records: list[Any] = []
    for name in paths:
        try:
            data = json.loads(Path(name).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CliError(
                N_("{name}: not a readable JSON file ({problem})."), name=name, problem=str(exc)
            ) from None
        if isinstance(data, dict) and isinstance(data.get("draws"), list):
            data = data["draws"]
        records.extend(data if isinstance(data, list) else [data])
    return records


def _is_draw_id(text: str) -> bool:
    return text.isdigit() and not Path(text).exists()


def _verdict(t: Translator, differences: Sequence[str], label: str | None) -> bool:
    """Print whether one draw (or one set of records) recomputes; True when it does."""
    sentence = (
        t._("MATCH: the draw recomputes exactly from its record.")
        if not differences
        else t._("DIFFERENT: the record does not recompute.")
    )
    print(t._("Draw {id}: {verdict}", id=label, verdict=sentence) if label else sentence)
    for line in differences:
        print(f"  {line}")
    return not differences


@command
def cmd_verify_draw(env: Env, args: argparse.Namespace) -> int:
    """Each draw id is verified on its own, with the records it links to; JSON files are
    read together as one set of records (a record and the ones it refers to)."""
    ids = [int(a) for a in args.draw if _is_draw_id(a)]
    files = [a for a in args.draw if not _is_draw_id(a)]
    records = _records_from(files) if files else []
    if files and (not records or not all(isinstance(r, dict) for r in records)):
        raise CliError(N_("The files hold no draw records."))
    several = len(ids) + bool(files) > 1
    ok = True
    for draw_id in ids:
        try:
            differences = draws.verify_draw(env.database, draw_id)
        except ServiceError as exc:  # no such draw: said, and the others still verified
            print(env.t._(exc.message, **exc.params))
            ok = False
            continue
        ok = _verdict(env.t, differences, str(draw_id) if several else None) and ok
    if files:
        label = "、".join(files) if several else None
        ok = _verdict(env.t, draws.verify_draw(env.database, records), label) and ok
    return 0 if ok else 1


# --- the parser -------------------------------------------------------------------------------


def _seed_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seed", help=N_("64 hex characters (default: secrets.token_hex)"))
    p.add_argument("--seed-input", help=N_("a ceremony's input, e.g. lottery digits"))
    p.add_argument("--inspectors-seed", help=N_("the inspectors draw's seed, when both are made"))
    p.add_argument("--inspectors-seed-input", help=N_("the inspectors draw's ceremony input"))
    p.add_argument("--json", action="store_true", help=N_("print JSON, for scripts"))


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    draw = subparsers(sub, "draw", N_("the double-random draw (抽取)"))
    p = add_command(draw, "pool", cmd_draw_pool, N_("fix and show a pool before the seed exists"))
    p.add_argument("task")
    p.add_argument("--purpose", choices=[PURPOSE_TARGETS, PURPOSE_INSPECTORS], required=True)
    p.add_argument("--json", action="store_true", help=N_("print JSON, for scripts"))
    p = add_command(draw, "run", cmd_draw_run, N_("draw a task's targets and inspectors"))
    p.add_argument("task")
    _seed_flags(p)
    p.add_argument("--targets-only", action="store_true", help=N_("stop after the targets draw"))
    p.add_argument("--commitment", type=int, help=N_("the pool shown by `dsr draw pool`"))
    p = add_command(draw, "list", cmd_draw_list, N_("list draws"))
    p.add_argument("--task")
    p.add_argument("--json", action="store_true", help=N_("print JSON, for scripts"))
    p = add_command(draw, "show", cmd_draw_show, N_("show a draw's audit record"))
    p.add_argument("id", type=int)
    p.add_argument("--json", action="store_true", help=N_("print JSON, for scripts"))
    p = add_command(draw, "certificate", cmd_draw_certificate, N_("write the public certificate"))
    p.add_argument("id", type=int)
    p.add_argument("--out", required=True, help=N_("FILE.xlsx or FILE.json"))
    p = add_command(draw, "replace", cmd_draw_replace, N_("replace a recused team member"))
    p.add_argument("task")
    p.add_argument("--team", type=int, required=True)
    p.add_argument("--member", required=True, help=N_("the member's certificate number"))
    p.add_argument("--reason", required=True)
    p.add_argument("--json", action="store_true", help=N_("print JSON, for scripts"))
    p = add_command(draw, "redraw", cmd_draw_redraw, N_("draw a task again (supersedes)"))
    p.add_argument("task")
    p.add_argument("--reason", required=True)
    p.add_argument("--inspectors", action="store_true", help=N_("redraw only the inspectors"))
    _seed_flags(p)

    verify = N_(
        "recompute draws from their audit records: each draw id on its own, or JSON files"
        " of records (read together); exit 1 if any does not recompute"
    )
    p = sub.add_parser("verify-draw", help=verify, description=verify)
    p.add_argument("draw", nargs="+", help=N_("draw ids, or JSON files of records"))
    add_database(p)
    p.set_defaults(func=cmd_verify_draw)
