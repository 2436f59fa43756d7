"""Normalising spreadsheet cells into values (pure: the readers hand in what they read).

Offices fill directories in Excel and WPS by hand, paste from web pages and convert old
files, so a cell arrives as whatever the program made of it: a float where text was meant
(a phone number, a code), a serial number where a date was meant, full-width digits from a
Chinese input method, trailing ideographic spaces. Each function here takes one raw cell
(``CellValue``, as python-calamine or openpyxl return it) and gives a ``Parsed`` value, or a
reason code saying why it cannot; none of them raises on bad input.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from types import MappingProxyType
from typing import Final, Generic, TypeVar

CellValue = str | int | float | bool | date | datetime | time | timedelta | None

T_co = TypeVar("T_co", covariant=True)

_NO_PARAMS: Final[Mapping[str, str]] = MappingProxyType({})

# Reason codes this module produces.
LOST_DIGITS: Final = "cell.lost_digits"
NOT_A_CODE: Final = "cell.not_a_code"
PHONE_INVALID: Final = "phone.invalid"
PHONE_NO_AREA_CODE: Final = "phone.no_area_code"
PHONE_LEADING_ZERO: Final = "phone.leading_zero"
DATE_INVALID: Final = "date.invalid"
DATE_RANGE: Final = "date.range"
BOOL_INVALID: Final = "bool.invalid"
ENUM_INVALID: Final = "enum.invalid"
RATIO_INVALID: Final = "ratio.invalid"
RATIO_RANGE: Final = "ratio.range"
RATIO_ROUNDED: Final = "ratio.rounded"

# Characters str.strip() keeps but that are invisible in a cell: zero-width space/joiners
# and the byte-order mark pasted from web pages. (U+3000 and NBSP are whitespace to
# str.strip already.)
_INVISIBLE: Final = "\u200b\u200c\u200d\u2060\ufeff"
_STRIP: Final = " \t\r\n\f\v\u00a0\u3000\u2002\u2003\u2009\u202f" + _INVISIBLE
_INVISIBLE_RE: Final = re.compile(f"[{_INVISIBLE}]")
# Control characters (tab and line feed aside) carry nothing a person typed: they come from
# escapes such as _x0001_ in a file's XML, can turn into formulas in an export, and
# PostgreSQL refuses NUL in text. Removed from every text cell as it is read.
_CONTROL_RE: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# What validation's fast paths need: the characters clean_text strips, and a test for the
# text clean_text would change beyond stripping it (line endings, invisible and control
# characters).
STRIP_CHARS: Final = _STRIP
NEEDS_CLEANING: Final = re.compile(f"[\r{_INVISIBLE}\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@dataclass(frozen=True, slots=True)
class Parsed(Generic[T_co]):
    """A normalised cell: ``value`` (None for a blank cell or an error), at most one error
    and one warning reason code, and the parameters their sentences interpolate."""

    value: T_co | None
    error: str | None = None
    warning: str | None = None
    params: Mapping[str, str] = field(default_factory=lambda: _NO_PARAMS)


def _fail(reason: str, **params: str) -> Parsed[T_co]:
    return Parsed(None, error=reason, params=MappingProxyType(params))


def is_blank(raw: CellValue) -> bool:
    """None, the empty string and whitespace-only text (including U+3000) are blank."""
    if raw is None:
        return True
    return isinstance(raw, str) and not raw.strip(_STRIP)


def _number_text(number: float) -> str:
    """A float as a person typed it: 12.0 -> "12", 3.5 -> "3.5" (no exponent, no .0)."""
    if number.is_integer():
        return str(int(number))
    return format(number, "f").rstrip("0").rstrip(".") if abs(number) < 1e15 else repr(number)


def _scientific(number: float) -> str:
    """A large number as Excel's General format shows it: 9.14104E+17."""
    mantissa, exponent = format(number, ".5E").split("E")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}E{exponent[0]}{int(exponent[1:]):02d}"


