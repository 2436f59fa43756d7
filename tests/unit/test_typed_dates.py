"""Dates as people type them (bot.domain.dates): the forms, the year rule, the errors."""

from __future__ import annotations

import unicodedata
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain import dates
from bot.domain.dates import Span, TypedDateError, parse_day, parse_span

TODAY = date(2026, 6, 1)
JUNE_1 = Span(date(2026, 6, 1), date(2026, 6, 1))
JUNE_1_5 = Span(date(2026, 6, 1), date(2026, 6, 5))


@pytest.mark.parametrize(
    "text",
    [
        "6.1",
        "6/1",
        "6月1日",
        "6月1号",
        "6月1",
        "2026-06-01",
        "2026/6/1",
        "2026.6.1",
        "2026年6月1日",
        "2026 年 6 月 1 日",
        "20260601",
        "６．１",
        "２０２６年６月１日",
        "6。1",
        " 6.1 ",
        "今天",
        "今日",
    ],
)
def test_one_day_in_every_form(text: str) -> None:
    assert parse_span(text, TODAY) == JUNE_1
    assert parse_day(text, TODAY) == date(2026, 6, 1)


@pytest.mark.parametrize(
    "text",
    [
        "6.1-6.5",
        "6.1—6.5",
        "6.1——6.5",
        "6.1–6.5",
        "6.1~6.5",
        "6.1～6.5",
        "6.1 - 6.5",
        "6月1日至6月5日",
        "6月1日至5日",
        "6月1号到5号",
        "6.1到6.5",
        "从6.1到6.5",
        "6.1-5",
        "6/1-6/5",
        "2026-06-01-2026-06-05",
        "2026-06-01-05",
        "2026年6月1日至2026年6月5日",
        "20260601-20260605",
        "６．１－６．５",
        "今天-6.5",
    ],
)
def test_ranges_in_every_form(text: str) -> None:
    assert parse_span(text, TODAY) == JUNE_1_5


def test_words_are_relative_to_today() -> None:
    assert parse_span("明天", TODAY) == Span(date(2026, 6, 2), date(2026, 6, 2))
    assert parse_span("后天", TODAY).start == date(2026, 6, 3)
    assert parse_span("今天到明天", date(2026, 12, 31)) == Span(
        date(2026, 12, 31), date(2027, 1, 1)
    )


def test_the_year_of_a_year_less_day() -> None:
    # Up to 61 days back it is the day just past (a sick leave that began last month)...
    assert parse_day("4.1", TODAY) == date(2026, 4, 1)
    # ...further back it is next year's (people mark trips ahead).
    assert parse_day("3.31", TODAY) == date(2027, 3, 31)
    assert parse_day("1.5", date(2026, 12, 20)) == date(2027, 1, 5)
    # In January, a day of December just past is last year's.
    assert parse_day("12.20", date(2027, 1, 10)) == date(2026, 12, 20)
    assert parse_day("11.1", date(2027, 1, 10)) == date(2027, 11, 1)
    # An explicit year is always kept.
    assert parse_day("2025.1.5", TODAY) == date(2025, 1, 5)


def test_a_range_over_new_year() -> None:
    assert parse_span("12.28-1.3", TODAY) == Span(date(2026, 12, 28), date(2027, 1, 3))
    assert parse_span("2026.12.28-1.3", TODAY).end == date(2027, 1, 3)


@pytest.mark.parametrize(
    ("text", "reason", "params"),
    [
        ("6.31", dates.NO_SUCH_DAY, {"shown": "6.31"}),
        ("2026-02-30", dates.NO_SUCH_DAY, {"shown": "2026-02-30"}),
        ("2.29", dates.NO_SUCH_DAY, {"shown": "2.29"}),  # 2027 has none
        ("6.1-6.31", dates.NO_SUCH_DAY, {"shown": "6.31"}),
        ("13.1", dates.NO_SUCH_DAY, {"shown": "13.1"}),
        ("6.5-6.1", dates.END_BEFORE_START, {"start": "2026-06-05", "end": "2026-06-01"}),
        ("2026.6.5-2026.6.1", dates.END_BEFORE_START, {"start": "2026-06-05", "end": "2026-06-01"}),
        ("6.28-3", dates.END_BEFORE_START, {"start": "2026-06-28", "end": "2026-06-03"}),
        ("下周", dates.UNREADABLE, {"shown": "下周"}),
        ("6-1", dates.UNREADABLE, {"shown": "6-1"}),
        ("", dates.UNREADABLE, {"shown": ""}),
        ("6.1-", dates.UNREADABLE, {"shown": "6.1-"}),
    ],
)
def test_errors_are_reason_codes_with_params(
    text: str, reason: str, params: dict[str, str]
) -> None:
    with pytest.raises(TypedDateError) as caught:
        parse_span(text, TODAY)
    assert caught.value.reason == reason
    assert caught.value.params == params
    assert set(params) == {
        name for name in ("shown", "start", "end") if "{" + name + "}" in dates.REASONS[reason]
    }


def test_a_range_is_not_one_day() -> None:
    with pytest.raises(TypedDateError) as caught:
        parse_day("6.1-6.5", TODAY)
    assert caught.value.reason == dates.UNREADABLE


# --- properties -------------------------------------------------------------------------------

days = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))


def _forms(day: date) -> list[str]:
    return [
        day.isoformat(),
        f"{day.year}/{day.month}/{day.day}",
        f"{day.year}.{day.month}.{day.day}",
        f"{day.year}年{day.month}月{day.day}日",
        day.strftime("%Y%m%d"),
    ]


@given(days, days)
def test_a_day_with_its_year_reads_back_in_every_form(day: date, today: date) -> None:
    for text in _forms(day):
        assert parse_day(text, today) == day
        full_width = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in text)
        assert unicodedata.normalize("NFKC", full_width) == text
        assert parse_day(full_width, today) == day


@given(days, st.integers(min_value=1, max_value=12), st.integers(min_value=1, max_value=31))
def test_a_year_less_day_lies_in_the_year_ahead(today: date, month: int, day: int) -> None:
    try:
        found = parse_day(f"{month}月{day}日", today)
    except TypedDateError as error:
        assert error.reason == dates.NO_SUCH_DAY
        return
    assert (found.month, found.day) == (month, day)
    assert today - timedelta(days=dates.PAST_DAYS) <= found
    assert found < today - timedelta(days=dates.PAST_DAYS) + timedelta(days=366)


@given(days, days, days)
def test_a_range_never_ends_before_it_starts(first: date, second: date, today: date) -> None:
    text = f"{first.isoformat()}至{second.isoformat()}"
    if second < first:
        with pytest.raises(TypedDateError):
            parse_span(text, today)
    else:
        assert parse_span(text, today) == Span(first, second)


@given(days, st.integers(min_value=0, max_value=60))
def test_year_less_ranges_read_as_the_days_typed(today: date, length: int) -> None:
    start = today + timedelta(days=1)
    end = start + timedelta(days=length)
    span = parse_span(f"{start.month}.{start.day}-{end.month}.{end.day}", today)
    if (start.month, start.day) == (2, 29) or (end.month, end.day) == (2, 29):
        return  # the 29th of February in a year-less range is checked above
    assert span == Span(start, end)
