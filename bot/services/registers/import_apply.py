"""Applying a preview: diffed against the directory as it is at that moment, written
with its change log and one audit entry, in one unit of work."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.registers.diff import UNIQUE_IN_UNIT, Diff, ImportRow, Mode
from bot.domain.registers.validation import Register
from bot.i18n import N_
from bot.services.errors import ServiceError
from bot.services.people.membership import require_unit_access
from bot.services.people.profiles import Profile
from bot.services.registers.import_rows import ProblemInfo, unpack_problems, unpack_rows
from bot.services.registers.import_support import (
    ImportCounts,
    ImportRefused,
    counts_of,
    diff_now,
    label,
    lock_registers,
    mode_of,
    register_of,
)
from storage import audit
from storage import registers_repo as repo
from storage import registers_write as writes
from storage.bulk import gc_paused
from storage.db import Database
from storage.models import Import, Unit

MASS_DEACTIVATION: Final = 0.2  # deactivating more than this share asks to confirm


@dataclass(frozen=True)
class ApplyResult:
    import_id: int
    unit_code: str
    kind: str
    counts: ImportCounts  # as applied (the directory may have changed since the preview)
    skipped_rows: tuple[int, ...]  # rows left out: they have errors
    problems: tuple[ProblemInfo, ...]  # found against the directory at apply
    logged: int  # record_changes rows written
    applied_at: datetime


@dataclass(frozen=True)
class HandOver:
    """A preview's validated rows and their diff, still in memory (preview_import's
    ``hand_over``), with the directory's fingerprint the diff was made on."""

    import_id: int
    rows: Sequence[ImportRow]
    diff: Diff
    fingerprint: list[object]


_CHANGED_SINCE: Final = N_(
    "The directory changed while this import was being checked. Nothing was written:"
    " run the import again."
)
_NOT_KEPT: Final = N_("This preview was not kept for later. Upload the file again.")


def check_open(row: Import) -> None:
    if row.status == "applied":
        raise ImportRefused("applied", N_("This import has already been applied."))
    if row.status == "discarded":
        raise ImportRefused("discarded", N_("This import was discarded. Upload the file again."))
    if row.status == "undone":
        raise ImportRefused("undone", N_("This import was undone. Upload the file again."))
    if row.status == "expired":
        raise ImportRefused(
            "expired", N_("This preview has expired (after 24 hours). Upload the file again.")
        )


def apply_import(
    database: Database,
    actor: Profile | None,
    import_id: int,
    now: datetime,
    apply_valid: bool = False,
    confirm_mass_deactivation: bool = False,
    hand_over: HandOver | None = None,
) -> ApplyResult:
    """Apply a preview, diffed against the directory as it is now, atomically.

    ``hand_over``: the preview's rows and diff from this process (preview_import's
    ``hand_over``); its diff is used as it is when the directory has not changed since."""
    expired = False
    with gc_paused(), database.unit_of_work() as uow:
        session = uow.session
        lock_registers(session)
        row = session.execute(
            select(Import).where(Import.id == import_id).with_for_update()
        ).scalar_one_or_none()
        if row is None:
            raise ServiceError(N_("There is no import {id}."), id=import_id)
        if actor is not None:
            require_unit_access(actor, row.unit_id)
        check_open(row)
        if row.expires_at is not None and row.expires_at <= now:
            row.status = "expired"
            uow.commit()
            expired = True
        else:
            result = _apply(
                session, actor, row, now, apply_valid, confirm_mass_deactivation, hand_over
            )
            uow.commit()
            return result
    assert expired
    raise ImportRefused(
        "expired", N_("This preview has expired (after 24 hours). Upload the file again.")
    )


