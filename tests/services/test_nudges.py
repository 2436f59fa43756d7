"""Nudges: computed from the database, one row per key however often (and after however
long an outage) they are computed, never delivered in quiet hours, dropped once the
assignment is acknowledged; and the job the bot runs at start and every few minutes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo

import pytest
from sqlalchemy import update

from bot.services.draws import assignments, plans
from bot.services.draws import drawing as draws
from bot.services.outbox import QuietHours
from bot.services.people.notices import NoticeContext
from bot.services.reminders.nudges import due_nudges
from storage import outbox
from storage.db import Database
from storage.models import OutboxMessage
from tests.conftest import TZ
from tests.support.city import NOW, TODAY, City, Seeds, build_city, spec
from tests.support.people import LIAISON_TG, People, add_people, outbox_rows, profile

CODE = "WG-2026-007"


@dataclass(frozen=True)
class Config:
    nudge_after_hours: float = 24.0
    quiet_start: time = time(21, 0)
    quiet_end: time = time(8, 0)
    tz: tzinfo = TZ
    default_locale: str = "zh_Hans"


@pytest.fixture
def drawn(db: Database) -> tuple[City, People, draws.DrawResult]:
    city = build_city(db)
    people = add_people(db, city)
    plans.create_task(db, None, spec(partner_codes=("SWJ",)), TODAY)
    seeds = Seeds("nudges")
    draws.run_targets_draw(db, None, CODE, now=NOW, tz=TZ, token_hex=seeds)
    result = draws.run_inspectors_draw(
        db, None, CODE, now=NOW, tz=TZ, token_hex=seeds, notices=NoticeContext(NOW, QuietHours(TZ))
    )
    return city, people, result


def _delivered(db: Database, at: datetime) -> None:
    with db.unit_of_work() as uow:
        uow.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.key.like("assign:%"))
            .values(status="sent", sent_at=at)
        )
        uow.commit()


def test_nudged_once_per_key_across_restarts_then_reported(
    db: Database, drawn: tuple[City, People, draws.DrawResult]
) -> None:
    _, people, result = drawn
    _delivered(db, NOW)
    config = Config()
    assert due_nudges(db, NOW + timedelta(hours=23), config).nudges == 0
    # One inspector acknowledges in time: never nudged.
    first = result.teams[0].members[0]
    member_ids = {r.chat_id: int(r.key.split(":")[1]) for r in outbox_rows(db, "assign:")}
    assignments.acknowledge(
        db, profile(db, people.tg(first)), member_ids[people.tg(first)], NOW, tz=TZ
    )
    later = NOW + timedelta(hours=24, minutes=5)  # 09:35 the next day
    run = due_nudges(db, later, config)
    assert (run.nudges, run.reports) == (5, 0)
    nudges = outbox_rows(db, "nudge:")
    assert people.tg(first) not in {r.chat_id for r in nudges}
    assert all(r.not_before is None and r.data for r in nudges)  # daytime; with the button
    # The job runs every few minutes, and again after a restart: nothing is written twice.
    for minutes in (10, 15, 600):
        again = due_nudges(db, later + timedelta(minutes=minutes), config)
        assert (again.nudges, again.reports) == (0, 0)
    # A day later the liaisons hear of the five still silent, each liaison of their own.
    reported = due_nudges(db, NOW + timedelta(hours=48, minutes=5), config)
    assert reported.reports == 5
    reports = outbox_rows(db, "nudge:")[5:]
    scjg = [r for r in reports if r.chat_id == LIAISON_TG["SCJG"]]
    swj = [r for r in reports if r.chat_id == LIAISON_TG["SWJ"]]
    assert (len(scjg), len(swj)) == (2, 3)
    assert all("市监" in r.text for r in scjg) and all("税务" in r.text for r in swj)
    assert due_nudges(db, NOW + timedelta(days=5), config).reports == 0


def test_a_long_outage_is_caught_up_in_one_run(
    db: Database, drawn: tuple[City, People, draws.DrawResult]
) -> None:
    _delivered(db, NOW)
    run = due_nudges(db, NOW + timedelta(days=3), Config())
    assert (run.nudges, run.reports) == (6, 6)
    assert due_nudges(db, NOW + timedelta(days=3, minutes=5), Config()).nudges == 0
    assert due_nudges(db, NOW, Config(nudge_after_hours=0)).nudges == 0


def test_a_nudge_due_at_night_waits_for_the_morning_and_is_written_once(
    db: Database, drawn: tuple[City, People, draws.DrawResult]
) -> None:
    _, people, _ = drawn
    evening = datetime(
        2026, 6, 1, 22, 30, tzinfo=TZ
    )  # delivered late (sent before 21:00 elsewhere)
    _delivered(db, evening)
    night = evening + timedelta(hours=24, minutes=1)  # 22:31: quiet hours
    morning = datetime(2026, 6, 3, 8, 0, tzinfo=TZ).astimezone(UTC)
    assert due_nudges(db, night, Config()).nudges == 6
    for step in (timedelta(hours=1), timedelta(hours=4), timedelta(hours=9, minutes=28)):
        assert due_nudges(db, night + step, Config()).nudges == 0  # the night's runs
    rows = outbox_rows(db, "nudge:")
    assert len(rows) == 6 and all(r.not_before == morning for r in rows)
    # The sender finds nothing to send before the morning, and all of them at 08:00.
    with db.unit_of_work() as uow:
        early = outbox.claim_due(
            uow.session, morning - timedelta(minutes=1), 50, timedelta(hours=1)
        )
        assert [c for c in early if c.key.startswith("nudge:")] == []
    # One inspector acknowledges at 07:00: their nudge, not sent yet, is dropped.
    acked = rows[0]
    member_id = int(acked.key.split(":")[1])
    inspector = next(c for c, tg in people.inspector_tg.items() if tg == acked.chat_id)
    assignments.acknowledge(
        db, profile(db, people.tg(inspector)), member_id, morning - timedelta(hours=1), tz=TZ
    )
    with db.unit_of_work() as uow:
        claimed = outbox.claim_due(uow.session, morning, 50, timedelta(hours=1))
    nudged = [c for c in claimed if c.key.startswith("nudge:")]
    assert len(nudged) == 5 and acked.key not in {c.key for c in nudged}


async def test_the_bot_runs_the_reminders_at_start_and_every_few_minutes(
    db: Database, drawn: tuple[City, People, draws.DrawResult]
) -> None:
    import io
    from types import SimpleNamespace

    from bot.config import Settings
    from bot.fakeapi import FakeBotApi
    from bot.jobs import reminders
    from bot.offline import OfflineBot
    from tests.handlers.conftest import SPEC

    _delivered(db, NOW)
    settings = Settings(  # type: ignore[call-arg]
        quiet_start=time(0), quiet_end=time(0), reminder_interval_seconds=120, _env_file=None
    )
    session = OfflineBot(settings, db, fake=FakeBotApi(SPEC), out=io.StringIO())
    await session.start()
    try:
        assert session.app is not None and session.app.job_queue is not None
        [job] = session.app.job_queue.get_jobs_by_name("reminders")
        assert job.trigger.interval == timedelta(seconds=120)
        # What the job does when it fires (the window of the city's task is in its past
        # for the real clock, so the job is given the draw's clock).
        data = session.app.bot_data
        data.clock = lambda: NOW + timedelta(hours=25)
        await reminders.send_due_reminders(SimpleNamespace(bot_data=data))  # type: ignore[arg-type]
        await data.sender.run_once()
        sent = [c for c in session.fake.calls if c.method == "sendMessage"]
        texts = [str(c.params.get("text")) for c in sent]
        assert len([t for t in texts if "提醒" in t and "修订" not in t]) == 6
        # The same job chases the June revision too (the window opened on June 1).
        assert any("六月修订尚未备案" in t for t in texts)
    finally:
        await session.stop()
