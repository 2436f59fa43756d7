"""Changing a drawn task's teams (docs/dsr-draw-v1.md): the replacement of a recused member,
which walks the original inspectors draw's order (no new seed), and the redraw, which
supersedes the task's current records with new ones. Records are never updated: each
change is a new record, and only the task's assignments and team members move.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.domain.draws.algorithm import (
    PURPOSE_INSPECTORS,
    PURPOSE_TARGETS,
    DrawError,
    InspectorCandidate,
    draw_replacement,
    normalise_key,
)
from bot.domain.draws.records import replacement_record
from bot.i18n import N_
from bot.services.draws.notices import (
    REDRAWN,
    Withdrawal,
    notify_drawn,
    notify_replaced,
    withdraw,
)
from bot.services.draws.plans import (
    DRAWN,
    IN_PROGRESS,
)
from bot.services.draws.pools import (
    conflicts_with_targets,
    inspector_pool,
)
from bot.services.draws.steps import (
    DrawContext,
    DrawResult,
    TokenHex,
    check_drawable,
    draw_context,
    draw_inspectors_in,
    draw_targets_in,
    result_of,
)
from bot.services.draws.store import (
    DrawRefused,
    current_draw,
    load_record,
    next_draw_id,
    refusal,
    store_draw,
)
from bot.services.draws.task_rules import status_word
from bot.services.draws.team_facts import task_facts
from bot.services.errors import ServiceError
from bot.services.outbox import QuietHours
from bot.services.people.notices import NoticeContext
from bot.services.people.profiles import Profile
from storage.bulk import gc_paused
from storage.db import Database
from storage.models import Assignment, Draw, TeamMember

# --- replacement after a recusal --------------------------------------------------------------


def _reason(reason: str | None, missing: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise ServiceError(missing)
    return text


def _current_teams(
    session: Session, inspectors_draw_id: int
) -> tuple[dict[str, Any], dict[int, list[str]], set[str]]:
    """The inspectors draw's record, each team's members as they stand after its
    replacements (in id order), and everyone ever placed."""
    base = load_record(session, inspectors_draw_id)
    members = {t["team"]: list(t["members"]) for t in base["teams"]}
    placed = set(base["selected"])
    replacements = session.execute(
        select(Draw.id).where(Draw.amends_id == inspectors_draw_id).order_by(Draw.id)
    ).scalars()
    for draw_id in list(replacements):
        record = load_record(session, draw_id)
        members[record["team"]] = list(record["teams"][0]["members"])
        placed.add(record["replacement"])
    return base, members, placed


def notice_context(now: datetime, tz: tzinfo) -> NoticeContext:
    """The notices' context when the caller passes none: quiet hours 21:00–08:00 in the
    caller's zone, the default language."""
    return NoticeContext(now, QuietHours(tz))


@dataclass(frozen=True)
class Replaced:
    """What a replacement changed: the record, and the old and new team member rows."""

    result: DrawResult
    old_member_id: int
    new_member_id: int


def replace_member(
    database: Database,
    actor: Profile | None,
    task_code: str,
    team_no: int,
    cert_no: str,
    reason: str,
    now: datetime,
    *,
    tz: tzinfo,
    notices: NoticeContext | None = None,
) -> DrawResult:
    """Replace member ``cert_no`` of team ``team_no`` after an approved recusal: the first
    inspector of the original order who was never placed on the task, is still eligible
    today, has no conflict with the team's targets and, when needed, is of the same unit.
    The replaced member, the new one, the team and the liaisons are told in the same unit
    of work (bot/services/draws/notices.py); the reason stays in the record."""
    text = _reason(reason, N_("A replacement needs a reason: the recusal that was approved."))
    with gc_paused(), database.unit_of_work() as uow:
        ctx = draw_context(uow.session, actor, task_code, now, tz)
        done = replace_in(
            uow.session, ctx, team_no, cert_no, text, notices or notice_context(now, tz)
        )
        uow.commit()
    return done.result


def _require_teams(session: Session, ctx: DrawContext) -> Draw:
    info = ctx.info
    check_drawable(ctx)
    if info.status not in (DRAWN, IN_PROGRESS):
        raise DrawRefused(
            N_("Task {code} is {status}; its teams cannot be changed."),
            code=info.code,
            status=status_word(info.status),
        )
    inspectors = current_draw(session, ctx.task.id, PURPOSE_INSPECTORS)
    if inspectors is None:
        raise DrawRefused(
            N_("The inspectors of task {code} have not been drawn yet."), code=info.code
        )
    return inspectors


def _member_key(members: dict[int, list[str]], ctx: DrawContext, team_no: int, cert_no: str) -> str:
    if team_no not in members:
        raise ServiceError(N_("Task {code} has no team {team}."), code=ctx.info.code, team=team_no)
    try:
        replaced = normalise_key(cert_no)
    except DrawError:
        replaced = cert_no
    if replaced not in members[team_no]:
        raise ServiceError(
            N_("{cert_no} is not a member of team {team} of task {code}."),
            cert_no=cert_no,
            team=team_no,
            code=ctx.info.code,
        )
    return replaced


