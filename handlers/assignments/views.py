"""What the assignment screens show: /mytasks, the answers to the notices' buttons and
the two short conversations that ask for a reason (recusal, refusal). Plain text: names
and addresses go out as they are, no HTML to escape."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import Translator
from bot.services.draws import assignments as a
from bot.services.draws.recusals import RecusalCase
from bot.services.draws.steps import DrawResult
from handlers import callbacks


def state_name(t: Translator, state: str) -> str:
    return {
        a.WAITING: t._("not acknowledged yet"),
        a.ACKNOWLEDGED: t._("acknowledged"),
        a.RECUSAL_REQUESTED: t._("recusal requested, waiting for a decision"),
        a.WITHDRAWN: t._("withdrawn"),
        a.CANCELLED: t._("task cancelled"),
        a.ENDED: t._("ended"),
    }.get(state, state)


def _entry(t: Translator, info: a.AssignmentInfo) -> list[str]:
    role = t._("leader") if info.role == "leader" else t._("member")
    lines = [
        t._("• {code} {name}", code=info.task_code, name=info.task_name),
        t._(
            "  {start} to {end} · team {team} · {role} · {state}",
            start=t.date(info.window_start),
            end=t.date(info.window_end),
            team=info.team_no,
            role=role,
            state=state_name(t, info.state),
        ),
    ]
    if info.targets:
        lines.append(t._("  Targets: {names}", names=t.list(list(info.targets))))
    return lines


def _buttons(t: Translator, infos: Sequence[a.AssignmentInfo]) -> list[list[InlineKeyboardButton]]:
    rows = []
    for info in infos:
        row = []
        if info.state == a.WAITING:
            data = callbacks.ASSIGNMENT_ACK.data(info.member_id)
            label = t._("Acknowledge {code}", code=info.task_code)
            row.append(InlineKeyboardButton(label, callback_data=data))
        if info.open:
            data = callbacks.RECUSAL_ASK.data(info.member_id)
            label = t._("Ask for recusal: {code}", code=info.task_code)
            row.append(InlineKeyboardButton(label, callback_data=data))
        if row:
            rows.append(row)
    return rows


def my_tasks(t: Translator, mine: a.MyTasks) -> tuple[str, InlineKeyboardMarkup | None]:
    if not mine.current and not mine.past:
        return t._(
            "You have no inspection tasks yet. When you are drawn, the task comes here."
        ), None
    lines: list[str] = []
    if mine.current:
        lines.append(t._("Your current inspection tasks:"))
        for info in mine.current:
            lines += _entry(t, info)
    else:
        lines.append(t._("You have no current inspection task."))
    if mine.past:
        lines.append(t._("Earlier tasks:"))
        for info in mine.past:
            lines += _entry(t, info)
    buttons = _buttons(t, mine.current)
    return "\n".join(lines), InlineKeyboardMarkup(buttons) if buttons else None


def acknowledged(t: Translator, info: a.AssignmentInfo) -> str:
    return t._("Acknowledged: task {code}, team {team}.", code=info.task_code, team=info.team_no)


def recusal_only(t: Translator, member_id: int) -> InlineKeyboardMarkup:
    """The notice's buttons once acknowledged: recusal stays possible."""
    data = callbacks.RECUSAL_ASK.data(member_id)
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(t._("Ask for recusal"), callback_data=data)]]
    )


def ask_recusal_reason(t: Translator, info: a.AssignmentInfo) -> str:
    return t._(
        "Recusal from team {team} of task {code}: send the reason in one message (the"
        " relation to the target, for example). It goes to the lead unit's liaison and the"
        " office, never to your teammates. /cancel to stop.",
        team=info.team_no,
        code=info.task_code,
    )


def recusal_sent(t: Translator, info: a.AssignmentInfo) -> str:
    return t._(
        "Your recusal request for task {code} is sent; you will be told the decision.",
        code=info.task_code,
    )


def recusal_kept(t: Translator) -> str:
    return t._("No recusal was requested; the assignment stands.")


def approved(t: Translator, result: DrawResult, names: Mapping[str, str]) -> str:
    """``names``: certificate number -> name, so the decider reads people, not codes."""

    def who(cert: str | None) -> str:
        name = names.get(cert or "")
        return t._("{name} ({code})", name=name, code=cert) if name else str(cert)

    return t._(
        "Recusal approved. Draw {id}: {replacement} replaces {replaced} on team {team} of"
        " task {code}; the team, the liaisons and both inspectors are told.",
        id=result.id,
        replacement=who(result.replacement),
        replaced=who(result.replaced),
        team=result.teams[0].team,
        code=result.task_code,
    )


def ask_refusal_reason(t: Translator, case: RecusalCase) -> str:
    return t._(
        "Refusing the recusal of {name} ({unit}) from team {team} of task {code}: send the"
        " reason in one message; {name} will read it. /cancel to stop.",
        name=case.inspector_name,
        unit=case.unit_name,
        team=case.team_no,
        code=case.task_code,
    )


def refused(t: Translator, case: RecusalCase) -> str:
    return t._(
        "Refused; {name} is told the reason and stays on team {team} of task {code}.",
        name=case.inspector_name,
        team=case.team_no,
        code=case.task_code,
    )


def refusal_dropped(t: Translator) -> str:
    return t._("Nothing was decided; the request still waits.")
