"""Recusal (回避) in the chat: the inspector asks, with a reason; the lead unit's liaisons
and the office are asked to decide; the decision reaches the inspector.

* Asking: only for one's own place, while it holds and no request is open. The request
  and its reason are kept on the team member row; the deciders get the reason with
  "approve" and "refuse" buttons (``recusal:<member>:<asked>:<user>``).
* Deciding: the office, or a liaison of the task's lead unit — whoever presses first; a
  later press is told it was decided. Approval draws the replacement by the published
  rule (bot/services/draws/changes.py, ``replace_in``, in the same unit of work), which
  tells the requester, the new member, the team and the liaisons; the reason goes into
  the replacement's audit record, never to the teammates. Refusal needs a reason, which
  the requester is told; they stay on the team and may ask again.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, tzinfo
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.i18n import N_
from bot.services.draws.assignments import AssignmentInfo, info_of, own_member
from bot.services.draws.changes import replace_in
from bot.services.draws.notices import t_for
from bot.services.draws.plans import DRAWN, IN_PROGRESS
from bot.services.draws.steps import DrawResult, draw_context
from bot.services.draws.team_facts import liaisons, members_of, office_users
from bot.services.errors import NotAllowedError, ServiceError
from bot.services.outbox import (
    RECUSAL_APPROVE,
    RECUSAL_REFUSE,
    callback_data,
    inline_keyboard,
    notify,
)
from bot.services.people.membership import actor_label
from bot.services.people.notices import NoticeContext
from bot.services.people.profiles import Profile
from storage import audit
from storage.db import Database, reading
from storage.models import Inspector, Task, TaskUnit, TeamMember, User

REASON_MAX: Final = 300
REQUESTED: Final = "requested"
REFUSED: Final = "refused"
APPROVED: Final = "approved"


@dataclass(frozen=True)
class RecusalCase:
    """A request as a decider sees it (the reason included: they judge it)."""

    member_id: int
    task_code: str
    task_name: str
    team_no: int
    inspector_name: str
    unit_name: str
    reason: str
    status: str


# A reason refused for its form: the chat asks for it again.
REASON_PROBLEMS: Final = (
    N_("Please give a reason."),
    N_("A reason can have at most 300 characters."),
)


def reason_form(reason: str) -> str:
    text = " ".join((reason or "").split())
    if not text:
        raise ServiceError(REASON_PROBLEMS[0])
    if len(text) > REASON_MAX:
        raise ServiceError(REASON_PROBLEMS[1])
    return text


# --- asking --------------------------------------------------------------------------------------


def _open_place(session: Session, actor: Profile, member_id: int) -> tuple[TeamMember, Task]:
    member, task = own_member(session, actor, member_id)
    if not member.active or task.status not in (DRAWN, IN_PROGRESS):
        raise ServiceError(
            N_("Task {code}: this assignment no longer holds; see /mytasks."), code=task.code
        )
    if member.recusal_status == REQUESTED:
        raise ServiceError(
            N_("Your recusal request for task {code} is waiting for a decision."), code=task.code
        )
    return member, task


def can_ask(database: Database, actor: Profile, member_id: int, today: date) -> AssignmentInfo:
    """Checked before the reason is asked for, so nobody types one in vain."""
    with reading(database) as session:
        member, task = _open_place(session, actor, member_id)
        return info_of(session, member, task, today)


def _today(notices: NoticeContext) -> date:
    return notices.now.astimezone(notices.quiet.tz).date()


def _deciders(session: Session, task: Task) -> list[User]:
    lead = session.execute(
        select(TaskUnit.unit_id).where(TaskUnit.task_id == task.id, TaskUnit.position == 1)
    ).scalar_one()
    found = {u.id: u for u in [*liaisons(session, [lead]), *office_users(session)]}
    return list(found.values())


def request_recusal(
    database: Database, actor: Profile, member_id: int, reason: str, notices: NoticeContext
) -> AssignmentInfo:
    text = reason_form(reason)
    with database.unit_of_work() as uow:
        session = uow.session
        member, task = _open_place(session, actor, member_id)
        member.recusal_status = REQUESTED
        member.recusal_reason = text
        member.recusal_requested_at = notices.now
        session.flush()
        case = _case(session, member, task)
        asked = int(notices.now.timestamp())
        for user in _deciders(session, task):
            t = t_for(user, notices)
            notify(
                session,
                key=f"recusal:{member.id}:{asked}:{user.id}",
                chat_id=user.telegram_id,
                text=t._(
                    "{name} ({unit}) asks to be recused from team {team} of task {code}"
                    " {task}.\nReason: {reason}",
                    name=case.inspector_name,
                    unit=case.unit_name,
                    team=case.team_no,
                    code=case.task_code,
                    task=case.task_name,
                    reason=case.reason,
                ),
                reply_markup=inline_keyboard(
                    [
                        [
                            (t._("Approve"), callback_data(RECUSAL_APPROVE, member.id)),
                            (t._("Refuse"), callback_data(RECUSAL_REFUSE, member.id)),
                        ]
                    ]
                ),
                now=notices.now,
                quiet=notices.quiet,
            )
        audit.append(
            session,
            actor=actor_label(actor),
            action="recusal.request",
            obj=f"team_member:{member.id}",
            details={"task": task.code, "team": member.team_no, "reason": text},
            at=notices.now,
        )
        info = info_of(session, member, task, _today(notices))
        uow.commit()
    return info


# --- deciding ------------------------------------------------------------------------------------


def _case(session: Session, member: TeamMember, task: Task) -> RecusalCase:
    fact = members_of(session, [member])[0]
    return RecusalCase(
        member_id=member.id,
        task_code=task.code,
        task_name=task.name,
        team_no=member.team_no,
        inspector_name=fact.name,
        unit_name=fact.unit_name,
        reason=member.recusal_reason or "",
        status=member.recusal_status or "",
    )


def _pending_case(session: Session, actor: Profile, member_id: int) -> tuple[TeamMember, Task]:
    """The request, if the actor may decide it and it is still open."""
    row = session.execute(
        select(TeamMember, Task)
        .join(Task, Task.id == TeamMember.task_id)
        .where(TeamMember.id == member_id)
    ).first()
    if row is None:
        raise ServiceError(N_("There is no such recusal request."))
    member, task = row
    lead = session.execute(
        select(TaskUnit.unit_id).where(TaskUnit.task_id == task.id, TaskUnit.position == 1)
    ).scalar_one()
    if not actor.is_office and actor.liaison_unit_id != lead:
        raise NotAllowedError(
            N_("Only the office or a liaison of the task's lead unit decides a recusal.")
        )
    if member.recusal_status != REQUESTED or not member.active:
        raise ServiceError(
            N_("This recusal request was already decided, or withdrawn; see the latest notices.")
        )
    return member, task


def recusal_case(database: Database, actor: Profile, member_id: int) -> RecusalCase:
    """Checked before a refusal's reason is asked for."""
    with reading(database) as session:
        member, task = _pending_case(session, actor, member_id)
        return _case(session, member, task)


