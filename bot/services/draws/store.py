"""Draw records in the database: append-only rows holding the compressed audit record.

A record names its own id, and the row can never be updated afterwards (the database
refuses it), so the id is taken before the insert: the sequence's next value on
PostgreSQL; on SQLite max(id) + 1, which is what SQLite would assign, under the writer
lock every unit of work takes (BEGIN IMMEDIATE) and with rows never deleted.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Final

import orjson
from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from bot.domain.draws.algorithm import TOTAL_STRATUM, DrawError
from bot.i18n import N_
from bot.services.errors import ServiceError
from storage import audit
from storage.models import Draw

# A 1,000,000-entry pool's record is about 55 MB of JSON; zlib level 1 makes it 2.8 MB in a
# third of level 6's time, which would save only another 0.1 MB (the keys repeat a lot).
_COMPRESSION: Final = 1


class DrawRefused(ServiceError):  # noqa: N818 - a refusal, like ServiceError
    """A draw that cannot be made, with the numbers: ``lines`` are further sentences
    (msgid, params), one per stratum, unit or team at fault. Nothing was stored."""

    def __init__(
        self,
        message: str,
        /,
        lines: Sequence[tuple[str, Mapping[str, Any]]] = (),
        **params: Any,
    ) -> None:
        super().__init__(message, **params)
        self.lines = tuple((msgid, dict(values)) for msgid, values in lines)


def encode_record(record: Mapping[str, Any]) -> tuple[bytes, str]:
    """The stored bytes (zlib of the canonical JSON) and the JSON's sha256.

    orjson with sorted keys writes exactly what ``audit.canonical_json`` writes for a
    record's values (text, whole numbers, lists, objects: a test compares them on every
    record the suite makes) at a tenth of the cost: a pool of 100k entries is 5 MB."""
    data = orjson.dumps(record, option=orjson.OPT_SORT_KEYS)
    return zlib.compress(data, _COMPRESSION), hashlib.sha256(data).hexdigest()


def decode_record(data: bytes) -> dict[str, Any]:
    value: dict[str, Any] = orjson.loads(zlib.decompress(data))
    return value


def next_draw_id(session: Session) -> int:
    if session.get_bind().dialect.name == "postgresql":
        value = session.execute(
            text("SELECT nextval(pg_get_serial_sequence('draws', 'id'))")
        ).scalar_one()
        return int(value)
    return int(session.execute(select(func.coalesce(func.max(Draw.id), 0) + 1)).scalar_one())


def store_draw(
    session: Session,
    *,
    task_id: int,
    record: Mapping[str, Any],
    at: datetime,
    supersedes_id: int | None = None,
    amends_id: int | None = None,
) -> bytes:
    """Insert the record (its ``id`` already set) and append its audit entry; returns the
    stored bytes."""
    blob, sha256 = encode_record(record)
    session.execute(
        insert(Draw).values(
            id=record["id"],
            task_id=task_id,
            purpose=record["purpose"],
            algorithm=record["algorithm"],
            seed=record["seed"],
            seed_input=record["seed_input"],
            pool_digest=record["pool_digest"],
            pool_size=len(record["pool"]),
            record=blob,
            actor=record["actor"],
            at=at,
            supersedes_id=supersedes_id,
            amends_id=amends_id,
            reason=record.get("reason"),
        )
    )
    audit.append(
        session,
        actor=str(record["actor"]),
        action=f"draw.{record['purpose']}",
        obj=f"draw:{record['id']}",
        details={
            "task": record["task_code"],
            "seed": record["seed"],
            "seed_input": record["seed_input"],
            "pool_digest": record["pool_digest"],
            "pool_size": len(record["pool"]),
            "supersedes": supersedes_id,
            "amends": amends_id,
            "reason": record.get("reason"),
            "record_sha256": sha256,
        },
        at=at,
    )
    return blob


def load_record(session: Session, draw_id: int) -> dict[str, Any]:
    blob = session.execute(select(Draw.record).where(Draw.id == draw_id)).scalar_one_or_none()
    if blob is None:
        raise ServiceError(N_("There is no draw with the number {id}."), id=draw_id)
    return decode_record(blob)


def current_draw(session: Session, task_id: int, purpose: str) -> Draw | None:
    """The task's latest draw of ``purpose`` that no other draw supersedes."""
    superseded = select(Draw.supersedes_id).where(Draw.supersedes_id.is_not(None))
    return session.execute(
        select(Draw)
        .where(Draw.task_id == task_id, Draw.purpose == purpose, Draw.id.not_in(superseded))
        .order_by(Draw.id.desc())
        .limit(1)
    ).scalar_one_or_none()


