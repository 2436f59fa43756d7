"""Reading draws back: the list, the audit record, the public certificate, verification.

The audit record (office and auditors only) is exactly what was stored. The public
certificate (公示) is built from it and the directories: task, algorithm, seed, pool size
and digest, the drawn entities' names and codes, the teams' members' names and
certificate numbers — never a risk class, a conflict, a phone or anyone's address.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.draws.algorithm import (
    PURPOSE_INSPECTORS,
    PURPOSE_REPLACEMENT,
    DrawError,
    normalise_key,
)
from bot.domain.draws.records import verify_records
from bot.services.draws.plans import task_info
from bot.services.draws.store import load_record
from storage.db import Database, reading
from storage.models import Assignment, Draw, Entity, Inspector, Task, TaskUnit


@dataclass(frozen=True)
class DrawInfo:
    id: int
    task_code: str
    purpose: str
    algorithm: str
    seed: str
    seed_input: str | None
    pool_size: int
    pool_digest: str
    actor: str
    at: datetime
    supersedes_id: int | None
    amends_id: int | None
    superseded_by: int | None
    reason: str | None


def list_draws(database: Database, task_code: str | None = None) -> list[DrawInfo]:
    with reading(database) as session:
        query = select(
            Draw.id,
            Task.code,
            Draw.purpose,
            Draw.algorithm,
            Draw.seed,
            Draw.seed_input,
            Draw.pool_size,
            Draw.pool_digest,
            Draw.actor,
            Draw.at,
            Draw.supersedes_id,
            Draw.amends_id,
            Draw.reason,
        ).join(Task, Task.id == Draw.task_id)
        if task_code:
            query = query.where(Task.code == task_code.strip().upper())
        rows = session.execute(query.order_by(Draw.id)).all()
    superseded_by = {row.supersedes_id: row.id for row in rows if row.supersedes_id}
    return [
        DrawInfo(
            id=row.id,
            task_code=row.code,
            purpose=row.purpose,
            algorithm=row.algorithm,
            seed=row.seed,
            seed_input=row.seed_input,
            pool_size=row.pool_size,
            pool_digest=row.pool_digest,
            actor=row.actor,
            at=row.at,
            supersedes_id=row.supersedes_id,
            amends_id=row.amends_id,
            superseded_by=superseded_by.get(row.id),
            reason=row.reason,
        )
        for row in rows
    ]


def show_draw(database: Database, draw_id: int) -> dict[str, Any]:
    """The audit record, as stored (what ``dsr draw show ID --json`` prints)."""
    with reading(database) as session:
        return load_record(session, draw_id)


# --- the public certificate -------------------------------------------------------------------


def _entities(session: Session, task_id: int) -> dict[str, str]:
    """Target key -> name for every target ever drawn for the task. The key is the code
    shown: the USCC (as drawn: normalised), or E<number> for an entity without one."""
    rows = session.execute(
        select(Assignment.key, Entity.name)
        .join(Entity, Entity.id == Assignment.entity_id)
        .where(Assignment.task_id == task_id)
    )
    return {key: name for key, name in rows}


def _inspectors(session: Session, task_id: int) -> dict[str, str]:
    """Certificate number (as a key) -> name, for the participating units' inspectors."""
    rows = session.execute(
        select(Inspector.cert_no, Inspector.name)
        .join(TaskUnit, TaskUnit.unit_id == Inspector.unit_id)
        .where(TaskUnit.task_id == task_id, Inspector.cert_no.is_not(None))
    )
    names = {}
    for cert_no, name in rows:
        if cert_no is None:
            continue
        try:
            names[normalise_key(cert_no)] = name
        except DrawError:
            continue
    return names


def draw_names(database: Database, task_code: str) -> dict[str, str]:
    """Key -> name for the task's drawn targets and its units' inspectors: what the office
    reads beside the codes of a draw (an unknown task has none)."""
    with reading(database) as session:
        task_id = session.execute(
            select(Task.id).where(Task.code == task_code.strip().upper())
        ).scalar_one_or_none()
        if task_id is None:
            return {}
        return {**_entities(session, task_id), **_inspectors(session, task_id)}


