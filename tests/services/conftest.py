"""Fixtures of the ``dsr`` command's tests, which call ``bot.cli.main.main`` in-process."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.cli.main import main
from storage.db import Database

Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def dsr_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No DSR_* variable of the developer's shell and no .env reaches the command: it runs
    in ``tmp_path`` (returned) with only what the test sets."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("DSR_"):
            monkeypatch.delenv(name)
    return tmp_path


@pytest.fixture
def cli(
    database_url: str,
    dsr_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Cli:
    """``dsr ARGS…`` in-process on the test database, with unit SCJG: (exit code, stdout,
    stderr)."""
    monkeypatch.setenv("DSR_DATABASE_URL", database_url)

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    assert run("unit", "add", "SCJG", "市场监管局")[0] == 0
    return run


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    db = Database(database_url)
    yield db
    db.dispose()
