"""Cell normalisation: what Excel, WPS and Chinese input methods make of typed values."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain import cells
from bot.domain.cells import (
    OPEN_ENDED,
    boolean,
    choice,
    clean_text,
    code_text,
    date_value,
    excel_serial_to_date,
    is_blank,
    label_key,
    phone,
    ratio_permille,
    tags,
)

# --- text -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, None),
        ("", None),
        ("\u3000舞钢市甲有限公司\u3000", "舞钢市甲有限公司"),
        ("\u00a0张三 ", "张三"),
        ("\ufeff\u200b李四\u200b", "李四"),
        ("a\r\nb\rc", "a\nb\nc"),
        (" \u3000 ", None),
        (12.0, "12"),
        (3.5, "3.5"),
        (7, "7"),
        (float("nan"), None),
        (date(2026, 6, 1), "2026-06-01"),
        (True, "是"),
    ],
)
def test_clean_text(raw: cells.CellValue, expected: str | None) -> None:
    assert clean_text(raw) == expected


def test_is_blank() -> None:
    assert is_blank(None)
    assert is_blank("")
    assert is_blank("\u3000\u00a0 ")
    assert not is_blank(0.0)
    assert not is_blank("0")


def test_label_key_ignores_width_case_and_spaces() -> None:
    assert label_key("Ａ 类") == label_key("a类")


# --- codes ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("９１４１０４８１ＭＡ", "91410481MA"),
        (" 914104 81ma\u3000", "91410481MA"),
        (410481000012345.0, "410481000012345"),  # 15 digits survive a number cell
        (16001.0, "16001"),
        (16001, "16001"),
        (None, None),
        ("", None),
    ],
)
def test_code_text(raw: cells.CellValue, expected: str | None) -> None:
    parsed = code_text(raw)
    assert parsed.error is None
    assert parsed.value == expected


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        (9.14104e17, "9.14104E+17"),
        (914104810000000000, "9.14105E+17"),
        (1e15, "1E+15"),
        ("9.14104E+17", "9.14104E+17"),
        ("9.14104e+17", "9.14104E+17"),
    ],
)
def test_codes_that_excel_already_rounded_are_errors(raw: cells.CellValue, shown: str) -> None:
    parsed = code_text(raw)
    assert parsed.value is None
    assert parsed.error == "cell.lost_digits"
    assert parsed.params == {"shown": shown}


def test_a_date_is_not_a_code() -> None:
    assert code_text(date(2026, 1, 1)).error == "cell.not_a_code"


# --- phones -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (13812345678.0, "13812345678"),
        (13812345678, "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("+86 13812345678", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),
        ("0375-2345678", "0375-2345678"),
        ("0375－2345678", "0375-2345678"),
        ("（0375）2345678", "0375-2345678"),
        ("03752345678", "0375-2345678"),
        ("010-12345678", "010-12345678"),
        ("01012345678", "010-12345678"),
        ("0375-2345678转801", "0375-2345678-801"),
        ("0375-2345678-801", "0375-2345678-801"),
        ("400-123-4567", "400-123-4567"),
        ("13812345678/0375-2345678", "13812345678/0375-2345678"),
        ("13812345678、13912345678", "13812345678/13912345678"),
        ("0375-2345678 13812345678", "0375-2345678/13812345678"),
        ("13812345678；13812345678", "13812345678"),
        (None, None),
        ("\u3000", None),
    ],
)
def test_phone_valid(raw: cells.CellValue, expected: str | None) -> None:
    parsed = phone(raw)
    assert (parsed.value, parsed.error, parsed.warning) == (expected, None, None)


def test_landline_stored_as_a_number_gets_its_zero_back_with_a_warning() -> None:
    parsed = phone(3752345678.0)  # 0375-2345678 typed into a General cell
    assert parsed.value == "0375-2345678"
    assert parsed.warning == "phone.leading_zero"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("12345678901", "phone.invalid"),  # no mobile starts 12
        ("1381234567", "phone.invalid"),
        ("2345678", "phone.no_area_code"),
        ("23456789", "phone.no_area_code"),
        ("tel", "phone.invalid"),
        (138.5, "phone.invalid"),
        ("13812345678/abc", "phone.invalid"),
        (date(2026, 1, 1), "phone.invalid"),
    ],
)
def test_phone_invalid(raw: cells.CellValue, reason: str) -> None:
    parsed = phone(raw)
    assert parsed.value is None
    assert parsed.error == reason


# --- dates ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        date(2026, 6, 1),
        datetime(2026, 6, 1, 9, 30),
        46174.0,  # the Excel serial
        46174,
        46174.75,  # a time of day on top
        "46174",  # a serial that became text
        "2026-06-01",
        "2026-6-1",
        "2026/6/1",
        "2026.6.1",
        "2026年6月1日",
        "2026 年 6 月 1 日",
        "２０２６年６月１日",
        "20260601",
        20260601.0,
        "2026-06-01 00:00:00",
        "2026-06-01T08:00:00",
    ],
)
def test_dates(raw: cells.CellValue) -> None:
    parsed = date_value(raw)
    assert parsed.error is None, parsed
    assert parsed.value == date(2026, 6, 1)


def test_excel_serials_around_the_1900_leap_bug() -> None:
    assert excel_serial_to_date(1) == date(1900, 1, 1)
    assert excel_serial_to_date(59) == date(1900, 2, 28)
    assert excel_serial_to_date(60) is None  # 1900-02-29 never was
    assert excel_serial_to_date(61) == date(1900, 3, 1)
    assert excel_serial_to_date(45292) == date(2024, 1, 1)
    assert excel_serial_to_date(0) is None


def test_validity_range_gives_its_end_when_asked() -> None:
    assert date_value("2021.1.1-2026.12.31", range_end=True).value == date(2026, 12, 31)
    assert date_value("2021年1月1日至2026年12月31日", range_end=True).value == date(2026, 12, 31)
    assert date_value("2021-01-01~2026-12-31", range_end=True).value == date(2026, 12, 31)
    assert date_value("2021.1.1-2026.12.31").error == "date.invalid"


def test_long_term_validity() -> None:
    assert date_value("长期", open_ended=True).value == OPEN_ENDED
    assert date_value("长期 有效", open_ended=True).value == OPEN_ENDED
    assert date_value("长期").error == "date.invalid"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("2026-02-30", "date.invalid"),
        ("2026年6月", "date.invalid"),
        ("明年", "date.invalid"),
        ("2026-06-01前", "date.invalid"),
        (True, "date.invalid"),
        (time(9, 30), "date.invalid"),
        (1.0, "date.range"),  # 1900-01-01: a number that was never a date
        ("1900-01-01", "date.range"),
        ("2300-01-01", "date.range"),
    ],
)
def test_dates_invalid(raw: cells.CellValue, reason: str) -> None:
    parsed = date_value(raw)
    assert parsed.value is None
    assert parsed.error == reason


@given(st.dates(min_value=cells.EARLIEST, max_value=cells.LATEST))
def test_every_plausible_date_round_trips_through_its_serial_and_its_text(day: date) -> None:
    serial = (day - date(1899, 12, 30)).days
    assert date_value(float(serial)).value == day
    assert date_value(f"{day.year}年{day.month}月{day.day}日").value == day
    assert date_value(day.strftime("%Y%m%d")).value == day


# --- booleans, enumerations, tags, ratios -----------------------------------------------------


@pytest.mark.parametrize("raw", ["是", "Y", "y", "yes", "TRUE", "√", "✓", "1", 1.0, True, " 是 "])
def test_true(raw: cells.CellValue) -> None:
    assert boolean(raw).value is True


@pytest.mark.parametrize("raw", ["否", "N", "no", "FALSE", "×", "0", 0, False, "不"])
def test_false(raw: cells.CellValue) -> None:
    assert boolean(raw).value is False


def test_boolean_invalid_and_blank() -> None:
    assert boolean("也许").error == "bool.invalid"
    assert boolean(2.0).error == "bool.invalid"
    assert boolean("").value is None


def test_choice_by_any_label() -> None:
    labels = {
        label_key(k): v for k, v in {"企业": "enterprise", "Enterprise": "enterprise"}.items()
    }
    assert choice("企业", labels, "企业").value == "enterprise"
    assert choice(" ENTERPRISE ", labels, "企业").value == "enterprise"
    bad = choice("公司甲", labels, "企业")
    assert bad.error == "enum.invalid"
    assert bad.params == {"shown": "公司甲", "allowed": "企业"}


def test_tags_split_on_chinese_and_ascii_separators() -> None:
    assert tags("食品、药品；特种设备,食品 / 化妆品") == ("食品", "药品", "特种设备", "化妆品")
    assert tags(" 、 ") is None
    assert tags(None) is None


@pytest.mark.parametrize(
    ("raw", "permille"),
    [
        ("5%", 50),
        ("5％", 50),
        (" 5 % ", 50),
        (0.05, 50),  # a percentage-formatted cell
        ("0.05", 50),
        (5, 50),  # a bare number above 1 is a percentage
        ("3‰", 3),
        ("不低于3%", 30),
        ("≥10%", 100),
        ("100%", 1000),
        (1.0, 1000),
    ],
)
def test_ratio(raw: cells.CellValue, permille: int) -> None:
    parsed = ratio_permille(raw)
    assert (parsed.value, parsed.error, parsed.warning) == (permille, None, None)


def test_ratio_rounding_and_errors() -> None:
    rounded = ratio_permille("0.25%")
    assert (rounded.value, rounded.warning) == (3, "ratio.rounded")
    assert rounded.params == {"shown": "0.25%", "permille": "3"}
    assert ratio_permille("200%").error == "ratio.range"
    assert ratio_permille(0).error == "ratio.range"
    assert ratio_permille("约一成").error == "ratio.invalid"
    assert ratio_permille("").value is None


def test_control_characters_leave_free_text_but_stop_a_code() -> None:
    """_x0001_-style escapes arrive as control characters: gone from text (they would
    become formulas in an export, and PostgreSQL refuses NUL), kept in a code so that the
    key check refuses it instead of storing another code than the file's."""
    assert cells.clean_text("\x00=cmd|' /C calc'!A0 公司") == "=cmd|' /C calc'!A0 公司"
    assert cells.clean_text("第一行\n第二行\x1b") == "第一行\n第二行"
    assert cells.code_text("A\x07B").value == "A\x07B"
