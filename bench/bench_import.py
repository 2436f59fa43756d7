"""A 100,000-row entity directory: first import and re-import, end to end, each beside
its floor measured in the same run (docs/architecture.md §11, the 一单两库 issue).

- first import = preview + apply of the file into an empty directory (read, validate,
  diff, keep the preview; re-diff, insert entities and views, write the change log and
  the audit entry); floor = a bare python-calamine read of the same file plus one raw
  Core executemany insert of the same rows into entities and unit_entities.
- re-import = preview + apply of the same file again (every row unchanged, nothing
  written but the preview); floor = a bare read plus one SELECT of the unit's rows.

Each figure is the best of ``--rounds`` runs on a fresh SQLite database in a temporary
directory; the floors likewise. Peak memory: each case (and its floor) once more in a
process of its own: the process's peak resident set (VmHWM: everything, Python, SQLite
and calamine's own Rust allocations), and in another process tracemalloc's peak (Python
allocations only).

Run: .venv/bin/python bench/bench_import.py [--rows 100000] [--rounds 3]
The generated workbook is cached under bench/out/ (git-ignored).
"""

from __future__ import annotations

import argparse
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
from collections.abc import Callable
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


def end_to_end(
    data: bytes, database: Database, rows: int, expect_new: bool, hand_over: bool = True
) -> None:
    """``dsr import entities FILE --unit SCJG``: preview and apply in one process, the
    rows handed over in memory (``hand_over``); ``hand_over=False``: the chat's two steps,
    the preview kept in the database and applied by id."""
    preview = imports.preview_import(
        database,
        None,
        "SCJG",
        "entities",
        data,
        "entities.xlsx",
        "update",
        NOW,
        "cli",
        hand_over=hand_over,
        today=TODAY,
    )
    counts = preview.counts
    assert counts.errors == 0, preview.problems[:3]
    assert (counts.new if expect_new else counts.unchanged) == rows, counts
    result = imports.apply_import(
        database, None, preview.import_id or 0, NOW, hand_over=preview.hand_over
    )
    assert (result.counts.new if expect_new else result.counts.unchanged) == rows


def timed(action: Callable[[], None]) -> tuple[float, float]:
    """Wall time (the figure: what the person waits; the import uses a second core
    while calamine parses) and CPU time of every thread (for the record)."""
    gc.collect()
    start, cpu = time.perf_counter(), time.process_time()
    action()
    return time.perf_counter() - start, time.process_time() - cpu


def child(case: str, directory: Path, populated: Path, *, trace: bool) -> float:
    """Run one case in a fresh process; its peak memory in MB (RSS, or tracemalloc's)."""
    target = directory / f"{case}-{trace}.sqlite3"
    if case in ("again", "floor-again"):
        shutil.copy(populated, target)
    command = [sys.executable, __file__, "--child", case, str(target)]
    if trace:
        command.append("--trace")
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return float(done.stdout.strip().splitlines()[-1])


