"""A 100,000-row entity directory: first import and re-import, end to end, each beside
its floor measured in the same round (docs/architecture.md §11, the 一单两库 issue).

Two paths, one use case (bot.services.registers.imports):

- the command line (``dsr import``): preview (read, validate, diff, keep the preview with
  its rows and plan) and, at once, apply by id (the plan written: entities, views, the
  change log, the audit entry);
- the chat: the same two steps, the apply through another Database (another engine and
  connection, nothing in memory from the preview: what a later apply, in another
  process, after a restart, has).

Floors: first import = a bare python-calamine read of the same file plus one raw
executemany insert (storage.bulk, ids given) of the same rows into entities and
unit_entities; re-import = a bare read plus one SELECT of the unit's rows (the columns
the diff reads).

Each round measures every figure beside its floor (the order alternates between rounds);
the ratio is taken per round and the median round reported, with the best and worst.
Peak memory: each case (and its floor) once more in a process of its own: the process's
peak resident set (VmHWM: Python, SQLite and calamine's own Rust allocations), and in
another process tracemalloc's peak (Python allocations only).

``--without NAME`` switches a kept speed-up off (sieve, plan, gc), to measure the
share of the figure it buys (gc: storage.bulk.gc_settling); ``--gc-paused`` runs the figures with cyclic garbage
collection off (storage.bulk.gc_paused), to measure what that would buy.

Run: .venv/bin/python bench/bench_import.py [--rows 100000] [--rounds 5] [--no-memory]
The generated workbook is cached under bench/out/ (git-ignored).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gc
import io
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from openpyxl import Workbook
from python_calamine import CalamineWorkbook
from sqlalchemy import select

from bot.domain.registers.uscc import check_character, org_code_check_character
from bot.services.people import membership
from bot.services.registers import imports
from storage import bulk, migrate
from storage.db import Database
from storage.models import Entity, UnitEntity

OUT = Path(__file__).resolve().parent / "out"
HEADER = [
    "市场主体名称",
    "统一社会信用代码",
    "法定代表人（负责人）",
    "经常居住地",
    "联络人",
    "联系方式",
    "行业",
    "区域",
    "风险等级",
    "类型",
    "状态",
]
NOW = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)
TODAY = NOW.date()  # the same day in the office's zone (08:00 in Shanghai)
TARGET = 2.0
MEMORY_TARGET_MB = 300


def uscc(i: int) -> str:
    """A valid, distinct code: 91 (enterprise) or 92 (individual business), Wugang's
    division code, an organisation code MA + 6 digits with its check character."""
    body = f"MA{i:06d}"
    first17 = ("92" if i % 5 == 0 else "91") + "410481" + body + org_code_check_character(body)
    return first17 + check_character(first17)


def row(i: int) -> list[object]:
    individual = i % 5 == 0
    return [
        f"舞钢市测试{'商行' if individual else '有限公司'}{i}",
        uscc(i),
        f"张{i % 100}",
        f"河南省舞钢市垭口街道{i}号",
        f"李{i % 50}",
        f"138{i:08d}",
        ("食品", "药品", "特种设备")[i % 3],
        ("垭口", "寺坡", "院岭")[i % 3],
        "ABCD"[i % 4],
        "个体工商户" if individual else "企业",
        "存续",
    ]


def workbook(rows: int) -> bytes:
    path = OUT / f"entities_{rows}.xlsx"
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        book = Workbook(write_only=True)
        sheet = book.create_sheet("检查对象名录库")
        sheet.append(HEADER)
        for i in range(rows):
            sheet.append(row(i))
        partial = path.with_suffix(".partial")
        book.save(partial)
        partial.rename(path)
    return path.read_bytes()


def fresh_database(directory: Path, name: str) -> Database:
    database = Database(f"sqlite:///{directory / name}.sqlite3")
    migrate.upgrade(database)
    membership.add_unit(database, None, "SCJG", "舞钢市市场监督管理局")
    return database


# --- the floors -------------------------------------------------------------------------


def bare_read(data: bytes) -> list[list[object]]:
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    rows = book.get_sheet_by_index(0).to_python()
    book.close()
    return rows


_KIND = {"企业": "enterprise", "个体工商户": "individual"}


def floor_first(data: bytes, database: Database) -> None:
    """Bare read, then one raw executemany into each table: the driver's executemany with
    ids given (storage.bulk, the cheapest insert there is: what the import itself uses)."""
    rows = bare_read(data)[1:]
    entities = [
        (i, r[1], _KIND[str(r[9])], r[0], r[2], r[3], "active") for i, r in enumerate(rows, start=1)
    ]
    views = [(i, 1, i, r[4], r[5], r[6], r[7], r[8]) for i, r in enumerate(rows, start=1)]
    stamp = {"created_at": NOW, "updated_at": NOW}
    with database.unit_of_work() as uow:
        bulk.insert_many(
            uow.session,
            Entity.__table__,
            ["id", "uscc", "kind", "name", "legal_rep", "address", "status"],
            entities,
            stamp,
        )
        bulk.insert_many(
            uow.session,
            UnitEntity.__table__,
            [
                "id",
                "unit_id",
                "entity_id",
                "contact_name",
                "phone",
                "industry",
                "area",
                "risk_class",
            ],
            views,
            {"active": True, **stamp},
        )
        uow.commit()


def floor_reimport(data: bytes, database: Database) -> None:
    """Bare read, then one SELECT of the unit's rows: the columns the diff needs (the
    view and its entity's facts, no timestamps), as the import selects them."""
    bare_read(data)
    e, v = Entity.__table__.c, UnitEntity.__table__.c
    with database.unit_of_work(write=False) as uow:
        uow.session.execute(
            select(
                v.id,
                v.active,
                v.entity_id,
                e.uscc,
                e.regno,
                e.kind,
                e.name,
                e.legal_rep,
                e.address,
                e.status,
                v.local_no,
                v.contact_name,
                v.phone,
                v.industry,
                v.area,
                v.risk_class,
            )
            .select_from(UnitEntity.__table__.join(Entity.__table__))
            .where(v.unit_id == 1)
        ).all()


