"""The notices of a drawn task (docs/architecture.md §8): written to the outbox by the
services, in the unit of work of the draw, replacement or cancellation that causes them —
so the chat and ``dsr draw …`` at the desk notify alike, and a crash neither loses nor
duplicates one. Each is rendered in its recipient's language and has a key:

* ``assign:<member>`` — the inspector's assignment: the task, window and matters, the team
  and its leader, the targets (name, code, address; for the leader the contact person
  too), with the buttons "acknowledge" and "ask for recusal";
* ``summary:<draw>:<user>`` — each participating unit's liaison: the task, the teams, and
  which of the unit's drawn inspectors are not on the bot yet (they get no notice). A
  partner unit's liaison sees the joint task and its own members only; the lead unit's
  liaison sees every team;
* ``withdraw:<member>`` — someone told of an assignment that no longer holds (the task
  cancelled or drawn again, the member replaced). An assignment that is still waiting
  for the morning is deleted instead: nobody is told of a place and then of its loss;
* ``change:<member>:…`` — a replacement, told to the new member's teammates and to the
  liaisons, without the recusal's reason (only the approvers see it);
* ``cancel:<task>:<user>`` — the liaisons, when a drawn task is cancelled.

Assignments and summaries are not urgent (quiet hours hold them until the morning);
withdrawals are urgent — nobody should set out for a cancelled inspection — and at night
they arrive silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from bot.i18n import Translator, translator
from bot.services.draws.team_facts import (
    MemberFact,
    TaskFacts,
    liaisons,
    members_of,
    task_facts,
)
from bot.services.outbox import (
    ASSIGNMENT_ACK,
    RECUSAL_ASK,
    callback_data,
    inline_keyboard,
    notify,
)
from bot.services.people.notices import NoticeContext
from storage import outbox
from storage.models import Task, TeamMember, User

# Why an assignment is withdrawn.
CANCELLED = "cancelled"
REDRAWN = "redrawn"
REPLACED = "replaced"
RECUSED = "recused"


def t_for(user: User, ctx: NoticeContext) -> Translator:
    return translator(user.locale or ctx.default_locale)


def assign_key(member_id: int) -> str:
    return f"assign:{member_id}"


def _who(t: Translator, member: MemberFact) -> str:
    return t._("{name} ({unit})", name=member.name, unit=member.unit_name)


def _heading(t: Translator, facts: TaskFacts) -> list[str]:
    lines = [
        t._("Inspection task {code} {name}", code=facts.code, name=facts.name),
        t._(
            "Window: {start} to {end}",
            start=t.date(facts.window_start),
            end=t.date(facts.window_end),
        ),
    ]
    if facts.matters:
        lines.append(t._("Matters: {matters}", matters=t.list(list(facts.matters))))
    if len(facts.unit_names) > 1:
        lines.append(
            t._(
                "Joint task of {units}; lead unit {lead}.",
                units=t.list(list(facts.unit_names)),
                lead=facts.unit_names[0],
            )
        )
    return lines


def _target_lines(t: Translator, facts: TaskFacts, member: MemberFact) -> list[str]:
    lines = [t._("Targets:")]
    for n, target in enumerate(facts.targets.get(member.team_no, ()), start=1):
        line = t._("{n}. {name} ({code})", n=n, name=target.name, code=target.key)
        if target.address:
            line += t._(", {address}", address=target.address)
        if member.role == "leader" and target.contact:
            line += t._("; contact: {contact}", contact=target.contact)
        lines.append(line)
    return lines


def assignment_text(t: Translator, facts: TaskFacts, member: MemberFact) -> str:
    team = facts.team(member.team_no)
    others = [m for m in team if m.id != member.id and m.role != "leader"]
    lines = _heading(t, facts)
    if member.role == "leader":
        lines.append(t._("You are the leader of team {team}.", team=member.team_no))
    else:
        leader = next((m for m in team if m.role == "leader"), None)
        lines.append(
            t._(
                "You are on team {team}; its leader is {leader}.",
                team=member.team_no,
                leader=_who(t, leader) if leader is not None else "—",
            )
        )
    if others:
        lines.append(t._("Teammates: {names}", names=t.list([_who(t, m) for m in others])))
    lines += _target_lines(t, facts, member)
    lines.append(
        t._(
            "Please press “Acknowledge”. If you must not inspect one of these targets (回避),"
            " press “Ask for recusal” and give the reason; /mytasks lists your tasks."
        )
    )
    return "\n".join(lines)


def assignment_buttons(t: Translator, member_id: int) -> dict[str, object]:
    return inline_keyboard(
        [
            [
                (t._("Acknowledge"), callback_data(ASSIGNMENT_ACK, member_id)),
                (t._("Ask for recusal"), callback_data(RECUSAL_ASK, member_id)),
            ]
        ]
    )


def tell_member(session: Session, facts: TaskFacts, member: MemberFact, ctx: NoticeContext) -> bool:
    """The assignment notice of one member; False when they are not on the bot (or it was
    written before)."""
    if member.user is None:
        return False
    t = t_for(member.user, ctx)
    return notify(
        session,
        key=assign_key(member.id),
        chat_id=member.user.telegram_id,
        text=assignment_text(t, facts, member),
        reply_markup=assignment_buttons(t, member.id),
        now=ctx.now,
        quiet=ctx.quiet,
    )


# --- the liaisons' summary ----------------------------------------------------------------------


def _team_line(t: Translator, facts: TaskFacts, team_no: int, unit_id: int | None) -> str | None:
    """One team as a liaison sees it: every member for the lead unit (unit_id None), else
    the unit's own members only (None when the unit has nobody on the team)."""
    members = [m for m in facts.team(team_no) if unit_id is None or m.unit_id == unit_id]
    if not members:
        return None
    names = [
        t._("{who}, leader", who=_who(t, m)) if m.role == "leader" else _who(t, m) for m in members
    ]
    return t._(
        "Team {team}: {members}; {targets} target(s).",
        team=team_no,
        members=t.list(names),
        targets=len(facts.targets.get(team_no, ())),
    )