def clean_text(raw: CellValue) -> str | None:
    """Free text: trimmed (U+3000, NBSP and invisible characters too), line endings
    unified; numbers written without a spurious ".0"; dates as ISO text. Never fails."""
    if raw.__class__ is str:  # the common case first: this runs for every cell
        text: str = raw
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        if not text.isprintable():  # fast in C; rare: a line break, a tab, a control
            text = _CONTROL_RE.sub("", text)
        if not text.isascii() and _INVISIBLE_RE.search(text):
            text = _INVISIBLE_RE.sub("", text)
        return text.strip(_STRIP) or None
    if raw is None:
        return None
    if isinstance(raw, bool):
        return "是" if raw else "否"
    if isinstance(raw, int):
        return str(raw)
    if isinstance(raw, float):
        return _number_text(raw) if math.isfinite(raw) else None
    if isinstance(raw, datetime | date | time):
        return raw.isoformat()
    if isinstance(raw, timedelta):
        return str(raw)
    return clean_text(str(raw))  # a str subclass


def label_key(text: str) -> str:
    """The form labels and headers are compared in: NFKC, case-folded, no whitespace."""
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


# Scientific notation in a text cell: a number Excel already rounded, then turned to text
# (CSV round trips, "copy as values" from a web page).
_SCIENTIFIC: Final = re.compile(r"[+-]?\d+(?:\.\d+)?E[+-]?\d+")
SCIENTIFIC: Final = _SCIENTIFIC
# Excel keeps 15 significant digits; an integer at or above 10^15 read back from a number
# cell may already have lost its tail.
_EXACT_LIMIT: Final = 10**15


def code_text(raw: CellValue) -> Parsed[str]:
    """A code (USCC, certificate or matter number): NFKC (full-width digits and letters to
    ASCII), upper case, all whitespace removed. A number that needed more than 15 digits
    has lost digits in Excel and cannot be restored: the person must format the column as
    text and type the codes again."""
    if raw is None or isinstance(raw, bool):
        return Parsed(None) if raw is None else _fail(NOT_A_CODE)
    if isinstance(raw, datetime | date | time | timedelta):
        return _fail(NOT_A_CODE)
    if isinstance(raw, int | float):
        if isinstance(raw, float) and not math.isfinite(raw):
            return _fail(NOT_A_CODE)
        if abs(raw) >= _EXACT_LIMIT:
            return _fail(LOST_DIGITS, shown=_scientific(float(raw)))
        return Parsed(_number_text(float(raw)) if isinstance(raw, float) else str(raw))
    # A control character inside a code is kept, so that the key check refuses the code
    # rather than storing another one than the person's file holds.
    text = (
        raw.strip(_STRIP) if isinstance(raw, str) and _CONTROL_RE.search(raw) else clean_text(raw)
    )
    if not text:
        return Parsed(None)
    code = "".join(unicodedata.normalize("NFKC", text).split()).upper()
    if _SCIENTIFIC.fullmatch(code):
        return _fail(LOST_DIGITS, shown=code)
    return Parsed(code)


# --- phones -------------------------------------------------------------------------------

_MOBILE: Final = re.compile(r"(?:\+?86-?|0086-?)?(1[3-9]\d{9})")
# Area code in parentheses or followed by a dash (as written), else inferred below.
_LANDLINE_WRITTEN: Final = re.compile(
    r"(?:\+?86-?)?\(?(0\d{2,3})(?:\)|-)-?(\d{7,8})(?:(?:-|转|ext\.?|x|#|分机)(\d{1,6}))?",
    re.IGNORECASE,
)
_LANDLINE_PLAIN: Final = re.compile(
    r"(0\d{9,11})(?:(?:-|转|ext\.?|x|#|分机)(\d{1,6}))?", re.IGNORECASE
)
_SERVICE: Final = re.compile(r"([48]00)-?(\d{3})-?(\d{4})")
_LOCAL_ONLY: Final = re.compile(r"\d{7,8}")
_PHONE_SEPARATORS: Final = re.compile(r"[/,;、\n]+")


