"""Codes as other systems export them: a 注册号/统一社会信用代码 column whose value decides
what each code is (a USCC, a 15-digit GS 15 number with or without a valid check digit, a
13-digit number, an old written form, or nothing usable), the headers of provincial
exports, and the kind a USCC says when the file has no kind column."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.registers.columns import match_header
from bot.domain.registers.diff import created_values
from bot.domain.registers.specs import Register
from bot.domain.registers.uscc import (
    MARKET_KINDS,
    OLD_REGNO,
    OLD_REGNO_13,
    OLD_REGNO_CHECK,
    OLD_REGNO_WRITTEN,
    check_uscc,
    entity_kind,
    gs15_check_digit,
    old_regno_reason,
)
from bot.domain.registers.validation import RowContext, validate_row
from tests.support.registers import uscc

CTX = RowContext(today=date(2026, 6, 1))

# GS 15-2006's own example of a registration number (check digit 6), and one whose check
# digit fails the rule (it should be 1), as many numbers issued before 2007 do.
GS15_VALID = "110108000000016"
GS15_FAILING = "320583000123456"


def test_gs15_check_digit_is_iso_7064_mod_11_10() -> None:
    assert gs15_check_digit(GS15_VALID[:14]) == "6"
    assert gs15_check_digit(GS15_FAILING[:14]) == "1"


def _p_after(digits: str) -> int:
    """ISO 7064 MOD 11,10 as the standard writes it, the slow way (the test's oracle)."""
    p = 10
    for d in digits:
        s = (p + int(d)) % 10
        p = (2 * (s if s else 10)) % 11
    return p


@given(st.text("0123456789", min_size=14, max_size=14))
def test_exactly_one_check_digit_completes_any_14_digits(first14: str) -> None:
    passing = [c for c in "0123456789" if (_p_after(first14) + int(c)) % 10 == 1]
    assert passing == [gs15_check_digit(first14)]


@pytest.mark.parametrize(
    ("raw", "reason", "kept"),
    [
        (GS15_VALID, OLD_REGNO, GS15_VALID),
        (GS15_FAILING, OLD_REGNO_CHECK, GS15_FAILING),
        ("3205831000123", OLD_REGNO_13, "3205831000123"),
        ("企独苏锡总字第001234号", OLD_REGNO_WRITTEN, "企独苏锡总字第001234号"),
        ("工商企合字第000123号", OLD_REGNO_WRITTEN, "工商企合字第000123号"),
        # Full-width digits and spaces as typed: normalised, then recognised.
        ("企独苏锡总字第００１２３４号 ", OLD_REGNO_WRITTEN, "企独苏锡总字第001234号"),
        ("苏锡企合字第000123号（分）", OLD_REGNO_WRITTEN, "苏锡企合字第000123号(分)"),
    ],
)
def test_old_registration_numbers_are_kept_with_a_warning(raw: str, reason: str, kept: str) -> None:
    result = check_uscc(raw)
    assert result.old_regno and not result.ok
    assert result.errors == ()
    assert result.warnings == (reason,)
    assert result.value == kept


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        ("无", "uscc.length"),
        ("暂无1234", "uscc.length"),
        ("第001234号", "uscc.length"),  # no office before 字/第: not a written form
        ("12345", "uscc.length"),
        ("١١٠١٠٨٠٠٠٠٠٠٠١٦", "uscc.length"),  # Arabic-Indic digits: not a registration number
        ("41048100001234", "uscc.length"),  # 14 digits
        ("91410481MA3X4Y5B", "uscc.length"),
        ("91410481MA3X4Y5B9I", "uscc.charset"),  # 18 characters: a USCC, malformed
        (uscc(1)[:17] + ("0" if uscc(1)[17] != "0" else "1"), "uscc.check_digit"),
    ],
)
def test_anything_else_is_an_error(raw: str, error: str) -> None:
    result = check_uscc(raw)
    assert not result.old_regno
    assert error in result.errors
    assert old_regno_reason(result.value) is None


def test_an_18_character_code_is_a_uscc_checked_as_before() -> None:
    assert check_uscc(uscc(3)).ok
    assert check_uscc(uscc(3)).warnings == ()


