"""The message catalogs: up to date with the code, complete, and placeholder-safe."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
LOCALES = ROOT / "locales"
KEYWORDS = {"_": None, "n_": (1, 2), "N_": None}


def _extracted() -> set[str]:
    ids: set[str] = set()
    method_map = [
        ("bot/**.py", "python"),
        ("handlers/**.py", "python"),
        ("storage/**.py", "python"),
    ]
    for _file, _line, message, _comments, _ctx in extract_from_dir(
        str(ROOT), method_map=method_map, keywords=KEYWORDS
    ):
        ids.add(message[0] if isinstance(message, tuple) else message)
    return ids


def _catalog(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def _ids(catalog: Catalog) -> set[str]:
    return {m.id[0] if isinstance(m.id, tuple) else m.id for m in catalog if m.id}


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_pot_matches_the_code() -> None:
    """Fails when someone added or changed a message without running scripts/i18n.py."""
    in_code = _extracted()
    in_pot = _ids(_catalog(LOCALES / "messages.pot"))
    assert sorted(in_code - in_pot) == [], "run: python scripts/i18n.py"
    assert sorted(in_pot - in_code) == [], "run: python scripts/i18n.py"


@pytest.mark.parametrize("locale", ["zh_Hans", "en"])
def test_every_message_is_translated(locale: str) -> None:
    catalog = _catalog(LOCALES / locale / "LC_MESSAGES" / "messages.po", locale)
    assert _ids(catalog) == _ids(_catalog(LOCALES / "messages.pot"))
    problems = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings):
            problems.append(f"empty: {message.id!r}")
        if message.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
        source = message.id if isinstance(message.id, tuple) else (message.id,)
        wanted = set().union(*(_placeholders(s) for s in source))
        for text in strings:
            if text and _placeholders(text) != wanted:
                problems.append(f"placeholders differ: {message.id!r} -> {text!r}")
    assert problems == []


def test_chinese_is_really_chinese() -> None:
    """A zh_Hans entry identical to English (and holding Latin words) was not translated."""
    catalog = _catalog(LOCALES / "zh_Hans" / "LC_MESSAGES" / "messages.po", "zh_Hans")
    untranslated = [
        m.id
        for m in catalog
        if m.id
        and isinstance(m.string, str)
        and m.string == m.id
        and re.search(r"[A-Za-z]{4,}", re.sub(r"\{[^}]*\}", "", m.id))
    ]
    assert untranslated == []