def summary_text(t: Translator, facts: TaskFacts, liaison: User) -> str:
    lead = liaison.liaison_unit_id == facts.lead_unit_id
    unit_id = None if lead else liaison.liaison_unit_id
    lines = [
        t._("Draw result of task {code} {name}", code=facts.code, name=facts.name),
        *_heading(t, facts)[1:],
    ]
    if not lead:
        lines.append(t._("Your unit's inspectors on this task:"))
    teams = sorted({m.team_no for m in facts.members})
    lines += [line for n in teams if (line := _team_line(t, facts, n, unit_id)) is not None]
    away = [
        m.name for m in facts.members if m.user is None and m.unit_id == liaison.liaison_unit_id
    ]
    if away:
        lines.append(
            t._(
                "Not on the bot yet, so not notified — tell them yourself or invite them"
                " (/inspectors): {names}",
                names=t.list(away),
            )
        )
    return "\n".join(lines)


def tell_liaisons(session: Session, facts: TaskFacts, draw_id: int, ctx: NoticeContext) -> int:
    """The summary for every liaison of a participating unit; how many were written."""
    written = 0
    for user in liaisons(session, facts.unit_ids):
        written += notify(
            session,
            key=f"summary:{draw_id}:{user.id}",
            chat_id=user.telegram_id,
            text=summary_text(t_for(user, ctx), facts, user),
            now=ctx.now,
            quiet=ctx.quiet,
        )
    return written


def notify_drawn(session: Session, task: Task, draw_id: int, ctx: NoticeContext) -> TaskFacts:
    """After an inspectors draw (or a redraw): every member and every liaison."""
    facts = task_facts(session, task)
    for member in facts.members:
        tell_member(session, facts, member, ctx)
    tell_liaisons(session, facts, draw_id, ctx)
    return facts


# --- withdrawals ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Withdrawal:
    why: str
    reason: str | None = None  # the cancellation's reason; a recusal's is never shown here


def _withdrawal_text(t: Translator, facts: TaskFacts, member: MemberFact, w: Withdrawal) -> str:
    params = {"code": facts.code, "name": facts.name, "team": member.team_no}
    if w.why == CANCELLED:
        text = t._("Task {code} {name} is cancelled: you no longer inspect for it.", **params)
        if w.reason:
            text += "\n" + t._("Reason: {reason}", reason=w.reason)
        return text
    if w.why == REDRAWN:
        return t._(
            "Task {code} {name} was drawn again: your place on team {team} is withdrawn."
            " If you are on a new team, a new notice follows.",
            **params,
        )
    if w.why == RECUSED:
        return t._(
            "Your recusal from team {team} of task {code} {name} is approved: you are no"
            " longer on the team. A replacement has been drawn.",
            **params,
        )
    return t._(
        "You have been replaced on team {team} of task {code} {name}: you are no longer on"
        " the team.",
        **params,
    )