def approve_recusal(
    database: Database, actor: Profile, member_id: int, *, tz: tzinfo, notices: NoticeContext
) -> DrawResult:
    with database.unit_of_work() as uow:
        session = uow.session
        member, task = _pending_case(session, actor, member_id)
        cert_no = session.get_one(Inspector, member.inspector_id).cert_no or ""
        # Authorised above (the lead unit's liaison may decide); the record names the actor.
        ctx = dataclasses.replace(
            draw_context(session, None, task.code, notices.now, tz), actor=actor_label(actor)
        )
        done = replace_in(
            session, ctx, member.team_no, cert_no, member.recusal_reason or "", notices
        )
        audit.append(
            session,
            actor=actor_label(actor),
            action="recusal.approve",
            obj=f"team_member:{member.id}",
            details={"task": task.code, "draw": done.result.id},
            at=notices.now,
        )
        uow.commit()
    return done.result


def refuse_recusal(
    database: Database, actor: Profile, member_id: int, reason: str, notices: NoticeContext
) -> RecusalCase:
    text = reason_form(reason)
    with database.unit_of_work() as uow:
        session = uow.session
        member, task = _pending_case(session, actor, member_id)
        member.recusal_status = REFUSED
        session.flush()
        case = _case(session, member, task)
        requester = members_of(session, [member])[0].user
        if requester is not None:
            t = t_for(requester, notices)
            asked = int((member.recusal_requested_at or notices.now).timestamp())
            notify(
                session,
                key=f"recusal-no:{member.id}:{asked}",
                chat_id=requester.telegram_id,
                text=t._(
                    "Your recusal request for team {team} of task {code} {task} was refused."
                    "\nReason: {reason}\nYou stay on the team; please acknowledge the"
                    " assignment (/mytasks).",
                    team=case.team_no,
                    code=case.task_code,
                    task=case.task_name,
                    reason=text,
                ),
                now=notices.now,
                quiet=notices.quiet,
            )
        audit.append(
            session,
            actor=actor_label(actor),
            action="recusal.refuse",
            obj=f"team_member:{member.id}",
            details={"task": task.code, "team": member.team_no, "reason": text},
            at=notices.now,
        )
        uow.commit()
    return case
