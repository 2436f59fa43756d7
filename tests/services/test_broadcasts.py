"""Office broadcasts: who they reach, one outbox row per recipient written with the
broadcast in one unit of work, quiet hours, files, the report from the rows' statuses,
the end (report notice once), the workbook, and the office alone may send one."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from bot.i18n import translator
from bot.services.broadcasts import delivery, sending
from bot.services.broadcasts.audience import Audience
from bot.services.errors import ServiceError
from bot.services.outbox import QuietHours
from bot.services.people.notices import NoticeContext
from storage.db import Database, reading
from storage.models import Broadcast, OutboxMessage, StoredFile, User
from tests.conftest import TZ
from tests.support.city import NOW, City, build_city
from tests.support.people import LIAISON_TG, OFFICE_TG, People, add_people, outbox_rows, profile

NIGHT = datetime(2026, 6, 1, 22, 0, tzinfo=TZ)
CTX = NoticeContext(NOW, QuietHours(TZ))


@pytest.fixture
def city(db: Database) -> tuple[City, People]:
    built = build_city(db)
    return built, add_people(db, built, english=("SW001",))


def _send(
    db: Database, audience: Audience, text: str = "请于周五前报送材料。", **kw: object
) -> sending.Queued:
    office = profile(db, OFFICE_TG)
    return sending.start_broadcast(db, office, audience, sending.Content(text, **kw), CTX)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kind", "units", "recipients", "not_joined"),
    [
        ("liaisons", (), 3, 0),
        ("inspectors", (), 20, 1),  # 市监无证 has no user; 市监停用's record is inactive
        ("all", (), 23, 1),
        ("units", ("HB",), 1, 0),
        ("units", ("SCJG",), 14, 1),
    ],
)
def test_preview_counts_recipients_and_those_not_yet_joined(
    db: Database,
    city: tuple[City, People],
    kind: str,
    units: tuple[str, ...],
    recipients: int,
    not_joined: int,
) -> None:
    ids = tuple(city[0].units[u] for u in units)
    found = sending.preview(db, profile(db, OFFICE_TG), Audience(kind, ids), CTX)
    assert (found.recipients, found.not_joined, found.quiet_until) == (recipients, not_joined, None)


def test_a_unit_without_liaison_is_not_yet_joined(db: Database, city: tuple[City, People]) -> None:
    with db.unit_of_work() as uow:
        uow.session.execute(
            update(User).where(User.telegram_id == LIAISON_TG["HB"]).values(active=False)
        )
        uow.commit()
    found = sending.preview(db, None, Audience("liaisons"), CTX)
    assert (found.recipients, found.not_joined) == (2, 1)


def test_one_row_per_recipient_in_their_language(db: Database, city: tuple[City, People]) -> None:
    queued = _send(db, Audience("all"))
    rows = outbox_rows(db, f"broadcast:{queued.id}:")
    assert len(rows) == queued.recipients == 23
    assert len({r.chat_id for r in rows}) == 23
    people = city[1]
    english = next(r for r in rows if r.chat_id == people.tg("SW001"))
    chinese = next(r for r in rows if r.chat_id == LIAISON_TG["SCJG"])
    assert (
        english.text.startswith("📢 Notice from the office")
        and "请于周五前报送材料。" in english.text
    )
    assert chinese.text.startswith(translator("zh_Hans")._("📢 Notice from the office"))
    assert chinese.text != english.text
    assert {r.not_before for r in rows} == {None} and not any(r.urgent for r in rows)
    assert "parse_mode" not in chinese.params


def test_at_night_the_broadcast_waits_for_the_morning(
    db: Database, city: tuple[City, People]
) -> None:
    ctx = NoticeContext(NIGHT, QuietHours(TZ))
    found = sending.preview(db, None, Audience("liaisons"), ctx)
    morning = datetime(2026, 6, 2, 8, 0, tzinfo=TZ)
    assert found.quiet_until == morning
    queued = sending.start_broadcast(
        db, None, Audience("liaisons"), sending.Content("明早开会"), ctx
    )
    assert {r.not_before for r in outbox_rows(db, f"broadcast:{queued.id}:")} == {
        morning.astimezone(UTC)
    }


def test_only_the_office_broadcasts(db: Database, city: tuple[City, People]) -> None:
    for tg in (LIAISON_TG["SCJG"], city[1].tg("SC001")):
        who = profile(db, tg)
        with pytest.raises(ServiceError, match="Only the office"):
            sending.preview(db, who, Audience("all"), CTX)
        with pytest.raises(ServiceError, match="Only the office"):
            sending.start_broadcast(db, who, Audience("all"), sending.Content("x"), CTX)
        with pytest.raises(ServiceError, match="Only the office"):
            delivery.report(db, who, 1)
    with reading(db) as session:
        assert session.execute(select(Broadcast)).first() is None


def test_bad_content_and_audience_are_refused(db: Database, city: tuple[City, People]) -> None:
    with pytest.raises(ServiceError, match="Write the message"):
        _send(db, Audience("all"), "   ")
    with pytest.raises(ServiceError, match="at most"):
        _send(db, Audience("all"), "字" * (sending.TEXT_MAX + 1))
    with pytest.raises(ServiceError, match="at least one unit"):
        _send(db, Audience("units"))
    with pytest.raises(ServiceError, match="no active unit"):
        sending.desk_audience(db, "SCJG,NOPE")
    assert sending.desk_audience(db, "scjg，HB") == Audience(
        "units", (city[0].units["SCJG"], city[0].units["HB"])
    )
    assert outbox_rows(db, "broadcast:") == []


def test_a_chat_file_goes_as_a_document_and_a_long_text_before_it(
    db: Database, city: tuple[City, People]
) -> None:
    short = _send(db, Audience("liaisons"), "附件请查收", file_id="BQACfile1", file_name="通知.pdf")
    rows = outbox_rows(db, f"broadcast:{short.id}:")
    assert {r.params["document"] for r in rows} == {"BQACfile1"}
    assert all("附件请查收" in r.params["caption"] for r in rows)
    long = _send(db, Audience("liaisons"), "长" * 1500, file_id="BQACfile1", file_name="通知.pdf")
    rows = outbox_rows(db, f"broadcast:{long.id}:")
    assert len(rows) == 6
    for chat in LIAISON_TG.values():
        text, document = [r for r in rows if r.chat_id == chat]  # in the order they are sent
        assert text.key.endswith(":text") and "长" * 1500 in text.text
        assert "caption" not in document.params and document.params["document"] == "BQACfile1"
    assert delivery.report(db, None, long.id).recipients == 3
    assert delivery.report(db, None, long.id).pending == 3


def test_a_desk_file_is_stored_once_and_referenced(db: Database, city: tuple[City, People]) -> None:
    queued = sending.start_broadcast(
        db,
        None,
        Audience("liaisons"),
        sending.Content("", file_name="a.pdf", file_data=b"%PDF-1"),
        CTX,
    )
    with reading(db) as session:
        stored = session.execute(select(StoredFile)).scalar_one()
        assert (stored.name, stored.data, stored.telegram_file_id) == ("a.pdf", b"%PDF-1", None)
    rows = outbox_rows(db, f"broadcast:{queued.id}:")
    assert {r.params["document"] for r in rows} == {f"dsr-stored-file:{stored.id}"}
    assert all(r.params["caption"] for r in rows)  # the heading


def _settle(db: Database, broadcast_id: int, statuses: list[str]) -> None:
    with db.unit_of_work() as uow:
        ids = (
            uow.session.execute(
                select(OutboxMessage.id)
                .where(OutboxMessage.key.like(f"broadcast:{broadcast_id}:%"))
                .order_by(OutboxMessage.id)
            )
            .scalars()
            .all()
        )
        for row_id, status in zip(ids, statuses, strict=False):
            uow.session.execute(
                update(OutboxMessage).where(OutboxMessage.id == row_id).values(status=status)
            )
        uow.commit()


def test_report_progress_and_finish(db: Database, city: tuple[City, People]) -> None:
    office = profile(db, OFFICE_TG)
    queued = sending.start_broadcast(
        db,
        office,
        Audience("inspectors"),
        sending.Content("请查收"),
        CTX,
        progress_chat_id=OFFICE_TG,
    )
    sending.set_progress_message(db, office, queued.id, OFFICE_TG, 77)
    _settle(db, queued.id, ["sent"] * 15 + ["failed", "blocked", "sending"])
    found = delivery.report(db, None, queued.id)
    assert found.as_json() == {
        "recipients": 20,
        "sent": 15,
        "failed": 1,
        "blocked": 1,
        "pending": 3,
        "not_joined": 1,
    }
    (step,) = delivery.progress_steps(db, "zh_Hans")
    assert (step.chat_id, step.message_id, step.changed, step.done) == (OFFICE_TG, 77, True, False)
    delivery.record_progress(db, queued.id, step.text)
    assert delivery.progress_steps(db, "zh_Hans")[0].changed is False  # never the same text twice
    assert delivery.finish(db, queued.id, CTX) is False  # still pending
    _settle(db, queued.id, ["sent"] * 20)
    (step,) = delivery.progress_steps(db, "zh_Hans")
    assert step.done and step.changed
    assert delivery.finish(db, queued.id, CTX) is True
    assert delivery.finish(db, queued.id, CTX) is False
    assert delivery.progress_steps(db, "zh_Hans") == []
    (notice,) = outbox_rows(db, "broadcast-report:")
    assert notice.chat_id == OFFICE_TG and notice.data == (f"1:bc.xlsx:{queued.id}",)
    assert "20" in notice.text and delivery.report(db, None, queued.id).finished


def test_a_desk_broadcast_finishes_without_a_report_notice(
    db: Database, city: tuple[City, People]
) -> None:
    queued = sending.start_broadcast(db, None, Audience("liaisons"), sending.Content("x"), CTX)
    _settle(db, queued.id, ["sent"] * 3)
    assert delivery.finish(db, queued.id, CTX) is True
    assert outbox_rows(db, "broadcast-report:") == []


def test_the_report_workbook_lists_recipients_and_those_not_joined(
    db: Database, city: tuple[City, People]
) -> None:
    queued = _send(db, Audience("units", (city[0].units["SCJG"],)))
    _settle(db, queued.id, ["sent", "blocked"])
    t = translator("zh_Hans")
    name, data = delivery.report_workbook(db, profile(db, OFFICE_TG), queued.id, t)
    assert name == f"broadcast-{queued.id}.xlsx"
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 1 + 14 + 1
    statuses = [r[3] for r in rows[1:]]
    assert statuses.count(t._("sent")) == 1 and statuses.count(t._("blocked the bot")) == 1
    assert statuses.count(t._("not yet joined")) == 1
    assert "市监无证" in {r[1] for r in rows}
    with pytest.raises(ServiceError, match="Only the office"):
        delivery.report_workbook(db, profile(db, LIAISON_TG["SCJG"]), queued.id, t)


def test_no_recipient_no_broadcast(db: Database) -> None:
    build_city(db)
    with pytest.raises(ServiceError, match="Nobody"):
        sending.start_broadcast(db, None, Audience("all"), sending.Content("x"), CTX)
    assert delivery.progress_steps(db, "zh_Hans") == []
    _ = timedelta