def _area_code_length(digits: str) -> int:
    """China's area codes: 010 and 020-029 have three digits, every other one four."""
    return 3 if digits[1] in "12" else 4


def _one_phone(text: str) -> str | None:
    """One phone number in canonical form (mobile digits, or area-local[-extension])."""
    compact = re.sub(r"[\s\u2010-\u2015\uff0d]+", lambda m: "-" if m[0].strip() else "", text)
    compact = compact.replace("--", "-")
    if m := _MOBILE.fullmatch(compact):
        return m[1]
    if m := _SERVICE.fullmatch(compact):
        return f"{m[1]}-{m[2]}-{m[3]}"
    if m := _LANDLINE_WRITTEN.fullmatch(compact):
        area, local, ext = m[1], m[2], m[3]
    elif m := _LANDLINE_PLAIN.fullmatch(compact):
        digits, ext = m[1], m[2]
        cut = _area_code_length(digits)
        area, local = digits[:cut], digits[cut:]
        if not 7 <= len(local) <= 8:
            return None
    else:
        return None
    return f"{area}-{local}" + (f"-{ext}" if ext else "")


def _space_separated(words: list[str]) -> list[str] | None:
    """Phone numbers from space-separated words, joining neighbours greedily (longest
    first, at most three words per number); None if some word fits in no number."""
    found: list[str] = []
    i = 0
    while i < len(words):
        for size in (3, 2, 1):
            if i + size <= len(words) and (one := _one_phone("".join(words[i : i + size]))):
                found.append(one)
                i += size
                break
        else:
            return None
    return found


def phone(raw: CellValue) -> Parsed[str]:
    """Phone numbers: mobile 1[3-9]xxxxxxxxx, or a landline with its area code
    (0xx(x)-xxxxxxx(x), optional extension), or a 400/800 service number. Several numbers
    in one cell (separated by / , ; 、) are kept, joined by "/".

    A number Excel stored as a float (13812345678.0) is restored to its digits; a landline
    stored as a number lost its leading 0, which is put back with a warning.
    """
    if raw is None or isinstance(raw, bool | datetime | date | time | timedelta):
        return Parsed(None) if raw is None else _fail(PHONE_INVALID)
    if isinstance(raw, int | float):
        if isinstance(raw, float) and not (math.isfinite(raw) and raw.is_integer()):
            return _fail(PHONE_INVALID)
        digits = str(int(raw))
        if (found := _one_phone(digits)) is not None:
            return Parsed(found)
        restored = _one_phone("0" + digits) if digits[:1] not in "01" else None
        if restored is not None:
            return Parsed(restored, warning=PHONE_LEADING_ZERO)
        return _fail(PHONE_INVALID)
    text = clean_text(raw)
    if text is None:
        return Parsed(None)
    text = unicodedata.normalize("NFKC", text)
    numbers: list[str] = []
    for part in filter(None, (p.strip() for p in _PHONE_SEPARATORS.split(text))):
        found = _one_phone(part)
        if found is not None:
            numbers.append(found)
            continue
        # "0375-2345678 13812345678": numbers separated only by spaces, which may also
        # sit inside one number ("010 12345678").
        pieces = _space_separated(part.split())
        if pieces is None:
            if _LOCAL_ONLY.fullmatch("".join(part.split())):
                return _fail(PHONE_NO_AREA_CODE, shown=part)
            return _fail(PHONE_INVALID, shown=part)
        numbers.extend(pieces)
    return Parsed("/".join(dict.fromkeys(numbers)) or None)


# --- dates --------------------------------------------------------------------------------

