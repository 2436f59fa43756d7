"""Hostile workbooks against ``dsr import`` and the isolated reader (storage/isolation.py):
each is refused with exit 2 and a precise sentence, the database unchanged, no signal; in
the isolated reader the calling process survives every one and serves the next call.

The files are generated small (tests/support/hostile_files.py): the sparse sheets are a
few KB, the bombs a few hundred.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from storage.db import Database
from storage.isolation import MemoryBudgetExceeded, ReaderCrashed, ReadTimedOut, run_isolated
from storage.xlsx_read import UnusableFile, column_letter
from tests.support import hostile_files as hostile
from tests.support.registers import entities_book, snapshot

MB = 2**20

HOSTILE: dict[str, Any] = {
    "xfd1048576": lambda: hostile.sparse("A1", "XFD1048576"),
    "zz100000": lambda: hostile.sparse("A1", "ZZ100000"),
    "16384_columns": lambda: hostile.xlsx(
        hostile.sheet_xml(
            hostile.row(1, *(hostile.cell(f"{column_letter(i)}1") for i in range(16_384)))
        )
    ),
    # Against DSR_UPLOAD_UNPACKED_MAX_MB=32: the lying ones inflate until the cap, and a
    # deflate stream is at best about 1 KB a MB.
    "zip_bomb_honest": lambda: hostile.zip_bomb(64, honest=True),
    "zip_bomb_lying": lambda: hostile.zip_bomb(64, honest=False),
    "sheet_bomb": lambda: hostile.sheet_bomb(64),
    "password": hostile.password_protected,
    "garbage": lambda: os.urandom(3000),
}
# The reason each is refused with, and a piece of its Chinese sentence.
EXPECTED = {
    "xfd1048576": ("file.sheet_too_large", "1,048,576 行 × 16,384 列（到单元格 XFD1048576）"),
    "zz100000": ("file.sheet_too_large", "100,000 行 × 702 列（到单元格 ZZ100000）"),
    "16384_columns": ("file.sheet_too_large", "1 行 × 16,384 列"),
    "zip_bomb_honest": ("file.too_large", "解压后超过32MB"),
    "zip_bomb_lying": ("file.too_large", "解压后超过32MB"),
    "sheet_bomb": ("file.too_large", "解压后超过32MB"),
    "password": ("file.encrypted", "密码"),
    "garbage": ("file.not_spreadsheet", ".xlsx"),
}


@pytest.fixture(autouse=True)
def small_unpacking_limit(dsr_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Bombs of a few dozen MB stand for the real ones: the limit is lowered to match."""
    monkeypatch.setenv("DSR_UPLOAD_UNPACKED_MAX_MB", "32")


def written(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


@pytest.mark.parametrize("case", HOSTILE)
def test_dsr_import_refuses_each_hostile_file_with_exit_2(
    case: str, cli: Any, tmp_path: Path, database: Database
) -> None:
    path = written(tmp_path, f"{case}.xlsx", HOSTILE[case]())
    assert Path(path).stat().st_size < 400_000
    reason, words = EXPECTED[case]
    before = snapshot(database)

    code, out, err = cli("import", "entities", path, "--unit", "SCJG", "--json")

    assert code == 2
    assert f'"code": "{reason}"' in out.replace('":"', '": "')
    assert words in err
    assert snapshot(database) == before


def test_dsr_import_plan_refuses_them_too(cli: Any, tmp_path: Path, database: Database) -> None:
    before = snapshot(database)
    for case in ("xfd1048576", "sheet_bomb", "password"):
        path = written(tmp_path, f"{case}.xlsx", HOSTILE[case]())
        code, _, err = cli("import", "plan", path, "--unit", "SCJG")
        assert code == 2, case
        assert EXPECTED[case][1] in err
    assert snapshot(database) == before


def test_a_normal_file_still_imports(cli: Any, tmp_path: Path, database: Database) -> None:
    path = written(tmp_path, "good.xlsx", entities_book(5))
    code, out, err = cli("import", "entities", path, "--unit", "SCJG")
    assert code == 0, out + err
    assert len(snapshot(database)["entities"]) == 5


@pytest.mark.slow
def test_the_worst_file_in_a_real_process_exits_2_without_a_signal(
    database_url: str, dsr_env: Path, tmp_path: Path
) -> None:
    path = written(tmp_path, "worst.xlsx", HOSTILE["xfd1048576"]())
    environment = {**os.environ, "DSR_DATABASE_URL": database_url}
    command = [sys.executable, "-m", "bot"]
    subprocess.run([*command, "unit", "add", "SCJG", "市场监管局"], env=environment, check=True)
    done = subprocess.run(
        [*command, "import", "entities", path, "--unit", "SCJG"],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr  # not -6 (SIGABRT) nor 134
    assert "XFD1048576" in done.stderr


# --- the isolated reader -------------------------------------------------------------------

BUDGET = 512 * MB


def isolated(function: Any, data: bytes, timeout: float = 60) -> Any:
    return run_isolated(function, data, memory_bytes=BUDGET, timeout=timeout)


def test_the_isolated_reader_refuses_each_hostile_file_and_serves_the_next() -> None:
    """The child reads its limits from the environment the process pool started with
    (the defaults here): a bomb must pass 1 GB, so only bombs of zeros, which inflate
    fast, are sent (tests/unit/test_xlsx_guard.py has the sheet bomb)."""
    files = {
        **HOSTILE,
        "zip_bomb_honest": lambda: hostile.zip_bomb(1100, honest=True),
        "zip_bomb_lying": lambda: hostile.zip_bomb(1100, honest=False),
    }
    del files["sheet_bomb"]
    good = entities_book(7)
    for case, make in files.items():
        with pytest.raises(UnusableFile) as raised:
            isolated(hostile.read_entities, make())
        assert raised.value.reason == EXPECTED[case][0], case
    assert isolated(hostile.read_entities, good) == ("名录", 7)


def test_a_parser_that_blows_its_budget_does_not_take_the_caller_down() -> None:
    """calamine given ZZ100000 with no check first: it asks for 2.2 GB and aborts the
    process it runs in; here that is the child."""
    with pytest.raises(MemoryBudgetExceeded) as raised:
        isolated(hostile.calamine_unchecked, hostile.sparse("A1", "ZZ100000"))
    assert raised.value.reason == "file.memory_budget"
    assert raised.value.params == {"megabytes": "512"}
    assert "memory allocation of 2246400000 bytes failed" in raised.value.detail
    assert isolated(hostile.calamine_unchecked, hostile.sparse("A1", "C3")) == (3, 3)


def test_a_crash_and_a_timeout_are_reported_and_the_caller_goes_on() -> None:
    with pytest.raises(ReaderCrashed) as crashed:
        isolated(hostile.abort, b"x")
    assert crashed.value.params == {"detail": "signal 6, SIGABRT"}
    with pytest.raises(ReadTimedOut) as late:
        isolated(hostile.spin, b"x", timeout=0.5)
    assert late.value.params == {"seconds": "0.5"}
    assert isolated(hostile.read_entities, entities_book(2)) == ("名录", 2)
