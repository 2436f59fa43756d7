"""Assignments in the chat: the notices of a joint draw reach each inspector once, an
inspector acknowledges and another asks for recusal with a reason, the lead unit's
liaison approves, the replacement is told, the teammates see the change without the
reason; a refusal asks its reason; /mytasks shows one's own tasks only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta

import pytest

from bot.config import Settings
from bot.demo_city import OFFICE
from bot.fakeapi import FakeBotApi
from bot.offline import OfflineBot, Person
from bot.services.draws import drawing as draws
from bot.services.draws import plans
from bot.services.people import membership
from bot.services.people.notices import NoticeContext
from storage.db import Database
from tests.conftest import TZ
from tests.handlers.conftest import SPEC
from tests.support.city import City, Seeds, build_city, spec
from tests.support.people import LIAISON_TG, People, add_people

CODE = "WG-2026-007"
REASON = "本人配偶在该企业任财务负责人"


@pytest.fixture
def settings() -> Settings:
    # No quiet hours: the test must not depend on the hour it runs at; no pacing either,
    # so a notice follows a reply to the same chat within the step (the sender's own tests
    # hold the limits).
    return Settings(  # type: ignore[call-arg]
        admin_ids=[OFFICE.telegram_id],
        quiet_start=time(0),
        quiet_end=time(0),
        send_rate_per_chat=1000.0,
        send_rate_overall=1000.0,
        _env_file=None,
    )


@pytest.fixture
async def bot(db: Database, settings: Settings) -> AsyncIterator[OfflineBot]:
    import io

    membership.add_admin(db, OFFICE.telegram_id, OFFICE.name)
    session = OfflineBot(settings, db, fake=FakeBotApi(SPEC), out=io.StringIO())
    await session.start()
    yield session
    await session.stop()
    assert session.fake.violations == []


@pytest.fixture
def drawn(db: Database, settings: Settings) -> tuple[City, People, draws.DrawResult]:
    city = build_city(db)
    people = add_people(db, city, english=("SC002",))
    now = datetime.now(UTC)
    today = now.astimezone(TZ).date()
    start = today + timedelta(days=7)
    if start.year != 2026:
        for unit in ("SCJG", "SWJ"):
            plans.create_plan(db, None, unit, start.year, f"{unit} {start.year}")
    plans.create_task(
        db,
        None,
        spec(partner_codes=("SWJ",), window_start=start, window_end=start + timedelta(days=10)),
        today,
    )
    seeds = Seeds("chat")
    notices = NoticeContext(now, settings, settings.default_locale)
    draws.run_targets_draw(db, None, CODE, now=now, tz=TZ, token_hex=seeds)
    result = draws.run_inspectors_draw(
        db, None, CODE, now=now, tz=TZ, token_hex=seeds, notices=notices
    )
    return city, people, result


def _person(people: People, cert: str) -> Person:
    language = "en" if cert == "SC002" else "zh-hans"
    return Person(people.tg(cert), cert, language)


def _texts(bot: OfflineBot, chat_id: int, mark: int = 0) -> list[str]:
    return [
        str(c.params.get("text", ""))
        for c in bot.fake.calls[mark:]
        if c.method == "sendMessage" and c.chat_id == chat_id
    ]


async def test_a_joint_draw_acknowledged_and_a_recusal_replaced_in_the_chat(
    bot: OfflineBot, drawn: tuple[City, People, draws.DrawResult]
) -> None:
    _, people, result = drawn
    liaison = Person(LIAISON_TG["SCJG"], "SCJG联络员")
    partner = Person(LIAISON_TG["SWJ"], "SWJ联络员")
    await bot.say(liaison, "/start")  # the sender delivers what the draw wrote
    drawn_certs = [m for team in result.teams for m in team.members]
    for cert in drawn_certs:
        texts = _texts(bot, people.tg(cert))
        assert len(texts) == 1, cert  # exactly one notice each
        assert CODE in texts[0]
    leader, requester = result.teams[0].members
    assert (
        "担任组长" in _texts(bot, people.tg(leader))[0]
        or "leader" in _texts(bot, people.tg(leader))[0]
    )

    # The leader acknowledges from the notice; the button stays for a recusal.
    lead = _person(people, leader)
    await bot.press(lead, 1)
    popups = [c for c in bot.fake.calls if c.method == "answerCallbackQuery"]
    assert "Acknowledged" in popups[-1].params["text"] or "已确认" in popups[-1].params["text"]

    # The teammate asks for recusal with a reason; the lead unit's liaison is asked.
    asker = _person(people, requester)
    await bot.press_label(asker, "申请回避")
    mark = bot.fake.mark()
    await bot.say(asker, REASON)
    assert any("已提交" in t for t in _texts(bot, asker.telegram_id, mark))
    asked = _texts(bot, liaison.telegram_id, mark)
    assert len(asked) == 1 and REASON in asked[0]
    assert _texts(bot, partner.telegram_id, mark) == []  # a partner does not decide
    assert _texts(bot, people.tg(leader), mark) == []

    # A partner's liaison pressing the approval is refused; the lead's approves.
    mark = bot.fake.mark()
    await bot.press_label(liaison, "批准")
    replied = "\n".join(_texts(bot, liaison.telegram_id, mark))
    assert "已批准" in replied
    new_calls = bot.fake.calls[mark:]
    told_leader = "\n".join(_texts(bot, people.tg(leader), mark))
    assert ("接替" in told_leader or "takes the place" in told_leader) and REASON not in told_leader
    told_requester = "\n".join(_texts(bot, asker.telegram_id, mark))
    assert "回避申请已批准" in told_requester
    partner_text = "\n".join(_texts(bot, partner.telegram_id, mark))
    assert "接替" in partner_text and REASON not in partner_text
    newcomers = {
        c.chat_id
        for c in new_calls
        if c.method == "sendMessage"
        and CODE in str(c.params.get("text", ""))
        and "检查对象" in str(c.params.get("text", ""))
    }
    assert len(newcomers) == 1
    assert not newcomers & {people.tg(c) for c in drawn_certs}
    for call in new_calls:
        if call.chat_id != liaison.telegram_id:
            assert REASON not in str(call.params.get("text", ""))

    # /mytasks: the leader's own task, current; the requester's, withdrawn.
    mark = bot.fake.mark()
    await bot.say(lead, "/mytasks")
    mine = "\n".join(_texts(bot, lead.telegram_id, mark))
    assert CODE in mine and ("acknowledged" in mine or "已确认" in mine)
    mark = bot.fake.mark()
    await bot.say(asker, "/mytasks")
    theirs = "\n".join(_texts(bot, asker.telegram_id, mark))
    assert "已撤销" in theirs


async def test_a_refusal_asks_its_reason_and_other_presses_are_refused(
    bot: OfflineBot, drawn: tuple[City, People, draws.DrawResult]
) -> None:
    _, people, result = drawn
    office = Person(OFFICE.telegram_id, OFFICE.name)
    liaison_b = Person(LIAISON_TG["SWJ"], "SWJ联络员")
    await bot.say(office, "/start")
    member, other = result.teams[1].members
    asker = _person(people, other)
    await bot.press_label(asker, "申请回避")
    await bot.say(asker, "/cancel")
    assert any("仍然有效" in t for t in _texts(bot, asker.telegram_id))
    await bot.press_label(asker, "申请回避")
    await bot.say(asker, REASON)
    # Another unit's liaison forges the office's buttons: refused, nothing decided.
    approve = next(d for _, label, d in bot.last_buttons[office.telegram_id] if label == "批准")
    refuse = next(d for _, label, d in bot.last_buttons[office.telegram_id] if label == "不批准")
    for data in (approve, refuse):
        await bot.say(liaison_b, "/start")
        mid = max(m for chat, m in bot.fake.messages if chat == liaison_b.telegram_id)
        update = bot.fake.press_button(liaison_b.telegram_id, mid, data, forge=True)
        mark = bot.fake.mark()
        assert bot.app is not None
        from telegram import Update

        await bot.app.process_update(Update.de_json(update, bot.app.bot))
        popups = [c for c in bot.fake.calls[mark:] if c.method == "answerCallbackQuery"]
        assert "牵头单位的联络员" in popups[0].params["text"]
    # The office refuses, with a reason the requester reads.
    await bot.press_label(office, "不批准")
    mark = bot.fake.mark()
    await bot.say(office, "理由不充分，请补充说明")
    assert any("理由不充分" in t for t in _texts(bot, asker.telegram_id, mark))
    # The inspector of another team cannot acknowledge this one's place.
    stranger = _person(people, member)
    mark = bot.fake.mark()
    await bot.say(stranger, "/mytasks")
    assert CODE in "\n".join(_texts(bot, stranger.telegram_id, mark))
