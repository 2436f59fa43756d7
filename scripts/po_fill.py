"""Fill zh_Hans translations from a JSON object {msgid: msgstr} (a translator's helper).

Usage: python scripts/po_fill.py translations.json — only empty entries are filled.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

PO = Path(__file__).resolve().parent.parent / "locales" / "zh_Hans" / "LC_MESSAGES" / "messages.po"


def main(path: str) -> None:
    mapping = json.loads(Path(path).read_text(encoding="utf-8"))
    with PO.open("rb") as handle:
        catalog = read_po(handle, locale="zh_Hans")
    missing = []
    for message in catalog:
        if not message.id:
            continue
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        if key in mapping:
            value = mapping[key]
            message.string = (value,) if isinstance(message.id, tuple) else value
            message.flags.discard("fuzzy")
        elif not (message.string if isinstance(message.string, str) else any(message.string)):
            missing.append(key)
    with PO.open("wb") as handle:
        write_po(handle, catalog, omit_header=False, sort_output=True, no_location=True)
    for key in missing:
        print("untranslated:", key)


if __name__ == "__main__":
    main(sys.argv[1])
