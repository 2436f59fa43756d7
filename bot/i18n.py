"""Translations (Babel) and locale-aware formatting.

Message ids are English sentences with named ``{placeholders}``; zh_Hans is the default
language and en the second. Catalogs are read from ``locales/<locale>/LC_MESSAGES/messages.po``
(in a checkout; an installed wheel carries the same files as ``bot/locales``) and compiled in
memory at first use, so a .po edit needs no build step. A missing catalog stops the start
(``require_catalogs``): a Chinese-first bot must never fall back to English in silence.

Marking for extraction (see ``babel.cfg``): ``t._("…")``, ``t.n_("…", "…", n)`` and ``N_("…")``
for strings translated later (reason tables, menus).
"""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.lists import format_list
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent
from babel.support import NullTranslations, Translations

# Installed from a wheel: bot/locales (pyproject maps it there); in a checkout: locales/.
_LOCALE_DIRS = (
    Path(__file__).resolve().parent / "locales",
    Path(__file__).resolve().parent.parent / "locales",
)
DEFAULT_LOCALE = "zh_Hans"
SUPPORTED_LOCALES = ("zh_Hans", "en")
# The two-letter code Telegram's setMyCommands and our /lang buttons use for each locale.
LANGUAGE_CODES = {"zh_Hans": "zh", "en": "en"}
LANGUAGE_NAMES = {"zh_Hans": "中文（简体）", "en": "English"}


def N_(message: str) -> str:  # noqa: N802 (the gettext convention)
    """Mark a string for extraction; it is translated where it is shown."""
    return message


class Word(str):
    """A msgid given as a placeholder's value (a task's status in a refusal): translated
    with the sentence it fills, so a service can name it without knowing the language."""


def supported(locale: str | None) -> str | None:
    return locale if locale in SUPPORTED_LOCALES else None


def locale_from_telegram(language_code: str | None, default: str = DEFAULT_LOCALE) -> str:
    """Map Telegram's IETF tag ourselves: Babel's Locale.parse("zh-hans") raises."""
    if not language_code:
        return default
    tag = language_code.lower()
    if tag.startswith("zh"):
        return "zh_Hans"
    if tag.startswith("en"):
        return "en"
    return default


class MissingCatalogError(RuntimeError):
    """A language's catalog is not where the bot looks for it (a broken install)."""


def _po_path(locale: str) -> Path:
    relative = Path(locale) / "LC_MESSAGES" / "messages.po"
    for directory in _LOCALE_DIRS:
        if (directory / relative).is_file():
            return directory / relative
    searched = ", ".join(str(d) for d in _LOCALE_DIRS)
    raise MissingCatalogError(f"no {locale} message catalog ({relative}) under {searched}")


def require_catalogs() -> None:
    """Fail now, with the path searched, if any language's catalog is missing."""
    for locale in SUPPORTED_LOCALES:
        _catalog(locale)


@cache
def _catalog(locale: str) -> NullTranslations:
    po_path = _po_path(locale)
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    buffer = io.BytesIO()
    # Fuzzy entries are skipped by write_mo, as gettext does: an unchecked guess is never shown.
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


class Translator:
    """Everything a person reads passes through one of these, chosen per user."""

    def __init__(self, locale: str) -> None:
        self.locale = supported(locale) or DEFAULT_LOCALE
        self.babel_locale = Locale.parse(self.locale)
        self._translations = _catalog(self.locale)

    @property
    def language_code(self) -> str:
        return LANGUAGE_CODES[self.locale]

    def _(self, message: str, /, **params: Any) -> str:
        text = self._translations.gettext(message)
        if not params:
            return text
        return text.format(**{k: self._word(v) for k, v in params.items()})

    def _word(self, value: Any) -> Any:
        return self._translations.gettext(value) if isinstance(value, Word) and value else value

    def n_(self, singular: str, plural: str, n: int, /, **params: Any) -> str:
        text = self._translations.ngettext(singular, plural, n)
        return text.format(n=n, **params)

    def date(self, value: date, fmt: str = "medium") -> str:
        return format_date(value, format=fmt, locale=self.babel_locale)

    def datetime(self, value: datetime, fmt: str = "medium", tz: Any = None) -> str:
        return format_datetime(value, format=fmt, tzinfo=tz, locale=self.babel_locale)

    def number(self, value: int | float | Decimal) -> str:
        return format_decimal(value, locale=self.babel_locale)

    def list(self, items: list[str]) -> str:
        """ "A, B and C" / "A、B和C": the locale's own way of listing."""
        return format_list(items, locale=self.babel_locale) if items else ""

    def percent(self, value: float) -> str:
        return format_percent(value, locale=self.babel_locale)


@cache
def translator(locale: str | None) -> Translator:
    return Translator(locale or DEFAULT_LOCALE)