def _apply(
    session: Session,
    actor: Profile | None,
    row: Import,
    now: datetime,
    apply_valid: bool,
    confirm: bool,
    hand_over: HandOver | None,
) -> ApplyResult:
    register = register_of(row.kind)
    mode = mode_of(row.mode)
    unit = session.get(Unit, row.unit_id)
    assert unit is not None
    stamp_now = repo.fingerprint(session, register, unit.id)
    if row.counts.get("changes") == 0 and row.counts.get("fingerprint") == _json_list(stamp_now):
        # The preview found nothing to change, and the directory is as it was then:
        # diffing again would find nothing either.
        return _nothing_to_apply(session, actor, row, unit, register, mode, now, apply_valid)
    rows: Sequence[ImportRow]
    if hand_over is not None and hand_over.import_id == row.id:
        rows = hand_over.rows
        # The same rows on the same directory (and the same entities and certificate
        # numbers elsewhere, which the fingerprint covers too) give the same diff.
        same = hand_over.fingerprint == stamp_now
        if not same and any(r.same_as is not None for r in rows):
            # Rows found unchanged kept only their keys: they cannot be diffed again.
            raise ImportRefused("changed_since", _CHANGED_SINCE)
        result = hand_over.diff if same else diff_now(session, register, mode, unit.id, rows)
    elif row.rows is None:
        raise ImportRefused("expired", _NOT_KEPT)
    else:
        rows = unpack_rows(row.rows)
        result = diff_now(session, register, mode, unit.id, rows)
    warnings = int(row.counts.get("warnings", 0))
    counts = counts_of(result, rows, warnings)
    problems = tuple(
        ProblemInfo(
            row.sheet,
            f.row,
            None,
            None,
            f.problem.field,
            f.problem.value,
            f.severity,
            f.problem.reason,
            f.problem.params,
        )
        for f in result.problems
    )
    if counts.errors and not apply_valid:
        raise _errors_refusal(counts.errors)
    if mode == "replace" and result.deactivation_share > MASS_DEACTIVATION and not confirm:
        raise ImportRefused(
            "mass_deactivation",
            N_(
                "This would deactivate {count} of the {total} active records ({share}%)."
                " Confirm to go ahead."
            ),
            count=len(result.deactivated),
            total=result.active_before,
            share=round(result.deactivation_share * 100),
        )
    skipped = sorted({r.row for r in rows if r.blocked} | result.blocked)
    del rows  # the changes hold what is written; the rows' values can go
    stamp = writes.Stamp(unit.id, label(actor), "import", row.id, now)
    logged = writes.apply_changes(
        session, register, result.changes, stamp, UNIQUE_IN_UNIT[register]
    )
    row.status = "applied"
    row.applied_at = now
    row.counts = dict(row.counts) | {"applied": counts.as_json()}
    audit.append(
        session,
        actor=stamp.actor,
        action="import.apply",
        obj=f"import:{row.id}",
        details={
            "unit": unit.code,
            "kind": register.value,
            "mode": mode,
            "file": row.file_name,
            "sha256": row.sha256,
            "counts": counts.as_json(),
            "skipped_rows": len(skipped),
            "changes": logged,
        },
        at=now,
    )
    return ApplyResult(
        row.id, unit.code, register.value, counts, tuple(skipped), problems, logged, now
    )


def _json_list(values: list[object]) -> list[object]:
    """As the fingerprint reads back from the JSON it was kept in."""
    restored: list[object] = json.loads(json.dumps(values, default=str))
    return restored


def _nothing_to_apply(
    session: Session,
    actor: Profile | None,
    row: Import,
    unit: Unit,
    register: Register,
    mode: Mode,
    now: datetime,
    apply_valid: bool,
) -> ApplyResult:
    stored = {k: int(row.counts.get(k, 0)) for k in ImportCounts.__dataclass_fields__}
    counts = ImportCounts(**stored)
    if counts.errors and not apply_valid:
        raise _errors_refusal(counts.errors)
    row.status = "applied"
    row.applied_at = now
    row.counts = dict(row.counts) | {"applied": counts.as_json()}
    skipped = tuple(
        sorted({p.row for p in unpack_problems(row.problems) if p.severity == "error" and p.row})
    )
    actor_name = label(actor)
    audit.append(
        session,
        actor=actor_name,
        action="import.apply",
        obj=f"import:{row.id}",
        details={
            "unit": unit.code,
            "kind": register.value,
            "mode": mode,
            "file": row.file_name,
            "sha256": row.sha256,
            "counts": counts.as_json(),
            "skipped_rows": len(skipped),
            "changes": 0,
        },
        at=now,
    )
    return ApplyResult(row.id, unit.code, register.value, counts, skipped, (), 0, now)


def _errors_refusal(count: int) -> ImportRefused:
    return ImportRefused(
        "errors",
        N_(
            "{count} row(s) have errors. Correct the file and upload it again, or apply"
            " only the valid rows."
        ),
        count=count,
    )
