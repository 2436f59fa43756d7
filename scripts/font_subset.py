"""Cut bot/fonts/NotoSansCJKsc-Regular-subset.otf from Noto Sans CJK (the ranking chart's
font, handlers/scores/chart.py): GB 2312's characters, ASCII, Latin-1 and the CJK and
full-width punctuation, about 2.9 MB instead of the collection's 20+ MB.

The source is Debian's fonts-noto-cjk (SIL Open Font License 1.1), unpacked anywhere:
    apt-get download fonts-noto-cjk && dpkg-deb -x fonts-noto-cjk_*.deb x
    .venv/bin/python scripts/font_subset.py x/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
fontTools comes with matplotlib.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection

OUT = Path(__file__).resolve().parent.parent / "bot" / "fonts" / "NotoSansCJKsc-Regular-subset.otf"
FAMILY = "Noto Sans CJK SC"


def characters() -> set[int]:
    chars = set(range(0x20, 0x7F)) | set(range(0xA0, 0x100))
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            with contextlib.suppress(UnicodeDecodeError):
                chars.add(ord(bytes([high, low]).decode("gb2312")))
    chars |= set(range(0x2010, 0x2070)) | set(range(0x3000, 0x3040)) | set(range(0xFF00, 0xFFF0))
    return chars


def main(source: str) -> None:
    names = [font["name"].getDebugName(4) for font in TTCollection(source).fonts]
    options = subset.Options()
    options.font_number = names.index(FAMILY)
    options.layout_features = ["kern", "liga", "locl"]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.hinting = False
    font = subset.load_font(source, options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=characters())
    subsetter.subset(font)
    subset.save_font(font, str(OUT), options)
    print(f"{OUT}: {OUT.stat().st_size} bytes")


if __name__ == "__main__":
    main(sys.argv[1])
