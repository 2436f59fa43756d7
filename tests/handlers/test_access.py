"""The access matrix: every command and every button, tried by people who may not use them.

The commands and callback patterns are read from the Application itself, so a handler
added later is tried too; a pattern without a sample here fails the test.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler

from bot.demo_city import OFFICE
from bot.offline import OfflineBot, Person
from bot.services.inspectors import availability, conflicts
from bot.services.inspectors.availability import AwayRequest
from bot.services.outbox import QuietHours
from bot.services.people import access, invites, joining, membership
from bot.services.people import profiles as people
from bot.services.people.invites import InvitePolicy
from bot.services.people.notices import NoticeContext
from bot.services.people.profiles import Profile
from bot.services.registers import directories, imports
from handlers import callbacks
from storage.db import Database
from storage.models import Draw, Entity, Plan, Task, TaskUnit, TeamMember
from tests.conftest import TZ
from tests.support.registers import count, entities_book

STRANGER = Person(9100, "路人", "zh-hans")
LIAISON_A = Person(2101, "甲联络员", "zh-hans")
LIAISON_B = Person(2102, "乙联络员", "zh-hans")
INSPECTOR_A = Person(3101, "甲检查员", "zh-hans")
GUEST_COMMANDS = {"start", "help", "lang"}
JOIN_TEXT = "本机器人供联席会议成员单位使用"
LANGUAGE_PATTERN = callbacks.LANGUAGE.pattern.pattern
CONVERSATION_PATTERNS = {
    callbacks.CALENDAR_OK.pattern.pattern,
    callbacks.CALENDAR_NO.pattern.pattern,
    callbacks.UNIT_ADD_CONFIRM.pattern.pattern,
    callbacks.UNIT_ADD_CANCEL.pattern.pattern,
    callbacks.UPLOAD_UNIT.pattern.pattern,
    callbacks.UPLOAD_KIND.pattern.pattern,
    callbacks.UPLOAD_MODE.pattern.pattern,
    # The /away and /conflict conversations (handlers/availability/).
    *(
        button.pattern.pattern
        for button in (
            callbacks.AWAY_WHO,
            callbacks.AWAY_PAGE,
            callbacks.AWAY_KIND,
            callbacks.AWAY_DAYS,
            callbacks.AWAY_SKIP,
            callbacks.AWAY_OK,
            callbacks.AWAY_NO,
            callbacks.CONFLICT_WHO,
            callbacks.CONFLICT_PAGE,
            callbacks.CONFLICT_ENTITY,
            callbacks.CONFLICT_OK,
            callbacks.CONFLICT_NO,
            # The /find and /records conversation (handlers/records/).
            callbacks.RECORD_KIND,
            callbacks.RECORD_HITS,
            callbacks.RECORD_ADD,
            callbacks.RECORD_FIELD,
            callbacks.RECORD_CHOICE,
            callbacks.RECORD_CLEAR,
            callbacks.RECORD_SKIP,
            callbacks.RECORD_OK,
            callbacks.RECORD_NO,
        )
    ),
    # The /newtask conversation (handlers/tasks/).
    *(
        button.pattern.pattern
        for button in (
            callbacks.TASK_MATTER,
            callbacks.TASK_MATTERS_OK,
            callbacks.TASK_PARTNER,
            callbacks.TASK_PARTNERS_OK,
            callbacks.TASK_NO_FILTER,
            callbacks.TASK_SAMPLING,
            callbacks.TASK_TEAM,
            callbacks.TASK_NAME,
            callbacks.TASK_OK,
            callbacks.TASK_NO,
            callbacks.PLAN_IMPORT,
            callbacks.PLAN_DISCARD,
            callbacks.DRAW_SEED_OK,
            # The office's /broadcast (handlers/broadcasts/).
            callbacks.BROADCAST_AUDIENCE,
            callbacks.BROADCAST_UNIT,
            callbacks.BROADCAST_UNITS_DONE,
            callbacks.BROADCAST_OK,
            callbacks.BROADCAST_NO,
        )
    ),
}


# Buttons of a conversation a liaison starts for their own unit (filing a document): the
# other unit's liaison gets their own unit's question, never anything of unit A.
OWN_UNIT_PATTERNS = {callbacks.DOC_NEW.pattern.pattern, callbacks.DOC_KIND.pattern.pattern}


def _profile(db: Database, telegram_id: int) -> Profile:
    found = people.load_profile(db, telegram_id, [OFFICE.telegram_id])
    assert found is not None
    return found


@pytest.fixture
def city(bot: OfflineBot, db: Database) -> dict[str, object]:
    now = datetime.now(UTC)
    policy = InvitePolicy(bot_id=bot.fake.bot_user["id"], days=14, now=now, quiet=QuietHours(TZ))
    a = membership.add_unit(db, None, "AAA", "甲单位秘密名称")
    b = membership.add_unit(db, None, "BBB", "乙单位")
    insp_a = membership.add_inspector(db, None, "AAA", "甲检查员", "41000011")
    membership.add_inspector(db, None, "AAA", "甲待邀请", "41000012")
    office = _profile(db, OFFICE.telegram_id)
    for unit, person in ((a, LIAISON_A), (b, LIAISON_B)):
        link = invites.invite_liaison(db, office, unit.id, policy)
        joining.redeem(db, link.code, person.telegram_id, person.name, policy)
    liaison_a = _profile(db, LIAISON_A.telegram_id)
    first = invites.invite_inspectors(db, liaison_a, a.id, policy, [insp_a.id])[0]
    joining.redeem(db, first.code, INSPECTOR_A.telegram_id, INSPECTOR_A.name, policy)
    pending = invites.invite_inspectors(db, liaison_a, a.id, policy)[0]
    inspector_a = _profile(db, INSPECTOR_A.telegram_id)
    user_a = inspector_a.user_id
    notices = NoticeContext(now, QuietHours(TZ))
    today = now.astimezone(TZ).date()
    away_a = availability.mark_away(
        db, inspector_a, AwayRequest(insp_a.id, "trip", today, today), notices, today
    )
    with db.unit_of_work() as uow:
        entity = Entity(uscc="91410481MA00000003", kind="enterprise", name="甲回避对象")
        uow.session.add(entity)
        uow.commit()
    conflict_a = conflicts.declare_conflict(db, inspector_a, insp_a.id, entity.id, "亲属", notices)
    kept = imports.preview_import(
        db,
        liaison_a,
        "AAA",
        "entities",
        entities_book(2),
        "甲.xlsx",
        "replace",
        now,
        "chat",
        today=now.astimezone(TZ).date(),
    )
    document_a = directories.file_document(
        db, liaison_a, "AAA", "rules", 2026, "甲单位细则秘密", "细则.pdf", b"%PDF-1.4 A", now
    )
    member_a = _team_member(db, a.id, insp_a.id, now)
    with db.unit_of_work(write=False) as uow:
        task_a = uow.session.execute(select(Task.id).where(Task.code == "A-2026-001")).scalar_one()
        draw_a = uow.session.execute(select(Draw.id).where(Draw.task_id == task_a)).scalar_one()
    return {
        "task_a": task_a,
        "draw_a": draw_a,
        "document_a": document_a.id,
        "member_a": member_a,
        "import_a": kept.import_id,
        "unit_a": a.id,
        "insp_a": insp_a.id,
        "invite_a": pending.id,
        "code_a": pending.code,
        "user_a": user_a,
        "away_a": away_a.absence.id,
        "entity_a": entity.id,
        "conflict_a": conflict_a.id,
    }


def _team_member(db: Database, unit_id: int, inspector_id: int, now: datetime) -> int:
    """Unit A's inspector on a drawn task of unit A, with a recusal asked (the notices'
    buttons name a team member)."""
    with db.unit_of_work() as uow:
        s = uow.session
        today = now.astimezone(TZ).date()
        plan = Plan(unit_id=unit_id, year=today.year, title="甲计划")
        s.add(plan)
        s.flush()
        task = Task(
            plan_id=plan.id,
            code="A-2026-001",
            name="甲任务",
            status="drawn",
            window_start=today,
            window_end=today,
        )
        s.add(task)
        s.flush()
        s.add(TaskUnit(task_id=task.id, unit_id=unit_id, position=1))
        draw = Draw(
            task_id=task.id,
            purpose="inspectors",
            algorithm="dsr-draw-v1",
            seed="0" * 64,
            pool_digest="0" * 64,
            pool_size=1,
            record=b"",
            actor="cli",
        )
        s.add(draw)
        s.flush()
        member = TeamMember(
            task_id=task.id,
            draw_id=draw.id,
            team_no=1,
            inspector_id=inspector_id,
            role="leader",
            position=1,
            recusal_status="requested",
            recusal_reason="甲回避理由",
        )
        s.add(member)
        s.flush()
        uow.commit()
        return member.id


def _secrets(city: dict[str, object]) -> list[str]:
    return [
        "甲单位秘密名称",
        "甲检查员",
        "甲待邀请",
        str(city["code_a"]),
        "41000011",
        "甲回避对象",
        "甲单位细则秘密",
    ]


def _samples(city: dict[str, object]) -> dict[str, list[str]]:
    """Callback data per registered pattern, all aimed at unit A's objects."""
    return {
        callbacks.UNIT_INVITE.pattern.pattern: [callbacks.UNIT_INVITE.data(city["unit_a"])],
        callbacks.UNIT_ADD_CONFIRM.pattern.pattern: [callbacks.UNIT_ADD_CONFIRM.data()],
        callbacks.UNIT_ADD_CANCEL.pattern.pattern: [callbacks.UNIT_ADD_CANCEL.data()],
        callbacks.INSPECTOR_INVITE.pattern.pattern: [
            callbacks.INSPECTOR_INVITE.data(city["insp_a"])
        ],
        callbacks.INSPECTORS_INVITE_ALL.pattern.pattern: [
            callbacks.INSPECTORS_INVITE_ALL.data(city["unit_a"])
        ],
        callbacks.INVITE_RESEND.pattern.pattern: [callbacks.INVITE_RESEND.data(city["invite_a"])],
        callbacks.INVITE_REVOKE.pattern.pattern: [callbacks.INVITE_REVOKE.data(city["invite_a"])],
        callbacks.PERSON_REMOVE.pattern.pattern: [callbacks.PERSON_REMOVE.data(city["user_a"])],
        callbacks.PERSON_REMOVE_CONFIRM.pattern.pattern: [
            callbacks.PERSON_REMOVE_CONFIRM.data(city["user_a"])
        ],
        callbacks.PERSON_KEEP.pattern.pattern: [callbacks.PERSON_KEEP.data()],
        callbacks.TEMPLATE.pattern.pattern: [callbacks.TEMPLATE.data("entities")],
        callbacks.UPLOAD_UNIT.pattern.pattern: [callbacks.UPLOAD_UNIT.data(city["unit_a"])],
        callbacks.UPLOAD_KIND.pattern.pattern: [callbacks.UPLOAD_KIND.data("entities")],
        callbacks.UPLOAD_MODE.pattern.pattern: [callbacks.UPLOAD_MODE.data("replace")],
        callbacks.IMPORT_APPLY.pattern.pattern: [callbacks.IMPORT_APPLY.data(city["import_a"])],
        callbacks.IMPORT_APPLY_VALID.pattern.pattern: [
            callbacks.IMPORT_APPLY_VALID.data(city["import_a"])
        ],
        callbacks.IMPORT_CONFIRM_MASS.pattern.pattern: [
            callbacks.IMPORT_CONFIRM_MASS.data(city["import_a"], 0)
        ],
        callbacks.IMPORT_DISCARD.pattern.pattern: [callbacks.IMPORT_DISCARD.data(city["import_a"])],
        callbacks.AWAY_WHO.pattern.pattern: [callbacks.AWAY_WHO.data(city["insp_a"])],
        callbacks.AWAY_PAGE.pattern.pattern: [callbacks.AWAY_PAGE.data(1)],
        callbacks.AWAY_KIND.pattern.pattern: [callbacks.AWAY_KIND.data("trip")],
        callbacks.AWAY_DAYS.pattern.pattern: [callbacks.AWAY_DAYS.data("today")],
        callbacks.AWAY_SKIP.pattern.pattern: [callbacks.AWAY_SKIP.data()],
        callbacks.AWAY_OK.pattern.pattern: [callbacks.AWAY_OK.data()],
        callbacks.AWAY_NO.pattern.pattern: [callbacks.AWAY_NO.data()],
        callbacks.AWAY_CANCEL.pattern.pattern: [callbacks.AWAY_CANCEL.data(city["away_a"])],
        callbacks.CONFLICT_WHO.pattern.pattern: [callbacks.CONFLICT_WHO.data(city["insp_a"])],
        callbacks.CONFLICT_PAGE.pattern.pattern: [callbacks.CONFLICT_PAGE.data(1)],
        callbacks.CONFLICT_ENTITY.pattern.pattern: [
            callbacks.CONFLICT_ENTITY.data(city["entity_a"])
        ],
        callbacks.CONFLICT_OK.pattern.pattern: [callbacks.CONFLICT_OK.data()],
        callbacks.CONFLICT_NO.pattern.pattern: [callbacks.CONFLICT_NO.data()],
        callbacks.CONFLICT_WITHDRAW.pattern.pattern: [
            callbacks.CONFLICT_WITHDRAW.data(city["conflict_a"])
        ],
        callbacks.UNIT_PAGE.pattern.pattern: [callbacks.UNIT_PAGE.data(city["unit_a"])],
        callbacks.UNITS_INVITE_ALL.pattern.pattern: [callbacks.UNITS_INVITE_ALL.data()],
        callbacks.DOC_NEW.pattern.pattern: [callbacks.DOC_NEW.data()],
        callbacks.DOC_KIND.pattern.pattern: [callbacks.DOC_KIND.data(0)],
        callbacks.DOC_LIST.pattern.pattern: [callbacks.DOC_LIST.data(city["unit_a"])],
        callbacks.DOC_GET.pattern.pattern: [callbacks.DOC_GET.data(city["document_a"])],
        callbacks.FILING_OK.pattern.pattern: [callbacks.FILING_OK.data(city["unit_a"])],
        callbacks.FILING_PUBLIC.pattern.pattern: [callbacks.FILING_PUBLIC.data(city["unit_a"])],
        callbacks.FILING_PUBLIC_ALL.pattern.pattern: [callbacks.FILING_PUBLIC_ALL.data("entities")],
        # Unit A's inspector record, as the record pages' buttons carry it.
        callbacks.RECORD_OPEN.pattern.pattern: [
            callbacks.RECORD_OPEN.data("inspectors", city["insp_a"])
        ],
        callbacks.RECORD_LOG.pattern.pattern: [
            callbacks.RECORD_LOG.data("inspectors", city["insp_a"])
        ],
        callbacks.RECORD_ACTIVE.pattern.pattern: [
            callbacks.RECORD_ACTIVE.data("inspectors", city["insp_a"], 0)
        ],
        callbacks.RECORD_ACTIVE_OK.pattern.pattern: [
            callbacks.RECORD_ACTIVE_OK.data("inspectors", city["insp_a"], 0)
        ],
        callbacks.RECORD_EDIT.pattern.pattern: [
            callbacks.RECORD_EDIT.data("inspectors", city["insp_a"])
        ],
        callbacks.RECORD_KIND.pattern.pattern: [callbacks.RECORD_KIND.data("inspectors")],
        callbacks.RECORD_HITS.pattern.pattern: [callbacks.RECORD_HITS.data(1)],
        callbacks.RECORD_ADD.pattern.pattern: [callbacks.RECORD_ADD.data()],
        callbacks.RECORD_FIELD.pattern.pattern: [callbacks.RECORD_FIELD.data("cert_no")],
        callbacks.RECORD_CHOICE.pattern.pattern: [callbacks.RECORD_CHOICE.data(0)],
        callbacks.RECORD_CLEAR.pattern.pattern: [callbacks.RECORD_CLEAR.data()],
        callbacks.RECORD_SKIP.pattern.pattern: [callbacks.RECORD_SKIP.data()],
        callbacks.RECORD_OK.pattern.pattern: [callbacks.RECORD_OK.data()],
        callbacks.RECORD_NO.pattern.pattern: [callbacks.RECORD_NO.data()],
        callbacks.ASSIGNMENT_ACK.pattern.pattern: [callbacks.ASSIGNMENT_ACK.data(city["member_a"])],
        callbacks.RECUSAL_ASK.pattern.pattern: [callbacks.RECUSAL_ASK.data(city["member_a"])],
        callbacks.RECUSAL_APPROVE.pattern.pattern: [
            callbacks.RECUSAL_APPROVE.data(city["member_a"])
        ],
        callbacks.RECUSAL_REFUSE.pattern.pattern: [callbacks.RECUSAL_REFUSE.data(city["member_a"])],
        # The reminders are the office's alone (nothing of unit A in them).
        callbacks.REMINDER_PAUSE.pattern.pattern: [callbacks.REMINDER_PAUSE.data("revision")],
        callbacks.REMINDER_RESUME.pattern.pattern: [callbacks.REMINDER_RESUME.data("nudge")],
        callbacks.REMINDER_TIME.pattern.pattern: [callbacks.REMINDER_TIME.data("revision")],
        callbacks.REMINDER_EVERY.pattern.pattern: [callbacks.REMINDER_EVERY.data("nudge")],
        callbacks.CALENDAR_LOAD.pattern.pattern: [callbacks.CALENDAR_LOAD.data()],
        callbacks.CALENDAR_OK.pattern.pattern: [callbacks.CALENDAR_OK.data()],
        callbacks.CALENDAR_NO.pattern.pattern: [callbacks.CALENDAR_NO.data()],
        # Tasks and drawing (handlers/tasks/): unit A's task and its draw.
        callbacks.TASK_MATTER.pattern.pattern: [callbacks.TASK_MATTER.data(1)],
        callbacks.TASK_MATTERS_OK.pattern.pattern: [callbacks.TASK_MATTERS_OK.data()],
        callbacks.TASK_PARTNER.pattern.pattern: [callbacks.TASK_PARTNER.data(city["unit_a"])],
        callbacks.TASK_PARTNERS_OK.pattern.pattern: [callbacks.TASK_PARTNERS_OK.data()],
        callbacks.TASK_NO_FILTER.pattern.pattern: [callbacks.TASK_NO_FILTER.data()],
        callbacks.TASK_SAMPLING.pattern.pattern: [callbacks.TASK_SAMPLING.data(0)],
        callbacks.TASK_TEAM.pattern.pattern: [callbacks.TASK_TEAM.data(2)],
        callbacks.TASK_NAME.pattern.pattern: [callbacks.TASK_NAME.data()],
        callbacks.TASK_OK.pattern.pattern: [callbacks.TASK_OK.data()],
        callbacks.TASK_NO.pattern.pattern: [callbacks.TASK_NO.data()],
        callbacks.TASK_PAGE.pattern.pattern: [callbacks.TASK_PAGE.data(city["task_a"])],
        callbacks.DRAW_POOLS.pattern.pattern: [callbacks.DRAW_POOLS.data(city["task_a"])],
        callbacks.DRAW_GO.pattern.pattern: [callbacks.DRAW_GO.data(city["task_a"], 1)],
        callbacks.DRAW_SEED.pattern.pattern: [callbacks.DRAW_SEED.data(city["task_a"], 1)],
        callbacks.DRAW_SEED_OK.pattern.pattern: [callbacks.DRAW_SEED_OK.data()],
        callbacks.DRAW_CERT.pattern.pattern: [callbacks.DRAW_CERT.data(city["draw_a"])],
        callbacks.PLAN_IMPORT.pattern.pattern: [callbacks.PLAN_IMPORT.data()],
        callbacks.PLAN_DISCARD.pattern.pattern: [callbacks.PLAN_DISCARD.data()],
        callbacks.SCORE_UNIT.pattern.pattern: [callbacks.SCORE_UNIT.data(city["unit_a"], 2026)],
        callbacks.SCORE_RANKING.pattern.pattern: [callbacks.SCORE_RANKING.data(2026)],
        callbacks.SCORE_SHEET.pattern.pattern: [callbacks.SCORE_SHEET.data(2026)],
        callbacks.SCORE_FREEZE.pattern.pattern: [callbacks.SCORE_FREEZE.data(2026)],
        callbacks.SCORE_FREEZE_OK.pattern.pattern: [callbacks.SCORE_FREEZE_OK.data(2026)],
        callbacks.BROADCAST_AUDIENCE.pattern.pattern: [callbacks.BROADCAST_AUDIENCE.data("all")],
        callbacks.BROADCAST_UNIT.pattern.pattern: [callbacks.BROADCAST_UNIT.data(city["unit_a"])],
        callbacks.BROADCAST_UNITS_DONE.pattern.pattern: [callbacks.BROADCAST_UNITS_DONE.data()],
        callbacks.BROADCAST_OK.pattern.pattern: [callbacks.BROADCAST_OK.data()],
        callbacks.BROADCAST_NO.pattern.pattern: [callbacks.BROADCAST_NO.data()],
        # The office's broadcast report (a broadcast the office sent).
        callbacks.BROADCAST_REPORT.pattern.pattern: [callbacks.BROADCAST_REPORT.data(1)],
        # Last: choosing a language is open to everyone and changes the reader's language.
        LANGUAGE_PATTERN: [callbacks.LANGUAGE.data("en")],
    }


