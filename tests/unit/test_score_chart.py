"""The ranking chart draws Chinese unit names with the bundled CJK font: matplotlib's
"Glyph … missing from font" warning is a failure here, on any machine."""

from __future__ import annotations

import io
import warnings

import pytest
from matplotlib import rc_context
from matplotlib.figure import Figure
from PIL import Image

from bot.i18n import translator
from handlers.scores import chart

NAMES = [
    ("市场监管局", 87.5),
    ("税务局", 80.0),
    ("生态环境局", 72.25),
    ("应急管理局", 60.0),
    ("卫健委", 0.0),
]
MISSING = r"Glyph .* missing from font"


def test_chinese_names_render_without_missing_glyphs() -> None:
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=MISSING)
        for locale in ("zh_Hans", "en"):
            png = chart.ranking_png(translator(locale), 2026, NAMES)
            image = Image.open(io.BytesIO(png))
            assert image.format == "PNG"
            assert image.size[0] > 600 and image.size[1] > 200
    assert chart.FONT_FILE.is_file()
    assert (chart.FONT_FILE.parent / "LICENSE-OFL.txt").is_file()


def test_the_check_would_catch_a_font_without_chinese() -> None:
    """Without a CJK font the same names do warn: the test above proves something."""
    with warnings.catch_warnings(), rc_context({"font.family": ["DejaVu Sans"]}):
        warnings.filterwarnings("error", message=MISSING)
        figure = Figure()
        figure.subplots().set_title("市场监管局")
        with pytest.raises(UserWarning, match="missing from font"):
            figure.savefig(io.BytesIO(), format="png")


def test_an_empty_ranking_still_draws() -> None:
    assert chart.ranking_png(translator("zh_Hans"), 2026, [])[:4] == b"\x89PNG"
