"""Chasing the half-year revision with a controllable clock: weekly reminders to the units
that have not filed, the office's lists, nothing on a day off or twice for one key (a
restart computes again), the night waits for the morning, a filing stops the reminders."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from types import SimpleNamespace

import pytest

from bot.services import calendar
from bot.services.outbox import QuietHours
from bot.services.people import membership
from bot.services.people.notices import NoticeContext
from bot.services.people.profiles import Profile
from bot.services.registers import filings
from bot.services.reminders.revisions import RevisionRun, due_revision_reminders
from storage.db import Database
from tests.conftest import TZ
from tests.support.registers import person, rows_of

OFFICE_TG, SCJG_TG, SW_TG = 100, 201, 202
# Reminders go out from midnight (the tests' times of day are about quiet hours).
CONFIG = SimpleNamespace(nudge_after_hours=24.0, tz=TZ)


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=TZ).astimezone(UTC)


def run(db: Database, when: datetime) -> RevisionRun:
    return due_revision_reminders(db, NoticeContext(when, QuietHours(TZ)), CONFIG)


def texts(db: Database, chat: int) -> list[str]:
    rows = rows_of(db, "SELECT payload FROM outbox WHERE chat_id = :c ORDER BY id", c=chat)
    # The payload is JSON text on SQLite and a JSON value on PostgreSQL.
    payloads = [p if isinstance(p, dict) else json.loads(p) for (p,) in rows]
    return [payload["params"]["text"] for payload in payloads]


def sent(db: Database) -> list[tuple[str, int]]:
    return [
        (str(key), int(chat))
        for key, chat in rows_of(db, "SELECT key, chat_id FROM outbox ORDER BY id")
        if str(key).startswith("revision")
    ]


@pytest.fixture
def scjg(db: Database) -> Profile:
    membership.add_unit(db, None, "SCJG", "市场监管局")
    membership.add_unit(db, None, "SW", "税务局")
    person(db, OFFICE_TG, office=True)
    person(db, SW_TG, liaison_of="SW")
    return person(db, SCJG_TG, liaison_of="SCJG")


def test_december_first_reminds_each_unit_once_whatever_the_runs(
    db: Database, scjg: Profile
) -> None:
    dec1 = date(2026, 12, 1)  # a Tuesday
    assert run(db, at(date(2026, 11, 30))) == RevisionRun(0, 0)  # the window is not open
    assert run(db, at(dec1)) == RevisionRun(2, 0)
    assert run(db, at(dec1, 15)) == RevisionRun(0, 0)  # the same day again: nothing new
    # The key: the half, the unit, the occurrence, the reader.
    assert sent(db) == [("revision:2026H2:2:0:2", SW_TG), ("revision:2026H2:1:0:3", SCJG_TG)]
    [text] = texts(db, SCJG_TG)
    assert "市场监管局" in text and "12月" in text and "/filing" in text


def test_weekly_until_the_unit_files_and_a_filing_drops_what_waits(
    db: Database, scjg: Profile
) -> None:
    run(db, at(date(2026, 12, 1)))
    assert run(db, at(date(2026, 12, 5))) == RevisionRun(0, 0)  # Saturday: a day off
    assert run(db, at(date(2026, 12, 8))) == RevisionRun(2, 0)  # a week later
    # At night the reminder is written for the morning; SCJG files before it goes out.
    assert run(db, at(date(2026, 12, 15), 22)) == RevisionRun(2, 0)
    waiting = rows_of(db, "SELECT key, not_before FROM outbox WHERE not_before IS NOT NULL")
    assert sorted(k for k, _ in waiting) == ["revision:2026H2:1:2:3", "revision:2026H2:2:2:2"]
    notices = NoticeContext(at(date(2026, 12, 15), 23), QuietHours(TZ))
    filings.file_revision(db, scjg, "SCJG", date(2026, 12, 15), notices)
    run(db, at(date(2026, 12, 16)))
    # SCJG's reminder that waited for the morning was dropped; SW's is still there.
    third = [chat for key, chat in sent(db) if key.split(":")[3] == "2"]
    assert third == [SW_TG]
    # Later weeks: only the unit that has not filed.
    before = len(sent(db))
    run(db, at(date(2026, 12, 22)))
    assert [chat for _, chat in sent(db)[before:]] == [SW_TG]


def test_after_an_outage_only_the_latest_reminder_is_sent(db: Database, scjg: Profile) -> None:
    # The bot was down from November to Dec 21 (a Monday): one reminder each, the third.
    assert run(db, at(date(2026, 12, 21))) == RevisionRun(2, 1)
    assert {key.split(":")[3] for key, _ in sent(db) if key.startswith("revision:")} == {"2"}
    # The office gets the latest list (mid-window, Dec 16), once.
    [(key, chat)] = [(k, c) for k, c in sent(db) if k.startswith("revision-office")]
    assert (key.split(":")[2], chat) == ("mid", OFFICE_TG)


def test_the_office_gets_the_laggards_mid_window_and_on_the_last_day(
    db: Database, scjg: Profile
) -> None:
    run(db, at(date(2026, 12, 1)))
    assert run(db, at(date(2026, 12, 16))).office == 1
    filings.file_revision(
        db, scjg, "SCJG", date(2026, 12, 17), NoticeContext(at(date(2026, 12, 17)), QuietHours(TZ))
    )
    assert run(db, at(date(2026, 12, 31))).office == 1
    assert [k.split(":")[2] for k, _ in sent(db) if k.startswith("revision-office")] == [
        "mid",
        "end",
    ]
    mid, end = [text for text in texts(db, OFFICE_TG) if "十二月" in text]
    assert "2 个单位" in mid and "市场监管局" in mid and "税务局" in mid
    assert "1 个单位" in end and "市场监管局" not in end and "税务局" in end
    assert run(db, at(date(2027, 1, 4))) == RevisionRun(0, 0)  # the window has closed


def test_an_office_holiday_is_a_day_off_for_reminders(db: Database, scjg: Profile) -> None:
    calendar.set_days(db, "office", [calendar.DaySetting(date(2026, 12, 1), False, "测试")])
    assert run(db, at(date(2026, 12, 1))) == RevisionRun(0, 0)
    assert run(db, at(date(2026, 12, 2))) == RevisionRun(2, 0)


def test_the_published_schedules_and_the_office_s_own_year(db: Database) -> None:
    cal = calendar.load_calendar(db)
    assert not cal.is_workday(date(2026, 10, 1)) and cal.is_workday(date(2026, 10, 10))
    assert cal.names[date(2026, 10, 1)] == "国庆节"
    assert cal.is_official(date(2026, 1, 1)) and not cal.is_official(date(2027, 6, 1))
    # The office loads 2027 when the State Council publishes it (and may correct a day).
    calendar.set_days(
        db,
        "office",
        [
            calendar.DaySetting(date(2027, 1, 1), False, "元旦"),
            calendar.DaySetting(date(2026, 10, 10), False, None),
        ],
    )
    cal = calendar.load_calendar(db)
    assert cal.is_official(date(2027, 6, 1)) and not cal.is_workday(date(2027, 1, 1))
    assert not cal.is_workday(date(2026, 10, 10))


def test_written_on_a_friday_night_it_waits_for_monday_morning(db: Database, scjg: Profile) -> None:
    # The bot was down from Dec 7; it starts again on Friday Dec 11 at 22:00.
    assert run(db, at(date(2026, 12, 11), 22)) == RevisionRun(2, 0)
    monday_8 = at(date(2026, 12, 14), 8)
    waiting = rows_of(db, "SELECT not_before FROM outbox WHERE key LIKE 'revision:%'")
    assert {_utc(nb) for (nb,) in waiting} == {monday_8}


def _utc(value: object) -> datetime:
    """A stored time as read back raw: text on SQLite, a datetime on PostgreSQL."""
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)


async def test_across_a_restart_each_liaison_is_told_once(db: Database, scjg: Profile) -> None:
    """Two runs of the bot on the same database, each running the reminders' job at
    start: the second writes nothing new, and the sender delivers one reminder each."""
    import io

    from bot.config import Settings
    from bot.fakeapi import FakeBotApi
    from bot.jobs import reminders
    from bot.offline import OfflineBot
    from tests.handlers.conftest import SPEC

    settings = Settings(quiet_start=time(0), quiet_end=time(0), _env_file=None)  # type: ignore[call-arg]
    fake = FakeBotApi(SPEC)
    for _ in range(2):  # the first run, then the restart
        bot = OfflineBot(settings, db, fake=fake, out=io.StringIO())
        await bot.start()
        try:
            assert bot.app is not None
            data = bot.app.bot_data
            data.clock = lambda: at(date(2026, 12, 1), 10)
            await reminders.send_due_reminders(SimpleNamespace(bot_data=data))  # type: ignore[arg-type]
            await data.sender.run_once()
        finally:
            await bot.stop()
    told = [c.chat_id for c in fake.calls if c.method == "sendMessage" and "修订" in (c.text or "")]
    assert sorted(told) == [SCJG_TG, SW_TG]