# --- refusals ---------------------------------------------------------------------------------

_NOTHING_STORED: Final = N_("Task {code} cannot be drawn; nothing was stored.")


# A stratum too small, named as people know it: the whole pool (a total count, "*"), the
# targets without a risk class ("U"), or those of one risk class.
_CLASS_SHORT: Final = N_(
    "Targets of risk class {stratum}: {requested} requested, {available} in the pool."
)
_STRATUM_SHORT: Final = {
    TOTAL_STRATUM: N_("All targets: {requested} requested, {available} in the pool."),
    "U": N_("Targets without a risk class: {requested} requested, {available} in the pool."),
}


def refusal(exc: DrawError, task_code: str) -> ServiceError:
    """A DrawError from the domain as a sentence with its numbers."""
    d = exc.details
    if exc.code == "stratum_too_small":
        strata: Mapping[str, Mapping[str, int]] = d["strata"]  # type: ignore[assignment]
        return DrawRefused(
            _NOTHING_STORED,
            [(_STRATUM_SHORT.get(s, _CLASS_SHORT), {"stratum": s, **n}) for s, n in strata.items()],
            code=task_code,
        )
    if exc.code == "empty":
        return DrawRefused(
            N_(
                "The sampling of task {code} selects no target from a pool of {pool_size};"
                " nothing was stored."
            ),
            code=task_code,
            pool_size=d["pool_size"],
        )
    if exc.code == "not_enough_inspectors":
        line = (
            N_(
                "Team {team} of {teams} needs an inspector of {unit}: of that unit's"
                " {eligible} eligible inspectors, {used} are already on earlier teams and"
                " {conflicted} have a conflict with this team's targets."
            )
            if d["unit"] is not None
            else N_(
                "Team {team} of {teams} needs {team_size} inspectors: of the {eligible}"
                " eligible inspectors, {used} are already on earlier teams and {conflicted}"
                " have a conflict with this team's targets."
            )
        )
        return DrawRefused(_NOTHING_STORED, [(line, d)], code=task_code)
    if exc.code == "no_replacement":
        line = (
            N_(
                "No replacement of unit {unit} for team {team}: of the {pool} inspectors of"
                " the draw's pool, {placed} were already placed on the task, {conflict}"
                " have a conflict with the team's targets, {other_unit} are of another unit"
                " and {ineligible} are no longer eligible."
            )
            if d["unit"] is not None
            else N_(
                "No replacement for team {team}: of the {pool} inspectors of the draw's pool,"
                " {placed} were already placed on the task, {conflict} have a conflict with"
                " the team's targets and {ineligible} are no longer eligible."
            )
        )
        return DrawRefused(_NOTHING_STORED, [(line, d)], code=task_code)
    if exc.code == "duplicate_key":
        return DrawRefused(
            N_(
                "Two candidates of task {code} have the same key {key} (after folding case"
                " and full-width characters); correct the directory and draw again."
            ),
            code=task_code,
            key=d["key"],
        )
    if exc.code in ("key_empty", "key_forbidden_char"):
        return DrawRefused(
            N_(
                "The code “{key}” cannot be used in a draw (empty, or it holds “|”, a tab or"
                " a line break); correct it in the directory."
            ),
            key=d["key"],
        )
    if exc.code == "bad_seed":
        return ServiceError(
            N_("A seed is 64 hexadecimal characters (0-9, a-f); “{seed}” is not."),
            seed=d["seed"],
        )
    if exc.code == "seed_input_empty":
        return ServiceError(N_("The seed input is empty."))
    if exc.code == "team_size_too_small":
        return DrawRefused(
            N_(
                "Task {code} has teams of {team_size}, but needs at least {minimum}"
                " (2, and one inspector of each participating unit); nothing was stored."
            ),
            code=task_code,
            team_size=d["team_size"],
            minimum=d["minimum"],
        )
    return DrawRefused(
        N_("Task {code} cannot be drawn ({reason}); nothing was stored."),
        code=task_code,
        reason=str(exc),
    )
