"""The USCC check (GB 32100-2015) and the old 15-digit registration number."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.registers import uscc
from bot.domain.registers.uscc import (
    CATEGORIES,
    CHARSET,
    PROVINCE_PREFIXES,
    check_character,
    check_uscc,
    normalise_uscc,
    org_code_check_character,
    registry_category,
)

# Codes published by large companies (their business licences are public). They are
# quoted from memory, so here is why they can be trusted as test data: a misremembered
# code passes the MOD 31-3 check with probability 1/31, and all of these pass it.
PUBLISHED = (
    "914403001922038216",
    "91440300708461136T",
    "91330100799655058B",
    "91110000710925462X",
    "91110108551385082Q",
    "91110000802100433B",
    "911100001000044477",
    "91310000607216596U",
)


def make(first17: str) -> str:
    return first17 + check_character(first17)


def with_org_check(prefix8: str, body8: str) -> str:
    """A USCC whose embedded organisation code carries its own correct check character."""
    return make(prefix8 + body8 + org_code_check_character(body8))


def test_weights_are_powers_of_three_mod_31() -> None:
    assert uscc.WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def test_charset_has_31_characters_without_i_o_s_v_z() -> None:
    assert len(CHARSET) == 31
    assert not set("IOSVZ") & set(CHARSET)


@pytest.mark.parametrize("code", PUBLISHED)
def test_published_codes_pass(code: str) -> None:
    result = check_uscc(code)
    assert result.ok, result
    assert result.warnings == ()


@pytest.mark.parametrize(
    ("prefix8", "body8"),
    [
        ("91410481", "MA3X4Y5B"),  # 舞钢市, an enterprise registered after 2015 (MA...)
        ("92410481", "MA40QB2D"),  # an individual business
        ("93410481", "MA9G7K3L"),  # a farmers' cooperative
        ("12410481", "41588372"),  # a public institution (机构编制 / 事业单位)
        ("51410400", "50912345"),  # a social organisation (民政 / 社会团体)
        ("N2410481", "MA4C8P6R"),  # a village collective economic organisation
        ("Y1410481", "MA45L0UX"),  # 其他
    ],
)
def test_generated_codes_pass(prefix8: str, body8: str) -> None:
    code = with_org_check(prefix8, body8)
    assert check_uscc(code).ok
    assert check_uscc(code).warnings == ()


def test_normalisation_full_width_lower_case_and_separators() -> None:
    code = PUBLISHED[1]
    typed = "９１４４０３００ ７０８４６１１３６ｔ"
    assert normalise_uscc(typed) == code
    assert check_uscc(typed).value == code
    assert check_uscc(code.lower()).ok
    assert check_uscc("9144-0300-7084-6113-6T").ok


@pytest.mark.parametrize(
    ("raw", "reason", "params"),
    [
        ("91440300708461136", "uscc.length", {"length": "17"}),
        ("91440300708461136TX", "uscc.length", {"length": "19"}),
        ("", "uscc.length", {"length": "0"}),
        ("9144030070846113OT", "uscc.charset", {"chars": "O"}),
        ("9I44030070846113ST", "uscc.charset", {"chars": "I S"}),
        ("91440300708461136*", "uscc.charset", {"chars": "*"}),
    ],
)
def test_unusable_shapes_stop_the_check(raw: str, reason: str, params: dict[str, str]) -> None:
    result = check_uscc(raw)
    assert result.errors == (reason,)
    assert dict(result.params) == params
    assert not result.ok


def test_department_and_category_come_from_the_standard() -> None:
    assert CATEGORIES["91"] == "企业"
    assert "99" not in CATEGORIES  # 工商 has no 其他
    assert registry_category("N3") == ("农业", "乡镇级集体经济组织")
    assert registry_category("A1") == ("中央军委改革和编制办公室", "军队事业单位")
    assert registry_category("Y9") is None
    assert registry_category("B1") is None

    assert check_uscc(make("B1410481MA3X4Y5B0")).errors == ("uscc.department",)
    assert check_uscc(make("94410481MA3X4Y5B0")).errors == ("uscc.category",)
    assert check_uscc(make("Y2410481MA3X4Y5B0")).errors == ("uscc.category",)


def test_region_must_be_digits_and_a_known_province_is_expected() -> None:
    assert check_uscc(make("9141A481MA3X4Y5B0")).errors == ("uscc.region",)
    unknown = with_org_check("91990000", "MA3X4Y5B")
    result = check_uscc(unknown)
    assert result.errors == ()
    assert result.warnings == ("uscc.region_unknown",)
    assert {"10", "41", "82"} <= PROVINCE_PREFIXES


def test_wrong_check_character() -> None:
    code = PUBLISHED[0]
    wrong = code[:17] + ("7" if code[17] != "7" else "8")
    assert check_uscc(wrong).errors == ("uscc.check_digit",)


def test_failing_organisation_code_check_is_only_a_warning() -> None:
    body = "MA3X4Y5B"
    good = org_code_check_character(body)
    bad = next(ch for ch in "0123456789X" if ch != good)
    result = check_uscc(make("92410481" + body + bad))
    assert result.errors == ()
    assert result.warnings == ("uscc.org_code_check",)
    assert result.ok


def test_organisation_code_check_character_per_gb_11714() -> None:
    # Worked by hand: D=13, 5=5, ... weights 3 7 9 10 5 8 4 2.
    assert org_code_check_character("D2143569") == "X"
    assert org_code_check_character("12345678") == "8"


def test_old_registration_number_is_recognised_as_a_warning() -> None:
    result = check_uscc(" 410481000012345 ")
    assert result.old_regno
    assert result.value == "410481000012345"
    assert result.errors == ()
    assert result.warnings == ("uscc.old_regno",)
    assert not result.ok


# --- properties -------------------------------------------------------------------------------

charset_chars = st.sampled_from(CHARSET)
valid_codes = st.builds(
    lambda cat, province, rest, body: make(cat + province + rest + body),
    st.sampled_from(sorted(CATEGORIES)),
    st.sampled_from(sorted(PROVINCE_PREFIXES)),
    st.text("0123456789", min_size=4, max_size=4),
    st.text(CHARSET, min_size=9, max_size=9),
)


@given(valid_codes)
def test_every_constructed_code_has_no_errors(code: str) -> None:
    result = check_uscc(code)
    assert result.errors == ()
    assert set(result.warnings) <= {"uscc.org_code_check"}


@given(valid_codes, st.integers(0, 17), st.characters(codec="utf-8"))
def test_every_single_character_change_is_caught(code: str, position: int, ch: str) -> None:
    mutated = code[:position] + ch + code[position + 1 :]
    if normalise_uscc(mutated) == code:
        return  # "a" for "A", "Ａ" for "A": the same code, typed differently
    result = check_uscc(mutated)
    assert result.errors, (code, mutated, result)


@given(valid_codes, st.integers(0, 17), charset_chars)
def test_every_substitution_within_the_charset_breaks_the_check_character(
    code: str, position: int, ch: str
) -> None:
    if code[position] == ch:
        return
    mutated = code[:position] + ch + code[position + 1 :]
    # The check character alone catches it: 31 is prime and every weight is a unit mod 31,
    # so no single change leaves the weighted sum's residue as it was.
    assert "uscc.check_digit" in check_uscc(mutated).errors
