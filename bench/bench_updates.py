"""Update handling through the offline transport: /start and /help from registered users
with 10,000 users in the database, against a bare PTB echo handler fed the same way in the
same run (neither with a rate limiter).

Run: .venv/bin/python bench/bench_updates.py [--updates 2000] [--users 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert
from telegram import Update
from telegram.ext import Application, MessageHandler, filters

from bot.app import OFFLINE_TOKEN, build_application
from bot.config import Settings
from bot.fakeapi import FakeBotApi
from bot.services.people.menus import signature
from bot.transport import OfflineRequest
from storage import migrate
from storage.db import Database
from storage.models import Unit, User


def seed(database: Database, users: int) -> list[int]:
    migrate.upgrade(database)
    with database.unit_of_work() as uow:
        uow.session.execute(
            insert(Unit), [{"code": f"U{i:03d}", "name": f"单位{i}"} for i in range(50)]
        )
        uow.commit()
    ids = [10_000_000 + i for i in range(users)]
    rows = [
        {
            "telegram_id": tid,
            "name": f"用户{i}",
            "liaison_unit_id": 1 + i % 50,
            "locale": "zh_Hans",
            # They joined by invitation, which set their menu.
            "menu_signature": signature({"liaison"}, "zh_Hans"),
        }
        for i, tid in enumerate(ids)
    ]
    with database.unit_of_work() as uow:
        uow.session.execute(insert(User), rows)
        uow.commit()
    return ids


def make_updates(fake: FakeBotApi, ids: list[int], count: int, rng: random.Random) -> list[dict]:  # type: ignore[type-arg]
    return [
        fake.user_message(rng.choice(ids), "/start" if i % 2 == 0 else "/help")
        for i in range(count)
    ]


async def drive(app: Application, updates: list[dict]) -> tuple[float, list[float]]:  # type: ignore[type-arg]
    await app.initialize()
    if app.post_init is not None:
        await app.post_init(app)
    await app.start()
    latencies = []
    started = time.perf_counter()
    for raw in updates:
        t0 = time.perf_counter()
        await app.process_update(Update.de_json(raw, app.bot))
        latencies.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - started
    await app.stop()
    await app.shutdown()
    return elapsed, latencies


async def echo(update: Update, _context: object) -> None:
    if update.effective_message and update.effective_message.text:
        await update.effective_message.reply_text(update.effective_message.text)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--updates", type=int, default=2000)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    rng = random.Random(20261128)
    with tempfile.TemporaryDirectory() as tmp:
        database = Database(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")
        ids = seed(database, args.users)
        settings = Settings(_env_file=None, persistence_flush_seconds=5)  # type: ignore[call-arg]

        # Rounds alternate ours and the echo, so a noisy machine hurts both alike; the
        # median round of each is reported.
        ours_runs, base_runs = [], []
        fake_ours = FakeBotApi()
        warm = build_application(settings, database=database, request=OfflineRequest(fake_ours))
        asyncio.run(drive(warm, make_updates(fake_ours, ids, 200, rng)))
        for _ in range(args.rounds):
            fake_ours = FakeBotApi()
            app = build_application(settings, database=database, request=OfflineRequest(fake_ours))
            ours_runs.append(
                asyncio.run(drive(app, make_updates(fake_ours, ids, args.updates, rng)))
            )
            fake_echo = FakeBotApi()
            request = OfflineRequest(fake_echo)
            bare = (
                Application.builder()
                .token(OFFLINE_TOKEN)
                .request(request)
                .get_updates_request(request)
                .build()
            )
            bare.add_handler(MessageHandler(filters.TEXT, echo))
            base_runs.append(
                asyncio.run(drive(bare, make_updates(fake_echo, ids, args.updates, rng)))
            )
        database.dispose()

    def median_run(runs: list[tuple[float, list[float]]]) -> tuple[float, list[float]]:
        return sorted(runs, key=lambda run: run[0])[len(runs) // 2]

    ours = median_run(ours_runs)
    base = median_run(base_runs)

    def report(name: str, result: tuple[float, list[float]]) -> float:
        elapsed, latencies = result
        rate = len(latencies) / elapsed
        print(
            f"{name:28s} {rate:8.0f} updates/s  median {statistics.median(latencies) * 1000:6.2f} ms  "
            f"p95 {statistics.quantiles(latencies, n=20)[-1] * 1000:6.2f} ms"
        )
        return rate

    ours_rate = report("dsr-bot /start + /help", ours)
    base_rate = report("bare PTB echo (baseline)", base)
    ratio = ours_rate / base_rate
    print(
        f"ratio {ratio:.2f} of the echo's throughput (target ≥ 0.50): {'met' if ratio >= 0.5 else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
