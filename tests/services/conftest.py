"""Fixtures of the ``dsr`` command's tests, which call ``bot.cli.main.main`` in-process."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture
def dsr_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No DSR_* variable of the developer's shell and no .env reaches the command: it runs
    in ``tmp_path`` (returned) with only what the test sets."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("DSR_"):
            monkeypatch.delenv(name)
    return tmp_path
