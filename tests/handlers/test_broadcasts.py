"""/broadcast in the chat: the office writes (text or a file), picks the audience (a role
or units toggled on and off), sees the preview with the recipient count and confirms; the
job edits the one progress message and finishes with the report, whose button gives the
workbook. Liaisons and inspectors are refused; /cancel sends nothing."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
from sqlalchemy import delete

from bot.config import Settings
from bot.demo_city import OFFICE
from bot.fakeapi import RecordedCall
from bot.i18n import translator
from bot.jobs.broadcasts import broadcast_progress
from bot.offline import OfflineBot, Person
from bot.services.outbox import QuietHours
from bot.services.people import invites, joining, membership
from bot.services.people import profiles as people
from bot.services.people.invites import InvitePolicy
from bot.services.people.profiles import Profile
from handlers.context import DsrContext
from storage.db import Database
from storage.models import OutboxMessage
from tests.conftest import TZ
from tests.handlers.test_start import texts

LIAISON = Person(2401, "王芳", "zh-hans")
OTHER_LIAISON = Person(2402, "张伟", "zh-hans")
INSPECTOR = Person(3401, "李强", "zh-hans")
T = translator("zh_Hans")


@pytest.fixture
def settings() -> Settings:
    # No quiet hours: the broadcast goes out at once, whatever the hour.
    return Settings(  # type: ignore[call-arg]
        admin_ids=[OFFICE.telegram_id], quiet_start=time(0), quiet_end=time(0), _env_file=None
    )


def profile(db: Database, person: Person) -> Profile:
    found = people.load_profile(db, person.telegram_id, [OFFICE.telegram_id])
    assert found is not None
    return found


@pytest.fixture
def city(bot: OfflineBot, db: Database) -> dict[str, int]:
    """Two units with a liaison each, one inspector who joined, three who did not."""
    policy = InvitePolicy(
        bot_id=bot.fake.bot_user["id"], days=14, now=datetime.now(UTC), quiet=QuietHours(TZ)
    )
    scjg = membership.add_unit(db, None, "SCJG", "市场监督管理局")
    swj = membership.add_unit(db, None, "SWJ", "税务局")
    li = membership.add_inspector(db, None, "SCJG", "李强", "41000001")
    for n in range(3):
        membership.add_inspector(db, None, "SWJ", f"检查员{n}", f"4200000{n}")
    office = profile(db, OFFICE)
    for unit, person in ((scjg, LIAISON), (swj, OTHER_LIAISON)):
        link = invites.invite_liaison(db, office, unit.id, policy)
        joining.redeem(db, link.code, person.telegram_id, person.name, policy)
    code = invites.invite_inspectors(db, profile(db, LIAISON), scjg.id, policy, [li.id])[0].code
    joining.redeem(db, code, INSPECTOR.telegram_id, INSPECTOR.name, policy)
    with db.unit_of_work() as uow:
        uow.session.execute(delete(OutboxMessage))  # the setup's own notices
        uow.commit()
    return {"SCJG": scjg.id, "SWJ": swj.id}


async def progress(bot: OfflineBot) -> list[RecordedCall]:
    """One run of the broadcasts' job, then the sender (what the running bot does)."""
    assert bot.app is not None
    mark = bot.fake.mark()
    await broadcast_progress(DsrContext(bot.app))
    sender = bot.app.bot_data.sender
    assert sender is not None
    await sender.run_once()
    calls = bot.fake.calls[mark:]
    for call in calls:
        bot.render(call)
    return calls


def to(calls: list[RecordedCall], person: Person) -> list[str]:
    return [c.text or "" for c in calls if c.chat_id == person.telegram_id and c.ok]


