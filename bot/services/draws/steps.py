"""The steps every draw shares (docs/dsr-draw-v1.md): the task as a draw sees it, the
checks before drawing, the seed, the pool commitment, and the targets and inspectors
draws inside a caller's unit of work. bot.services.draws.drawing and bot.services.draws.changes
are the use cases built from them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any, Final

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from bot.domain.draws.algorithm import (
    PURPOSE_INSPECTORS,
    PURPOSE_TARGETS,
    DrawError,
    draw_inspectors,
    draw_targets,
    seed_from_input,
)
from bot.domain.draws.records import inspectors_record, targets_record
from bot.i18n import N_
from bot.services.draws.plans import (
    CANCELLED,
    DONE,
    DRAWN,
    PLANNED,
    TaskInfo,
    task_info,
    task_row,
    task_units,
)
from bot.services.draws.pools import (
    BAD_KEY,
    InspectorPool,
    TargetPool,
    conflicts_with_targets,
    entity_ids,
    inspector_pool,
    target_pool,
)
from bot.services.draws.store import (
    DrawRefused,
    current_draw,
    next_draw_id,
    refusal,
    store_draw,
)
from bot.services.draws.task_rules import status_word
from bot.services.errors import NotAllowedError, ServiceError
from bot.services.people.membership import actor_label, require_office
from bot.services.people.profiles import Profile
from storage.models import Assignment, Draw, Matter, PoolCommitment, Task, TeamMember, Unit

_HEX64: Final = re.compile(r"[0-9a-f]{64}")
TokenHex = Callable[[int], str]


@dataclass(frozen=True)
class TeamResult:
    team: int
    targets: tuple[str, ...]
    members: tuple[str, ...] = ()  # leader first; empty for a targets draw


@dataclass(frozen=True)
class DrawResult:
    id: int
    task_code: str
    purpose: str
    seed: str
    seed_input: str | None
    pool_size: int
    pool_digest: str
    selected: tuple[str, ...]
    teams: tuple[TeamResult, ...]
    conflicts: int = 0
    supersedes_id: int | None = None
    amends_id: int | None = None
    replaced: str | None = None
    replacement: str | None = None
    passed_over: tuple[tuple[str, str, str | None], ...] = ()


def result_of(record: Mapping[str, Any]) -> DrawResult:
    return DrawResult(
        id=record["id"],
        task_code=record["task_code"],
        purpose=record["purpose"],
        seed=record["seed"],
        seed_input=record["seed_input"],
        pool_size=len(record["pool"]),
        pool_digest=record["pool_digest"],
        selected=tuple(record["selected"]),
        teams=tuple(
            TeamResult(t["team"], tuple(t["targets"]), tuple(t.get("members", ())))
            for t in record["teams"]
        ),
        conflicts=len(record.get("conflicts", ())),
        supersedes_id=record.get("supersedes"),
        amends_id=record.get("amends"),
        replaced=record.get("replaced"),
        replacement=record.get("replacement"),
        passed_over=tuple(
            (p["key"], p["reason"], p.get("detail")) for p in record.get("passed_over", ())
        ),
    )


# --- the task as a draw sees it ---------------------------------------------------------------


@dataclass(frozen=True)
class DrawContext:
    task: Task
    info: TaskInfo
    units: tuple[Unit, ...]
    matters: tuple[Matter, ...]
    actor: str
    now: datetime
    at: str  # the record's timestamp: local time with its offset
    today: date


def draw_context(
    session: Session,
    actor: Profile | None,
    task_code: str,
    now: datetime,
    tz: tzinfo,
    *,
    lead_may_draw: bool = False,
) -> DrawContext:
    """The task as a draw sees it. The office draws; with ``lead_may_draw`` (the chat's
    draw, issue #12) so does the liaison of the task's lead unit."""
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    task = task_row(session, task_code, lock=True)
    if actor is not None:
        require_drawer(session, actor, task, lead_may_draw=lead_may_draw)
    matters = session.execute(select(Matter).where(Matter.id.in_(task.matter_ids))).scalars()
    local = now.astimezone(tz)
    return DrawContext(
        task=task,
        info=task_info(session, task),
        units=tuple(task_units(session, task.id)),
        matters=tuple(matters),
        actor=actor_label(actor) if actor is not None else "cli",
        now=now,
        at=local.isoformat(timespec="seconds"),
        today=local.date(),
    )


def require_drawer(
    session: Session, actor: Profile, task: Task, *, lead_may_draw: bool = True
) -> None:
    """The office, or (``lead_may_draw``) the liaison of the task's lead unit."""
    if actor.is_office:
        return
    if lead_may_draw and actor.liaison_unit_id is not None:
        units = task_units(session, task.id)
        if units and units[0].id == actor.liaison_unit_id:
            return
        raise NotAllowedError(
            N_("Only the office or the liaison of the task's lead unit can draw it.")
        )
    require_office(actor)


def check_drawable(ctx: DrawContext) -> None:
    info = ctx.info
    if info.status in (CANCELLED, DONE):
        raise DrawRefused(
            N_("Task {code} is {status}; it cannot be drawn."),
            code=info.code,
            status=status_word(info.status),
        )
    if info.window_end < ctx.today:
        raise DrawRefused(
            N_(
                "The window of task {code} ended on {end} (today is {today}); a past window"
                " cannot be drawn. Nothing was stored."
            ),
            code=info.code,
            end=info.window_end.isoformat(),
            today=ctx.today.isoformat(),
        )
    minimum = max(2, len(info.unit_codes))
    if info.team_size < minimum:
        raise refusal(
            DrawError("team_size_too_small", team_size=info.team_size, minimum=minimum),
            info.code,
        )


def _seed(seed: str | None, seed_input: str | None, token_hex: TokenHex) -> tuple[str, str | None]:
    """Called only once the pool is fixed."""
    if seed is not None and seed_input is not None:
        raise ServiceError(N_("Give either a seed or a seed input, not both."))
    if seed_input is not None:
        try:
            return seed_from_input(seed_input), seed_input
        except DrawError as exc:
            raise refusal(exc, "") from None
    if seed is not None:
        lowered = seed.strip().lower()
        if not _HEX64.fullmatch(lowered):
            raise refusal(DrawError("bad_seed", seed=seed), "")
        return lowered, None
    return token_hex(32), None


def _commitment(
    session: Session, ctx: DrawContext, purpose: str, commitment_id: int | None
) -> PoolCommitment | None:
    """The commitment the chat showed, which must be the task's latest open one."""
    if commitment_id is None:
        return None
    latest = session.execute(
        select(PoolCommitment)
        .where(
            PoolCommitment.task_id == ctx.task.id,
            PoolCommitment.purpose == purpose,
            PoolCommitment.draw_id.is_(None),
        )
        .order_by(PoolCommitment.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if latest is None or latest.id != commitment_id:
        raise DrawRefused(
            N_(
                "The pool shown for task {code} is no longer the latest one: show the pool"
                " again before drawing. Nothing was stored."
            ),
            code=ctx.info.code,
        )
    return latest


def _settle(
    session: Session,
    ctx: DrawContext,
    purpose: str,
    commitment: PoolCommitment | None,
    size: int,
    digest: str,
) -> PoolCommitment:
    """Check the recomputed pool against the commitment shown, or record the pool now.
    The caller links it to the draw once the draw's row exists."""
    if commitment is None:
        commitment = PoolCommitment(
            task_id=ctx.task.id,
            purpose=purpose,
            pool_digest=digest,
            pool_size=size,
            actor=ctx.actor,
            at=ctx.now,
        )
        session.add(commitment)
    elif (commitment.pool_size, commitment.pool_digest) != (size, digest):
        raise DrawRefused(
            N_(
                "The pool of task {code} changed after it was shown (then {shown_size}"
                " candidates, digest {shown_digest}; now {size}, digest {digest}). Show the"
                " pool again before drawing. Nothing was stored."
            ),
            code=ctx.info.code,
            shown_size=commitment.pool_size,
            shown_digest=commitment.pool_digest[:12],
            size=size,
            digest=digest[:12],
        )
    session.flush()
    return commitment


# --- pools ------------------------------------------------------------------------------------


def targets_pool_of(session: Session, ctx: DrawContext) -> TargetPool:
    info = ctx.info
    pool = target_pool(
        session, ctx.task, ctx.units, ctx.matters, info.target_filters, info.sampling
    )
    if not pool.candidates:
        raise DrawRefused(
            N_(
                "No entity in the directories of {units} matches the filters of task {code};"
                " nothing was stored."
            ),
            code=info.code,
            units="、".join(info.unit_codes),
        )
    return pool


def inspectors_pool_of(session: Session, ctx: DrawContext, teams: int) -> InspectorPool:
    info = ctx.info
    pool = inspector_pool(
        session, ctx.task, ctx.units, info.inspector_filters, info.window_start, info.window_end
    )
    eligible = {code: 0 for code in info.unit_codes}
    for candidate in pool.candidates:
        eligible[candidate.unit_code] += 1
    needed = teams * info.team_size
    if len(pool.candidates) >= needed and all(n >= teams for n in eligible.values()):
        return pool
    lines = []
    for code in info.unit_codes:
        counts = pool.counts(code)
        counts["uncertified"] += counts.pop(BAD_KEY)
        lines.append(
            (
                N_(
                    "{unit}: {eligible} eligible of {total} inspectors ({inactive} inactive,"
                    " {uncertified} without a usable certificate number, {expired} with a"
                    " certificate not valid through {end}, {filtered} outside the filters,"
                    " {away} away during the window, {busy} on an overlapping task)."
                ),
                {"unit": code, "end": info.window_end.isoformat(), **counts},
            )
        )
    raise DrawRefused(
        N_(
            "Task {code} needs {needed} inspectors ({teams} teams of {team_size}, one of each"
            " participating unit in every team), but only {eligible} are eligible; nothing"
            " was stored."
        ),
        lines,
        code=info.code,
        needed=needed,
        teams=teams,
        team_size=info.team_size,
        eligible=len(pool.candidates),
    )


# --- targets ----------------------------------------------------------------------------------


def require_targets_pending(session: Session, ctx: DrawContext) -> None:
    if ctx.info.status != PLANNED:
        drawn = current_draw(session, ctx.task.id, PURPOSE_TARGETS)
        raise DrawRefused(
            N_(
                "Task {code} has already been drawn (draw {id}); drawing it again needs a"
                " redraw with a reason."
            ),
            code=ctx.info.code,
            id=drawn.id if drawn is not None else "?",
        )


def draw_targets_in(
    session: Session,
    ctx: DrawContext,
    *,
    seed: str | None,
    seed_input: str | None,
    commitment_id: int | None,
    token_hex: TokenHex,
    supersedes: int | None = None,
    reason: str | None = None,
) -> DrawResult:
    info = ctx.info
    commitment = _commitment(session, ctx, PURPOSE_TARGETS, commitment_id)
    pool = targets_pool_of(session, ctx)
    chosen, chosen_input = _seed(seed, seed_input, token_hex)
    try:
        draw = draw_targets(
            chosen, info.code, pool.candidates, info.sampling, info.targets_per_team
        )
    except DrawError as exc:
        raise refusal(exc, info.code) from None
    committed = _settle(session, ctx, PURPOSE_TARGETS, commitment, len(draw.pool), draw.pool_digest)
    draw_id = next_draw_id(session)
    record = targets_record(
        draw,
        draw_id=draw_id,
        seed_input=chosen_input,
        actor=ctx.actor,
        at=ctx.at,
        supersedes=supersedes,
        reason=reason,
    )
    store_draw(session, task_id=ctx.task.id, record=record, at=ctx.now, supersedes_id=supersedes)
    committed.draw_id = draw_id
    entity_of = entity_ids(session, pool, draw.selected)
    rows = [
        {
            "task_id": ctx.task.id,
            "draw_id": draw_id,
            "team_no": team_no,
            "entity_id": entity_of[key],
            "key": key,
            "active": True,
        }
        for team_no, keys in enumerate(draw.teams, start=1)
        for key in keys
    ]
    session.execute(insert(Assignment), rows)
    ctx.task.status = DRAWN if ctx.task.status == PLANNED else ctx.task.status
    session.flush()
    return result_of(record)


# --- inspectors -------------------------------------------------------------------------------


def require_inspectors_pending(session: Session, ctx: DrawContext) -> Draw:
    """The targets draw the inspectors draw builds on."""
    targets = current_draw(session, ctx.task.id, PURPOSE_TARGETS)
    if targets is None:
        raise DrawRefused(
            N_("Task {code} has no targets draw yet: draw its targets first."),
            code=ctx.info.code,
        )
    drawn = current_draw(session, ctx.task.id, PURPOSE_INSPECTORS)
    if drawn is not None:
        raise DrawRefused(
            N_(
                "The inspectors of task {code} have already been drawn (draw {id}); drawing"
                " them again needs a redraw with a reason."
            ),
            code=ctx.info.code,
            id=drawn.id,
        )
    return targets


def team_targets(session: Session, targets_draw_id: int) -> list[list[str]]:
    """The teams' targets of a targets draw, from its assignments (inserted in team order),
    rather than by decompressing a record whose pool may hold 1,000,000 entries."""
    teams: dict[int, list[str]] = {}
    for team_no, key in session.execute(
        select(Assignment.team_no, Assignment.key)
        .where(Assignment.draw_id == targets_draw_id)
        .order_by(Assignment.id)
    ):
        teams.setdefault(team_no, []).append(key)
    return [teams[t] for t in sorted(teams)]


def draw_inspectors_in(
    session: Session,
    ctx: DrawContext,
    targets: Draw,
    *,
    seed: str | None,
    seed_input: str | None,
    commitment_id: int | None,
    token_hex: TokenHex,
    supersedes: int | None = None,
    reason: str | None = None,
) -> DrawResult:
    info = ctx.info
    commitment = _commitment(session, ctx, PURPOSE_INSPECTORS, commitment_id)
    targets_of_teams = team_targets(session, targets.id)
    pool = inspectors_pool_of(session, ctx, len(targets_of_teams))
    keys_of = {inspector_id: key for key, inspector_id in pool.by_key.items()}
    conflicts = conflicts_with_targets(session, ctx.task.id, targets.id, keys_of)
    chosen, chosen_input = _seed(seed, seed_input, token_hex)
    try:
        draw = draw_inspectors(
            chosen,
            info.code,
            pool.candidates,
            units=info.unit_codes,
            team_size=info.team_size,
            team_targets=targets_of_teams,
            conflicts=conflicts,
        )
    except DrawError as exc:
        raise refusal(exc, info.code) from None
    committed = _settle(
        session, ctx, PURPOSE_INSPECTORS, commitment, len(draw.pool), draw.pool_digest
    )
    draw_id = next_draw_id(session)
    record = inspectors_record(
        draw,
        draw_id=draw_id,
        targets_draw_id=targets.id,
        seed_input=chosen_input,
        actor=ctx.actor,
        at=ctx.at,
        supersedes=supersedes,
        reason=reason,
    )
    store_draw(session, task_id=ctx.task.id, record=record, at=ctx.now, supersedes_id=supersedes)
    committed.draw_id = draw_id
    rows = [
        {
            "task_id": ctx.task.id,
            "draw_id": draw_id,
            "team_no": team.team,
            "inspector_id": pool.by_key[key],
            "role": "leader" if position == 1 else "member",
            "position": position,
            "active": True,
        }
        for team in draw.teams
        for position, key in enumerate(team.members, start=1)
    ]
    session.execute(insert(TeamMember), rows)
    session.flush()
    return result_of(record)
