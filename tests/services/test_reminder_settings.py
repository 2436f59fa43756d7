"""The office's controls over the reminders: pausing a kind, its time of day and interval,
the next firing of each kind; refused values and people; the desk's commands."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from types import SimpleNamespace

import pytest

from bot.services.errors import NotAllowedError, ServiceError
from bot.services.outbox import QuietHours
from bot.services.people import membership
from bot.services.people.notices import NoticeContext
from bot.services.people.profiles import Profile
from bot.services.reminders import schedule
from bot.services.reminders.revisions import RevisionRun, due_revision_reminders
from bot.services.reminders.settings import Change, change_kind
from storage.db import Database
from tests.conftest import TZ
from tests.services.conftest import Cli
from tests.support.registers import person

CONFIG = SimpleNamespace(nudge_after_hours=24.0, tz=TZ)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=TZ).astimezone(UTC)


def run(db: Database, when: datetime) -> RevisionRun:
    return due_revision_reminders(db, NoticeContext(when, QuietHours(TZ)), CONFIG)


@pytest.fixture
def office(db: Database) -> Profile:
    membership.add_unit(db, None, "SCJG", "市场监管局")
    person(db, 201, liaison_of="SCJG")
    return person(db, 100, office=True)


def test_a_paused_kind_writes_nothing_until_resumed(db: Database, office: Profile) -> None:
    dec1 = date(2026, 12, 1)
    change_kind(db, office, "revision", Change(paused=True), at(dec1, 8), CONFIG)
    assert run(db, at(dec1, 10)) == RevisionRun(0, 0)
    [_, revision] = schedule.reminder_schedule(db, office, at(dec1, 10), CONFIG)
    assert revision.settings.paused and revision.next_at is None
    change_kind(db, office, "revision", Change(paused=False), at(dec1, 11), CONFIG)
    assert run(db, at(dec1, 11)) == RevisionRun(1, 0)


def test_the_time_of_day_and_the_interval(db: Database, office: Profile) -> None:
    dec1 = date(2026, 12, 1)
    change_kind(
        db, office, "revision", Change(send_at=time(10, 30), every_days=3), at(dec1, 8), CONFIG
    )
    assert run(db, at(dec1, 10)) == RevisionRun(0, 0)  # not yet half past ten
    [_, revision] = schedule.reminder_schedule(db, office, at(dec1, 10), CONFIG)
    assert revision.next_at == at(dec1, 10, 30)
    assert run(db, at(dec1, 10, 30)) == RevisionRun(1, 0)
    # Every three days: Dec 4 (Friday), then Dec 7 (Monday).
    [_, revision] = schedule.reminder_schedule(db, office, at(dec1, 11), CONFIG)
    assert revision.next_at == at(date(2026, 12, 4), 10, 30)
    assert run(db, at(date(2026, 12, 4), 10, 30)) == RevisionRun(1, 0)
    assert run(db, at(date(2026, 12, 6), 12)) == RevisionRun(0, 0)  # Sunday


def test_outside_the_window_the_next_firing_is_the_next_window(
    db: Database, office: Profile
) -> None:
    [nudge, revision] = schedule.reminder_schedule(db, office, at(date(2026, 3, 2), 10), CONFIG)
    assert revision.next_at == at(date(2026, 6, 1), 9)
    assert nudge.next_at is None and nudge.settings.after_hours == 24.0


def test_refused_values_and_people(db: Database, office: Profile) -> None:
    liaison = person(db, 202, liaison_of="SCJG")
    now = at(date(2026, 12, 1), 9)
    with pytest.raises(NotAllowedError):
        change_kind(db, liaison, "revision", Change(paused=True), now, CONFIG)
    with pytest.raises(NotAllowedError):
        schedule.reminder_schedule(db, liaison, now, CONFIG)
    for kind, change in (
        ("revision", Change(every_days=0)),
        ("revision", Change(every_days=40)),
        ("nudge", Change(after_hours=0.5)),
        ("birthday", Change(paused=True)),
    ):
        with pytest.raises(ServiceError):
            change_kind(db, office, kind, change, now, CONFIG)
    [nudge, revision] = schedule.reminder_schedule(db, office, now, CONFIG)
    assert not nudge.settings.changed and not revision.settings.changed


def test_the_desk_lists_and_sets(cli: Cli) -> None:
    code, out, _ = cli("reminders", "set", "revision", "--at", "9点半", "--every-days", "5")
    assert code == 0 and "09:30" in out
    assert cli("reminders", "set", "nudge", "--pause")[0] == 0
    code, out, _ = cli("reminders", "list", "--json")
    listed = {k["kind"]: k for k in json.loads(out)}
    assert listed["nudge"]["paused"] is True and listed["nudge"]["next_at"] is None
    assert (listed["revision"]["send_at"], listed["revision"]["every_days"]) == ("09:30", 5)
    code, _, err = cli("reminders", "set", "nudge")
    assert code == 2 and "--pause" in err
    assert cli("reminders", "set", "revision", "--at", "25:00")[0] == 2
    assert cli("reminders", "set", "nudge", "--after-hours", "0")[0] == 1


def test_the_desk_loads_a_new_year_s_schedule(cli: Cli) -> None:
    code, out, _ = cli("calendar", "show", "2027")
    assert code == 0 and "暂定" in out
    assert cli("calendar", "set", "2027-01-01", "--off", "--name", "元旦")[0] == 0
    assert cli("calendar", "set", "2027-02-07", "--work", "--name", "春节")[0] == 0
    code, out, _ = cli("calendar", "show", "2027", "--json")
    shown = json.loads(out)
    assert shown["official"] is True
    assert [(d["day"], d["workday"]) for d in shown["days"]] == [
        ("2027-01-01", False),
        ("2027-02-07", True),
    ]
    assert cli("calendar", "set", "1.1", "--off")[0] == 2