# The 1900 date system: serial 1 is 1900-01-01, and Excel (after Lotus 1-2-3) counts a
# 29 February 1900 that never was, so from serial 61 on the epoch is 1899-12-30.
_EPOCH_AFTER_LEAP_BUG: Final = date(1899, 12, 30)
_EPOCH_BEFORE_LEAP_BUG: Final = date(1899, 12, 31)
_MAX_SERIAL: Final = 2958465  # 9999-12-31
# Plausible dates for a directory (a certificate expiry, a filing): anything outside is a
# typo or a number that was never a date.
EARLIEST: Final = date(1949, 10, 1)
LATEST: Final = date(2199, 12, 31)
# A certificate "valid long-term" (长期有效) never expires.
OPEN_ENDED: Final = date.max
_OPEN_ENDED_WORDS: Final = frozenset({"长期", "长期有效", "永久", "永久有效", "无期限", "不限期"})

_DATE_IN_TEXT: Final = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[\sT]*\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
    r"|(?<!\d)(\d{4})(\d{2})(\d{2})(?!\d)"
)
_RANGE_FILLER: Final = re.compile(r"[\s\-~至到—–－]*")


def excel_serial_to_date(serial: float) -> date | None:
    """Date of an Excel serial number (1900 date system), or None if it is no date."""
    if not math.isfinite(serial) or serial < 1 or serial > _MAX_SERIAL:
        return None
    days = int(serial)
    if days == 60:  # 1900-02-29, Lotus's leap day
        return None
    epoch = _EPOCH_AFTER_LEAP_BUG if days > 60 else _EPOCH_BEFORE_LEAP_BUG
    return epoch + timedelta(days=days)