def certificate(database: Database, draw_id: int) -> dict[str, Any]:
    """The public certificate of one draw (公示), as plain JSON values."""
    with reading(database) as session:
        record = load_record(session, draw_id)
        task_id = session.execute(select(Draw.task_id).where(Draw.id == draw_id)).scalar_one()
        info = task_info(session, session.get_one(Task, task_id))
        entities = _entities(session, task_id)
        names = _inspectors(session, task_id) if record["purpose"] != "targets" else {}

    def target(key: str) -> dict[str, str]:
        return {"name": entities.get(key, ""), "code": key}

    def member(key: str, position: int) -> dict[str, str]:
        role = "leader" if position == 0 else "member"
        return {"name": names.get(key, ""), "cert_no": key, "role": role}

    teams = []
    for team in record["teams"]:
        entry: dict[str, Any] = {
            "team": team["team"],
            "targets": [target(key) for key in team["targets"]],
        }
        if "members" in team:
            entry["members"] = [member(k, i) for i, k in enumerate(team["members"])]
        teams.append(entry)
    result: dict[str, Any] = {
        "draw_id": record["id"],
        "purpose": record["purpose"],
        "algorithm": record["algorithm"],
        "task": {
            "code": info.code,
            "name": info.name,
            "units": [
                {"code": code, "name": name}
                for code, name in zip(info.unit_codes, info.unit_names, strict=True)
            ],
            "matters": list(info.matter_codes),
            "window_start": info.window_start.isoformat(),
            "window_end": info.window_end.isoformat(),
        },
        "seed": record["seed"],
        "seed_input": record["seed_input"],
        "pool_size": len(record["pool"]),
        "pool_digest": record["pool_digest"],
        "at": record["at"],
        "supersedes": record["supersedes"],
        "teams": teams,
    }
    if record["supersedes"] is not None:
        result["reason"] = record["reason"]  # why the office drew again; a recusal's stays out
    if record["purpose"] == PURPOSE_REPLACEMENT:
        result["amends"] = record["amends"]
        result["replacement"] = {
            "team": record["team"],
            "replaced": {"name": names.get(record["replaced"], ""), "cert_no": record["replaced"]},
            "replacement": {
                "name": names.get(record["replacement"], ""),
                "cert_no": record["replacement"],
            },
        }
    return result


# --- verification -----------------------------------------------------------------------------


def _linked(session: Session, draw_id: int) -> list[dict[str, Any]]:
    """The record and the records it refers to: an inspectors draw's targets draw; a
    replacement's inspectors draw (and its targets draw) and the earlier replacements."""
    record = load_record(session, draw_id)
    records = [record]
    amended = record.get("amends") if record["purpose"] == PURPOSE_REPLACEMENT else None
    inspectors = load_record(session, amended) if isinstance(amended, int) else None
    if inspectors is not None:
        earlier = session.execute(
            select(Draw.id).where(Draw.amends_id == amended, Draw.id < draw_id).order_by(Draw.id)
        ).scalars()
        records = [inspectors, *(load_record(session, i) for i in earlier), record]
    base = inspectors or record
    if base["purpose"] == PURPOSE_INSPECTORS:
        targets_id = base["params"].get("targets_draw_id")
        if isinstance(targets_id, int):
            records.insert(0, load_record(session, targets_id))
    return records


def _row_differences(session: Session, record: Mapping[str, Any]) -> list[str]:
    """The row's own columns must say what its record says."""
    row = session.execute(
        select(Draw, Task.code).join(Task, Task.id == Draw.task_id).where(Draw.id == record["id"])
    ).one()
    draw, task_code = row
    expected = {
        "purpose": record.get("purpose"),
        "algorithm": record.get("algorithm"),
        "seed": record.get("seed"),
        "seed_input": record.get("seed_input"),
        "pool_digest": record.get("pool_digest"),
        "pool_size": len(record.get("pool") or ()),
        "supersedes_id": record.get("supersedes"),
        "amends_id": record.get("amends"),
        "reason": record.get("reason"),
        "actor": record.get("actor"),
    }
    diffs = [
        f"draw {draw.id}: the row's {column} is {getattr(draw, column)!r}, its record says {value!r}"
        for column, value in expected.items()
        if getattr(draw, column) != value
    ]
    if task_code != record.get("task_code"):
        diffs.append(f"draw {draw.id}: the row's task is {task_code}, its record says otherwise")
    return diffs


def verify_draw(
    database: Database, draw: int | Mapping[str, Any] | Sequence[Mapping[str, Any]]
) -> list[str]:
    """[] when the draw recomputes (MATCH), else the differences, first first.

    An id: the stored record with the records it links to, and the row's columns against
    its record. A record or a list of records (e.g. from a file): as tools/verify_draw.py
    does, the records alone."""
    if isinstance(draw, int):
        with reading(database) as session:
            records = _linked(session, draw)
            diffs = verify_records(records)
            for record in records:
                diffs += _row_differences(session, record)
        return diffs
    if isinstance(draw, Mapping):
        return verify_records([draw])
    return verify_records(list(draw))
