"""The ``dsr`` command's foundation: clear failures, backups, audit verification, console."""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.cli.main import main
from storage import audit
from storage.db import Database


@dataclass(frozen=True)
class Ran:
    returncode: int
    stdout: str
    stderr: str


# In-process: these tests check exit codes and output only; the e2e tests start real
# processes for what needs one (signals, `dsr run` against the fake, the installed wheel).
Dsr = Callable[..., Ran]


@pytest.fixture
def dsr(dsr_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Dsr:
    def run(*args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> Ran:
        for name, value in (env or {}).items():
            monkeypatch.setenv(name, value)
        if stdin is not None:
            monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        capsys.readouterr()
        code = main(list(args))
        out, err = capsys.readouterr()
        return Ran(code, out, err)

    return run


@pytest.mark.parametrize(
    ("token", "expected"),
    # In the settings' language (Chinese by default), as every line the command prints.
    [("", "未设置 DSR_BOT_TOKEN"), ("not-a-token", "DSR_BOT_TOKEN 格式不正确")],
)
def test_run_without_a_good_token_fails_in_one_line(token: str, expected: str, dsr: Dsr) -> None:
    result = dsr("run", env={"DSR_BOT_TOKEN": token})
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0]
    assert "Traceback" not in result.stderr


def test_malformed_setting_is_one_line(dsr: Dsr) -> None:
    result = dsr("run", env={"DSR_TIMEZONE": "Mars/Olympus"})
    assert result.returncode == 2
    assert (
        result.stderr.strip() == "dsr: DSR_TIMEZONE：Value error, unknown time zone 'Mars/Olympus'"
    )


def test_sqlite_backup_is_a_consistent_copy(sqlite_db: Database, tmp_path: Path, dsr: Dsr) -> None:
    with sqlite_db.unit_of_work() as uow:
        audit.append(uow.session, actor="test", action="x", obj="y")
        uow.commit()
    target = tmp_path / "backups" / "copy.sqlite3"
    result = dsr("db", "backup", str(target), "--database", sqlite_db.url)
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(target) as copy:
        assert copy.execute("SELECT COUNT(*) FROM audit_log").fetchone() == (1,)
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_postgres_backup_explains_pg_dump(dsr: Dsr) -> None:
    result = dsr("db", "backup", "x.dump", "--database", "postgresql://u:secret@db.example/dsr")
    assert result.returncode == 0
    assert "pg_dump" in result.stdout and "secret" not in result.stdout


def test_audit_verify_reports_tampering(sqlite_db: Database, dsr: Dsr) -> None:
    with sqlite_db.unit_of_work() as uow:
        for i in range(3):
            audit.append(uow.session, actor="test", action="x", obj=f"o{i}")
        uow.commit()
    ok = dsr("audit", "verify", "--database", sqlite_db.url)
    assert ok.returncode == 0 and "共 3 条" in ok.stdout
    with sqlite_db.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE audit_log SET actor = 'mallory' WHERE id = 2")
    broken = dsr("audit", "verify", "--database", sqlite_db.url)
    assert broken.returncode == 1 and "第 2 条" in broken.stdout


def test_db_check_finds_no_drift(database_url: str, dsr: Dsr) -> None:
    result = dsr("db", "check", "--database", database_url)
    assert result.returncode == 0, result.stderr


def test_console_chats_with_the_real_bot(tmp_path: Path, dsr: Dsr) -> None:
    url = f"sqlite:///{tmp_path / 'console.sqlite3'}"
    script = "/help\n/addunit SCJG 市场监督管理局\n/units\n1\n1\n/as guest\n/units\n/quit\n"
    result = dsr("console", "--database", url, "--as", "office", stdin=script)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "/units — 成员单位及联络员" in out  # the office's help
    assert "[1] SCJG 市场监督管理局" in out  # a button, pressed by its number: the unit's page
    assert "[1] 邀请联络员" in out  # the page's first button
    assert "?start=" in out  # the invitation link it made
    assert "本机器人供联席会议成员单位使用" in out  # the guest is refused