# --- the figures --------------------------------------------------------------------------


def preview_then_apply(
    data: bytes, database: Database, rows: int, expect_new: bool, path: str = "cli"
) -> None:
    """One import, preview then apply by id. ``path="chat"``: the apply through a
    Database of its own (another engine, nothing in memory from the preview)."""
    preview = imports.preview_import(
        database,
        None,
        "SCJG",
        "entities",
        data,
        "entities.xlsx",
        "update",
        NOW,
        path,
        today=NOW.date(),
    )
    counts = preview.counts
    assert counts.errors == 0, preview.problems[:3]
    assert (counts.new if expect_new else counts.unchanged) == rows, counts
    applying = database if path == "cli" else Database(database.url)
    result = imports.apply_import(applying, None, preview.import_id or 0, NOW)
    if applying is not database:
        applying.dispose()
    assert (result.counts.new if expect_new else result.counts.unchanged) == rows


@contextlib.contextmanager
def _no_settling() -> Iterator[Callable[[], None]]:
    yield lambda: None


def switch_off(names: list[str]) -> None:
    """Switch kept speed-ups off (--without), to measure what each buys."""
    from bot.services.registers import import_apply

    for name in names:
        if name == "sieve":
            imports.SIEVE = False
        elif name == "gc":
            imports.gc_settling = import_apply.gc_settling = _no_settling  # type: ignore[assignment]
        elif name == "plan":
            import_apply._planned = lambda *_: None  # type: ignore[assignment]
        else:
            raise SystemExit(f"unknown speed-up: {name}")


OPTIONS = {"gc_paused": False}  # --gc-paused


def timed(action: Callable[[], None]) -> tuple[float, float]:
    """Wall time (the figure: what the person waits) and CPU time of every thread."""
    gc.collect()
    start, cpu = time.perf_counter(), time.process_time()
    with bulk.gc_paused() if OPTIONS["gc_paused"] else contextlib.nullcontext():
        action()
    return time.perf_counter() - start, time.process_time() - cpu


def child(case: str, directory: Path, populated: Path, *, trace: bool, extra: list[str]) -> float:
    """Run one case in a fresh process; its peak memory in MB (RSS, or tracemalloc's)."""
    target = directory / f"{case}-{trace}.sqlite3"
    if case.endswith("again"):
        shutil.copy(populated, target)
    command = [sys.executable, __file__, "--child", case, str(target), *extra]
    if trace:
        command.append("--trace")
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return float(done.stdout.strip().splitlines()[-1])


def run_child(case: str, path: str, trace: bool, rows: int) -> None:
    data = workbook(rows)
    database = Database(f"sqlite:///{path}")
    migrate.upgrade(database)
    if not case.endswith("again"):
        membership.add_unit(database, None, "SCJG", "舞钢市市场监督管理局")
    if trace:
        tracemalloc.start()
    route, _, step = case.partition("-")
    if route == "floor":
        (floor_first if step == "first" else floor_reimport)(data, database)
    else:
        preview_then_apply(data, database, rows, step == "first", route)
    if trace:
        print(tracemalloc.get_traced_memory()[1] / 2**20)
    else:
        print(peak_rss_mb())


