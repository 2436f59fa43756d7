"""Drawing in the chat (issue #12, part 2): the pools before the seed, and the draw.

``preview_draw`` shows what the draw of a task will draw from — the targets per stratum
(how many there are, how many the sampling takes) and the eligible inspectors per unit —
and, for an empty or short pool, why: how many entities each of the task's filters
removed (bot.services.draws.pools.target_funnel) and how many inspectors each reason
kept out. When nothing is short it fixes the pool (bot.services.draws.drawing
.commit_pool), so its size and digest are stored and shown before the seed exists
(docs/dsr-draw-v1.md). ``draw_now`` then draws with a generated seed, or the office's
typed ceremony input; the notices go out with the inspectors draw, as at the desk.

The office and the lead unit's liaison draw; a seed typed after a public ceremony is
the office's alone.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import select

from bot.domain.draws.algorithm import (
    PURPOSE_INSPECTORS,
    PURPOSE_TARGETS,
    TOTAL_STRATUM,
    SamplingRequest,
    pool_digest,
    pool_lines,
)
from bot.i18n import N_
from bot.services.draws import drawing
from bot.services.draws.plans import PLANNED, TaskInfo
from bot.services.draws.pools import (
    BAD_KEY,
    REASONS,
    UNCERTIFIED,
    InspectorPool,
    TargetPool,
    inspector_pool,
    target_funnel,
    target_pool,
)
from bot.services.draws.steps import (
    DrawContext,
    DrawResult,
    TokenHex,
    check_drawable,
    draw_context,
    team_targets,
)
from bot.services.draws.store import current_draw
from bot.services.errors import NotAllowedError, ServiceError
from bot.services.people.notices import NoticeContext
from bot.services.people.profiles import Profile
from storage.bulk import gc_paused
from storage.db import Database, reading
from storage.models import PoolCommitment, Task

__all__ = [
    "DrawPreview",
    "StratumPool",
    "UnitPool",
    "draw_now",
    "preview_draw",
]


@dataclass(frozen=True)
class StratumPool:
    stratum: str  # A-D, U, or "*" for a sampling of the whole pool
    available: int
    wanted: int

    @property
    def short(self) -> bool:
        return self.wanted > self.available


@dataclass(frozen=True)
class UnitPool:
    unit_code: str
    unit_name: str
    eligible: int
    total: int
    removed: tuple[tuple[str, int], ...]  # (reason of pools.REASONS, how many), n > 0
    needed: int  # at least one of each unit in every team

    @property
    def short(self) -> bool:
        return self.eligible < self.needed


@dataclass(frozen=True)
class DrawPreview:
    task_id: int
    task_code: str
    task_name: str
    purpose: str  # the draw this preview is for: targets or inspectors
    commitment_id: int | None  # the fixed pool; None when the draw cannot be made
    size: int  # of the pool of ``purpose``
    digest: str
    strata: tuple[StratumPool, ...]  # targets: per stratum
    funnel: tuple[tuple[str, int], ...]  # targets: (DIRECTORY, n), then (filter, removed)
    teams: int
    team_size: int
    inspectors: tuple[UnitPool, ...]
    inspectors_needed: int
    inspectors_eligible: int

    @property
    def ready(self) -> bool:
        return self.commitment_id is not None

    @property
    def targets_short(self) -> bool:
        return self.purpose == PURPOSE_TARGETS and (
            not self.strata or any(s.short for s in self.strata) or self.size == 0
        )

    @property
    def inspectors_short(self) -> bool:
        return self.inspectors_eligible < self.inspectors_needed or any(
            u.short for u in self.inspectors
        )


def _task_code(session: Any, task_id: int) -> str:
    code = session.execute(select(Task.code).where(Task.id == task_id)).scalar_one_or_none()
    if code is None:
        raise ServiceError(N_("There is no such task."))
    return str(code)


def _strata(pool: TargetPool, request: SamplingRequest) -> tuple[StratumPool, ...]:
    available: dict[str, int] = {}
    for candidate in pool.candidates:
        stratum = TOTAL_STRATUM if request.is_total else candidate.stratum
        available[stratum] = available.get(stratum, 0) + 1
    shown = []
    for stratum in request.strata:
        n = available.get(stratum, 0)
        wanted = request.amount(stratum).size(n)
        if wanted or n:
            shown.append(StratumPool(stratum, n, wanted))
    return tuple(shown)


def _unit_pools(pool: InspectorPool, info: TaskInfo, teams: int) -> tuple[UnitPool, ...]:
    result = []
    for code, name in zip(info.unit_codes, info.unit_names, strict=True):
        counts = pool.counts(code)
        counts[UNCERTIFIED] += counts.pop(BAD_KEY)
        removed = tuple((r, counts[r]) for r in REASONS if counts.get(r))
        result.append(UnitPool(code, name, counts["eligible"], counts["total"], removed, teams))
    return tuple(result)


def _inspectors_of(session: Any, ctx: DrawContext) -> InspectorPool:
    info = ctx.info
    return inspector_pool(
        session, ctx.task, ctx.units, info.inspector_filters, info.window_start, info.window_end
    )


def _look(
    database: Database, actor: Profile, task_id: int, now: datetime, tz: tzinfo
) -> DrawPreview:
    """The pools as they are now, without fixing anything."""
    with gc_paused(), reading(database) as session:
        ctx = draw_context(
            session, actor, _task_code(session, task_id), now, tz, lead_may_draw=True
        )
        check_drawable(ctx)
        info = ctx.info
        strata: tuple[StratumPool, ...] = ()
        funnel: tuple[tuple[str, int], ...] = ()
        if info.status == PLANNED:
            purpose = PURPOSE_TARGETS
            targets = target_pool(
                session, ctx.task, ctx.units, ctx.matters, info.target_filters, info.sampling
            )
            strata = _strata(targets, info.sampling)
            funnel = tuple(
                target_funnel(
                    session,
                    ctx.task,
                    ctx.units,
                    ctx.matters,
                    info.target_filters,
                    len(targets.candidates),
                )
            )
            drawn = sum(s.wanted for s in strata)
            teams = -(-drawn // info.targets_per_team)
            size = len(targets.candidates)
            digest = pool_digest(pool_lines((c.key, c.stratum) for c in targets.candidates))
        else:
            purpose = PURPOSE_INSPECTORS
            _require_inspectors_pending(session, ctx)
            targets_draw = current_draw(session, ctx.task.id, PURPOSE_TARGETS)
            teams = len(team_targets(session, targets_draw.id)) if targets_draw else 0
        inspectors = _inspectors_of(session, ctx)
        if purpose == PURPOSE_INSPECTORS:
            size = len(inspectors.candidates)
            digest = pool_digest(pool_lines((c.key, c.unit_code) for c in inspectors.candidates))
        return DrawPreview(
            task_id=task_id,
            task_code=info.code,
            task_name=info.name,
            purpose=purpose,
            commitment_id=None,
            size=size,
            digest=digest,
            strata=strata,
            funnel=funnel,
            teams=teams,
            team_size=info.team_size,
            inspectors=_unit_pools(inspectors, info, teams),
            inspectors_needed=teams * info.team_size,
            inspectors_eligible=len(inspectors.candidates),
        )


def _require_inspectors_pending(session: Any, ctx: DrawContext) -> None:
    if current_draw(session, ctx.task.id, PURPOSE_INSPECTORS) is not None:
        raise ServiceError(
            N_("Task {code} has been drawn: its targets and inspectors are chosen."),
            code=ctx.info.code,
        )


def preview_draw(
    database: Database, actor: Profile, task_id: int, now: datetime, *, tz: tzinfo
) -> DrawPreview:
    """The pools of the task's next draw; when nothing is short, the pool of that draw
    is fixed (stored) and ``commitment_id`` names it."""
    look = _look(database, actor, task_id, now, tz)
    if look.targets_short or look.inspectors_short:
        return look
    summary = drawing.commit_pool(
        database, actor, look.task_code, look.purpose, now, tz=tz, lead_may_draw=True
    )
    return replace(
        look, commitment_id=summary.commitment_id, size=summary.size, digest=summary.digest
    )


def draw_now(
    database: Database,
    actor: Profile,
    task_id: int,
    commitment_id: int,
    *,
    now: datetime,
    tz: tzinfo,
    notices: NoticeContext,
    seed_input: str | None = None,
    token_hex: TokenHex = secrets.token_hex,
) -> DrawResult:
    """Draw the pool shown (``commitment_id``): with a generated seed, or with the office's
    typed ceremony input. An inspectors draw writes the notices."""
    if seed_input is not None and not actor.is_office:
        raise NotAllowedError(N_("Only the office can type a seed."))
    with reading(database) as session:
        code = _task_code(session, task_id)
        purpose = session.execute(
            select(PoolCommitment.purpose).where(
                PoolCommitment.id == commitment_id, PoolCommitment.task_id == task_id
            )
        ).scalar_one_or_none()
    if purpose is None:
        raise ServiceError(N_("That pool is not one of this task's: show the pools again."))
    run = drawing.run_targets_draw if purpose == PURPOSE_TARGETS else drawing.run_inspectors_draw
    return run(
        database,
        actor,
        code,
        now=now,
        seed_input=seed_input,
        commitment_id=commitment_id,
        token_hex=token_hex,
        tz=tz,
        notices=notices,
        lead_may_draw=True,
    )
