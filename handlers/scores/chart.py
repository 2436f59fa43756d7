"""The ranking as a picture: a horizontal bar per unit, highest on top (matplotlib, Agg).

Chinese names need a CJK font. A machine with Noto Sans CJK SC or WenQuanYi Micro Hei
installed uses it; every machine has the subset of Noto Sans CJK SC shipped in
bot/fonts (GB 2312's characters, SIL Open Font License), so a fresh install draws
Chinese without any system package. Rendering is synchronous: call it off the loop.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Final

import matplotlib
from matplotlib import font_manager, rc_context
from matplotlib.figure import Figure

import bot
from bot.i18n import Translator

# No window, ever; charts are drawn by Figure objects, never through pyplot's global state.
matplotlib.use("Agg")

FONT_FILE: Final = Path(bot.__file__).parent / "fonts" / "NotoSansCJKsc-Regular-subset.otf"
# Tried in order for every character (matplotlib falls back glyph by glyph); those not
# installed are left out, or matplotlib logs each one it misses for every text.
FAMILIES: Final = ("Noto Sans CJK SC", "WenQuanYi Micro Hei", "DejaVu Sans")
_lock = threading.Lock()
_families: list[str] = []


def _fonts() -> list[str]:
    if not _families:
        font_manager.fontManager.addfont(str(FONT_FILE))
        installed = {entry.name for entry in font_manager.fontManager.ttflist}
        _families.extend(f for f in FAMILIES if f in installed)
    return _families


def ranking_png(t: Translator, year: int, rows: Sequence[tuple[str, float]]) -> bytes:
    """``rows``: (unit name, total) highest first. A PNG of the units by score."""
    # rcParams are process-wide: one chart at a time. An ASCII minus: the font has no U+2212.
    with _lock, rc_context({"font.family": _fonts(), "axes.unicode_minus": False}):
        height = 1.6 + 0.45 * max(len(rows), 1)
        figure = Figure(figsize=(8, height), dpi=110)
        axes = figure.subplots()
        names = [name for name, _ in rows]
        totals = [total for _, total in rows]
        bars = axes.barh(range(len(rows)), totals, color="#c0392b")
        axes.set_yticks(range(len(rows)), labels=names)
        axes.invert_yaxis()  # the highest first, on top
        axes.set_xlim(0, 100)
        axes.bar_label(bars, labels=[f"{total:g}" for total in totals], padding=3)
        axes.set_xlabel(t._("Points (of 100)"))
        axes.set_title(t._("Evaluation {year}: the units by score", year=year))
        axes.grid(axis="x", alpha=0.3)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
    return buffer.getvalue()