def run_child(case: str, path: str, trace: bool, rows: int) -> None:
    data = workbook(rows)
    database = Database(f"sqlite:///{path}")
    migrate.upgrade(database)
    if case in ("first", "floor-first"):
        membership.add_unit(database, None, "SCJG", "舞钢市市场监督管理局")
    if trace:
        tracemalloc.start()
    if case == "first":
        end_to_end(data, database, rows, True)
    elif case == "again":
        end_to_end(data, database, rows, False)
    elif case == "floor-first":
        floor_first(data, database)
    else:
        floor_reimport(data, database)
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", nargs=2, metavar=("CASE", "DATABASE"), help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_child(args.child[0], args.child[1], args.trace, args.rows)
        return 0
    data = workbook(args.rows)
    print(f"workbook: {args.rows} rows, {len(data) / 2**20:.1f} MB")
    # (wall, cpu) of each round
    first: list[tuple[float, float]] = []
    first_floor: list[tuple[float, float]] = []
    again: list[tuple[float, float]] = []
    again_floor: list[tuple[float, float]] = []
    kept_first: list[tuple[float, float]] = []  # the chat's two steps, for the record
    kept_again: list[tuple[float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        for n in range(args.rounds):
            # Alternate which goes first, so neither always meets a warmer machine.
            database = fresh_database(directory, f"import{n}")
            floor_db = fresh_database(directory, f"floor{n}")
            pairs = [
                (first, functools.partial(end_to_end, data, database, args.rows, True)),
                (first_floor, functools.partial(floor_first, data, floor_db)),
            ]
            for bucket, action in pairs if n % 2 == 0 else reversed(pairs):
                bucket.append(timed(action))
            pairs = [
                (again, functools.partial(end_to_end, data, database, args.rows, False)),
                (again_floor, functools.partial(floor_reimport, data, database)),
            ]
            for bucket, action in pairs if n % 2 == 0 else reversed(pairs):
                bucket.append(timed(action))
            # The chat's path (preview kept in the database, applied later by id), on a
            # database of its own, after the measured pairs.
            kept_db = fresh_database(directory, f"kept{n}")
            kept_first.append(
                timed(functools.partial(end_to_end, data, kept_db, args.rows, True, False))
            )
            kept_again.append(
                timed(functools.partial(end_to_end, data, kept_db, args.rows, False, False))
            )
            kept_db.dispose()
            database.dispose()
            floor_db.dispose()
            print(
                f"round {n + 1}: first {first[-1][0]:.2f} s (floor {first_floor[-1][0]:.2f} s),"
                f" re-import {again[-1][0]:.2f} s (floor {again_floor[-1][0]:.2f} s);"
                f" kept preview: first {kept_first[-1][0]:.2f} s,"
                f" re-import {kept_again[-1][0]:.2f} s",
                flush=True,
            )
        # Memory: each case in a process of its own, so that one case's high-water mark
        # is not another's. The re-import cases get a copy of a populated database.
        populated = directory / "populated.sqlite3"
        database = fresh_database(directory, "populated")
        end_to_end(data, database, args.rows, True)
        database.dispose()
        memory = {
            case: (
                child(case, directory, populated, trace=False),
                child(case, directory, populated, trace=True),
            )
            for case in ("first", "floor-first", "again", "floor-again")
        }
    lines = [
        ("first import, 100k entities (preview + apply)", min(first), min(first_floor)),
        ("re-import, all unchanged (preview + apply)", min(again), min(again_floor)),
        ("first import, chat's two steps (kept preview)", min(kept_first), min(first_floor)),
        ("re-import, chat's two steps (kept preview)", min(kept_again), min(again_floor)),
    ]
    print()
    print("| benchmark | figure | baseline (same run) | ratio | CPU ratio | target | met? |")
    print("|---|---|---|---|---|---|---|")
    for name, figure, floor in lines:
        ratio = figure[0] / floor[0]
        met = "met" if ratio <= TARGET else "MISSED"
        print(
            f"| {name} | {figure[0]:.2f} s (CPU {figure[1]:.2f} s) | {floor[0]:.2f} s"
            f" (CPU {floor[1]:.2f} s) | {ratio:.2f}× | {figure[1] / floor[1]:.2f}× |"
            f" ≤ {TARGET:g}× | {met} |"
        )
    for case, name in (("first", "first import"), ("again", "re-import")):
        (rss, traced), (floor_rss, floor_traced) = memory[case], memory[f"floor-{case}"]
        for label, mb, base in (
            ("process RSS peak", rss, floor_rss),
            ("tracemalloc peak", traced, floor_traced),
        ):
            met = "met" if mb <= MEMORY_TARGET_MB else "MISSED"
            print(
                f"| peak memory, {name} ({label}) | {mb:.0f} MB | {base:.0f} MB |"
                f" {mb / base:.2f}× | ≤ {MEMORY_TARGET_MB} MB | {met} |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
