"""Broadcast throughput against Telegram's limits, enforced: ``dsr run`` delivers a
broadcast to N liaisons through the fake Bot API served over HTTP on 127.0.0.1, which
answers 429 beyond 30 messages a second overall or one a second per chat.

Figure: messages per second from the first broadcast message to the last (as the fake
received them), as a fraction of the enforced cap (30/s), and the 429s.
Baseline (same run): a bare loop — no database, no PTB — posting the same number of
messages to the same fake over HTTP at the send budget's pace (bot/ratelimit.py: 30 a
second with its 50 ms network margin per second), one at a time.

Run: .venv/bin/python bench/bench_broadcast.py [--recipients 3000]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.fakeapi import FakeBotApi, RecordedCall
from bot.ratelimit import NETWORK_MARGIN
from storage import migrate
from storage.db import Database
from tests.e2e.conftest import SPEC, TOKEN, dsr_run
from tests.support.broadcasts import TEXT, queue_broadcast, seed_liaisons
from tests.support.http_fake import serve_fake

CAP = 30.0
ENV = {"DSR_QUIET_START": "00:00", "DSR_QUIET_END": "00:00"}


def _rate(calls: list[RecordedCall]) -> float:
    times = sorted(c.at for c in calls)
    return (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0


def _refused(fake: FakeBotApi) -> int:
    return sum(1 for c in fake.calls if c.status == 429)


def _jitter(fake: FakeBotApi) -> str:
    """How the arrivals bunched: the longest gap between two sends the fake received (a
    stall on either side), and the sends that arrived within 5 ms of the one before (a
    stall's backlog arriving at once) — what makes 30 fit in one second."""
    times = sorted(c.at for c in fake.calls if c.method == "sendMessage")
    gaps = [b - a for a, b in itertools.pairwise(times)]
    if not gaps:
        return ""
    bunched = sum(1 for g in gaps if g < 0.005)
    return f"longest gap {max(gaps) * 1000:.0f} ms, {bunched} arrivals < 5 ms after the previous"


async def ours(recipients: int, workdir: Path) -> tuple[float, int, float, str]:
    url = f"sqlite:///{workdir / 'bench.sqlite3'}"
    database = Database(url)
    migrate.upgrade(database)
    seed_liaisons(database, recipients)
    queued = queue_broadcast(database)
    database.dispose()
    fake = FakeBotApi(SPEC, enforce_limits=True)
    seen = [0, 0]

    def done(_call: RecordedCall) -> bool:
        for call in fake.calls[seen[0] :]:
            if call.method == "sendMessage" and call.ok and TEXT in (call.text or ""):
                seen[1] += 1
        seen[0] = len(fake.calls)
        return seen[1] >= queued.recipients

    started = time.perf_counter()
    async with dsr_run(fake, url, workdir / "run", ENV):
        await fake.wait_for(done, timeout=max(600.0, recipients / 5))
    wall = time.perf_counter() - started
    sent = [c for c in fake.calls if c.method == "sendMessage" and c.ok and TEXT in (c.text or "")]
    return _rate(sent), _refused(fake), wall, _jitter(fake)


async def bare(recipients: int) -> tuple[float, int, str]:
    fake = FakeBotApi(SPEC, enforce_limits=True)
    step = (1.0 + NETWORK_MARGIN.total_seconds()) / CAP
    async with serve_fake(fake) as (base_url, _), httpx.AsyncClient() as client:
        start = time.monotonic()
        for i in range(recipients):
            delay = start + i * step - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            await client.post(
                f"{base_url}{TOKEN}/sendMessage",
                json={"chat_id": 20_000_000 + i, "text": f"{TEXT} {i}"},
            )
    sent = [c for c in fake.calls if c.method == "sendMessage" and c.ok]
    return _rate(sent), _refused(fake), _jitter(fake)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--recipients", type=int, default=3000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rate, refused, wall, jitter = await ours(args.recipients, Path(tmp))
    base_rate, base_refused, base_jitter = await bare(args.recipients)
    print(f"recipients: {args.recipients}; enforced cap {CAP:g}/s overall, 1/s per chat")
    print(
        f"dsr run:   {rate:.2f} msg/s = {rate / CAP:.1%} of the cap, {refused} × 429 "
        f"(process start to last delivery: {wall:.1f} s); {jitter}"
    )
    print(
        f"bare loop: {base_rate:.2f} msg/s = {base_rate / CAP:.1%} of the cap, "
        f"{base_refused} × 429; {base_jitter}"
    )
    print(f"ratio dsr/bare: {rate / base_rate:.3f}")
    print(f"load average at the end: {os.getloadavg()[0]:.1f} ({os.cpu_count()} CPUs)")


if __name__ == "__main__":
    asyncio.run(main())
