"""The maintenance job: kept import previews expire 24 hours after their upload."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from bot.jobs import maintenance
from bot.offline import OfflineBot
from bot.services.registers import imports
from storage.db import Database
from tests.support.registers import NOW, entities_book, preview, rows_of, setup_units


async def test_the_job_marks_stale_previews_expired(db: Database) -> None:
    setup_units(db, "SCJG")
    stale = preview(db, entities_book(2))
    later = NOW + timedelta(hours=1)
    fresh = imports.preview_import(
        db,
        None,
        "SCJG",
        "entities",
        entities_book(3),
        "f.xlsx",
        "update",
        later,
        today=later.date(),
    )
    data = SimpleNamespace(db=db, clock=lambda: NOW + timedelta(hours=24))
    await maintenance.expire_import_previews(SimpleNamespace(bot_data=data))
    assert rows_of(db, "SELECT id, status, rows IS NULL FROM imports ORDER BY id") == [
        (stale.import_id, "expired", True),
        (fresh.import_id, "preview", False),
    ]


async def test_the_application_runs_it_hourly(bot: OfflineBot) -> None:
    assert bot.app is not None and bot.app.job_queue is not None
    [job] = bot.app.job_queue.get_jobs_by_name(maintenance.JOB_NAME)
    assert job.callback is maintenance.expire_import_previews
    assert job.trigger.interval == maintenance.EXPIRE_EVERY  # type: ignore[attr-defined]