def peak_rss_mb() -> float:
    """This process's peak resident set. VmHWM, not ru_maxrss: Linux carries ru_maxrss
    over exec, so a child started by a big parent would report the parent's size."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


Timing = tuple[float, float]  # wall, CPU


def one_round(n: int, data: bytes, directory: Path, rows: int) -> dict[str, Timing]:
    """Every figure and floor once, each on its own database; who goes first turns from
    round to round, so that none always meets a warmer (or busier) machine."""
    databases = {name: fresh_database(directory, f"{name}{n}") for name in ("floor", "cli", "chat")}
    turn = ["floor", "cli", "chat"][n % 3 :] + ["floor", "cli", "chat"][: n % 3]
    found: dict[str, Timing] = {}
    for step in ("first", "again"):  # a re-import needs its database's first import
        for name in turn:
            database = databases[name]
            if name == "floor":
                floor = floor_first if step == "first" else floor_reimport
                action = functools.partial(floor, data, database)
            else:
                action = functools.partial(
                    preview_then_apply, data, database, rows, step == "first", name
                )
            found[f"{name}-{step}"] = timed(action)
    for database in databases.values():
        database.dispose()
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-memory", action="store_true", help="skip the memory runs")
    parser.add_argument(
        "--without",
        action="append",
        default=[],
        metavar="NAME",
        help="switch a speed-up off: sieve, plan, gc",
    )
    parser.add_argument(
        "--gc-paused",
        action="store_true",
        help="no cyclic GC during each figure (what it would buy)",
    )
    parser.add_argument("--child", nargs=2, metavar=("CASE", "DATABASE"), help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    switch_off(args.without)
    OPTIONS["gc_paused"] = args.gc_paused
    if args.child:
        run_child(args.child[0], args.child[1], args.trace, args.rows)
        return 0
    data = workbook(args.rows)
    print(
        f"workbook: {args.rows} rows, {len(data) / 2**20:.1f} MB; without: {args.without or 'nothing'};"
        f" gc paused: {args.gc_paused}"
    )
    rounds: list[dict[str, Timing]] = []
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        for n in range(args.rounds):
            found = one_round(n, data, directory, args.rows)
            rounds.append(found)
            print(
                f"round {n + 1}: " + ", ".join(f"{k} {v[0]:.2f} s" for k, v in found.items()),
                flush=True,
            )
        memory = {} if args.no_memory else measure_memory(directory, data, args)
    report(rounds, memory)
    return 0


def measure_memory(
    directory: Path, data: bytes, args: argparse.Namespace
) -> dict[str, tuple[float, float]]:
    """Each case in a process of its own, so that one case's high-water mark is not
    another's; the re-import cases get a copy of a populated database."""
    populated = directory / "populated.sqlite3"
    database = fresh_database(directory, "populated")
    preview_then_apply(data, database, args.rows, True)
    database.dispose()
    extra = [f"--rows={args.rows}", *(f"--without={name}" for name in args.without)]
    return {
        case: (
            child(case, directory, populated, trace=False, extra=extra),
            child(case, directory, populated, trace=True, extra=extra),
        )
        for case in (
            "cli-first",
            "cli-again",
            "chat-first",
            "chat-again",
            "floor-first",
            "floor-again",
        )
    }


def report(rounds: list[dict[str, Timing]], memory: dict[str, tuple[float, float]]) -> None:
    print()
    print(
        "| figure | median round: figure / floor | ratio (median) | ratio (best–worst) | CPU ratio (median) | target | met? |"
    )
    print("|---|---|---|---|---|---|---|")
    for path, step, name in (
        ("cli", "first", "first import, command line"),
        ("cli", "again", "re-import, command line"),
        ("chat", "first", "first import, chat (apply by id, another engine)"),
        ("chat", "again", "re-import, chat (apply by id, another engine)"),
    ):
        pairs = sorted(
            ((r[f"{path}-{step}"], r[f"floor-{step}"]) for r in rounds),
            key=lambda pair: pair[0][0] / pair[1][0],
        )
        ratios = [figure[0] / floor[0] for figure, floor in pairs]
        cpu = sorted(figure[1] / floor[1] for figure, floor in pairs)
        figure, floor = pairs[len(pairs) // 2]
        ratio = ratios[len(ratios) // 2]
        met = "met" if ratio <= TARGET else "MISSED"
        print(
            f"| {name} | {figure[0]:.2f} s / {floor[0]:.2f} s | {ratio:.2f}× |"
            f" {ratios[0]:.2f}–{ratios[-1]:.2f}× | {cpu[len(cpu) // 2]:.2f}× | ≤ {TARGET:g}× | {met} |"
        )
    for case in ("cli-first", "cli-again", "chat-first", "chat-again"):
        if case not in memory:
            continue
        (rss, traced) = memory[case]
        (floor_rss, floor_traced) = memory[f"floor-{case.partition('-')[2]}"]
        met = "met" if rss <= MEMORY_TARGET_MB else "MISSED"
        print(
            f"| peak memory, {case}: RSS / tracemalloc | {rss:.0f} MB / {traced:.0f} MB |"
            f" floor {floor_rss:.0f} MB / {floor_traced:.0f} MB | | | ≤ {MEMORY_TARGET_MB} MB RSS | {met} |"
        )


if __name__ == "__main__":
    sys.exit(main())
