"""Refresh the message catalogs: extract messages.pot, merge into each .po.

English is the source language, so an English entry that is still empty gets its msgid
as msgstr; every other language must be translated by hand (the catalog test fails on an
empty or fuzzy entry). Run: python scripts/i18n.py
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "locales"
POT = LOCALES / "messages.pot"
KEYWORDS = ["-k", "_", "-k", "n_:1,2", "-k", "N_"]


def main() -> None:
    cli = CommandLineInterface()
    cli.run(
        [
            "pybabel",
            "-q",
            "extract",
            "-F",
            str(ROOT / "babel.cfg"),
            *KEYWORDS,
            "--no-location",
            "--sort-output",
            "--project=dsr-bot",
            "-o",
            str(POT),
            str(ROOT),
        ]
    )
    for locale in ("zh_Hans", "en"):
        po = LOCALES / locale / "LC_MESSAGES" / "messages.po"
        if po.exists():
            cli.run(
                [
                    "pybabel",
                    "-q",
                    "update",
                    "-i",
                    str(POT),
                    "-d",
                    str(LOCALES),
                    "-l",
                    locale,
                    "--no-fuzzy-matching",
                    "--ignore-obsolete",
                ]
            )
        else:
            cli.run(["pybabel", "-q", "init", "-i", str(POT), "-d", str(LOCALES), "-l", locale])
    en_po = LOCALES / "en" / "LC_MESSAGES" / "messages.po"
    with en_po.open("rb") as handle:
        catalog = read_po(handle, locale="en")
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            if not any(message.string):
                message.string = (message.id[0], message.id[1])
        elif not message.string:
            message.string = message.id
    with en_po.open("wb") as handle:
        write_po(handle, catalog, omit_header=False, sort_output=True, no_location=True)


if __name__ == "__main__":
    main()
