"""Dates as people type them in Chinese offices: one day or a range of days (pure).

An inspector telling the bot about a trip types what they would write on a leave slip:
``6.1``, ``6/1``, ``6月1日``, ``6月1号``, ``2026-06-01``, ``2026/6/1``, ``2026年6月1日``,
``20260601``, with full-width digits from a Chinese input method, or a word: 今天, 明天,
后天. A range joins two of them with ``-``, ``—``, ``~``, ``至`` or ``到``
(``6.1-6.5``, ``6月1日至6月5日``, ``6.1到6.5``); its end may leave out what the start
already said: ``6.1-5``, ``6月1日至5日``, ``2026-06-01-05``, ``2026-06-01-2026-06-05``.
A month and day are never joined by ``-`` without a year (``6-1`` is not a day).

The year, when nobody typed one (decided here, once):

- a year-less start is the one in the year of days that begins ``PAST_DAYS`` (61, about
  two months) before ``today``: at most two months back, otherwise ahead. People mark
  trips ahead, so in June ``3.15`` is next March and in December ``1.5`` is the coming
  January; a sick leave that began last month stays last month's, in January too
  (``12.20`` on 1 January is the 20th of December just past);
- a year-less end is in the start's year; if that puts it before the start, in the next
  year, but only when the range then spans at most ``ROLL_DAYS`` (62) days
  (``12.28-1.3``); otherwise the end is before the start and that is an error
  (``6.5-6.1`` is a typo, not an absence of a year).

Nothing here raises on bad input except ``TypedDateError``, which carries a reason code
(a key of ``REASONS`` below, English sentences marked for translation as in
``bot.domain.reasons``) and its parameters; the sentence is translated where a person reads it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, time, timedelta
from types import MappingProxyType
from typing import Final, NamedTuple

from bot.domain.reasons import N_

# Reason codes and their sentences.
UNREADABLE: Final = "typed_date.unreadable"
NO_SUCH_DAY: Final = "typed_date.no_such_day"
END_BEFORE_START: Final = "typed_date.end_before_start"
REASONS: Final = MappingProxyType(
    {
        UNREADABLE: N_(
            "“{shown}” is not a date I can read. Write it like 6.1, 6月1日 or 2026-06-01;"
            " a range like 6.1-6.5 or 6月1日至6月5日."
        ),
        NO_SUCH_DAY: N_("There is no such day: {shown}."),
        END_BEFORE_START: N_("The end ({end}) is before the start ({start})."),
    }
)

# A year-less day more than this many days before today is next year's.
PAST_DAYS: Final = 61
# A year-less end before its start rolls into the next year only for a range this short.
ROLL_DAYS: Final = 62

_WORDS: Final = {"今天": 0, "今日": 0, "明天": 1, "明日": 1, "后天": 2}
# Characters an input method or a phone may put where a person meant "." or "-".
_DOTS: Final = str.maketrans({"。": ".", "、": ".", "·": "."})
_DASHES: Final = "-—–‐‑‒―－〜~～"

_COMPACT = r"(?P<{p}c>\d{{8}})"
_WORD = r"(?P<{p}w>" + "|".join(_WORDS) + ")"
_DAY_ONLY = r"(?P<{p}o>\d{{1,2}})\s*(?:日|号)?"


def _date_pattern(prefix: str, *, day_only: bool = False) -> str:
    iso = (
        r"(?P<{p}y>\d{{4}})\s*(?:年\s*(?P<{p}m>\d{{1,2}})\s*月\s*(?P<{p}d>\d{{1,2}})\s*(?:日|号)?"
        r"|[-/.]\s*(?P<{p}im>\d{{1,2}})\s*[-/.]\s*(?P<{p}id>\d{{1,2}}))"
    )
    plain = r"(?P<{p}pm>\d{{1,2}})\s*(?:月|[/.])\s*(?P<{p}pd>\d{{1,2}})\s*(?:日|号)?"
    options = [_COMPACT, iso, plain, _WORD]
    if day_only:
        options.append(_DAY_ONLY)
    return "(?:" + "|".join(o.format(p=prefix) for o in options) + ")"


_SEPARATOR: Final = rf"\s*(?:[{re.escape(_DASHES)}]+|至|到)\s*"
_SINGLE: Final = re.compile(rf"^{_date_pattern('a')}$")
_RANGE: Final = re.compile(
    rf"^{_date_pattern('a')}{_SEPARATOR}{_date_pattern('b', day_only=True)}$"
)


class Span(NamedTuple):
    """The first and the last day, both included."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class _Typed:
    """One side of what was typed: the fields present (None where left out)."""

    year: int | None
    month: int | None
    day: int
    shown: str