def _yyyymmdd(number: int) -> date | None:
    try:
        return date(number // 10000, number // 100 % 100, number % 100)
    except ValueError:
        return None


def _checked(day: date | None, shown: str) -> Parsed[date]:
    if day is None:
        return _fail(DATE_INVALID, shown=shown)
    if not EARLIEST <= day <= LATEST:
        return _fail(DATE_RANGE, shown=day.isoformat())
    return Parsed(day)


def _dates_in(text: str) -> list[date] | None:
    """Every date written in ``text``, or None if something else is written there too."""
    found: list[date] = []
    rest = text
    for m in _DATE_IN_TEXT.finditer(text):
        y, mo, d = (m[1], m[2], m[3]) if m[1] else (m[4], m[5], m[6])
        try:
            found.append(date(int(y), int(mo), int(d)))
        except ValueError:
            return None
        rest = rest.replace(m[0], " ", 1)
    if not found or not _RANGE_FILLER.fullmatch(rest):
        return None
    return found


def date_value(
    raw: CellValue, *, range_end: bool = False, open_ended: bool = False
) -> Parsed[date]:
    """A date from a date/datetime cell, an Excel serial (number, or digits stored as
    text), 8 digits (20260601), or text: 2026-06-01, 2026/6/1, 2026.6.1, 2026年6月1日.

    ``range_end``: a validity period written as "2021.1.1-2026.12.31" gives its end.
    ``open_ended``: 长期/长期有效/永久 give ``OPEN_ENDED`` (a date that never comes).
    """
    if raw is None:
        return Parsed(None)
    if isinstance(raw, datetime):
        return _checked(raw.date(), raw.isoformat())
    if isinstance(raw, date):
        return _checked(raw, raw.isoformat())
    if isinstance(raw, bool | time | timedelta):
        return _fail(DATE_INVALID, shown=str(raw))
    if isinstance(raw, int | float):
        if 19000101 <= raw <= 21991231 and float(raw).is_integer():
            return _checked(_yyyymmdd(int(raw)), _number_text(float(raw)))
        return _checked(excel_serial_to_date(float(raw)), _number_text(float(raw)))
    text = clean_text(raw)
    if text is None:
        return Parsed(None)
    text = unicodedata.normalize("NFKC", text)
    if open_ended and "".join(text.split()) in _OPEN_ENDED_WORDS:
        return Parsed(OPEN_ENDED)
    if re.fullmatch(r"\d{5}(?:\.\d+)?", text):
        return _checked(excel_serial_to_date(float(text)), text)
    found = _dates_in(text)
    if found is None or (len(found) > 1 and not (range_end and len(found) == 2)):
        return _fail(DATE_INVALID, shown=text)
    return _checked(found[-1], text)


# --- booleans, enumerations, tags, ratios -------------------------------------------------

_TRUE: Final = frozenset(
    {"是", "y", "yes", "true", "√", "✓", "✔", "1", "对", "有", "可", "可以", "能", "是的"}
)
_FALSE: Final = frozenset(
    {
        "否",
        "n",
        "no",
        "false",
        "×",
        "✗",
        "✘",
        "x",
        "0",
        "错",
        "无",
        "不",
        "不可",
        "不可以",
        "不能",
        "不是",
    }
)


def boolean(raw: CellValue) -> Parsed[bool]:
    """是/否, Y/N, √/×, yes/no, true/false, 1/0 (and a TRUE/FALSE cell)."""
    if raw is None or isinstance(raw, bool):
        return Parsed(raw)
    if isinstance(raw, int | float):
        if raw in (0, 1):
            return Parsed(bool(raw))
        return _fail(BOOL_INVALID, shown=_number_text(float(raw)))
    text = clean_text(raw)
    if text is None:
        return Parsed(None)
    key = label_key(text)
    if key in _TRUE:
        return Parsed(True)
    if key in _FALSE:
        return Parsed(False)
    return _fail(BOOL_INVALID, shown=text)


def choice(raw: CellValue, labels: Mapping[str, str], allowed: str) -> Parsed[str]:
    """An enumeration: ``labels`` maps ``label_key(label)`` -> code for every accepted
    label (Chinese, English, the code itself, aliases); ``allowed`` is what the error shows.
    """
    text = clean_text(raw)
    if text is None:
        return Parsed(None)
    code = labels.get(label_key(text))
    if code is None:
        return _fail(ENUM_INVALID, shown=text, allowed=allowed)
    return Parsed(code)


_TAG_SEPARATORS: Final = re.compile(r"[,，、;；/／|\n]+")


def tags(raw: CellValue) -> tuple[str, ...] | None:
    """A list written in one cell ("食品、药品；特种设备"), de-duplicated in order."""
    text = clean_text(raw)
    if text is None:
        return None
    parts = (p.strip(_STRIP) for p in _TAG_SEPARATORS.split(text))
    found = tuple(dict.fromkeys(p for p in parts if p))
    return found or None


_RATIO: Final = re.compile(
    r"(?:不低于|不少于|不小于|至少|最低|约|≥|>=|>)?\s*(\d+(?:\.\d+)?)\s*(%|‰|percent)?"
)


def ratio_permille(raw: CellValue) -> Parsed[int]:
    """A sampling ratio in per mille (the draw's unit, docs/dsr-draw-v1.md).

    Written as 5%, 5‰, "不低于5%", a fraction (0.05: also what a percentage-formatted cell
    holds) or a bare number above 1 (5 means 5%). Rounded to whole per mille, with a
    warning when that changed the value.
    """
    if raw is None or isinstance(raw, bool):
        return Parsed(None) if raw is None else _fail(RATIO_INVALID, shown=str(raw))
    if isinstance(raw, int | float):
        number, sign, shown = float(raw), "", _number_text(float(raw))
    else:
        text = clean_text(raw)
        if text is None:
            return Parsed(None)
        shown = text
        m = _RATIO.fullmatch(unicodedata.normalize("NFKC", text).lower())
        if m is None:
            return _fail(RATIO_INVALID, shown=text)
        number, sign = float(m[1]), m[2] or ""
    if not math.isfinite(number):
        return _fail(RATIO_INVALID, shown=shown)
    if sign == "‰":
        permille = number
    elif sign or number > 1:
        permille = number * 10
    else:
        permille = number * 1000
    rounded = math.floor(permille + 0.5)
    if not 0 < rounded <= 1000:
        return _fail(RATIO_RANGE, shown=shown)
    if abs(rounded - permille) > 1e-9:
        return Parsed(
            rounded,
            warning=RATIO_ROUNDED,
            params=MappingProxyType({"shown": shown, "permille": str(rounded)}),
        )
    return Parsed(rounded)