def withdraw(
    session: Session,
    facts: TaskFacts,
    members: Sequence[MemberFact],
    w: Withdrawal,
    ctx: NoticeContext,
) -> int:
    """Tell each member who was told of an assignment that it no longer holds; how many
    were written. An assignment notice still pending (waiting for the morning) is deleted
    instead, with its nudges, and nobody hears of it."""
    written = 0
    sent = outbox.statuses(session, [assign_key(m.id) for m in members])
    for member in members:
        key = assign_key(member.id)
        outbox.drop_pending(session, prefix=f"nudge:{member.id}:")
        # The requester of a recusal is told its outcome whatever became of the notice.
        told = w.why == RECUSED or sent.get(key) in (outbox.SENDING, outbox.SENT)
        if sent.get(key) == outbox.PENDING:
            outbox.drop_pending(session, keys=[key])
        if not told or member.user is None:
            continue
        written += notify(
            session,
            key=f"withdraw:{member.id}",
            chat_id=member.user.telegram_id,
            text=_withdrawal_text(t_for(member.user, ctx), facts, member, w),
            urgent=True,
            now=ctx.now,
            quiet=ctx.quiet,
        )
    return written


def notify_cancelled(session: Session, task: Task, reason: str | None, ctx: NoticeContext) -> int:
    """A cancelled task: its members told of it, and its units' liaisons once it had teams."""
    facts = task_facts(session, task)
    written = withdraw(session, facts, facts.members, Withdrawal(CANCELLED, reason), ctx)
    if not facts.members:
        return written
    for user in liaisons(session, facts.unit_ids):
        t = t_for(user, ctx)
        text = t._("Task {code} {name} is cancelled.", code=facts.code, name=facts.name)
        if reason:
            text += "\n" + t._("Reason: {reason}", reason=reason)
        written += notify(
            session,
            key=f"cancel:{facts.id}:{user.id}",
            chat_id=user.telegram_id,
            text=text,
            urgent=True,
            now=ctx.now,
            quiet=ctx.quiet,
        )
    return written


# --- a replacement ----------------------------------------------------------------------------------


def _change_text(t: Translator, facts: TaskFacts, old: MemberFact, new: MemberFact) -> str:
    return t._(
        "Team {team} of task {code} {name} has changed: {old} no longer takes part;"
        " {new} takes the place (drawn by the published rule).",
        team=new.team_no,
        code=facts.code,
        name=facts.name,
        old=_who(t, old),
        new=_who(t, new),
    )


def notify_replaced(
    session: Session, task: Task, old_row: TeamMember, new_row: TeamMember, ctx: NoticeContext
) -> None:
    """After a replacement: the replaced member (withdrawn), the new member (assigned),
    the teammates and the liaisons of the lead unit and of the two members' units (the
    change, without the reason)."""
    facts = task_facts(session, task)
    old = members_of(session, [old_row])[0]
    new = next(m for m in facts.members if m.id == new_row.id)
    why = RECUSED if old_row.recusal_requested_at is not None else REPLACED
    withdraw(session, facts, [old], Withdrawal(why), ctx)
    tell_member(session, facts, new, ctx)
    for mate in facts.team(new.team_no):
        if mate.id == new.id or mate.user is None:
            continue
        notify(
            session,
            key=f"change:{new.id}:{mate.id}",
            chat_id=mate.user.telegram_id,
            text=_change_text(t_for(mate.user, ctx), facts, old, new),
            now=ctx.now,
            quiet=ctx.quiet,
        )
    units = dict.fromkeys((facts.lead_unit_id, old.unit_id, new.unit_id))
    for user in liaisons(session, units):
        notify(
            session,
            key=f"change:{new.id}:u{user.id}",
            chat_id=user.telegram_id,
            text=_change_text(t_for(user, ctx), facts, old, new),
            now=ctx.now,
            quiet=ctx.quiet,
        )


__all__ = [
    "CANCELLED",
    "RECUSED",
    "REDRAWN",
    "REPLACED",
    "Withdrawal",
    "assign_key",
    "notify_cancelled",
    "notify_drawn",
    "notify_replaced",
    "tell_member",
    "withdraw",
]
