"""The outbox: idempotent writes, due-row claims, quiet hours, crash recovery, SKIP LOCKED."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.domain.calendar import WorkCalendar
from bot.services.outbox import (
    QuietHours,
    inline_keyboard,
    notify,
    quiet_hours_not_before,
    working_hours_not_before,
)
from storage import outbox
from storage.db import Database, reading
from storage.models import OutboxMessage, User
from tests.conftest import TZ

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai: not quiet
STALE = timedelta(seconds=30)


def _enqueue(
    db: Database,
    key: str,
    chat_id: int = 1,
    *,
    urgent: bool = False,
    not_before: datetime | None = None,
    now: datetime = T0,
) -> bool:
    with db.unit_of_work() as uow:
        inserted = outbox.enqueue(
            uow.session,
            key=key,
            chat_id=chat_id,
            method="sendMessage",
            params={"chat_id": chat_id, "text": key},
            urgent=urgent,
            not_before=not_before,
            now=now,
        )
        uow.commit()
    return inserted


def _claim(
    db: Database, now: datetime, limit: int = 10, stale_after: timedelta = STALE
) -> list[outbox.ClaimedMessage]:
    with db.unit_of_work() as uow:
        claimed = outbox.claim_due(uow.session, now, limit, stale_after)
        uow.commit()
    return claimed


def _row(db: Database, key: str) -> OutboxMessage:
    with reading(db) as session:
        return session.execute(select(OutboxMessage).where(OutboxMessage.key == key)).scalar_one()


# --------------------------------------------------------------------------- enqueue


def test_enqueue_is_idempotent(db: Database) -> None:
    assert _enqueue(db, "reminder:filing:SCJG:2026H1")
    assert not _enqueue(db, "reminder:filing:SCJG:2026H1")
    with reading(db) as session:
        assert outbox.pending_count(session) == 1


def test_a_duplicate_key_does_not_abort_the_callers_transaction(db: Database) -> None:
    """PostgreSQL aborts a transaction on IntegrityError; ON CONFLICT must not."""
    _enqueue(db, "dup")
    with db.unit_of_work() as uow:
        assert not outbox.enqueue(
            uow.session, key="dup", chat_id=1, method="sendMessage", params={}, now=T0
        )
        # The same transaction goes on to write something else and commits it.
        assert outbox.enqueue(
            uow.session, key="other", chat_id=1, method="sendMessage", params={}, now=T0
        )
        uow.commit()
    with reading(db) as session:
        assert outbox.pending_count(session) == 2


def test_nothing_is_enqueued_without_the_callers_commit(db: Database) -> None:
    with db.unit_of_work() as uow:
        outbox.enqueue(uow.session, key="k", chat_id=1, method="sendMessage", params={}, now=T0)
    with reading(db) as session:
        assert outbox.pending_count(session) == 0


def test_enqueue_refuses_a_key_the_column_cannot_hold(db: Database) -> None:
    with db.unit_of_work() as uow, pytest.raises(ValueError, match="key"):
        outbox.enqueue(uow.session, key="x" * 201, chat_id=1, method="sendMessage", params={})


# --------------------------------------------------------------------------- claims


def test_claim_order_urgent_first_then_first_written_and_limit(db: Database) -> None:
    _enqueue(db, "a", now=T0)
    _enqueue(db, "b", now=T0 - timedelta(minutes=5))  # due earlier, but written after "a"
    _enqueue(db, "c", urgent=True, now=T0)
    _enqueue(db, "d", now=T0)
    first = _claim(db, T0, limit=3)
    assert [m.key for m in first] == ["c", "a", "b"]
    assert first[0].method == "sendMessage"
    assert first[0].params == {"chat_id": 1, "text": "c"}
    assert [m.key for m in _claim(db, T0)] == ["d"]
    assert _claim(db, T0) == []  # everything is 'sending' now
    assert _row(db, "a").status == "sending"
    assert _row(db, "a").claimed_at == T0


def test_not_before_holds_a_row_until_its_time(db: Database) -> None:
    morning = T0 + timedelta(hours=3)
    _enqueue(db, "later", not_before=morning)
    assert _claim(db, morning - timedelta(seconds=1)) == []
    assert [m.key for m in _claim(db, morning)] == ["later"]


def test_claim_skips_excluded_chats(db: Database) -> None:
    _enqueue(db, "held", chat_id=7)
    _enqueue(db, "free", chat_id=8)
    with db.unit_of_work() as uow:
        claimed = outbox.claim_due(uow.session, T0, 10, STALE, exclude_chat_ids={7})
        uow.commit()
    assert [m.key for m in claimed] == ["free"]


def test_stale_claims_are_reclaimed_and_counted(db: Database) -> None:
    """A row left 'sending' by a crashed process comes back after stale_after, once."""
    _enqueue(db, "in-flight")
    assert len(_claim(db, T0)) == 1
    assert _claim(db, T0 + STALE) == []  # not older than stale_after yet
    again = _claim(db, T0 + STALE + timedelta(seconds=1))
    assert [m.key for m in again] == ["in-flight"]
    assert again[0].reclaimed and again[0].attempts == 1
    row = _row(db, "in-flight")
    assert row.claimed_at == T0 + STALE + timedelta(seconds=1)
    assert row.last_error is not None and "reclaimed" in row.last_error


def test_a_settled_row_is_never_claimed_again(db: Database) -> None:
    _enqueue(db, "done")
    (claimed,) = _claim(db, T0)
    with db.unit_of_work() as uow:
        assert outbox.mark_sent(uow.session, claimed.id, 42, T0)
        uow.commit()
    assert _claim(db, T0 + timedelta(days=1)) == []
    with db.unit_of_work() as uow:
        # A late outcome (say, from a second process) cannot undo 'sent'.
        assert not outbox.mark_retry(uow.session, claimed.id, T0, "late")
        uow.commit()
    row = _row(db, "done")
    assert (row.status, row.message_id, row.sent_at, row.attempts) == ("sent", 42, T0, 1)


def test_retry_release_and_hold(db: Database) -> None:
    _enqueue(db, "a", chat_id=5)
    _enqueue(db, "b", chat_id=5)
    a, b = _claim(db, T0)
    later = T0 + timedelta(seconds=30)
    with db.unit_of_work() as uow:
        outbox.mark_retry(uow.session, a.id, T0 + timedelta(seconds=2), "500", count_attempt=True)
        outbox.release(uow.session, [(b.id, T0 + timedelta(seconds=1))])
        assert outbox.hold_chat(uow.session, 5, later) == 2
        uow.commit()
    assert _claim(db, later - timedelta(seconds=1)) == []
    assert [m.key for m in _claim(db, later)] == ["a", "b"]
    assert (_row(db, "a").attempts, _row(db, "b").attempts) == (1, 0)


def test_mark_blocked_blocks_the_chat_and_the_user(db: Database) -> None:
    with db.unit_of_work() as uow:
        uow.session.add(User(telegram_id=5, name="张三"))
        uow.commit()
    for key in ("a", "b", "c"):
        _enqueue(db, key, chat_id=5)
    _enqueue(db, "other", chat_id=6)
    a, *_ = _claim(db, T0, limit=1)
    with db.unit_of_work() as uow:
        assert outbox.mark_blocked(uow.session, a.id, 5, "Forbidden: bot was blocked", T0) == 2
        uow.commit()
    assert {_row(db, k).status for k in ("a", "b", "c")} == {"blocked"}
    assert _row(db, "other").status == "pending"
    with reading(db) as session:
        user = session.execute(select(User).where(User.telegram_id == 5)).scalar_one()
        assert user.blocked_at == T0
        assert outbox.pending_count(session) == 1
        assert outbox.pending_count(session, chat_id=5) == 0


def test_concurrent_claimers_never_share_a_row(database_url: str) -> None:
    """Four threads, four engines, racing until the queue is empty."""
    setup = Database(database_url)
    try:
        for i in range(60):
            _enqueue(setup, f"m{i}", chat_id=i)
    finally:
        setup.dispose()
    seen: list[list[int]] = [[] for _ in range(4)]
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def claimer(index: int) -> None:
        database = Database(database_url)
        try:
            start.wait()
            while batch := _claim(database, T0, limit=3):
                seen[index].extend(m.id for m in batch)
        except BaseException as exc:
            errors.append(exc)
        finally:
            database.dispose()

    threads = [threading.Thread(target=claimer, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    everything = [row_id for ids in seen for row_id in ids]
    assert len(everything) == 60 and len(set(everything)) == 60


def test_skip_locked_hands_disjoint_rows_to_an_open_claim(database_url: str) -> None:
    """PostgreSQL: while one claim's transaction is still open, a second claimer gets the
    other rows at once instead of waiting for (or sharing) the locked ones."""
    first_db, second_db = Database(database_url), Database(database_url)
    try:
        if first_db.is_sqlite:
            pytest.skip("SQLite serialises claimers with BEGIN IMMEDIATE instead")
        for i in range(10):
            _enqueue(first_db, f"m{i}", chat_id=i)
        first_claimed = threading.Event()
        second_done = threading.Event()
        results: dict[str, list[int]] = {}
        errors: list[BaseException] = []

        def first() -> None:
            try:
                with first_db.unit_of_work() as uow:
                    batch = outbox.claim_due(uow.session, T0, 5, STALE)
                    results["first"] = [m.id for m in batch]
                    first_claimed.set()
                    # Hold the row locks until the other claimer has finished.
                    assert second_done.wait(timeout=30)
                    uow.commit()
            except BaseException as exc:
                errors.append(exc)
                first_claimed.set()

        def second() -> None:
            try:
                assert first_claimed.wait(timeout=30)
                with second_db.unit_of_work() as uow:
                    # Without SKIP LOCKED this would block on the first claimer's rows.
                    uow.session.connection().exec_driver_sql("SET LOCAL lock_timeout = '5s'")
                    batch = outbox.claim_due(uow.session, T0, 10, STALE)
                    results["second"] = [m.id for m in batch]
                    uow.commit()
            except BaseException as exc:
                errors.append(exc)
            finally:
                second_done.set()

        threads = [threading.Thread(target=first), threading.Thread(target=second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not errors
        assert len(results["first"]) == 5 and len(results["second"]) == 5
        assert set(results["first"]).isdisjoint(results["second"])
    finally:
        first_db.dispose()
        second_db.dispose()


# --------------------------------------------------------------------------- quiet hours


def _at(hour: int, minute: int = 0, day: int = 2) -> datetime:
    """A Shanghai wall-clock time on 2026-03-<day>, as UTC."""
    return datetime(2026, 3, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


@pytest.mark.parametrize(
    ("written", "wakes"),
    [
        (_at(20, 59), None),
        (_at(21, 0), _at(8, 0, day=3)),  # evening: the next morning
        (_at(23, 59), _at(8, 0, day=3)),
        (_at(0, 0, day=3), _at(8, 0, day=3)),  # after midnight: this morning
        (_at(7, 59), _at(8, 0)),
        (_at(8, 0), None),
        (_at(12, 0), None),
    ],
)
def test_quiet_hours_cross_midnight_in_shanghai(written: datetime, wakes: datetime | None) -> None:
    assert quiet_hours_not_before(written, QuietHours(TZ)) == wakes


def test_quiet_hours_follow_the_configured_zone_and_window() -> None:
    settings = Settings(timezone="Europe/Berlin", quiet_start=time(13, 0), quiet_end=time(14, 0))
    berlin = ZoneInfo("Europe/Berlin")
    noonish = datetime(2026, 7, 1, 13, 30, tzinfo=berlin)
    assert quiet_hours_not_before(noonish, settings) == datetime(
        2026, 7, 1, 14, 0, tzinfo=berlin
    ).astimezone(UTC)
    assert quiet_hours_not_before(noonish.replace(hour=14), settings) is None
    # Start equal to end means no quiet hours, as Settings.is_quiet says.
    none = QuietHours(TZ, quiet_start=time(8), quiet_end=time(8))
    assert quiet_hours_not_before(_at(3), none) is None


def test_quiet_hours_refuse_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="aware"):
        quiet_hours_not_before(datetime(2026, 3, 2, 22, 0), QuietHours(TZ))


def test_notify_holds_ordinary_notices_and_silences_urgent_ones(db: Database) -> None:
    night = _at(22, 30)
    keyboard = inline_keyboard([[("确认收到", "ack:12")]])
    with db.unit_of_work() as uow:
        assert notify(
            uow.session,
            key="n:1",
            chat_id=9,
            text="任务分配",
            reply_markup=keyboard,
            now=night,
            quiet=QuietHours(TZ),
        )
        assert notify(
            uow.session,
            key="n:2",
            chat_id=9,
            text="紧急",
            urgent=True,
            now=night,
            quiet=QuietHours(TZ),
        )
        assert not notify(
            uow.session, key="n:1", chat_id=9, text="again", now=night, quiet=QuietHours(TZ)
        )
        assert notify(uow.session, key="n:3", chat_id=9, text="白天", now=T0, quiet=QuietHours(TZ))
        uow.commit()
    ordinary, urgent, daytime = _row(db, "n:1"), _row(db, "n:2"), _row(db, "n:3")
    assert ordinary.not_before == _at(8, 0, day=3)
    assert ordinary.next_attempt_at == _at(8, 0, day=3)
    assert ordinary.payload == {
        "method": "sendMessage",
        "params": {
            "chat_id": 9,
            "text": "任务分配",
            "reply_markup": {
                "inline_keyboard": [[{"text": "确认收到", "callback_data": "ack:12"}]]
            },
        },
    }
    assert urgent.not_before is None and urgent.urgent
    assert urgent.payload["params"]["disable_notification"] is True
    assert daytime.not_before is None
    assert "disable_notification" not in daytime.payload["params"]


def test_inline_keyboard_refuses_long_callback_data() -> None:
    with pytest.raises(ValueError, match="64"):
        inline_keyboard([[("x", "ack:" + "9" * 61)]])
    with pytest.raises(ValueError, match="ASCII"):
        inline_keyboard([[("x", "确认")]])


def test_quiet_hours_follow_the_offices_time_zone() -> None:
    """DSR_TIMEZONE decides when night is: 22:00 in Los Angeles is 14:00 in Shanghai."""
    written = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
    pacific = QuietHours(ZoneInfo("America/Los_Angeles"))
    assert quiet_hours_not_before(written, pacific) == datetime(2026, 3, 2, 16, 0, tzinfo=UTC)
    assert quiet_hours_not_before(written, QuietHours(TZ)) is None


def test_reminders_written_on_a_day_off_wait_for_the_next_working_morning() -> None:
    # Oct 1-7 2026 off (National Day), Saturday Oct 10 worked.
    days = WorkCalendar(
        {date(2026, 10, d): False for d in range(1, 8)} | {date(2026, 10, 10): True}
    )
    quiet = QuietHours(TZ)

    def wake(day: date, hour: int) -> datetime | None:
        return working_hours_not_before(
            datetime.combine(day, time(hour), tzinfo=TZ).astimezone(UTC), quiet, days
        )

    def morning(day: date) -> datetime:
        return datetime.combine(day, time(8), tzinfo=TZ).astimezone(UTC)

    assert wake(date(2026, 9, 29), 10) is None  # a Tuesday at ten: now
    assert wake(date(2026, 9, 29), 22) == morning(date(2026, 9, 30))  # that night: tomorrow
    assert wake(date(2026, 9, 30), 22) == morning(date(2026, 10, 8))  # the holiday's eve
    assert wake(date(2026, 10, 3), 12) == morning(date(2026, 10, 8))  # inside it
    assert wake(date(2026, 10, 9), 23) == morning(date(2026, 10, 10))  # a worked Saturday
    assert wake(date(2026, 10, 10), 12) is None