def replace_in(
    session: Session,
    ctx: DrawContext,
    team_no: int,
    cert_no: str,
    text: str,
    notices: NoticeContext,
) -> Replaced:
    """The replacement inside the caller's unit of work (the desk's ``replace_member`` and
    an approved recusal in the chat); the caller has authorised it."""
    info = ctx.info
    inspectors = _require_teams(session, ctx)
    base, members, placed = _current_teams(session, inspectors.id)
    replaced = _member_key(members, ctx, team_no, cert_no)
    start = max(ctx.today, info.window_start)
    today_pool = inspector_pool(
        session, ctx.task, ctx.units, info.inspector_filters, start, info.window_end
    )
    status_of = {s.key: s for s in today_pool.statuses if s.key is not None}

    def still_eligible(key: str) -> str | None:
        status = status_of.get(key)
        if status is None:
            return "no longer in the inspector directory of a participating unit"
        return status.detail if status.reason is not None else None

    keys_of = {s.id: s.key for s in today_pool.statuses if s.key is not None}
    targets_draw_id = base["params"]["targets_draw_id"]
    team = next(t for t in base["teams"] if t["team"] == team_no)
    conflicts = conflicts_with_targets(session, ctx.task.id, targets_draw_id, keys_of)
    try:
        rep = draw_replacement(
            base["seed"],
            info.code,
            [InspectorCandidate(e["key"], e["unit"]) for e in base["pool"]],
            placed_on_task=placed,
            team=team_no,
            team_targets=team["targets"],
            team_members=members[team_no],
            replaced=replaced,
            still_eligible=still_eligible,
            conflicts=conflicts,
        )
    except DrawError as exc:
        raise refusal(exc, info.code) from None
    draw_id = next_draw_id(session)
    record = replacement_record(
        rep,
        draw_id=draw_id,
        amends=inspectors.id,
        seed_input=base["seed_input"],
        reason=text,
        actor=ctx.actor,
        at=ctx.at,
    )
    store_draw(session, task_id=ctx.task.id, record=record, at=ctx.now, amends_id=inspectors.id)
    position = members[team_no].index(replaced) + 1
    old = session.execute(
        select(TeamMember).where(
            TeamMember.task_id == ctx.task.id,
            TeamMember.team_no == team_no,
            TeamMember.position == position,
            TeamMember.active.is_(True),
        )
    ).scalar_one()
    new = TeamMember(
        task_id=ctx.task.id,
        draw_id=draw_id,
        team_no=team_no,
        inspector_id=status_of[rep.replacement].id,
        role=old.role,
        position=position,
        active=True,
    )
    session.add(new)
    session.flush()
    old.active = False
    old.replaced_by_id = new.id
    old.recusal_status = "approved"
    old.recusal_reason = old.recusal_reason or text
    session.flush()
    notify_replaced(session, ctx.task, old, new, notices)
    return Replaced(result_of(record), old.id, new.id)


# --- redraw -----------------------------------------------------------------------------------


def redraw(
    database: Database,
    actor: Profile | None,
    task_code: str,
    reason: str,
    now: datetime,
    *,
    purpose: str = PURPOSE_TARGETS,
    seed: str | None = None,
    seed_input: str | None = None,
    inspectors_seed: str | None = None,
    inspectors_seed_input: str | None = None,
    token_hex: TokenHex = secrets.token_hex,
    tz: tzinfo,
    notices: NoticeContext | None = None,
) -> list[DrawResult]:
    """Draw a drawn task again (rare; a reason is required). New records supersede the
    current ones, which stay as they are; the task's assignments and team members from
    the superseded draws are deactivated. Redrawing the targets redraws the inspectors
    too when they had been drawn (their teams' targets change). Whoever was told of a
    place on the old teams is told it is withdrawn; the new teams are notified as after a
    draw (bot/services/draws/notices.py), in the same unit of work."""
    text = _reason(reason, N_("A redraw needs a reason."))
    if purpose not in (PURPOSE_TARGETS, PURPOSE_INSPECTORS):
        raise ValueError(f"cannot redraw {purpose!r}")
    with gc_paused(), database.unit_of_work() as uow:
        session = uow.session
        ctx = draw_context(session, actor, task_code, now, tz)
        check_drawable(ctx)
        if ctx.info.status not in (DRAWN, IN_PROGRESS):
            raise DrawRefused(
                N_("Task {code} has not been drawn yet: use a draw, not a redraw."),
                code=ctx.info.code,
            )
        old_targets = current_draw(session, ctx.task.id, PURPOSE_TARGETS)
        old_inspectors = current_draw(session, ctx.task.id, PURPOSE_INSPECTORS)
        if purpose == PURPOSE_INSPECTORS and old_inspectors is None:
            raise DrawRefused(
                N_("The inspectors of task {code} have not been drawn yet."), code=ctx.info.code
            )
        assert old_targets is not None  # a drawn task has its targets draw
        before = task_facts(session, ctx.task)
        session.execute(
            update(TeamMember)
            .where(TeamMember.task_id == ctx.task.id, TeamMember.active.is_(True))
            .values(active=False)
        )
        results = []
        targets: Draw = old_targets
        if purpose == PURPOSE_TARGETS:
            session.execute(
                update(Assignment)
                .where(Assignment.task_id == ctx.task.id, Assignment.active.is_(True))
                .values(active=False)
            )
            result = draw_targets_in(
                session,
                ctx,
                seed=seed,
                seed_input=seed_input,
                commitment_id=None,
                token_hex=token_hex,
                supersedes=old_targets.id,
                reason=text,
            )
            results.append(result)
            targets = session.get_one(Draw, result.id)
        else:
            inspectors_seed, inspectors_seed_input = seed, seed_input
        if old_inspectors is not None:
            results.append(
                draw_inspectors_in(
                    session,
                    ctx,
                    targets,
                    seed=inspectors_seed,
                    seed_input=inspectors_seed_input,
                    commitment_id=None,
                    token_hex=token_hex,
                    supersedes=old_inspectors.id,
                    reason=text,
                )
            )
        told = notices or notice_context(now, tz)
        withdraw(session, before, before.members, Withdrawal(REDRAWN), told)
        if old_inspectors is not None:
            notify_drawn(session, ctx.task, results[-1].id, told)
        uow.commit()
    return results