@pytest.mark.parametrize(
    ("cell", "field", "stored", "reason"),
    [
        (uscc(1), "uscc", uscc(1), None),
        (GS15_VALID, "reg_no", GS15_VALID, OLD_REGNO),
        (float(GS15_FAILING), "reg_no", GS15_FAILING, OLD_REGNO_CHECK),  # a number cell
        (3205831000123, "reg_no", "3205831000123", OLD_REGNO_13),
        ("企独苏锡总字第001234号", "reg_no", "企独苏锡总字第001234号", OLD_REGNO_WRITTEN),
    ],
)
def test_the_combined_column_puts_each_code_in_its_field(
    cell: object, field: str, stored: str, reason: str | None
) -> None:
    result = validate_row(Register.ENTITIES, {"name": "甲", "uscc": cell}, CTX)  # type: ignore[dict-item]
    assert result.errors == []
    assert result.values[field] == stored
    if field == "reg_no":
        assert result.values["uscc"] is None
    assert [p.reason for p in result.warnings] == ([] if reason is None else [reason])


def test_a_malformed_code_in_the_combined_column_is_an_error() -> None:
    result = validate_row(Register.ENTITIES, {"name": "甲", "uscc": "ABC-123"}, CTX)
    assert [p.reason for p in result.errors] == ["uscc.length"]
    assert result.values["uscc"] is None and "reg_no" not in result.values


# --- headers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("注册号/统一社会信用代码", "uscc"),
        ("统一社会信用代码/注册号", "uscc"),
        ("注册号（统一社会信用代码）", "uscc"),
        ("统一社会信用代码（注册号）", "uscc"),
        ("统一社会信用代码、注册号", "uscc"),  # any header naming both
        ("信用代码或注册号", "uscc"),
        ("注册号", "reg_no"),
        ("企业名称", "name"),
        ("主体名称", "name"),
        ("单位名称", "name"),
        ("登记机关", "authority"),
        ("管辖单位", "area"),
        ("所属监管所", "area"),
    ],
)
def test_headers_of_provincial_exports(header: str, field: str) -> None:
    assert match_header(Register.ENTITIES, header) == field


def test_a_combined_header_means_nothing_in_another_register() -> None:
    assert match_header(Register.INSPECTORS, "注册号/统一社会信用代码") is None


# --- the kind a USCC says ---------------------------------------------------------------------


def test_the_kind_rule_is_department_9_and_its_three_categories() -> None:
    assert dict(MARKET_KINDS) == {"91": "enterprise", "92": "individual", "93": "cooperative"}
    assert entity_kind(uscc(1, "91")) == "enterprise"
    assert entity_kind(uscc(1, "92")) == "individual"
    assert entity_kind(uscc(1, "93")) == "cooperative"
    for other in ("11", "12", "51", "52", "71", "N2", "Y1"):
        assert entity_kind(uscc(1, other)) is None
    assert entity_kind(None) is None


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        ({"uscc": uscc(1, "91")}, "enterprise"),
        ({"uscc": uscc(1, "92")}, "individual"),
        ({"uscc": uscc(1, "93")}, "cooperative"),
        ({"uscc": uscc(1, "12")}, "other"),  # a public institution: not a market kind
        ({"reg_no": GS15_VALID}, "other"),  # no USCC: nothing says the kind
        ({"uscc": uscc(1, "92"), "kind": "enterprise"}, "enterprise"),  # the file's kind wins
    ],
)
def test_a_new_record_without_a_kind_column_takes_the_kind_its_uscc_says(
    values: dict[str, object], kind: str
) -> None:
    assert created_values(Register.ENTITIES, {"name": "甲", **values})["kind"] == kind


# --- the registration-number column of its own ------------------------------------------------


@pytest.mark.parametrize("cell", ["无", "暂无", "/", "-", "—", "n/a", "NULL", 0])
def test_a_none_written_in_the_registration_number_column_is_blank(cell: object) -> None:
    """Never a key two rows could share (a duplicate error for every 无)."""
    result = validate_row(Register.ENTITIES, {"name": "甲", "reg_no": cell}, CTX)  # type: ignore[dict-item]
    assert result.errors == [] and result.values["reg_no"] is None


def test_a_uscc_in_the_registration_number_column_is_the_rows_uscc() -> None:
    moved = validate_row(Register.ENTITIES, {"name": "甲", "reg_no": uscc(7, "92")}, CTX)
    assert (moved.values["uscc"], moved.values["reg_no"]) == (uscc(7, "92"), None)
    both = validate_row(Register.ENTITIES, {"name": "甲", "uscc": uscc(8), "reg_no": uscc(7)}, CTX)
    assert (both.values["uscc"], both.values["reg_no"]) == (uscc(8), uscc(7))  # as written
    kept = validate_row(Register.ENTITIES, {"name": "甲", "reg_no": GS15_FAILING}, CTX)
    assert (kept.values.get("uscc"), kept.values["reg_no"]) == (None, GS15_FAILING)
    assert kept.warnings == []  # a registration number where one belongs