async def test_office_broadcasts_to_all_liaisons_and_reads_the_report(
    bot: OfflineBot, city: dict[str, int]
) -> None:
    asked = texts(await bot.say(OFFICE, "/broadcast"))
    assert asked == [
        T._(
            "Write the announcement to send, or send a file (its caption is the message). "
            "/cancel to stop."
        )
    ]
    await bot.say(OFFICE, "请各单位于周五前报送年度计划。")
    shown = texts(await bot.press_label(OFFICE, T._("All liaisons")))
    preview = shown[-1]
    assert T._("Recipients: {count}", count=2) in preview
    assert T._("Not yet joined the bot: {count}", count=0) in preview
    calls = await bot.press_label(OFFICE, T._("Send"))
    started = [c for c in calls if c.chat_id == OFFICE.telegram_id and c.method == "sendMessage"]
    assert started and "1" in (started[-1].text or "")
    progress_id = started[-1].result["message_id"]
    for person in (LIAISON, OTHER_LIAISON):
        (received,) = to(calls, person)
        assert "请各单位于周五前报送年度计划。" in received
        assert received.startswith(T._("📢 Notice from the office"))
    assert to(calls, INSPECTOR) == []

    calls = await progress(bot)
    edits = [c for c in calls if c.method == "editMessageText"]
    assert [e.params["message_id"] for e in edits] == [progress_id]
    report = [c for c in calls if c.method == "sendMessage" and c.chat_id == OFFICE.telegram_id]
    assert len(report) == 1 and T._("Sent: {count}", count=2) in (report[0].text or "")
    assert texts(await progress(bot)) == []  # finished: nothing edited or sent again

    calls = await bot.press_label(OFFICE, T._("Download the report (.xlsx)"))
    (document,) = [c for c in calls if c.method == "sendDocument"]
    assert document.result["document"]["file_name"] == "broadcast-1.xlsx"


async def test_chosen_units_with_a_file(bot: OfflineBot, city: dict[str, int]) -> None:
    await bot.say(OFFICE, "/broadcast")
    await bot.send_file(OFFICE, "会议通知.pdf", b"%PDF-1.4 notice")
    await bot.press_label(OFFICE, T._("Choose units"))
    refused = await bot.press_label(OFFICE, T._("Done ({count} chosen)", count=0))
    assert any(c.method == "answerCallbackQuery" and c.params.get("show_alert") for c in refused)
    await bot.press_label(OFFICE, "税务局")
    await bot.press_label(OFFICE, "市场监督管理局")
    await bot.press_label(OFFICE, "✅ 市场监督管理局")  # pressed again: left out
    shown = texts(await bot.press_label(OFFICE, T._("Done ({count} chosen)", count=1)))
    assert T._("Recipients: {count}", count=1) in shown[-1]
    assert T._("Not yet joined the bot: {count}", count=3) in shown[-1]
    assert T._("With the file: {name}", name="会议通知.pdf") in shown[-1]
    calls = await bot.press_label(OFFICE, T._("Send"))
    (sent,) = [c for c in calls if c.method == "sendDocument" and c.ok]
    assert sent.chat_id == OTHER_LIAISON.telegram_id
    assert sent.params["caption"] == T._("📢 Notice from the office")


async def test_cancel_sends_nothing(bot: OfflineBot, city: dict[str, int]) -> None:
    await bot.say(OFFICE, "/broadcast")
    await bot.say(OFFICE, "测试")
    await bot.press_label(OFFICE, T._("Everyone"))
    calls = await bot.press_label(OFFICE, T._("Cancel"))
    assert T._("The announcement was not sent.") in texts(calls)
    assert to(calls, LIAISON) == []
    await bot.say(OFFICE, "/broadcast")
    calls = await bot.say(OFFICE, "/cancel")
    assert T._("The announcement was not sent.") in texts(calls)


@pytest.mark.parametrize("person", [LIAISON, INSPECTOR])
async def test_liaisons_and_inspectors_are_refused(
    bot: OfflineBot, city: dict[str, int], person: Person
) -> None:
    calls = await bot.say(person, "/broadcast")
    assert texts(calls) == [T._("Only the office can do this.")]
    # The conversation did not start: a text now is not a broadcast.
    calls = await bot.say(person, "大家好")
    assert all(c.chat_id == person.telegram_id for c in calls)