def _registered(bot: OfflineBot) -> tuple[set[str], set[str]]:
    assert bot.app is not None
    commands: set[str] = set()
    patterns: set[str] = set()
    for group in bot.app.handlers.values():
        for handler in group:
            if isinstance(handler, CommandHandler):
                commands |= set(handler.commands)
            elif isinstance(handler, CallbackQueryHandler) and handler.pattern is not None:
                pattern = handler.pattern
                assert isinstance(pattern, re.Pattern)
                patterns.add(pattern.pattern)
            elif isinstance(handler, ConversationHandler):
                commands |= {
                    c
                    for h in handler.entry_points
                    if isinstance(h, CommandHandler)
                    for c in h.commands
                }
                patterns |= {
                    h.pattern.pattern
                    for h in handler.entry_points
                    if isinstance(h, CallbackQueryHandler) and isinstance(h.pattern, re.Pattern)
                }
                for state in handler.states.values():
                    patterns |= {
                        h.pattern.pattern
                        for h in state
                        if isinstance(h, CallbackQueryHandler) and isinstance(h.pattern, re.Pattern)
                    }
    return commands, patterns


async def _press_forged(bot: OfflineBot, person: Person, data: str) -> list:  # type: ignore[type-arg]
    """A tampering client presses a button the bot never showed this person."""
    assert bot.app is not None
    await bot.say(person, "/start")
    message_id = max(mid for chat, mid in bot.fake.messages if chat == person.telegram_id)
    update = bot.fake.press_button(person.telegram_id, message_id, data, forge=True)
    mark = bot.fake.mark()
    await bot.app.process_update(Update.de_json(update, bot.app.bot))
    return bot.fake.calls[mark:]