class TypedDateError(ValueError):
    """What was typed is not a day or a range: ``reason`` (a code) and its ``params``."""

    def __init__(self, reason: str, **params: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.params = params


def normalise(text: str) -> str:
    """Full-width digits and punctuation made half-width (NFKC), trimmed, with a leading
    从 and the Chinese full stop or enumeration comma used as a dot read as people mean them."""
    cleaned = unicodedata.normalize("NFKC", text).translate(_DOTS).strip()
    return cleaned.removeprefix("从").strip()


def parse_span(text: str, today: date) -> Span:
    """A day (as a one-day span) or a range, read as described in the module docstring."""
    cleaned = normalise(text)
    single = _SINGLE.match(cleaned)
    if single:
        day = _resolve_start(_fields(single, "a", today), today)
        return Span(day, day)
    both = _RANGE.match(cleaned)
    if both is None:
        raise TypedDateError(UNREADABLE, shown=text.strip()[:40])
    start = _resolve_start(_fields(both, "a", today), today)
    end = _resolve_end(_fields(both, "b", today), start)
    if end < start:
        raise TypedDateError(END_BEFORE_START, start=start.isoformat(), end=end.isoformat())
    return Span(start, end)


def parse_day(text: str, today: date) -> date:
    """One day; a range is refused as unreadable here."""
    span = parse_span(text, today)
    if span.start != span.end:
        raise TypedDateError(UNREADABLE, shown=text.strip()[:40])
    return span.start


def _fields(match: re.Match[str], p: str, today: date) -> _Typed:
    group = match.groupdict()
    present = [name for name, value in group.items() if name.startswith(p) and value]
    shown = match.string[min(match.start(n) for n in present) : max(match.end(n) for n in present)]
    if group.get(f"{p}w"):
        word = today + timedelta(days=_WORDS[group[f"{p}w"]])
        return _Typed(word.year, word.month, word.day, shown)
    if group.get(f"{p}c"):
        compact = group[f"{p}c"]
        return _Typed(int(compact[:4]), int(compact[4:6]), int(compact[6:]), compact)
    year = group.get(f"{p}y")
    if year:
        month = group.get(f"{p}m") or group[f"{p}im"]
        day = group.get(f"{p}d") or group[f"{p}id"]
        return _Typed(int(year), int(month), int(day), shown)
    if group.get(f"{p}pm"):
        return _Typed(None, int(group[f"{p}pm"]), int(group[f"{p}pd"]), shown)
    return _Typed(None, None, int(group[f"{p}o"]), shown)


def _make(year: int, month: int, day: int, shown: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise TypedDateError(NO_SUCH_DAY, shown=shown.strip()) from None


def _resolve_start(typed: _Typed, today: date) -> date:
    month = typed.month if typed.month is not None else today.month
    if typed.year is not None:
        return _make(typed.year, month, typed.day, typed.shown)
    if not _exists_in_some_year(month, typed.day):
        raise TypedDateError(NO_SUCH_DAY, shown=typed.shown.strip())
    # The year of days from ``cutoff`` on; compared as (month, day) so that 2.29 picks
    # its year before its existence is checked.
    cutoff = today - timedelta(days=PAST_DAYS)
    year = cutoff.year
    if (month, typed.day) < (cutoff.month, cutoff.day):
        year += 1
    return _make(year, month, typed.day, typed.shown)


def _resolve_end(typed: _Typed, start: date) -> date:
    if typed.year is not None:
        return _make(typed.year, typed.month or start.month, typed.day, typed.shown)
    month = typed.month if typed.month is not None else start.month
    if not _exists_in_some_year(month, typed.day):
        raise TypedDateError(NO_SUCH_DAY, shown=typed.shown.strip())
    if (month, typed.day) >= (start.month, start.day):
        return _make(start.year, month, typed.day, typed.shown)
    rolled = _make(start.year + 1, month, typed.day, typed.shown)
    if (rolled - start).days < ROLL_DAYS:
        return rolled
    # Not a new year: the end is before the start (the caller says so). 2.29 in a year
    # without one is shown as the 28th, which is before any start it could follow.
    return _make(start.year, month, min(typed.day, 28 if month == 2 else typed.day), typed.shown)


def _exists_in_some_year(month: int, day: int) -> bool:
    try:
        date(2028, month, day)  # a leap year: every day that can exist does
    except ValueError:
        return False
    return True


_TIME_OF_DAY = re.compile(r"(?P<h>\d{1,2})(?:[:：.](?P<m>\d{2})|点(?:(?P<cm>\d{1,2})分?|半)?)?")


def parse_time_of_day(text: str) -> time:
    """A time of day as people type it: 9:30, 09:30, 9：30, 9点, 9点30分, 9点半, 14."""
    cleaned = unicodedata.normalize("NFKC", text).strip()
    match = _TIME_OF_DAY.fullmatch(cleaned)
    if match is None:
        raise TypedDateError(UNREADABLE, shown=text.strip()[:40])
    hour = int(match["h"])
    minute = int(match["m"] or match["cm"] or (30 if cleaned.endswith("半") else 0))
    if hour > 23 or minute > 59:
        raise TypedDateError(UNREADABLE, shown=text.strip()[:40])
    return time(hour, minute)
