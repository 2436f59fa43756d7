"""A built wheel, installed without ``-e``, works as well as a checkout: it carries the
catalogs and migrations, speaks Chinese in ``dsr demo``, and refuses to start when a
catalog is missing instead of falling back to English.

The fresh venv gets the project's dependencies from the test's own environment through
a path entry (no network); the project itself comes only from the wheel.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new venv holding the wheel built from this checkout; returns its bin directory."""
    work = tmp_path_factory.mktemp("wheel")
    # Built from a copy: setuptools keeps a build/ directory in the source tree, and a
    # stale one would pack modules that no longer exist.
    source = work / "source"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "build", "dist", "data", "out", "*.egg-info", "__pycache__",
            ".*_cache", ".hypothesis",
        ),
    )  # fmt: skip
    _run(
        sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
        "-q", "-w", work / "dist", source, cwd=work,
    )  # fmt: skip
    wheels = list((work / "dist").glob("dsr_bot-*.whl"))
    assert len(wheels) == 1
    venv.create(work / "venv", with_pip=False)
    bin_dir = work / "venv" / "bin"
    site = Path(
        _run(bin_dir / "python", "-c", "import sysconfig; print(sysconfig.get_path('purelib'))",
             cwd=work).strip()
    )  # fmt: skip
    # The dependencies, as a plain path entry after the venv's own site-packages: the
    # test environment's editable finder for this project is not loaded through it.
    (site / "deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    _run(
        sys.executable, "-m", "pip", "--python", bin_dir / "python", "install",
        "--no-deps", "--no-index", "-q", wheels[0], cwd=work,
    )  # fmt: skip
    return bin_dir


def _env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DSR_")}
    return env | {"DSR_DATABASE_URL": f"sqlite:///{tmp / 'dsr.sqlite3'}", "PYTHONPATH": ""}


@pytest.mark.slow
def test_the_installed_wheel_speaks_chinese(installed: Path, tmp_path: Path) -> None:
    where = _run(installed / "python", "-c", "import bot; print(bot.__file__)", cwd=tmp_path)
    assert str(ROOT) not in where and "site-packages" in where
    out = _run(
        installed / "dsr", "demo", "--database", f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        cwd=tmp_path, env=_env(tmp_path),
    )  # fmt: skip
    assert "欢迎使用" in out  # the bot's own answers, from the installed catalog
    # Only the demo's English-speaking visitor is welcomed in English.
    assert out.count("Welcome to the assistant") == 1
    assert "邀请全部未加入人员" in out  # the button the demo presses by its Chinese label


@pytest.mark.slow
def test_a_missing_catalog_stops_the_start(installed: Path, tmp_path: Path) -> None:
    site = Path(
        _run(installed / "python", "-c", "import bot; print(bot.__file__)", cwd=tmp_path).strip()
    ).parent
    catalog = site / "locales" / "zh_Hans" / "LC_MESSAGES" / "messages.po"
    assert catalog.is_file()
    moved = catalog.with_suffix(".po.away")
    catalog.rename(moved)
    try:
        done = subprocess.run(
            [str(installed / "dsr"), "demo"],
            cwd=tmp_path,
            env=_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        moved.rename(catalog)
    assert done.returncode == 2
    assert "no zh_Hans message catalog" in done.stderr
    assert "Welcome" not in done.stdout


@pytest.mark.slow
def test_the_installed_wheel_draws_chinese_with_its_own_font(
    installed: Path, tmp_path: Path
) -> None:
    """The ranking chart's font travels in the wheel (bot/fonts), so a fresh install draws
    Chinese names with no system font: a missing glyph would be a warning, made an error."""
    script = (
        "import warnings; warnings.filterwarnings('error', message='Glyph .* missing');"
        "from bot.i18n import translator; from handlers.scores import chart;"
        "png = chart.ranking_png(translator('zh_Hans'), 2026, [('市场监管局', 90.5), ('税务局', 80)]);"
        "print(chart.FONT_FILE, len(png) > 1000)"
    )
    out = _run(installed / "python", "-c", script, cwd=tmp_path, env=_env(tmp_path))
    assert "site-packages" in out and str(ROOT) not in out and out.strip().endswith("True")