def _to(person: Person, calls: list) -> list:  # type: ignore[type-arg]
    """What reached this person's chat (the outbox may deliver others' notices meanwhile)."""
    return [c for c in calls if c.chat_id == person.telegram_id]


def _visible(calls: list) -> str:  # type: ignore[type-arg]
    parts = []
    for call in calls:
        for key in ("text", "caption"):
            if isinstance(call.params.get(key), str):
                parts.append(call.params[key])
        markup = call.params.get("reply_markup")
        if markup:
            parts.append(str(markup))
    return "\n".join(parts)


async def test_strangers_get_only_the_join_explanation(
    bot: OfflineBot, city: dict[str, object]
) -> None:
    commands, patterns = _registered(bot)
    assert {"units", "addunit", "inspectors", "invites", "people", "handover", "me"} <= commands
    for command in sorted(commands - GUEST_COMMANDS):
        calls = _to(STRANGER, await bot.say(STRANGER, f"/{command} AAA 1"))
        sent = [c for c in calls if c.method == "sendMessage"]
        assert len(sent) == 1, command
        assert JOIN_TEXT in (sent[0].text or ""), command
        assert not any(s in _visible(calls) for s in _secrets(city)), command
    samples = _samples(city)
    assert set(samples) == patterns, "every callback pattern needs samples here"
    for pattern, data_list in samples.items():
        for data in data_list:
            calls = _to(STRANGER, await _press_forged(bot, STRANGER, data))
            if pattern == LANGUAGE_PATTERN:
                continue  # choosing a language is open to everyone
            answers = [c for c in calls if c.method == "answerCallbackQuery"]
            assert answers and JOIN_TEXT in answers[0].params["text"], data
            assert [c for c in calls if c.method == "sendMessage"] == [], data


