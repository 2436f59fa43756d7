"""The double-random draw (抽取 / 摇号) of a task, docs/dsr-draw-v1.md.

Each use case is one unit of work: it builds the pool from the database, draws with
bot.domain.draws.algorithm, stores the audit record built by bot.domain.draws.records as an
append-only row, and writes what follows from it (assignments, team members, the task's
status, an audit-log entry). Any refusal raises before anything is written.

The pool is fixed before the seed exists: in the chat, ``commit_pool`` stores its size and
digest and shows them, and the draw then checks that the pool it recomputes is still that
one; the command line commits the pool itself, in the same transaction, before asking
``secrets`` for the seed.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, tzinfo

from bot.domain.draws.algorithm import (
    PURPOSE_INSPECTORS,
    PURPOSE_TARGETS,
    pool_digest,
    pool_lines,
)
from bot.services.draws import views as draw_views
from bot.services.draws.changes import notice_context, redraw, replace_member
from bot.services.draws.notices import notify_drawn
from bot.services.draws.plans import (
    CANCELLED,
    DONE,
    task_row,
)
from bot.services.draws.steps import (
    DrawResult,
    TeamResult,
    TokenHex,
    check_drawable,
    draw_context,
    draw_inspectors_in,
    draw_targets_in,
    inspectors_pool_of,
    require_inspectors_pending,
    require_targets_pending,
    targets_pool_of,
    team_targets,
)
from bot.services.draws.store import (
    DrawRefused,
    current_draw,
)
from bot.services.people.notices import NoticeContext
from bot.services.people.profiles import Profile
from storage.bulk import gc_paused
from storage.db import Database, reading
from storage.models import PoolCommitment

# Re-exported: reading, certificates and verification live in draw_views.
DrawInfo = draw_views.DrawInfo
list_draws = draw_views.list_draws
show_draw = draw_views.show_draw
certificate = draw_views.certificate
draw_names = draw_views.draw_names
verify_draw = draw_views.verify_draw

__all__ = [
    "DrawInfo",
    "DrawRefused",
    "DrawResult",
    "PoolSummary",
    "TeamResult",
    "certificate",
    "commit_pool",
    "draw_names",
    "list_draws",
    "redraw",
    "replace_member",
    "run_inspectors_draw",
    "run_targets_draw",
    "show_draw",
    "verify_draw",
]


@dataclass(frozen=True)
class PoolSummary:
    """What the chat shows before the seed exists."""

    task_code: str
    purpose: str
    size: int
    digest: str
    commitment_id: int


def commit_pool(
    database: Database,
    actor: Profile | None,
    task_code: str,
    purpose: str,
    now: datetime,
    *,
    tz: tzinfo,
    lead_may_draw: bool = False,
) -> PoolSummary:
    """Fix the pool's size and digest before the seed exists (the chat shows them)."""
    with gc_paused(), database.unit_of_work() as uow:
        session = uow.session
        ctx = draw_context(session, actor, task_code, now, tz, lead_may_draw=lead_may_draw)
        check_drawable(ctx)
        if purpose == PURPOSE_TARGETS:
            require_targets_pending(session, ctx)
            targets = targets_pool_of(session, ctx)
            entries = [(c.key, c.stratum) for c in targets.candidates]
        elif purpose == PURPOSE_INSPECTORS:
            drawn = require_inspectors_pending(session, ctx)
            teams = len(team_targets(session, drawn.id))
            inspectors = inspectors_pool_of(session, ctx, teams)
            entries = [(c.key, c.unit_code) for c in inspectors.candidates]
        else:
            raise ValueError(f"no pool to commit for {purpose!r}")
        commitment = PoolCommitment(
            task_id=ctx.task.id,
            purpose=purpose,
            pool_digest=pool_digest(pool_lines(entries)),
            pool_size=len(entries),
            actor=ctx.actor,
            at=now,
        )
        session.add(commitment)
        session.flush()
        summary = PoolSummary(
            ctx.info.code, purpose, commitment.pool_size, commitment.pool_digest, commitment.id
        )
        uow.commit()
    return summary


def run_targets_draw(
    database: Database,
    actor: Profile | None,
    task_code: str,
    *,
    now: datetime,
    seed: str | None = None,
    seed_input: str | None = None,
    commitment_id: int | None = None,
    token_hex: TokenHex = secrets.token_hex,
    tz: tzinfo,
    notices: NoticeContext | None = None,  # the same call as the inspectors draw
    lead_may_draw: bool = False,
) -> DrawResult:
    """Draw the task's targets. The seed comes from ``token_hex`` (secrets) unless a seed
    or a ceremony's seed input is given; ``commitment_id`` is the pool the chat showed.
    Nobody is told yet: the notices go out with the teams, after the inspectors draw."""
    with gc_paused(), database.unit_of_work() as uow:
        session = uow.session
        ctx = draw_context(session, actor, task_code, now, tz, lead_may_draw=lead_may_draw)
        check_drawable(ctx)
        require_targets_pending(session, ctx)
        result = draw_targets_in(
            session,
            ctx,
            seed=seed,
            seed_input=seed_input,
            commitment_id=commitment_id,
            token_hex=token_hex,
        )
        uow.commit()
    return result


def run_inspectors_draw(
    database: Database,
    actor: Profile | None,
    task_code: str,
    *,
    now: datetime,
    seed: str | None = None,
    seed_input: str | None = None,
    commitment_id: int | None = None,
    token_hex: TokenHex = secrets.token_hex,
    tz: tzinfo,
    notices: NoticeContext | None = None,
    lead_may_draw: bool = False,
) -> DrawResult:
    """Draw the teams' inspectors for the task's targets draw, with a seed of its own, and
    write the notices in the same unit of work (bot/services/draws/notices.py): each drawn
    inspector on the bot gets the assignment, each participating unit's liaison the
    summary. ``notices`` carries the quiet hours and default language (the chat and the
    desk pass their settings); without it, 21:00–08:00 in ``tz``."""
    with gc_paused(), database.unit_of_work() as uow:
        session = uow.session
        ctx = draw_context(session, actor, task_code, now, tz, lead_may_draw=lead_may_draw)
        check_drawable(ctx)
        targets = require_inspectors_pending(session, ctx)
        result = draw_inspectors_in(
            session,
            ctx,
            targets,
            seed=seed,
            seed_input=seed_input,
            commitment_id=commitment_id,
            token_hex=token_hex,
        )
        notify_drawn(session, ctx.task, result.id, notices or notice_context(now, tz))
        uow.commit()
    return result


def pending_purposes(database: Database, task_code: str) -> list[str]:
    """Which draws the task still needs, in order (for ``dsr draw run``)."""
    with reading(database) as session:
        task = task_row(session, task_code)
        if task.status in (CANCELLED, DONE):
            return []
        pending = []
        if current_draw(session, task.id, PURPOSE_TARGETS) is None:
            pending.append(PURPOSE_TARGETS)
        if current_draw(session, task.id, PURPOSE_INSPECTORS) is None:
            pending.append(PURPOSE_INSPECTORS)
        return pending