async def test_another_units_liaison_sees_and_changes_nothing(
    bot: OfflineBot, db: Database, city: dict[str, object]
) -> None:
    commands, _ = _registered(bot)
    for command in sorted(commands):
        calls = _to(LIAISON_B, await bot.say(LIAISON_B, f"/{command}"))
        leaked = [s for s in _secrets(city) if s in _visible(calls)]
        assert leaked == [], (command, leaked)
    # /records left its question open: end it, so that a conversation's buttons are
    # pressed outside it below.
    await bot.say(LIAISON_B, "/cancel")
    for pattern, data_list in _samples(city).items():
        if pattern == LANGUAGE_PATTERN:
            continue
        for data in data_list:
            calls = _to(LIAISON_B, await _press_forged(bot, LIAISON_B, data))
            visible = _visible(calls)
            if pattern == callbacks.TEMPLATE.pattern.pattern:
                # An empty template is the same for every unit: sent, holding nothing of A.
                assert [c.method for c in calls if c.method == "sendDocument"], data
                assert not any(s in visible for s in _secrets(city)), data
                continue
            if pattern in OWN_UNIT_PATTERNS:
                # Filing a document starts for the presser's own unit (乙单位), never A's.
                assert "要报送哪类文件" in visible or "请以文件形式发送" in visible, (data, visible)
                assert not any(s in visible for s in _secrets(city)), data
                continue
            refusals = ["只能管理本单位", "只有联席会议办公室", "只有成员单位联络员"]
            # An inspector's assignment, a recusal for the lead unit to decide (assignments).
            refusals += ["只有已关联执法检查人员名录", "牵头单位的联络员"]
            if pattern in CONVERSATION_PATTERNS:
                # Outside the office's own add-unit conversation the button means nothing.
                refusals = ["此按钮已失效"]
            elif pattern == callbacks.PERSON_KEEP.pattern.pattern:
                refusals = ["未做任何更改"]  # "no, keep" changes nothing for anyone
            assert any(phrase in visible for phrase in refusals), (data, visible)
            assert not any(s in visible for s in _secrets(city)), data
    # Unit A's invitation and inspector are untouched.
    pending = invites.pending_invites(db, _profile(db, LIAISON_A.telegram_id), datetime.now(UTC))
    assert [i.id for i in pending] == [city["invite_a"]]
    assert _profile(db, INSPECTOR_A.telegram_id).is_member
    assert count(db, "imports", f"status = 'preview' AND id = {city['import_a']}") == 1
    assert count(db, "unit_entities") == 0
    # Unit A's documents and filings are untouched: one document, no revision filed.
    assert count(db, "documents") == 1
    assert count(db, "revision_filings") == 0
    # Unit A's absence and declared conflict are untouched.
    assert count(db, "unavailability", f"id = {city['away_a']}") == 1
    assert count(db, "conflicts", f"id = {city['conflict_a']}") == 1
    # Unit A's directory records are untouched: nothing changed by hand, nobody deactivated.
    assert count(db, "audit_log", "action LIKE 'record.%'") == 0
    assert count(db, "inspectors", "active = false") == 0
    # The reminders are as they were: nobody but the office changes them.
    assert count(db, "reminder_settings") == 0


async def test_removed_people_are_refused(
    bot: OfflineBot, db: Database, city: dict[str, object]
) -> None:
    office = _profile(db, OFFICE.telegram_id)
    access.remove_person(
        db, office, int(str(city["user_a"])), NoticeContext(datetime.now(UTC), QuietHours(TZ))
    )
    calls = await bot.say(INSPECTOR_A, "/me")
    assert "使用权限已终止" in _visible(calls)
